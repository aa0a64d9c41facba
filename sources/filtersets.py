import django_filters
from django.db.models import Q

from actors.models import Actor
from core.api.filters import FilterSet, IsoDateFilter, ordering_filter, updated_since_filter
from locations.filters import CountryFilter

from .models import Report, Source

SOURCE_ORDERING = ["name", "updated_at"]
REPORT_ORDERING = ["published_on", "title", "updated_at"]


class SourceFilterSet(FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Text in the name.")
    kind = django_filters.MultipleChoiceFilter(
        choices=Source.Kind.choices, help_text="Kind of outlet (any of)."
    )
    scale = django_filters.MultipleChoiceFilter(choices=Source.Scale.choices, help_text="Reach (any of).")
    country = CountryFilter(field_name="country", help_text="ISO 3166-1 alpha-2 or alpha-3 country code.")
    operated_by = django_filters.ModelMultipleChoiceFilter(
        queryset=Actor.objects.all(), help_text="Id of the actor whose channel this is."
    )
    updated_since = updated_since_filter()
    ordering = ordering_filter(SOURCE_ORDERING, default="name")

    class Meta:
        model = Source
        fields = []


class ReportFilterSet(FilterSet):
    q = django_filters.CharFilter(method="filter_q", help_text="Text in the title or author.")
    source = django_filters.ModelMultipleChoiceFilter(
        queryset=Source.objects.all(), help_text="Source id (any of)."
    )
    published_after = IsoDateFilter(
        field_name="published_on", lookup_expr="gte", help_text="Published on or after this date."
    )
    published_before = IsoDateFilter(
        field_name="published_on", lookup_expr="lte", help_text="Published on or before this date."
    )
    derived_from = django_filters.ModelChoiceFilter(
        queryset=Report.objects.all(),
        field_name="derivations__derived_from",
        help_text="Report id: reports that republish, quote or derive from it.",
    )
    updated_since = updated_since_filter()
    ordering = ordering_filter(REPORT_ORDERING, default="-published_on")

    class Meta:
        model = Report
        fields = []

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value.strip()) | Q(author__icontains=value.strip()))
