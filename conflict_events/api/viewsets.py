"""The one base class every resource's viewset derives from (NetBox style: viewsets are a few lines)."""

import datetime
import hashlib

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError
from django.utils.dateparse import parse_datetime
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from .pagination import KeysetPagination, OrderKey

# Parameters that are not filters but that every list understands.
PAGING_PARAMS = {"cursor", "page_size"}
FORMAT_PARAM = "format"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "The resource changed since you read it (If-Match does not match its ETag). Read it again."
    )
    default_code = "precondition_failed"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, plus: a parameter nobody declared is an error, never an unfiltered list."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        declared = set(filterset_class.base_filters) if filterset_class else set()
        allowed = declared | set(getattr(view, "extra_query_params", ())) | {FORMAT_PARAM}
        if view.action == "list":
            allowed |= PAGING_PARAMS
        reject_unknown(request, allowed)
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise ValidationError(self.explain(filterset))
        return filterset.qs

    @staticmethod
    def explain(filterset) -> dict[str, list[str]]:
        """The form's errors, plus the allowed values wherever the parameter takes a fixed set of them."""
        errors = {}
        for name, messages in filterset.errors.items():
            messages = list(messages)
            field = filterset.form.fields.get(name)
            choices = getattr(field, "choices", None)
            if choices is not None and not hasattr(choices, "queryset"):
                allowed = [str(value) for value, _ in choices if value != ""]
                messages.append(f"Allowed: {', '.join(allowed)}.")
            errors[name] = messages
        return errors


def reject_unknown(request, allowed: set[str]) -> None:
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise ValidationError(
            {name: [f"Unknown parameter. Allowed: {', '.join(sorted(allowed))}."] for name in unknown}
        )


def etag_of(obj) -> str:
    """A strong validator that changes whenever the row is saved (its updated_at moves)."""
    version = f"{type(obj).__name__}:{obj.pk}:{obj.updated_at.isoformat()}"
    return '"' + hashlib.sha256(version.encode()).hexdigest()[:20] + '"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


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


class HistoryEntrySerializer(serializers.Serializer):
    history_id = serializers.IntegerField(help_text="Id of this version.")
    change = serializers.ChoiceField(choices=["created", "changed", "deleted"], help_text="What happened.")
    at = serializers.DateTimeField(help_text="When.")
    by = serializers.CharField(
        allow_null=True, help_text="Username of who did it; null for imports and scripts."
    )
    changes = ChangeSerializer(
        many=True, help_text="Each changed field, before and after (all fields on creation)."
    )


class TombstoneSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Id of the deleted row.")
    deleted_at = serializers.DateTimeField(help_text="When it was deleted.")
    deleted_by = serializers.CharField(allow_null=True, help_text="Username of who deleted it, if known.")


HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
SINCE = OpenApiParameter(
    "since", datetime.datetime, description="Only deletions at or after this ISO 8601 time.", required=False
)


