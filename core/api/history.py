"""History: every change to one row (`history`), and the rows deleted since a time (`deleted`)."""

import datetime

from django.db.models import F
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .filters import FORMAT_PARAM, PAGING_PARAMS, reject_unknown
from .pagination import OrderKey


def _jsonable(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string"},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "array", "items": {}},
            {"type": "object"},
        ],
        "nullable": True,
    }
)
class FieldValue(serializers.JSONField):
    """A field's value as stored: text, number, boolean, or a list (many-to-many fields)."""


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field that changed.")
    old = FieldValue(allow_null=True, help_text="Its value before.")
    new = FieldValue(allow_null=True, help_text="Its value after.")


def identity_for(viewer):
    """What this viewer may see of the users who changed things: staff see usernames; everyone else a role
    ("an editor", "a reviewer", "an administrator"), never a name or an id."""
    show_names = bool(viewer is not None and viewer.is_authenticated and viewer.is_staff)
    roles: dict[int, str] = {}

    def identity(user) -> str | None:
        if user is None:
            return None
        if show_names:
            return user.get_username()
        if user.pk not in roles:
            roles[user.pk] = _role(user)
        return roles[user.pk]

    return identity


def _role(user) -> str:
    from access.groups import EDITORS, REVIEWERS

    if user.is_superuser:
        return "an administrator"
    groups = set(user.groups.values_list("name", flat=True))
    if REVIEWERS in groups:
        return "a reviewer"
    if EDITORS in groups:
        return "an editor"
    return "a curator"


IDENTITY_HELP = (
    "Who: a username for staff; a role (an editor, a reviewer, an administrator) for everyone else."
)


class HistoryEntrySerializer(serializers.Serializer):
    history_id = serializers.IntegerField(help_text="Id of this version.")
    change = serializers.ChoiceField(choices=["created", "changed", "deleted"], help_text="What happened.")
    at = serializers.DateTimeField(help_text="When.")
    by = serializers.CharField(allow_null=True, help_text=f"{IDENTITY_HELP} Null for imports and scripts.")
    changes = ChangeSerializer(
        many=True, help_text="Each changed field, before and after (all fields on creation)."
    )


class TombstoneSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Id of the deleted row.")
    deleted_at = serializers.DateTimeField(help_text="When it was deleted.")
    deleted_by = serializers.SerializerMethodField(help_text=f"{IDENTITY_HELP} Null if not known.")

    @extend_schema_field({"type": ["string", "null"]})
    def get_deleted_by(self, row) -> str | None:
        if "identity" not in self.context:
            self.context["identity"] = identity_for(getattr(self.context.get("request"), "user", None))
        # A soft-deleted row names its deleter; a hard-deleted one is known from its history row.
        user = getattr(row, "deleted_by", None) or getattr(row, "history_user", None)
        return self.context["identity"](user)


HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
SINCE = OpenApiParameter(
    "since", datetime.datetime, description="Only deletions at or after this ISO 8601 time.", required=False
)


def history_entries(obj, viewer=None) -> list[dict]:
    """The row's versions, oldest first, each with the fields that changed since the one before. Users
    (who made a change; a column naming a user, such as who set a verdict) are shown as `identity_for`
    the viewer allows."""
    from django.contrib.auth import get_user_model

    identity = identity_for(viewer)
    records = list(obj.history.select_related("history_user").order_by("history_date", "history_id"))
    # Every column the history keeps (simple_history's own diff skips non-editable fields); a model may
    # leave derived columns out of its history, as events do.
    tracked = obj.history.model.tracked_fields
    fields = [f.attname for f in tracked]
    user_model = get_user_model()
    user_columns = {f.attname for f in tracked if f.is_relation and f.related_model is user_model}
    user_ids = {getattr(r, c) for r in records for c in user_columns} - {None}
    users = user_model._default_manager.in_bulk(user_ids) if user_ids else {}

    def shown(field: str, value):
        if field in user_columns and value is not None:
            return identity(users.get(value))
        return _jsonable(value)

    entries, previous = [], None
    for record in records:
        changes = [
            {"field": f, "old": shown(f, getattr(previous, f, None)), "new": shown(f, getattr(record, f))}
            for f in fields
            if previous is None or getattr(previous, f) != getattr(record, f)
        ]
        m2m = [field.name for field in getattr(record, "_history_m2m_fields", [])]
        if previous is not None and m2m:
            delta = record.diff_against(previous, included_fields=m2m)
            changes += [
                {"field": c.field, "old": _jsonable(c.old), "new": _jsonable(c.new)} for c in delta.changes
            ]
        user = record.history_user
        entries.append({
            "history_id": record.history_id,
            "change": HISTORY_TYPES[record.history_type],
            "at": record.history_date,
            "by": identity(user),
            "changes": changes,
        })  # fmt: skip
        previous = record
    return entries


