"""Filters that resolve places through the gazetteer, for any resource that is filtered by place."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .selectors import location_by_country_code


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


@extend_schema_field({"type": "string", "pattern": "^[A-Za-z]{2,3}$"})
class CountryFilter(django_filters.Filter):
    field_class = CountryCodeField


@extend_schema_field(OpenApiTypes.INT)
class LocationIdFilter(django_filters.ModelChoiceFilter):
    """A location id, for filters that look inside the place (the schema shows an integer)."""
