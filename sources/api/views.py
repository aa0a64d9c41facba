import datetime

from django.db.models import Value
from django.db.models.functions import Coalesce

from core.api.viewsets import ResourceViewSet
from sources.filtersets import ReportFilterSet, SourceFilterSet
from sources.models import Report, Source
from sources.services import report_save, source_save

from .serializers import ReportSerializer, ReportWriteSerializer, SourceSerializer, SourceWriteSerializer

# Undated reports sort as if published on the earliest date, so that keyset paging never meets a NULL.
UNDATED = datetime.date(1, 1, 1)


class SourceViewSet(ResourceViewSet):
    queryset = Source.objects.select_related("country", "operated_by")
    serializer_class = SourceSerializer
    write_serializer_class = SourceWriteSerializer
    filterset_class = SourceFilterSet
    ordering_fields = {"name": ("name", str), "updated_at": ("updated_at", datetime.datetime)}
    default_ordering = "name"

    def perform_write(self, obj, data):
        for name, value in data.items():
            setattr(obj, name, value)
        return source_save(source=obj)


class ReportViewSet(ResourceViewSet):
    queryset = Report.objects.select_related("source").prefetch_related("derivations")
    serializer_class = ReportSerializer
    write_serializer_class = ReportWriteSerializer
    filterset_class = ReportFilterSet
    ordering_fields = {
        "published_on": ("published_sort", datetime.date),
        "title": ("title", str),
        "updated_at": ("updated_at", datetime.datetime),
    }
    default_ordering = "-published_on"

    def get_queryset(self):
        return super().get_queryset().annotate(published_sort=Coalesce("published_on", Value(UNDATED)))

    def perform_write(self, obj, data):
        links = data.pop("derivations", None)
        for name, value in data.items():
            setattr(obj, name, value)
        derived_from = None if links is None else [(link["report"], link["relation"]) for link in links]
        return report_save(report=obj, derived_from=derived_from)
