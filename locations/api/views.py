import datetime

from conflict_events.api.viewsets import BaseReadOnlyViewSet
from locations.filtersets import LocationFilterSet
from locations.models import Location
from locations.selectors import locations_attach_lineage

from .serializers import LocationSerializer


class LocationViewSet(BaseReadOnlyViewSet):
    queryset = Location.objects.select_related("parent").prefetch_related("aliases")
    serializer_class = LocationSerializer
    filterset_class = LocationFilterSet
    ordering_fields = {
        "name": ("name", str),
        "level": ("level", int),
        "updated_at": ("updated_at", datetime.datetime),
    }
    default_ordering = "name"

    def prepare_rows(self, rows):
        locations_attach_lineage(rows)
