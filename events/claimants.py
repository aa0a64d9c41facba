"""Who made a claim: one definition, used by verification, the claimant filter, track records and timelines.

A claim's voice is its claimant, else the person speaking, else the actor operating the report's source
(a party's own channel). A person speaks for the organisation at the top of their affiliation chain, so
"claims made by the NRF" include those of its spokesperson and of its own channels.
"""

from collections.abc import Iterable

from django.db.models import Q

from actors.models import Actor

# The actors through which a claim can speak, nearest first.
VOICE_FIELDS = ("claimant", "speaker", "report__source__operated_by")


def actor_and_members(actor_ids: Iterable[int]) -> set[int]:
    """The actors and everyone affiliated to them, directly or through others (one query per level)."""
    ids = set(actor_ids)
    frontier = set(ids)
    while frontier:
        frontier = set(Actor.objects.filter(affiliation_id__in=frontier).values_list("pk", flat=True)) - ids
        ids |= frontier
    return ids


def claims_made_by(actor_ids: Iterable[int]) -> Q:
    """A filter on Claim: made by these actors, by anyone speaking for them, or on their channels."""
    members = actor_and_members(actor_ids)
    condition = Q()
    for field in VOICE_FIELDS:
        condition |= Q(**{f"{field}__in": members})
    return condition


def voice(claim) -> Actor | None:
    """The actor speaking in a loaded claim (claimant, else speaker, else the source's operator)."""
    return claim.claimant or claim.speaker or claim.report.source.operated_by


def top_of(actor: Actor) -> Actor:
    """The organisation at the top of an actor's affiliation chain (a spokesperson → their group)."""
    seen = set()
    while actor.affiliation_id is not None and actor.pk not in seen:
        seen.add(actor.pk)
        actor = actor.affiliation
    return actor


def claimant_key(claim) -> tuple[str, int]:
    """Who is really speaking: the top organisation of the claim's voice, else the outlet itself."""
    actor = voice(claim)
    if actor is not None:
        return ("actor", top_of(actor).pk)
    return ("source", claim.report.source_id)


def claimant_label(claim) -> str:
    """ "National Resistance Front (via Ali Nazary)", a person's name, a channel's operator, or the outlet."""
    if claim.claimant is not None:
        label = claim.claimant.name
        if claim.speaker is not None:
            label += f" (via {claim.speaker.name})"
        return label
    if claim.speaker is not None:
        return claim.speaker.name
    operator = claim.report.source.operated_by
    return operator.name if operator is not None else claim.report.source.name


def speaks_for_a_party(claim, party_ids: set[int]) -> bool:
    """True when any voice of the claim is a party to the event or belongs to one."""
    for actor in (claim.claimant, claim.speaker, claim.report.source.operated_by):
        seen = set()
        while actor is not None and actor.pk not in seen:
            if actor.pk in party_ids:
                return True
            seen.add(actor.pk)
            actor = actor.affiliation
    return False
