"""Reads over events that the API, the exports and (later) the ACLED endpoint share."""

from collections.abc import Iterable

from locations.selectors import Point, locations_attach_lineage

from .models import Event


def events_attach_points(events: Iterable[Event]) -> None:
    """Give each event `point` = (lat, lon, origin) and its location's ancestors, in one query in all.

    origin is "event" (its own coordinates), "location", "enclosing_area", or None when nothing is known.
    """
    events = list(events)
    locations_attach_lineage(event.location for event in events)
    for event in events:
        if event.latitude is not None:
            event.point = Point(event.latitude, event.longitude, "event")
        else:
            event.point = event.location.point
