"""Event lists as CSV rows and GeoJSON features, streamed in chunks with a fixed number of queries each."""

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from itertools import islice

from locations.models import Location
from locations.selectors import locations_attach_lineage

from .models import Event, EventActor
from .selectors import event_point

CHUNK_SIZE = 2000

CSV_COLUMNS = [
    "id", "date_start", "date_end", "date_precision", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "actor2", "assoc_actor_2",
    "country", "iso3", "admin1", "admin2", "admin3", "location", "location_id", "pcode",
    "latitude", "longitude", "coordinates_from", "geo_precision",
    "fatalities_low", "fatalities_best", "fatalities_high", "civilian_targeting",
    "verification", "verification_reason", "independent_reports",
    "summary", "notes", "tags", "acled_event_id", "ucdp_ged_id", "created_at", "updated_at",
]  # fmt: skip

ROLE_COLUMNS = {
    EventActor.Role.SIDE_A: "actor1",
    EventActor.Role.ASSOCIATED_A: "assoc_actor_1",
    EventActor.Role.SIDE_B: "actor2",
    EventActor.Role.ASSOCIATED_B: "assoc_actor_2",
}
LEVEL_COLUMNS = {0: "country", 1: "admin1", 2: "admin2", 3: "admin3"}


# The event's own columns, read as plain values: exports build no model instances per row.
VALUE_COLUMNS = (
    "id", "date_start", "date_end", "date_precision", "event_type__name", "sub_event_type__name", "location_id",
    "latitude", "longitude", "geo_precision", "fatalities_low", "fatalities_best", "fatalities_high",
    "civilian_targeting", "verification", "verification_reason", "independent_reports", "summary", "notes",
    "acled_event_id", "ucdp_ged_id", "created_at", "updated_at",
)  # fmt: skip


class PlaceCache:
    """Places with their lineage and point, loaded once per export however many events share them."""

    def __init__(self):
        self.places: dict[int, Location] = {}

    def load(self, ids: set[int]) -> None:
        missing = ids - self.places.keys()
        if missing:
            fresh = list(Location.objects.filter(pk__in=missing))
            locations_attach_lineage(fresh)
            self.places.update((place.pk, place) for place in fresh)


def _chunks(queryset) -> Iterator[tuple[list[dict], dict, dict, PlaceCache]]:
    """Chunks of events as dicts, with their actor roles, tags and places: three or four queries a chunk."""
    rows = queryset.prefetch_related(None).values(*VALUE_COLUMNS).iterator(chunk_size=CHUNK_SIZE)
    places = PlaceCache()
    while chunk := list(islice(rows, CHUNK_SIZE)):
        ids = [row["id"] for row in chunk]
        roles: dict = defaultdict(lambda: defaultdict(list))
        for event_id, role, name in (
            EventActor.objects.filter(event_id__in=ids)
            .order_by("id")
            .values_list("event_id", "role", "actor__name")
        ):
            roles[event_id][role].append(name)
        tags: dict = defaultdict(list)
        for event_id, name in Event.tags.through.objects.filter(event_id__in=ids).values_list(
            "event_id", "tag__name"
        ):
            tags[event_id].append(name)
        places.load({row["location_id"] for row in chunk})
        yield chunk, roles, tags, places


def _iso(value):
    return value.isoformat() if value is not None else None


def event_row(event: dict, roles: dict, tags: list[str], place: Location) -> dict:
    """One flat row per event; several actors in one role are joined with '; '."""
    row = dict.fromkeys(CSV_COLUMNS, "")
    for level_place in [*place.ancestors, place]:
        if level_place.level in LEVEL_COLUMNS:
            row[LEVEL_COLUMNS[level_place.level]] = level_place.name
        if level_place.level == 0:
            row["iso3"] = level_place.iso3 or ""
    for role, column in ROLE_COLUMNS.items():
        row[column] = "; ".join(roles.get(role, ()))
    latitude, longitude, origin = event_point(event["latitude"], event["longitude"], place)
    row.update(
        {name: event[name] for name in VALUE_COLUMNS if name in row},
        date_start=_iso(event["date_start"]),
        date_end=_iso(event["date_end"]),
        event_type=event["event_type__name"],
        sub_event_type=event["sub_event_type__name"],
        location=place.name,
        pcode=place.pcode or "",
        latitude=latitude,
        longitude=longitude,
        coordinates_from=origin,
        tags="; ".join(tags),
        created_at=_iso(event["created_at"]),
        updated_at=_iso(event["updated_at"]),
    )
    return row


def _rows(queryset) -> Iterator[list[dict]]:
    for chunk, roles, tags, places in _chunks(queryset):
        yield [
            event_row(
                event,
                roles.get(event["id"], {}),
                tags.get(event["id"], []),
                places.places[event["location_id"]],
            )
            for event in chunk
        ]


def stream_csv(queryset) -> Iterator[str]:
    buffer = io.StringIO()
    # None (unknown) is written as an empty cell, never as 0.
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for rows in _rows(queryset):
        writer.writerows(rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def event_feature(properties: dict) -> dict:
    latitude, longitude = properties.pop("latitude"), properties.pop("longitude")
    geometry = None if latitude is None else {"type": "Point", "coordinates": [longitude, latitude]}
    return {"type": "Feature", "id": properties["id"], "geometry": geometry, "properties": properties}


def stream_geojson(queryset) -> Iterator[str]:
    yield '{"type":"FeatureCollection","features":['
    first = True
    for rows in _rows(queryset):
        parts = [json.dumps(event_feature(row), ensure_ascii=False, separators=(",", ":")) for row in rows]
        if parts:
            yield ("" if first else ",") + ",".join(parts)
            first = False
    yield "]}"
