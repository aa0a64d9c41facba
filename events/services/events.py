"""Writing events: their own fields, actor roles, tags, verdicts, deletion (tombstones) and restoration."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from actors.models import Actor
from core.integrity import integrity_errors_as_validation, validate_for_write

from ..models import EVENT_HISTORY, Event, EventActor, Tag
from ..verification import deferred, mark

VERDICT_FIELDS = {"verdict", "verdict_reason"}


def event_save(
    *,
    event: Event,
    fields: Iterable[str] | None = None,
    actors: list[tuple[Actor, str]] | None = None,
    tags: list[str] | None = None,
    user=None,
) -> Event:
    """Validate and save an event whose attributes the caller has set; one history row per call.

    `fields` names the attributes that changed (None: all of them, as for a new event; none, with no
    `actors` or `tags`: nothing to write, and nothing is written, history included). A new sub-event
    type brings its event type; a changed verdict is stamped with `user` and the time. With `actors` or
    `tags`, the event's roles or labels become exactly those.
    """
    creating = event.pk is None
    fields = None if fields is None else set(fields)
    if not creating and fields == set() and actors is None and tags is None:
        return event  # nothing changed (a form posted back as it was shown): no write, no history row
    sub_type_changed = fields is not None and "sub_event_type" in fields and "event_type" not in fields
    if event.sub_event_type_id is not None and (event.event_type_id is None or sub_type_changed):
        event.event_type = event.sub_event_type.event_type  # a sub-event type implies its type
        if fields is not None:
            fields.add("event_type")
    if creating or (fields is not None and fields & VERDICT_FIELDS):
        event.verdict_by = user if event.verdict and getattr(user, "is_authenticated", False) else None
        event.verdict_at = timezone.now() if event.verdict else None
        if fields is not None:
            fields |= {"verdict_by", "verdict_at"}
    validate_for_write(event, exclude={"country"})  # derived below, from the place just validated
    if creating or fields is None or "location" in fields:
        event.country_id = event.location.country_pk  # derived: the place's country (for its index)
        if fields is not None:
            fields.add("country")
    roles = _roles(event, actors) if actors is not None else None
    tags = _tag_names(tags) if tags is not None else None
    with integrity_errors_as_validation(), transaction.atomic(savepoint=False), deferred():
        # The history row is written once below, after the roles and tags, so that it carries them.
        event.skip_history_when_saving = True
        try:
            event.save(update_fields=None if creating or fields is None else fields | {"updated_at"})
        finally:
            del event.skip_history_when_saving
        if not creating and (fields is None or "date_start" in fields):
            # The roles carry their event's date (the actor index's order).
            EventActor.objects.filter(event=event).exclude(event_date=event.date_start).update(
                event_date=event.date_start
            )
        if roles is not None:
            _set_roles(event, roles, creating)
        if tags is not None:
            _set_tags(event, tags, creating)
        _record_history(event, creating)
    return event


def _record_history(event: Event, creating: bool) -> None:
    """One history row for this save, with the event's tags as they now stand (its tag snapshot)."""
    rows = Event.history.bulk_history_create([event], update=not creating)
    snapshot = EVENT_HISTORY.m2m_models[Event._meta.get_field("tags")]
    links = Event.tags.through.objects.filter(event=event).values_list("id", "tag_id")
    snapshot.objects.bulk_create(
        [snapshot(history=rows[0], id=pk, event_id=event.pk, tag_id=tag_id) for pk, tag_id in links]
    )


def _roles(event: Event, actors: list[tuple[Actor, str]]) -> dict[int, EventActor]:
    roles: dict[int, EventActor] = {}
    for actor, role in actors:
        if actor.pk in roles:
            raise ValidationError({"actors": [f"{actor.name} is listed twice; an actor has one role."]})
        event_actor = EventActor(event=event, actor=actor, role=role, event_date=event.date_start)
        validate_for_write(event_actor, exclude={"event"})
        roles[actor.pk] = event_actor
    return roles


def _set_roles(event: Event, roles: dict[int, EventActor], creating: bool) -> None:
    new = list(roles.values())
    if not creating:
        current = {ea.actor_id: ea for ea in event.event_actors.all()}
        gone = [ea.pk for actor_id, ea in current.items() if actor_id not in roles]
        if gone:
            EventActor.objects.filter(pk__in=gone).delete()
        new = []
        for actor_id, wanted in roles.items():
            existing = current.get(actor_id)
            if existing is None:
                new.append(wanted)
            elif existing.role != wanted.role:
                existing.role = wanted.role
                existing.save(update_fields=["role"])
    for event_actor in new:
        event_actor.event = event
    if new:
        bulk_create_with_history(new, EventActor)
        mark(events=[event.pk])  # bulk writes send no signals


def _tag_names(names: list[str]) -> dict[str, str]:
    """Lower-cased name → name as first given; validated before anything is written."""
    wanted: dict[str, str] = {}
    for name in (n.strip() for n in names):
        if not name:
            raise ValidationError({"tags": ["A tag cannot be blank."]})
        wanted.setdefault(name.lower(), name)
    return wanted


def _set_tags(event: Event, wanted: dict[str, str], creating: bool) -> None:
    found = {
        tag.lowered: tag
        for tag in Tag.objects.annotate(lowered=Lower("name")).filter(lowered__in=list(wanted))
    }
    missing = [Tag(name=name) for key, name in wanted.items() if key not in found]
    for tag in missing:
        validate_for_write(tag)
    if missing:
        for tag in bulk_create_with_history(missing, Tag):
            found[tag.name.lower()] = tag
    tag_ids = {found[key].pk for key in wanted}
    through = Event.tags.through
    current = set() if creating else set(through.objects.filter(event=event).values_list("tag_id", flat=True))
    if current - tag_ids:
        through.objects.filter(event=event, tag_id__in=current - tag_ids).delete()
    if tag_ids - current:
        through.objects.bulk_create([through(event=event, tag_id=pk) for pk in tag_ids - current])


def event_set_verdict(*, event: Event, verdict: str, reason: str, user) -> Event:
    """An editor's verdict overrides the derived status; it must carry a written reason."""
    event.verdict = verdict
    event.verdict_reason = reason
    return event_save(event=event, fields=VERDICT_FIELDS, user=user)


def event_delete(*, event: Event, user=None) -> Event:
    """Tombstone the event: it leaves every list, the deleted feed reports it, and it can be restored."""
    event.deleted_at = timezone.now()
    event.deleted_by = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic(savepoint=False), deferred():
        event.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    return event


def event_restore(*, event: Event) -> Event:
    event.deleted_at = None
    event.deleted_by = None
    with transaction.atomic(savepoint=False), deferred():
        event.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    return event
