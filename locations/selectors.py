"""Reads over the gazetteer that the API and exports share."""

from collections.abc import Iterable
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q

from .models import Location, LocationAlias


class Point(NamedTuple):
    latitude: float | None
    longitude: float | None
    origin: str | None


UNKNOWN_POINT = Point(None, None, None)


def locations_attach_lineage(locations: Iterable[Location | None]) -> None:
    """Give each location `ancestors` (root first) and `point`, with one query for all of them.

    `point` is (latitude, longitude, origin): the place's own coordinates (origin "location"), else those
    of the nearest enclosing area that has some ("enclosing_area"), else (None, None, None). An unknown
    coordinate is never made up; the caller's geo precision says how coarse the fallback is.
    """
    pending = [loc for loc in locations if loc is not None and not hasattr(loc, "ancestors")]
    wanted = {pk for loc in pending for pk in loc.ancestor_ids}
    by_id = Location.objects.in_bulk(wanted) if wanted else {}
    for loc in pending:
        loc.ancestors = [by_id[pk] for pk in loc.ancestor_ids if pk in by_id]
        loc.point = place_point(loc.latitude, loc.longitude, loc.ancestors)


def place_point(latitude: float | None, longitude: float | None, ancestors: list[Location]) -> Point:
    """A place's own coordinates, else those of the nearest enclosing area that has some, else unknown."""
    if latitude is not None:
        return Point(latitude, longitude, "location")
    for ancestor in reversed(ancestors):
        if ancestor.latitude is not None:
            return Point(ancestor.latitude, ancestor.longitude, "enclosing_area")
    return UNKNOWN_POINT


def location_by_country_code(code: str) -> Location | None:
    """A country by ISO 3166-1 alpha-2 or alpha-3 code, in any case."""
    code = code.strip().upper()
    field = {2: "iso2", 3: "iso3"}.get(len(code))
    if field is None:
        return None
    return Location.objects.countries().filter(**{field: code}).first()


def locations_named(text: str):
    """Places whose name or any alias is `text`, in any case, largest first (a province before its town)."""
    aliases = LocationAlias.objects.filter(location=OuterRef("pk"), name__iexact=text)
    return Location.objects.filter(Q(name__iexact=text) | Q(Exists(aliases))).order_by("level", "name", "pk")
