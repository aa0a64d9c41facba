"""Filter building blocks shared by the resources' FilterSets."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from locations.selectors import location_by_country_code


class IntegerFilter(django_filters.NumberFilter):
    """A whole-number filter (django-filter's NumberFilter takes decimals)."""

    field_class = forms.IntegerField


def ordering_filter(names: list[str], default: str) -> django_filters.ChoiceFilter:
    """The `ordering` parameter: one whitelisted field, `-` for descending; ties are broken by id.

    Paging applies it (see BaseReadOnlyViewSet.get_order_keys); the filter only validates and documents it.
    """
    choices = [(value, value) for name in [*names, "id"] for value in (name, f"-{name}")]
    return django_filters.ChoiceFilter(
        choices=choices,
        method=lambda queryset, name, value: queryset,
        help_text=f"Sort order (default `{default}`): one of {', '.join(n for n, _ in choices)}.",
        empty_label=None,
    )


def updated_since_filter() -> django_filters.IsoDateTimeFilter:
    return django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only rows changed at or after this ISO 8601 time (e.g. 2022-05-06T00:00:00Z).",
    )


class CountryCodeField(forms.CharField):
    """An ISO 3166-1 alpha-2 or alpha-3 code, resolved to the country in the gazetteer."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        country = location_by_country_code(value)
        if country is None:
            raise forms.ValidationError(
                f"Unknown country {value!r}: give an ISO 3166-1 alpha-2 or alpha-3 code that is in the gazetteer."
            )
        return country


@extend_schema_field(OpenApiTypes.STR)
class CountryFilter(django_filters.Filter):
    field_class = CountryCodeField


@extend_schema_field(OpenApiTypes.INT)
class LocationIdFilter(django_filters.ModelChoiceFilter):
    """A location id, for filters that look inside the place (the schema shows an integer)."""


@extend_schema_field(OpenApiTypes.INT)
class IdsFilter(django_filters.ModelMultipleChoiceFilter):
    """One or more ids (repeat the parameter: any of them), for filters computed by a method."""


@extend_schema_field(OpenApiTypes.STR)
class SlugsFilter(django_filters.ModelMultipleChoiceFilter):
    """One or more slugs of a vocabulary (repeat the parameter: any of them)."""

    def __init__(self, *, related: str, **kwargs):
        super().__init__(field_name=f"{related}__slug", to_field_name="slug", **kwargs)