class HistoryMixin:
    """`GET …/{id}/history/`: every version of the row (simple_history), newest first."""

    def get_serializer_class(self):
        if self.action == "history":
            return HistoryEntrySerializer
        return super().get_serializer_class()

    @extend_schema(summary="Every change to one row: who, when, and each field before and after")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        reject_unknown(request, {FORMAT_PARAM})
        # What the list shows (a deleted event's history is the admin's, not the public's); ASCII digits only
        # ("١" is a digit to Python, not an id).
        obj = self.queryset.filter(pk=int(pk)).first() if str(pk).isascii() and str(pk).isdigit() else None
        if obj is None:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        entries = reversed(history_entries(obj, request.user))
        return Response(HistoryEntrySerializer(entries, many=True).data)


class DeletedFeedMixin:
    """`GET …/deleted/?since=`: tombstones of deleted rows, paged, for clients that sync incrementally.

    `tombstone_fields` names extra columns each tombstone carries (e.g. external ids).
    """

    tombstone_fields: tuple[str, ...] = ()

    def get_serializer_class(self):
        if self.action == "deleted":
            return self.tombstone_serializer_class()
        return super().get_serializer_class()

    def tombstone_serializer_class(self):
        if not self.tombstone_fields:
            return TombstoneSerializer
        model = self.queryset.model
        extra = {
            name: serializers.CharField(
                allow_null=True, help_text=str(model._meta.get_field(name).verbose_name)
            )
            for name in self.tombstone_fields
        }
        return type(f"{model.__name__}TombstoneSerializer", (TombstoneSerializer,), extra)

    def get_order_keys(self, request) -> list[OrderKey]:
        if self.action == "deleted":
            return [OrderKey("deleted_at", False, datetime.datetime), OrderKey("id", False, int)]
        return super().get_order_keys(request)

    @extend_schema(summary="Rows deleted since a time (tombstones), for incremental sync", parameters=[SINCE])
    @action(detail=False, methods=["get"], filter_backends=[])
    def deleted(self, request):
        reject_unknown(request, {"since", FORMAT_PARAM} | PAGING_PARAMS)
        since = None
        if "since" in request.query_params:
            try:
                since = parse_datetime(request.query_params["since"].replace(" ", "+"))
            except ValueError:  # a well-formed time that does not exist (2022-02-30, an offset of 24 h)
                since = None
            if since is not None and since.tzinfo is not None:
                # Any offset RFC 3339 allows, given to the database in UTC (PostgreSQL refuses ±16:00 and more).
                since = since.astimezone(datetime.UTC)
            if since is None:
                raise ValidationError(
                    {"since": ["Enter an ISO 8601 date and time, e.g. 2022-05-06T00:00:00Z."]}
                )
        rows = self.paginate_queryset(self.tombstones(since))
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data)

    def tombstones(self, since):
        """Hard-deleted rows, from their history; models with soft deletes override this."""
        history = self.queryset.model.history.filter(history_type="-")
        if since is not None:
            history = history.filter(history_date__gte=since)
        return history.select_related("history_user").annotate(deleted_at=F("history_date"))
