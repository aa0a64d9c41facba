"""Reads over actors that filters and forms share."""

from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from .models import Actor, ActorAlias


def acronym_is(text: str) -> Q:
    """Actors whose acronym is `text` in any case, through the index on the lower-cased acronyms there are
    (`iexact` is `LIKE` on SQLite and `UPPER(…) =` on PostgreSQL, which no index serves: a scan of every
    actor). The index holds only actors with an acronym: the condition says so, so that it can be used."""
    return Q(Exact(Lower("acronym"), Lower(Value(text)))) & ~Q(acronym="")


def actors_named(text: str) -> QuerySet[Actor]:
    """Actors whose name, acronym or any alias is `text`, in any case ("taliban", "Taleban", "NRF")."""
    aliases = ActorAlias.objects.filter(actor=OuterRef("pk"), name__iexact=text)
    return Actor.objects.filter(Q(name__iexact=text) | acronym_is(text) | Q(Exists(aliases))).order_by(
        "name", "pk"
    )
