import datetime

from actors.filtersets import ActorFilterSet
from actors.models import Actor
from actors.services import actor_save
from core.api.viewsets import ResourceViewSet

from .serializers import ActorSerializer, ActorWriteSerializer


class ActorViewSet(ResourceViewSet):
    queryset = Actor.objects.select_related("country", "affiliation").prefetch_related("aliases")
    serializer_class = ActorSerializer
    write_serializer_class = ActorWriteSerializer
    filterset_class = ActorFilterSet
    ordering_fields = {"name": ("name", str), "updated_at": ("updated_at", datetime.datetime)}
    default_ordering = "name"

    def perform_write(self, obj, data):
        aliases = data.pop("aliases", None)
        for name, value in data.items():
            setattr(obj, name, value)
        return actor_save(actor=obj, aliases=aliases)
