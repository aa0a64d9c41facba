"""The review queue: events a reviewer should look at again, and why.

An event needs review when its derived status is not the one a reviewer last saw (or no reviewer has seen
it and it has claims), or when a claim other than a confirmation was added or changed after the last
review: a confirmation only repeats what the reviewer already accepted, anything else is news to judge.
"""

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from .models import Claim, Event

# Claims that ask for another look: everything but a confirmation.
_NEWS = ~Q(stance=Claim.Stance.CONFIRMS)


def needing_review(events: QuerySet[Event]) -> QuerySet[Event]:
    """The events of `events` in the review queue (module docstring); one query, two EXISTS subqueries."""
    claims = Claim.objects.filter(event=OuterRef("pk"))
    return events.filter(
        Q(review__isnull=True, pk__in=Claim.objects.values("event_id"))
        | Q(review__isnull=False) & ~Q(review__verification=F("verification"))
        | Exists(claims.filter(_NEWS, updated_at__gt=OuterRef("review__reviewed_at")))
    )


def review_reason(event: Event) -> str:
    """Why the event is in the queue, in words; the event's `review` must be loaded (select_related)."""
    review = getattr(event, "review", None)
    if review is None:
        return "never reviewed"
    if review.verification != event.verification:
        return f"status was {review.verification} when reviewed"
    return f"claims since {review.reviewed_at:%Y-%m-%d %H:%M}"
