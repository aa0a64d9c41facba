"""Reads over events that the API, the exports and (later) the ACLED endpoint share."""

from collections.abc import Iterable

from locations.selectors import Point, locations_attach_lineage

from .models import Event, EventActor


def events_attach_points(events: Iterable[Event]) -> None:
    """Give each event `point` = (lat, lon, origin) and its location's ancestors, in one query in all.

    origin is "event" (its own coordinates), "location", "enclosing_area", or None when nothing is known.
    """
    events = list(events)
    locations_attach_lineage(event.location for event in events)
    for event in events:
        event.point = event_point(event.latitude, event.longitude, event.location)


def event_point(latitude: float | None, longitude: float | None, location) -> Point:
    """The event's own coordinates if it has them, else its place's point (see locations_attach_lineage)."""
    return Point(latitude, longitude, "event") if latitude is not None else location.point


def location_control_changes(location, *, within: bool):
    """Events at the place (or inside it) with claims about territorial control, oldest first.

    Each carries `control_claims`: its territorial-control claims in time order, with report, source,
    claimant and speaker loaded, so that a whole timeline costs a fixed number of queries.
    """
    from django.db.models import Prefetch

    from locations.models import Location

    from .models import Claim

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
