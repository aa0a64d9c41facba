import datetime
import functools

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.http import Http404, StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from core.api.conditional import check_if_match, etag_for, is_not_modified
from core.api.filters import FORMAT_PARAM, PAGING_PARAMS, reject_unknown
from core.api.renderers import FastJSONRenderer
from core.api.viewsets import ResourceViewSet
from events.filtersets import ACTOR_ROLE_FILTERS, ClaimFilterSet, EventFilterSet, one_actors_page
from events.formats import EXPORTS
from events.formats.json import event_detail_json
from events.formats.json_rows import event_json_fragments
from events.formats.rows import VALUE_FIELDS, attach, claim_records, claims_version, event_record
from events.models import Claim, Event, fatalities_sort
from events.services import (
    claim_delete,
    claim_save,
    event_delete,
    event_restore,
    event_save,
    event_set_verdict,
)

from .renderers import AcledCSVRenderer, CSVRenderer, GeoJSONRenderer, UcdpCSVRenderer
from .serializers import (
    ClaimSerializer,
    ClaimWriteSerializer,
    EventDetailSerializer,
    EventSerializer,
    EventWriteSerializer,
    VerdictSerializer,
)


@functools.cache
def list_records():
    """What a page of the list reads: plain records (events.formats.rows) with the key of `ordering=fatalities`,
    not model instances. Built once: values() over forty-odd fields and their joins cost a quarter of a
    millisecond on every request, as much as the database took for a small page."""
    return Event.objects.annotate(fatalities_sort=fatalities_sort()).values(*VALUE_FIELDS, "fatalities_sort")


@functools.cache
def list_keys():
    """What a JSON page reads before its rows: the ids, and the ordering's keys for the cursors (`list` picks
    them; the rows are written by the database, `events.formats.json_rows`). Built once, as above."""
    return Event.objects.annotate(fatalities_sort=fatalities_sort())


@functools.cache
def detail_records():
    """What the JSON detail reads: the event as a plain record, like a list row (built once, as above)."""
    return Event.objects.values(*VALUE_FIELDS)