class BaseViewSet(viewsets.ModelViewSet):
    """List + detail + writes with strict filters, keyset paging, ETags, history and a deleted feed.

    Subclasses set `queryset`, `serializer_class`, `filterset_class`, `write_serializer_class`, and may set
    `detail_serializer_class`, `ordering_fields` (public name → (field or annotation, cursor value type)),
    `default_ordering`, and override `perform_write` / `perform_delete` to call their app's services.
    """

    filter_backends = [StrictFilterBackend]
    pagination_class = KeysetPagination
    detail_serializer_class = None
    write_serializer_class = None
    tombstone_fields: tuple[str, ...] = ()
    ordering_fields: dict[str, tuple[str, type]] = {}
    default_ordering: str = "id"
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    # --- reading -------------------------------------------------------------------------------------

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update") and self.write_serializer_class is not None:
            return self.write_serializer_class
        if self.action == "history":
            return HistoryEntrySerializer
        if self.action == "deleted":
            return self.tombstone_serializer_class()
        if self.action in ("retrieve", "restore") and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return self.serializer_class

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
        """The ordering asked for (already validated by the filterset), always ending with the id."""
        if self.action == "deleted":
            return [OrderKey("deleted_at", False, datetime.datetime), OrderKey("id", False, int)]
        raw = request.query_params.get("ordering") or self.default_ordering
        keys = []
        for part in raw.split(","):
            descending = part.startswith("-")
            name = part.lstrip("-")
            if name == "id":
                keys.append(OrderKey("id", descending, int))
                break
            field, kind = self.ordering_fields[name]
            keys.append(OrderKey(field, descending, kind))
        if keys[-1].name != "id":
            keys.append(OrderKey("id", keys[0].descending, int))
        return keys

    def prepare_rows(self, rows: list) -> None:
        """Load, in bulk, whatever the serializer needs beyond the queryset (no query per row)."""

    def paginate_queryset(self, queryset):
        rows = super().paginate_queryset(queryset)
        if self.action == "list":
            self.prepare_rows(rows)
        return rows

    def detail_response(self, obj, status_code=status.HTTP_200_OK) -> Response:
        obj = self.get_queryset().get(pk=obj.pk)  # re-read through the listing queryset: one shape for all
        self.prepare_rows([obj])
        serializer_class = self.detail_serializer_class or self.serializer_class
        data = serializer_class(obj, context=self.get_serializer_context()).data
        return Response(data, status=status_code, headers={"ETag": etag_of(obj)})

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        self.prepare_rows([obj])  # writes re-read and prepare in detail_response; reads prepare here
        etag = etag_of(obj)
        if etag in _tags(request.headers.get("If-None-Match", "")):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(self.get_serializer(obj).data, headers={"ETag": etag})

    # --- writing -------------------------------------------------------------------------------------

    def check_if_match(self, request, obj) -> None:
        header = request.headers.get("If-Match")
        if header is None:
            return
        tags = _tags(header)
        if "*" not in tags and etag_of(obj) not in tags:
            raise PreconditionFailed()

    def locked(self, obj):
        """The row again, locked until the transaction ends, so that check-then-write is atomic."""
        return type(obj)._default_manager.select_for_update().get(pk=obj.pk)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            obj = self.perform_write(self.queryset.model(), dict(serializer.validated_data))
        return self.detail_response(obj, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        obj = self.get_object()
        serializer = self.get_serializer(obj, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            obj = self.locked(obj)
            self.check_if_match(request, obj)
            obj = self.perform_write(obj, dict(serializer.validated_data))
        return self.detail_response(obj)

    def destroy(self, request, *args, **kwargs):
        obj = self.get_object()
        with transaction.atomic():
            obj = self.locked(obj)
            self.check_if_match(request, obj)
            self.perform_delete(obj)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_write(self, obj, data: dict):
        """Set the plain fields, validate with the model's own rules, save. Override to call a service."""
        for name, value in data.items():
            setattr(obj, name, value)
        obj.full_clean()
        obj.save()
        return obj

    def perform_delete(self, obj) -> None:
        obj.delete()

    def handle_exception(self, exc):
        # The model's rules speak Django; the API answers them as 400s naming the field.
        if isinstance(exc, DjangoValidationError):
            exc = ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            )
        elif isinstance(exc, ProtectedError):
            used_by = sorted({str(type(o)._meta.verbose_name_plural) for o in exc.protected_objects})
            exc = Conflict(f"It is still referred to by {', '.join(used_by)}; change or delete those first.")
        elif isinstance(exc, IntegrityError):
            exc = Conflict(f"The change conflicts with existing data: {exc}")
        return super().handle_exception(exc)

    # --- history and tombstones ---------------------------------------------------------------------------

    @extend_schema(summary="Every change to one row: who, when, and each field before and after")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        reject_unknown(request, {FORMAT_PARAM})
        model = self.queryset.model
        obj = model._default_manager.filter(pk=pk).first() if str(pk).isdigit() else None
        if obj is None:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        records = list(obj.history.select_related("history_user").order_by("history_date", "history_id"))
        # Every stored column, derived ones included (simple_history's own diff skips non-editable fields).
        fields = [f.attname for f in model._meta.concrete_fields]
        entries, previous = [], None
        for record in records:
            changes = [
                {
                    "field": f,
                    "old": _jsonable(getattr(previous, f, None)),
                    "new": _jsonable(getattr(record, f)),
                }
                for f in fields
                if previous is None or getattr(previous, f) != getattr(record, f)
            ]
            m2m = [field.name for field in getattr(record, "_history_m2m_fields", [])]
            if previous is not None and m2m:
                delta = record.diff_against(previous, included_fields=m2m)
                changes += [
                    {"field": c.field, "old": _jsonable(c.old), "new": _jsonable(c.new)}
                    for c in delta.changes
                ]
            user = record.history_user
            entries.append({
                "history_id": record.history_id,
                "change": HISTORY_TYPES[record.history_type],
                "at": record.history_date,
                "by": user.get_username() if user else None,
                "changes": changes,
            })  # fmt: skip
            previous = record
        return Response(HistoryEntrySerializer(reversed(entries), many=True).data)

    @extend_schema(summary="Rows deleted since a time (tombstones), for incremental sync", parameters=[SINCE])
    @action(detail=False, methods=["get"], filter_backends=[])
    def deleted(self, request):
        reject_unknown(request, {"since", FORMAT_PARAM} | PAGING_PARAMS)
        since = None
        if "since" in request.query_params:
            since = parse_datetime(request.query_params["since"].replace(" ", "+"))
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
        return history.select_related("history_user").annotate(
            deleted_at=F("history_date"), deleted_by=F("history_user__username")
        )
