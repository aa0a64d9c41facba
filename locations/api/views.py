import datetime

from core.api.viewsets import ResourceViewSet
from locations.filtersets import LocationFilterSet
from locations.models import Location
from locations.selectors import locations_attach_lineage
from locations.services import location_save, location_set_aliases

from .serializers import LocationSerializer, LocationWriteSerializer


class LocationViewSet(ResourceViewSet):
    queryset = Location.objects.select_related("parent").prefetch_related("aliases")
    serializer_class = LocationSerializer
    write_serializer_class = LocationWriteSerializer
    filterset_class = LocationFilterSet
    ordering_fields = {
        "name": ("name", str),
        "level": ("level", int),
        "updated_at": ("updated_at", datetime.datetime),
    }
    default_ordering = "name"

    def prepare_rows(self, rows):
        locations_attach_lineage(rows)

    def perform_write(self, obj, data):
        aliases = data.pop("aliases", None)
        for name, value in data.items():
            setattr(obj, name, value)
        location_save(location=obj)
        if aliases is not None:
            location_set_aliases(location=obj, names=aliases)
        return obj
