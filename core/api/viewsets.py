"""A resource's endpoints, composed of small mixins: reading here, writes.py, history.py."""

from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from .conditional import etag_of, is_not_modified
from .filters import StrictFilterBackend
from .history import DeletedFeedMixin, HistoryMixin
from .pagination import KeysetPagination, OrderKey
from .writes import WriteMixin


class ReadMixin(mixins.ListModelMixin):
    """`list` (keyset-paged, ordered by a whitelisted field then id) and `retrieve` (ETag, 304)."""

    filter_backends = [StrictFilterBackend]
    pagination_class = KeysetPagination
    detail_serializer_class = None
    # Public name → (field or annotation, type of its cursor value); `ordering_filter` validates the name.
    ordering_fields: dict[str, tuple[str, type]] = {}
    default_ordering: str = "id"
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]  # no TRACE

    def initial(self, request, *args, **kwargs):
        # Ids are ASCII digits: Python's int() also reads "١" (Arabic-Indic one) as 1, and the row that
        # answered would not be the one named.
        pk = str(kwargs.get("pk", "0"))
        if not (pk.isascii() and pk.isdigit()):
            raise NotFound()
        super().initial(request, *args, **kwargs)

    def get_serializer_class(self):
        if self.action == "retrieve" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return super().get_serializer_class()

    def get_order_keys(self, request) -> list[OrderKey]:
        """The ordering asked for (already validated by the filterset), always ending with the id."""
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

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        self.prepare_rows([obj])
        etag = etag_of(obj)
        if is_not_modified(request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(self.get_serializer(obj).data, headers={"ETag": etag})

    def detail_response(self, obj, status_code=status.HTTP_200_OK) -> Response:
        """The row as `retrieve` shows it, with its new ETag: what every write answers."""
        obj = self.get_queryset().get(pk=obj.pk)  # re-read through the listing queryset: one shape for all
        self.prepare_rows([obj])
        serializer_class = self.detail_serializer_class or self.serializer_class
        data = serializer_class(obj, context=self.get_serializer_context()).data
        return Response(data, status=status_code, headers={"ETag": etag_of(obj)})


class ResourceViewSet(HistoryMixin, DeletedFeedMixin, WriteMixin, ReadMixin, viewsets.GenericViewSet):
    # drf-spectacular publishes this docstring as the description of each operation without its own.
    """List + detail + writes with strict filters, keyset paging, ETags, history and a deleted feed.

    Subclasses set `queryset`, `serializer_class`, `filterset_class`, `write_serializer_class`, and may set
    `detail_serializer_class`, `ordering_fields` (public name → (field or annotation, cursor value type)),
    `default_ordering`, and override `perform_write` / `perform_delete` to call their app's services.
    """
