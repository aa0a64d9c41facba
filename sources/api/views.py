import datetime

from django.db.models import Value
from django.db.models.functions import Coalesce

from conflict_events.api.viewsets import BaseReadOnlyViewSet
from sources.filtersets import ReportFilterSet, SourceFilterSet
from sources.models import Report, Source

from .serializers import ReportSerializer, SourceSerializer

# Undated reports sort as if published on the earliest date, so that keyset paging never meets a NULL.
UNDATED = datetime.date(1, 1, 1)


class SourceViewSet(BaseReadOnlyViewSet):
    queryset = Source.objects.select_related("country", "operated_by")
    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet
    ordering_fields = {"name": ("name", str), "updated_at": ("updated_at", datetime.datetime)}
    default_ordering = "name"


class ReportViewSet(BaseReadOnlyViewSet):
    queryset = Report.objects.select_related("source").prefetch_related("derivations")
    serializer_class = ReportSerializer
    filterset_class = ReportFilterSet
    ordering_fields = {
        "published_on": ("published_sort", datetime.date),
        "title": ("title", str),
        "updated_at": ("updated_at", datetime.datetime),
    }
    default_ordering = "-published_on"

    def get_queryset(self):
        return super().get_queryset().annotate(published_sort=Coalesce("published_on", Value(UNDATED)))
