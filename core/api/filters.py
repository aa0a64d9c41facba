"""Strict query parameters: the filter backend every list uses, and filters shared by the FilterSets."""

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

# Parameters that are not filters but that every list understands.
PAGING_PARAMS = {"cursor", "page_size"}
FORMAT_PARAM = "format"


def reject_unknown(request, allowed: set[str], repeatable: set[str] = frozenset()) -> None:
    """Refuse parameters nobody declared, empty ones, and repeats of one that takes a single value: each
    would otherwise be ignored or decided silently (the last value wins)."""
    params = request.query_params
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ValidationError(
            {name: [f"Unknown parameter. Allowed: {', '.join(sorted(allowed))}."] for name in unknown}
        )
    errors = {}
    for name in params:
        values = params.getlist(name)
        if any(value == "" for value in values):
            errors[name] = ["Empty value: give one, or leave the parameter out."]
        elif len(values) > 1 and name not in repeatable:
            errors[name] = [f"Given {len(values)} times; it takes one value."]
    if errors:
        raise ValidationError(errors)


def _repeatable(filterset_class) -> set[str]:
    """Filters that take several values (repeat the parameter: any of them)."""
    return {
        name
        for name, declared in filterset_class.base_filters.items()
        if isinstance(
            declared, django_filters.MultipleChoiceFilter | django_filters.ModelMultipleChoiceFilter
        )
    }


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, plus: a parameter nobody declared is an error, never an unfiltered list."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        declared = set(filterset_class.base_filters) if filterset_class else set()
        allowed = declared | set(getattr(view, "extra_query_params", ())) | {FORMAT_PARAM}
        if view.action == "list":
            allowed |= PAGING_PARAMS
        reject_unknown(request, allowed, _repeatable(filterset_class) if filterset_class else set())
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


class IntegerFilter(django_filters.NumberFilter):
    """A whole-number filter (django-filter's NumberFilter takes decimals)."""

    field_class = forms.IntegerField


def ordering_filter(names: list[str], default: str) -> django_filters.ChoiceFilter:
    """The `ordering` parameter: one whitelisted field, `-` for descending; ties are broken by id.

    Paging applies it (see ReadMixin.get_order_keys); the filter only validates and documents it.
    """
    choices = [(value, value) for name in [*names, "id"] for value in (name, f"-{name}")]
    return django_filters.ChoiceFilter(
        choices=choices,
        method=lambda queryset, name, value: queryset,
        help_text=f"Sort order (default `{default}`): one of {', '.join(n for n, _ in choices)}.",
        empty_label=None,
    )


class IsoDateField(forms.DateField):
    """A date as ISO 8601 (YYYY-MM-DD) only: `6/5/2022` is June or May depending on who wrote it."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {
        "invalid": "Enter a date as YYYY-MM-DD (ISO 8601) that exists, e.g. 2022-05-06."
    }


class IsoDateFilter(django_filters.DateFilter):
    field_class = IsoDateField


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time whose UTC offset a database can store (PostgreSQL refuses ±16:00 and beyond)."""

    def to_python(self, value):
        parsed = super().to_python(value)
        raw = value.strip() if isinstance(value, str) else ""
        # The offset as written (the parsed value is already in UTC).
        if (
            len(raw) > 6
            and raw[-6] in "+-"
            and raw[-3] == ":"
            and raw[-5:-3].isdigit()
            and int(raw[-5:-3]) >= 16
        ):
            raise forms.ValidationError("Give a UTC offset within ±15:59, e.g. 2022-05-06T00:00:00+04:30.")
        return parsed


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


def updated_since_filter() -> django_filters.IsoDateTimeFilter:
    return IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only rows changed at or after this ISO 8601 time (e.g. 2022-05-06T00:00:00Z; UTC offsets "
        "within ±15:59).",
    )


@extend_schema_field(OpenApiTypes.INT)
class IdsFilter(django_filters.ModelMultipleChoiceFilter):
    """One or more ids (repeat the parameter: any of them), for filters computed by a method."""


@extend_schema_field(OpenApiTypes.STR)
class SlugsFilter(django_filters.ModelMultipleChoiceFilter):
    """One or more slugs of a vocabulary (repeat the parameter: any of them)."""

    def __init__(self, *, related: str, **kwargs):
        super().__init__(field_name=f"{related}__slug", to_field_name="slug", **kwargs)
