import datetime

from actors.filtersets import ActorFilterSet
from actors.models import Actor
from conflict_events.api.viewsets import BaseReadOnlyViewSet

from .serializers import ActorSerializer


class ActorViewSet(BaseReadOnlyViewSet):
    queryset = Actor.objects.select_related("country", "affiliation").prefetch_related("aliases")
    serializer_class = ActorSerializer
    filterset_class = ActorFilterSet
    ordering_fields = {"name": ("name", str), "updated_at": ("updated_at", datetime.datetime)}
    default_ordering = "name"