class CanChangeEvents(BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("events.change_event")


class CanSetVerdicts(BasePermission):
    message = "Setting an editor verdict needs the reviewer permission (events.set_verdict)."

    def has_permission(self, request, view):
        return request.user.has_perm("events.set_verdict")


FORMAT_PARAMETER = OpenApiParameter(
    "format",
    str,
    enum=["json", *EXPORTS],
    description="json (default, paged), or csv / geojson / acled / ucdp (CSV in ACLED's or UCDP GED's column "
    "layout): every matching event, streamed, without paging.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List events",
        description="Events matching every given filter. JSON is cursor-paged. With `format=csv` (or "
        "`Accept: text/csv`) and `format=geojson` (or `Accept: application/geo+json`) every matching event is "
        "streamed instead, one flat row or GeoJSON Feature per event.",
        parameters=[FORMAT_PARAMETER],
    ),
    retrieve=extend_schema(summary="One event, with its claims in time order"),
)
class EventViewSet(ResourceViewSet):
    queryset = Event.objects.all()
    serializer_class = EventSerializer
    detail_serializer_class = EventDetailSerializer
    write_serializer_class = EventWriteSerializer
    tombstone_fields = ("acled_event_id", "ucdp_ged_id")
    filterset_class = EventFilterSet
    ordering_fields = {
        "date_start": ("date_start", datetime.date),
        "date_end": ("date_end", datetime.date),
        "updated_at": ("updated_at", datetime.datetime),
        "created_at": ("created_at", datetime.datetime),
        # Unknown fatalities sort below zero, so that keyset paging never meets a NULL.
        "fatalities": ("fatalities_sort", int),
    }
    default_ordering = "-date_start"
    # What `format=` streams instead of JSON pages, documented as the 200's other media types.
    schema_alternative_media = {
        "list": {
            "text/csv": {
                "type": "string",
                "description": "format=csv: one flat row per event (columns in docs/IMPORT_EXPORT.md); "
                "format=acled or ucdp: ACLED's or UCDP GED's columns.",
            },
            "application/geo+json": {
                "type": "object",
                "description": "format=geojson: a FeatureCollection, one Feature per event, the flat row as "
                "its properties.",
                "required": ["type", "features"],
                "properties": {
                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {"type": "array", "items": {"type": "object"}},
                },
            },
        }
    }

    def get_queryset(self):
        # JSON pages and the JSON detail read plain records, from querysets built once (copied here: the ones
        # built are never evaluated). An export streams records of its own (events.formats); the browsable
        # API's detail and every write read the instance, with its claims.
        renderer_format = getattr(getattr(self.request, "accepted_renderer", None), "format", None)
        if self.action == "list" and renderer_format == FastJSONRenderer.format:
            return list_keys().all()
        if self.action == "list" and renderer_format not in EXPORTS:
            return list_records().all()
        if self.action == "retrieve" and renderer_format == FastJSONRenderer.format:
            return detail_records().all()
        queryset = Event.objects.annotate(fatalities_sort=fatalities_sort())
        return queryset if self.action == "list" else queryset.for_detail()

    def get_serializer_class(self):
        if self.action == "restore":
            return EventDetailSerializer
        return super().get_serializer_class()

    def get_renderers(self):
        renderers = [FastJSONRenderer(), BrowsableAPIRenderer()]
        # The schema documents exports through `format` and `schema_alternative_media`.
        if getattr(self, "action", None) == "list" and not getattr(self, "swagger_fake_view", False):
            renderers += [CSVRenderer(), GeoJSONRenderer(), AcledCSVRenderer(), UcdpCSVRenderer()]
        return renderers

    def prepare_rows(self, rows):
        if rows and isinstance(rows[0], dict):
            attach(rows)

    def retrieve(self, request, *args, **kwargs):
        if request.accepted_renderer.format != FastJSONRenderer.format:
            # The browsable API fills its forms from a model instance: the generic path.
            return super().retrieve(request, *args, **kwargs)
        # JSON reads plain records, as a list does (DRF's generic walk of the claims cost more than the
        # queries): the event and its claims, which make the ETag; its roles, tags and places only when the
        # client does not hold this version already.
        if set(request.query_params) <= {FORMAT_PARAM}:
            # No filter to apply (what almost every request is): by id, through a query compiled once. An
            # empty or repeated `format` is refused as the filter backend refuses it.
            reject_unknown(request, {FORMAT_PARAM})
            record = event_record(int(self.kwargs["pk"]))
            if record is None:
                raise Http404(f"No {Event._meta.object_name} matches the given query.")
            self.check_object_permissions(request, record)
        else:
            record = self.get_object()  # the filters apply to one event as to a list
        claims = claim_records(record["id"])
        etag = etag_for(Event.__name__, record["id"], record["updated_at"], claims_version(claims))
        if is_not_modified(request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        attach([record])
        return Response(event_detail_json(record, claims), headers={"ETag": etag})

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format == FastJSONRenderer.format:
            # The page's keys, then its rows as the database writes them: two queries for any page size.
            queryset = self.filter_queryset(self.get_queryset())
            order_keys = self.get_order_keys(request)
            applied = getattr(self, "applied_filters", {})  # set by the filter backend (core.api.filters)
            given = set(applied) - {"ordering"}
            name = given.pop() if len(given) == 1 else None
            if name in ACTOR_ROLE_FILTERS and len(actors := applied[name] or ()) == 1:
                # One actor's events, the filter they were given by alone: the page's candidates first.
                paginator = self.paginator
                narrowed = one_actors_page(
                    self.get_queryset(),
                    actors[0],
                    ACTOR_ROLE_FILTERS[name],
                    order_keys,
                    paginator.decode_cursor(request, order_keys),
                    paginator.get_page_size(request) + 1,
                )
                queryset = queryset if narrowed is None else narrowed
            # Only the keys of this ordering: each column read is also a value to convert (a timestamp's
            # costs more than its read).
            names = dict.fromkeys(["id", *(key.name for key in order_keys)])
            # The paginator itself: the rows are not records for prepare_rows to complete.
            keys = self.paginator.paginate_queryset(queryset.values(*names), request, view=self)
            return self.get_paginated_response(event_json_fragments([key["id"] for key in keys], queryset.db))
        export = EXPORTS.get(request.accepted_renderer.format)
        if export is None:
            return super().list(request, *args, **kwargs)
        paging = sorted(PAGING_PARAMS & set(request.query_params))
        if paging:
            raise ValidationError(
                {
                    name: ["CSV and GeoJSON stream every matching event; paging applies to JSON only."]
                    for name in paging
                }
            )
        queryset = self.filter_queryset(self.get_queryset())
        keys = self.get_order_keys(request)
        queryset = queryset.order_by(*[f"{'-' if key.descending else ''}{key.name}" for key in keys])
        response = StreamingHttpResponse(export.stream(queryset), content_type=export.media_type)
        response["Content-Disposition"] = f'attachment; filename="events.{export.extension}"'
        return response

    def get_write_queryset(self):
        # What validation and the answer read, in the same query as the lock; deleted events are not written.
        return Event.objects.select_related("event_type", "sub_event_type", "location")

    def perform_write(self, obj, data):
        actors = data.pop("event_actors", None)
        tags = data.pop("tags", None)
        for name, value in data.items():
            setattr(obj, name, value)
        roles = None if actors is None else [(role["actor"], role["role"]) for role in actors]
        fields = None if obj.pk is None else list(data)
        return event_save(event=obj, fields=fields, actors=roles, tags=tags, user=self.request.user)

    def perform_delete(self, obj):
        event_delete(event=obj, user=self.request.user)

    def tombstones(self, since):
        events = Event.all_objects.deleted().select_related("deleted_by")
        return events.filter(deleted_at__gte=since) if since is not None else events

    @extend_schema(summary="Bring a deleted event back", request=None, responses=EventDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanChangeEvents], filter_backends=[])
    def restore(self, request, pk=None):
        """Bring a deleted event back into every list, with its claims, roles and history as they were.
        An event that is not deleted only gets a new `updated_at`. Needs an API token of a user allowed to
        change events; `If-Match` as for any change."""
        with transaction.atomic():
            known = str(pk).isascii() and str(pk).isdigit()
            event = Event.all_objects.select_for_update().filter(pk=pk).first() if known else None
            if event is None:
                raise NotFound()
            check_if_match(request, event)
            event_restore(event=event)
        return self.detail_response(event)

    @extend_schema(summary="Set or clear an editor verdict (reviewers only)", request=VerdictSerializer,
                   responses=EventDetailSerializer)  # fmt: skip
    @action(detail=True, methods=["post"], permission_classes=[CanSetVerdicts], filter_backends=[])
    def verdict(self, request, pk=None):
        """Record a reviewer's verdict on an event (confirmed or refuted, with a written reason), which
        overrides what its claims imply and is shown with who gave it; `null` clears it and the status
        follows the claims again. Send the `ETag` you read as `If-Match`. Reviewers only."""
        serializer = VerdictSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            event = self.get_locked_object()
            check_if_match(request, event)
            event_set_verdict(
                event=event,
                verdict=serializer.validated_data["verdict"] or "",
                reason=serializer.validated_data.get("reason", ""),
                user=request.user,
            )
        return self.detail_response(event)

    def handle_exception(self, exc):
        # Errors are always JSON, even when the request asked for CSV or GeoJSON.
        if (
            getattr(self.request, "accepted_renderer", None) is not None
            and self.request.accepted_renderer.format in EXPORTS
        ):
            self.request.accepted_renderer = FastJSONRenderer()
            self.request.accepted_media_type = FastJSONRenderer.media_type
        return super().handle_exception(exc)


class ClaimViewSet(ResourceViewSet):
    queryset = Claim.objects.filter(event__deleted_at__isnull=True).select_related(
        "event", "report__source", "claimant", "speaker"
    )
    serializer_class = ClaimSerializer
    write_serializer_class = ClaimWriteSerializer
    filterset_class = ClaimFilterSet
    ordering_fields = {
        "claimed_on": ("claimed_sort", datetime.date),
        "updated_at": ("updated_at", datetime.datetime),
    }
    default_ordering = "claimed_on"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .annotate(claimed_sort=Coalesce("claimed_on", Value(datetime.date(1, 1, 1))))
        )

    def get_write_queryset(self):
        return Claim.objects.filter(event__deleted_at__isnull=True).select_related("report")

    def perform_write(self, obj, data):
        for name, value in data.items():
            setattr(obj, name, value)
        return claim_save(claim=obj)

    def perform_delete(self, obj):
        claim_delete(claim=obj)
