"""Writes that touch more than one row: claims, actor roles, verdicts, and the derived verification."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from actors.models import Actor
from sources.models import Report

from .models import Claim, Event, EventActor, Tag
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


@transaction.atomic
def event_save(
    *, event: Event, actors: list[tuple[Actor, str]] | None = None, tags: list[str] | None = None
) -> Event:
    """Validate and save an event; with `actors` / `tags`, make its roles and labels exactly those."""
    event.full_clean()
    event.save()
    if actors is not None:
        wanted = {actor.pk: role for actor, role in actors}
        event.event_actors.exclude(actor_id__in=wanted).delete()
        current = {ea.actor_id: ea for ea in event.event_actors.all()}
        for actor, role in actors:
            event_actor = current.get(actor.pk) or EventActor(event=event, actor=actor)
            if event_actor.pk is None or event_actor.role != role:
                event_actor.role = role
                event_actor.full_clean()
                event_actor.save()
    if tags is not None:
        labels = []
        for name in dict.fromkeys(t.strip() for t in tags):
            tag = Tag.objects.filter(name__iexact=name).first() or Tag(name=name)
            if tag.pk is None:
                tag.full_clean()
                tag.save()
            labels.append(tag)
        event.tags.set(labels)
    return event_refresh_verification(event=event)


@transaction.atomic
def event_delete(*, event: Event, user=None) -> Event:
    """Tombstone the event: it leaves every list, the deleted feed reports it, and it can be restored."""
    event.deleted_at = timezone.now()
    event.deleted_by = user if getattr(user, "is_authenticated", False) else None
    event.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    return event


@transaction.atomic
def event_restore(*, event: Event) -> Event:
    event.deleted_at = None
    event.deleted_by = None
    event.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    return event_refresh_verification(event=event)


@transaction.atomic
def claim_save(*, claim: Claim, previous_event_id: int | None = None) -> Claim:
    """Validate and save a claim, and re-derive the status of its event (and of the one it left)."""
    claim.full_clean()
    claim.save()
    event_refresh_verification(event=claim.event)
    if previous_event_id and previous_event_id != claim.event_id:
        event_refresh_verification(event=Event.all_objects.get(pk=previous_event_id))
    return claim


@transaction.atomic
def claim_delete(*, claim: Claim) -> None:
    event = claim.event
    claim.delete()
    event_refresh_verification(event=event)
