"""Recording that a reviewer looked at events, with or without an editor verdict: the review queue's writer."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from core.deferred import deferred, flush_all, is_deferring

from ..models import Event, EventReview
from .events import event_set_verdict


def events_review(*, events: Iterable[Event], user, verdict: str = "", reason: str = "") -> int:
    """Mark the events reviewed now by `user`; with a verdict (and its reason), set it on each first.

    The review records each event's status as it stands after the verdict, re-derived, so that the event
    leaves the queue until that status moves again or a new claim comes in. Returns how many were reviewed.
    """
    events = list(events)
    with transaction.atomic(savepoint=False):
        with deferred():
            for event in events:
                if verdict:
                    event_set_verdict(event=event, verdict=verdict, reason=reason, user=user)
        if is_deferring():
            flush_all()  # inside a caller's block: re-derive now, so that the review sees the new status
        statuses = dict(
            Event.all_objects.filter(pk__in=[e.pk for e in events]).values_list("pk", "verification")
        )
        now = timezone.now()
        by = user if getattr(user, "is_authenticated", False) else None
        existing = {r.pk: r for r in EventReview.objects.filter(pk__in=list(statuses))}
        for pk, status in statuses.items():
            review = existing.get(pk) or EventReview(event_id=pk)
            review.reviewed_at, review.reviewed_by, review.verification = now, by, status
            review.save()  # one row and one history row each: a reviewer marks a page at a time
    return len(statuses)
