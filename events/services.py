"""Writes that touch more than one row: claims, actor roles, verdicts, and the derived verification."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from actors.models import Actor
from sources.models import Report

from .models import Claim, Event, EventActor
from .verification import event_verification


def event_refresh_verification(*, event: Event) -> Event:
    """Recompute the event's stored verification; saves (and records history) only when it changed."""
    result = event_verification(event)
    if (event.verification, event.verification_reason, event.independent_reports) != (
        result.status,
        result.reason,
        result.independent_reports,
    ):
        event.verification = result.status
        event.verification_reason = result.reason
        event.independent_reports = result.independent_reports
        event.save(update_fields=["verification", "verification_reason", "independent_reports", "updated_at"])
    return event


def events_refresh_verification(*, events: Iterable[Event]) -> int:
    """Refresh many events (after a report, source or actor changed under them); returns how many."""
    count = 0
    for event in events:
        event_refresh_verification(event=event)
        count += 1
    return count


def events_affected_by_reports(report_ids: Iterable[int]):
    return Event.objects.filter(claims__report_id__in=list(report_ids)).distinct()


def events_affected_by_actor(actor: Actor):
    """Events whose status may depend on this actor: it claims, speaks, runs a channel or takes part."""
    ids = _actor_and_members(actor)
    return Event.objects.filter(
        Q(claims__claimant__in=ids)
        | Q(claims__speaker__in=ids)
        | Q(claims__report__source__operated_by__in=ids)
        | Q(event_actors__actor__in=ids)
    ).distinct()


def _actor_and_members(actor: Actor) -> list[int]:
    ids, frontier = {actor.pk}, {actor.pk}
    while frontier:
        frontier = set(Actor.objects.filter(affiliation_id__in=frontier).values_list("pk", flat=True)) - ids
        ids |= frontier
    return list(ids)


@transaction.atomic
def claim_record(
    *,
    event: Event,
    report: Report,
    stance: str,
    claimant: Actor | None = None,
    speaker: Actor | None = None,
    subject: str = Claim.Subject.OCCURRENCE,
    quote: str = "",
    claimed_fatalities_low: int | None = None,
    claimed_fatalities_high: int | None = None,
    claimed_on=None,
    notes: str = "",
) -> Claim:
    """Record what a claimant said about an event in a report, and re-derive the event's status."""
    claim = Claim(
        event=event,
        report=report,
        stance=stance,
        claimant=claimant,
        speaker=speaker,
        subject=subject,
        quote=quote,
        claimed_fatalities_low=claimed_fatalities_low,
        claimed_fatalities_high=claimed_fatalities_high,
        claimed_on=claimed_on,
        notes=notes,
    )
    claim.full_clean()
    claim.save()
    event_refresh_verification(event=event)
    return claim


@transaction.atomic
def event_actor_add(*, event: Event, actor: Actor, role: str) -> EventActor:
    event_actor = EventActor(event=event, actor=actor, role=role)
    event_actor.full_clean()
    event_actor.save()
    event_refresh_verification(event=event)
    return event_actor


@transaction.atomic
def event_set_verdict(*, event: Event, verdict: str, reason: str, user) -> Event:
    """An editor's verdict overrides the derived status; it must carry a written reason."""
    event.verdict = verdict
    event.verdict_reason = reason
    event.full_clean()
    event.verdict_by = user if verdict else None
    event.verdict_at = timezone.now() if verdict else None
    event.save()
    return event_refresh_verification(event=event)
