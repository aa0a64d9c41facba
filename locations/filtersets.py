import django_filters
from django.db.models import Exists, OuterRef, Q

from core.api.filters import FilterSet, ordering_filter, updated_since_filter

from .filters import CountryFilter, LocationIdFilter
from .models import Location, LocationAlias

LOCATION_ORDERING = ["name", "level", "updated_at"]


class LocationFilterSet(FilterSet):
    q = django_filters.CharFilter(method="filter_q", help_text="Text in the name or any alias.")
    level = django_filters.TypedMultipleChoiceFilter(
        choices=Location.Level.choices,
        coerce=int,
        help_text="0 country, 1 admin1, 2 admin2, 3 admin3, 4 place.",
    )
    parent = django_filters.ModelChoiceFilter(
        queryset=Location.objects.all(), help_text="Direct parent's id."
    )
    within = LocationIdFilter(
        queryset=Location.objects.all(), method="filter_within", help_text="Location id: places inside it."
    )
    pcode = django_filters.CharFilter(
        method="filter_pcode", help_text="P-code prefix: places whose P-code starts so."
    )
    country = CountryFilter(
        method="filter_country",
        help_text="ISO 3166-1 alpha-2 or alpha-3 code: the country and places inside it.",
    )
    updated_since = updated_since_filter()
    ordering = ordering_filter(LOCATION_ORDERING, default="name")

    class Meta:
        model = Location
        fields = []

    def filter_q(self, queryset, name, value):
        aliases = LocationAlias.objects.filter(location=OuterRef("pk"), name__icontains=value.strip())
        return queryset.filter(Q(name__icontains=value.strip()) | Q(Exists(aliases)))

    def filter_within(self, queryset, name, location):
        return queryset.filter(path__startswith=location.descendant_path_prefix)

    def filter_pcode(self, queryset, name, value):
        return queryset.filter(pcode__startswith=value.strip().upper())

    def filter_country(self, queryset, name, country):
        return queryset.within(country)
