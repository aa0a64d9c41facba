"""Reads over actors that filters and forms share."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Actor, ActorAlias


def actors_named(text: str) -> QuerySet[Actor]:
    """Actors whose name, acronym or any alias is `text`, in any case ("taliban", "Taleban", "NRF")."""
    aliases = ActorAlias.objects.filter(actor=OuterRef("pk"), name__iexact=text)
    return Actor.objects.filter(Q(name__iexact=text) | Q(acronym__iexact=text) | Q(Exists(aliases))).order_by(
        "name", "pk"
    )
