"""The one base class every resource's viewset derives from (NetBox style: viewsets are three lines)."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError

from .pagination import KeysetPagination, OrderKey

# Parameters that are not filters but that every list understands.
PAGING_PARAMS = {"cursor", "page_size"}
FORMAT_PARAM = "format"


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, plus: a parameter nobody declared is an error, never an unfiltered list."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        declared = set(filterset_class.base_filters) if filterset_class else set()
        allowed = declared | set(getattr(view, "extra_query_params", ())) | {FORMAT_PARAM}
        if view.action == "list":
            allowed |= PAGING_PARAMS
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise ValidationError(
                {name: [f"Unknown parameter. Allowed: {', '.join(sorted(allowed))}."] for name in unknown}
            )
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


class BaseReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """List + detail with strict filters, keyset paging, whitelisted ordering and bulk-loaded extras.

    Subclasses set `queryset`, `serializer_class`, `filterset_class`, and may set `detail_serializer_class`,
    `ordering_fields` (public name → (model field or annotation, cursor value type)) and `default_ordering`.
    """

    filter_backends = [StrictFilterBackend]
    pagination_class = KeysetPagination
    detail_serializer_class = None
    ordering_fields: dict[str, tuple[str, type]] = {}
    default_ordering: str = "id"

    def get_serializer_class(self):
        if self.action == "retrieve" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return self.serializer_class

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
        self.prepare_rows(rows)
        return rows

    def get_object(self):
        obj = super().get_object()
        self.prepare_rows([obj])
        return obj
