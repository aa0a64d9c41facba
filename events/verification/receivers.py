"""Signal receivers that only mark what a single-row save or delete touched; `refresh` does the rest.

Actors, sources and reports are leaf apps that must not know about events, so their changes reach the
owner here. A snapshot of the few fields that can move a status is kept when a row is loaded, so a save
that changes none of them (an actor's notes, a report's title) marks nothing and costs nothing.
Bulk writes (`bulk_create`, `QuerySet.update`) send no signals: the bulk paths call `refresh.mark` themselves.
"""

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from actors.models import Actor
from sources.models import Report, ReportDerivation, Source

from ..models import Claim, Event, EventActor
from .refresh import mark

# The fields of each model whose change can move an event's status.
WATCHED = {
    Actor: "affiliation_id",
    Source: "operated_by_id",
    Report: "source_id",
    Claim: "event_id",
}
# An event's own fields that the derivation reads (the sub-event type says whether it is a change of
# control); any other field can change without re-deriving.
EVENT_INPUTS = {"verdict", "verdict_reason", "deleted_at", "sub_event_type", "sub_event_type_id"}


@receiver(post_init, sender=Actor)
@receiver(post_init, sender=Source)
@receiver(post_init, sender=Report)
@receiver(post_init, sender=Claim)
def remember_watched_field(sender, instance, **kwargs):
    instance._watched_as_loaded = instance.__dict__.get(WATCHED[sender])


def _watched_changed(sender, instance, created: bool) -> bool:
    return not created and instance._watched_as_loaded != getattr(instance, WATCHED[sender])


@receiver(post_save, sender=Claim)
@receiver(post_delete, sender=Claim)
def claim_changed(sender, instance, created=False, **kwargs):
    # A claim moved to another event changes both: the one it left and the one it joined.
    mark(events=[instance.event_id, instance._watched_as_loaded])
    instance._watched_as_loaded = instance.event_id


@receiver(post_save, sender=EventActor)
@receiver(post_delete, sender=EventActor)
def role_changed(sender, instance, **kwargs):
    mark(events=[instance.event_id])


@receiver(post_save, sender=Event)
def event_saved(sender, instance, created=False, update_fields=None, **kwargs):
    if created or update_fields is None or EVENT_INPUTS & set(update_fields):
        mark(events=[instance.pk])


@receiver(post_save, sender=ReportDerivation)
@receiver(post_delete, sender=ReportDerivation)
def derivation_changed(sender, instance, **kwargs):
    mark(reports=[instance.report_id, instance.derived_from_id])


@receiver(post_save, sender=Report)
def report_saved(sender, instance, created=False, **kwargs):
    if _watched_changed(sender, instance, created):
        mark(reports=[instance.pk])
        instance._watched_as_loaded = instance.source_id


@receiver(post_save, sender=Source)
def source_saved(sender, instance, created=False, **kwargs):
    if _watched_changed(sender, instance, created):
        mark(sources=[instance.pk])
        instance._watched_as_loaded = instance.operated_by_id


@receiver(post_save, sender=Actor)
def actor_saved(sender, instance, created=False, **kwargs):
    if _watched_changed(sender, instance, created):
        mark(actors=[instance.pk])
        instance._watched_as_loaded = instance.affiliation_id
