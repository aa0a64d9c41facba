"""Keep derived verification current when rows of the leaf apps change under an event.

Actors, sources and reports must not know about events (they are leaf apps), so the events app
listens for the changes that can move an event's status: an actor's affiliation (who is a party or a
spokesperson), a source's operator, a report's source, and report derivation links (independence).
Fixture loading (raw saves) is skipped: fixtures carry their derived values and a test checks them.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from actors.models import Actor
from sources.models import Report, ReportDerivation, Source

from .services import events_affected_by_actor, events_affected_by_reports, events_refresh_verification
from .verification import connected_reports

_WATCHED = {Actor: ("affiliation_id",), Source: ("operated_by_id",), Report: ("source_id",)}


@receiver(pre_save, sender=Actor)
@receiver(pre_save, sender=Source)
@receiver(pre_save, sender=Report)
def remember_watched_fields(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        instance._watched_before = None
        return
    instance._watched_before = sender.objects.filter(pk=instance.pk).values(*_WATCHED[sender]).first()


def _watched_changed(sender, instance) -> bool:
    before = getattr(instance, "_watched_before", None)
    return before is not None and any(before[f] != getattr(instance, f) for f in _WATCHED[sender])


@receiver(post_save, sender=Actor)
def actor_changed(sender, instance, raw=False, **kwargs):
    if not raw and _watched_changed(sender, instance):
        events_refresh_verification(events=events_affected_by_actor(instance))


@receiver(post_save, sender=Source)
def source_changed(sender, instance, raw=False, **kwargs):
    if not raw and _watched_changed(sender, instance):
        events_refresh_verification(
            events=events_affected_by_reports(instance.reports.values_list("pk", flat=True))
        )


@receiver(post_save, sender=Report)
def report_changed(sender, instance, raw=False, **kwargs):
    if not raw and _watched_changed(sender, instance):
        events_refresh_verification(events=events_affected_by_reports([instance.pk]))


@receiver(post_save, sender=ReportDerivation)
@receiver(post_delete, sender=ReportDerivation)
def derivation_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    # A derivation can merge or split whole chains of reports; refresh every event that cites any of them.
    report_ids = connected_reports({instance.report_id, instance.derived_from_id})
    events_refresh_verification(events=events_affected_by_reports(report_ids))
