"""What an event's form can work out from what the curator already gave, so that it need not be typed twice.

Each function answers one question from the fields it names, the same way for the admin's event form, the
report-first entry page and the JSON endpoint their script asks while a curator types. The answers fill
only fields the curator left empty; each stays shown and editable.

- The event type follows from the sub-event type (each sub-type belongs to one type).
- The geo precision follows from the place: its level, or — when the gazetteer knows no point for it —
  the level of the nearest enclosing area that has one, since the event will be mapped there (a district
  without coordinates falls back to its province, as the seed data's curators did).
- The date precision follows from the span of the dates, on UCDP's date_prec scale.
"""

import datetime

from locations.models import Location

from .models import EventType, SubEventType
from .precision import DatePrecision, GeoPrecision

# A place's level to the precision of an event known to that level. An admin3 area is smaller than a
# district, but the scale has no step between "within about 25 km" and "district": the safe side is taken.
LEVEL_PRECISION = {
    Location.Level.PLACE: GeoPrecision.EXACT,
    Location.Level.ADMIN3: GeoPrecision.ADMIN2,
    Location.Level.ADMIN2: GeoPrecision.ADMIN2,
    Location.Level.ADMIN1: GeoPrecision.ADMIN1,
    Location.Level.COUNTRY: GeoPrecision.COUNTRY,
}

# Longest span, in days counting both ends, that each date precision covers (UCDP date_prec 1-4).
SPAN_PRECISION = (
    (1, DatePrecision.DAY),
    (6, DatePrecision.DAYS),
    (7, DatePrecision.WEEK),
    (31, DatePrecision.MONTH),
)


def event_type_of(sub_event_type: SubEventType | None) -> EventType | None:
    return sub_event_type.event_type if sub_event_type is not None else None


def geo_precision_of(location: Location | None) -> GeoPrecision | None:
    """The precision an event at this place is known to: see the module docstring.

    Reads the place's ancestors (at most four, one query) only when the place itself has no point.
    """
    if location is None:
        return None
    if location.latitude is not None:
        return LEVEL_PRECISION[location.level]
    ancestor_ids = [int(pk) for pk in location.path.strip("/").split("/") if pk]
    with_point = (
        Location.objects.filter(pk__in=ancestor_ids, latitude__isnull=False)
        .order_by("-level")
        .values_list("level", flat=True)
        .first()
    )
    return LEVEL_PRECISION[location.level if with_point is None else with_point]


def date_precision_of(
    date_start: datetime.date | None, date_end: datetime.date | None
) -> DatePrecision | None:
    """The precision of a date known to lie between the two days (one day when the end is not given)."""
    if date_end is None:
        date_end = date_start
    if date_start is None or date_end < date_start:
        return None  # the form says what is wrong with the dates; no precision is guessed for them
    span = (date_end - date_start).days + 1
    for longest, precision in SPAN_PRECISION:
        if span <= longest:
            return precision
    return DatePrecision.LONGER


def fill_inferred(data: dict) -> set[str]:
    """Fill the empty inferable fields of an event form's cleaned data in place; returns the names filled.

    Shared by the admin's event form and the report-first entry page; `data` holds model instances for
    the related fields, as a form's cleaned_data does.
    """
    filled = set()
    if data.get("event_type") is None and data.get("sub_event_type") is not None:
        data["event_type"] = event_type_of(data["sub_event_type"])
        filled.add("event_type")
    if data.get("date_end") is None and data.get("date_start") is not None:
        data["date_end"] = data["date_start"]
        filled.add("date_end")
    if data.get("date_precision") is None:
        data["date_precision"] = date_precision_of(data.get("date_start"), data.get("date_end"))
        filled.add("date_precision")
    if data.get("geo_precision") is None:
        data["geo_precision"] = geo_precision_of(data.get("location"))
        filled.add("geo_precision")
    return {name for name in filled if data[name] is not None}
