"""Events already recorded that a new one may repeat: the check the admin runs before it saves an event.

Two curators reading two reports of the same clash enter it twice more often than they enter two clashes
on the same day at the same place. An event is a possible duplicate of another when both are live, of
the same event type, their date ranges overlap, and their places are the same, one inside the other
(a district and its province), or — both with a point in the gazetteer — within NEARBY_KM of each other.
The check only warns: the curator sees the list, with links, and may save anyway.
"""

import datetime
import math
from dataclasses import dataclass

from django.db.models import Q

from locations.models import Location

from .models import Event

# UCDP's "near a place" radius: closer than this, two places may well be one event's.
NEARBY_KM = 25.0
# How many possible duplicates a warning lists; past that, the curator searches the list.
SHOWN = 10
_KM_PER_DEGREE = 111.2


@dataclass(frozen=True)
class PossibleDuplicate:
    event: Event
    why: str  # where it is relative to the new event's place, in words


def possible_duplicates(
    *,
    event_type_id: int | None,
    location: Location | None,
    date_start: datetime.date | None,
    date_end: datetime.date | None,
    exclude_pk: int | None = None,
) -> list[PossibleDuplicate]:
    """Live events of the same type, overlapping dates and the same or a nearby place (module docstring).

    One query, by the event type and date indexes and the places' materialised paths.
    """
    if event_type_id is None or location is None or date_start is None:
        return []
    date_end = date_end or date_start
    ancestors = [int(pk) for pk in location.path.strip("/").split("/") if pk]
    near = (
        Q(location_id=location.pk)
        # Enclosing areas below the country: an event at "the province" may be this district's.
        | Q(location_id__in=ancestors, location__level__gt=Location.Level.COUNTRY)
        | Q(location__path__startswith=location.descendant_path_prefix)
    )
    box = _box(location)
    if box is not None:
        near |= Q(location__latitude__range=box[0], location__longitude__range=box[1])
    found = (
        Event.objects.filter(event_type_id=event_type_id, date_start__lte=date_end, date_end__gte=date_start)
        .filter(near)
        .exclude(pk=exclude_pk)
        .select_related("location", "sub_event_type")
        .order_by("-date_start", "-id")[: SHOWN * 3]
    )
    duplicates = []
    for event in found:
        why = _relation(location, ancestors, event.location)
        if why is not None:
            duplicates.append(PossibleDuplicate(event, why))
    return duplicates[:SHOWN]


def _box(location: Location) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Latitude and longitude ranges around the place's own point that hold every point within NEARBY_KM."""
    if location.latitude is None or location.longitude is None:
        return None
    dlat = NEARBY_KM / _KM_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(location.latitude)), 0.01)
    return (
        (location.latitude - dlat, location.latitude + dlat),
        (location.longitude - dlon, location.longitude + dlon),
    )


def _relation(place: Location, ancestors: list[int], other: Location) -> str | None:
    if other.pk == place.pk:
        return "same place"
    if other.pk in ancestors:
        return f"in {other.name}, which contains {place.name}"
    if other.path.startswith(place.descendant_path_prefix):
        return f"in {other.name}, inside {place.name}"
    if None in (place.latitude, place.longitude, other.latitude, other.longitude):
        return None
    km = _km(place.latitude, place.longitude, other.latitude, other.longitude)
    return f"in {other.name}, {km:.0f} km away" if km <= NEARBY_KM else None


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))
