"""Reads over events that the API shares: control of places over time."""

from django.db.models import Prefetch

from locations.models import Location

from .models import Claim, Event, EventActor


def location_control_changes(location, *, within: bool):
    """Events at the place (or inside it) with claims about territorial control, oldest first.

    Each carries `control_claims`: its territorial-control claims in time order, with report, source,
    claimant and speaker loaded, so that a whole timeline costs a fixed number of queries.
    """
    places = Location.objects.within(location) if within else Location.objects.filter(pk=location.pk)
    control = Claim.objects.filter(subject=Claim.Subject.TERRITORIAL_CONTROL)
    return (
        Event.objects.filter(location__in=places, claims__in=control)
        .distinct()
        .select_related("location", "sub_event_type")
        .prefetch_related(
            Prefetch("event_actors", queryset=EventActor.objects.select_related("actor")),
            Prefetch(
                "claims",
                queryset=control.select_related("report__source", "claimant", "speaker").order_by(
                    "claimed_on", "id"
                ),
                to_attr="control_claims",
            ),
        )
        .order_by("date_start", "id")
    )
