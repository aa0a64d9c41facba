"""Event lists as CSV rows and GeoJSON features, streamed in chunks with a fixed number of queries each."""

import csv
import io
import json
from collections.abc import Iterator
from itertools import islice

from .models import Event, EventActor
from .selectors import events_attach_points

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


def _chunks(queryset) -> Iterator[list[Event]]:
    rows = queryset.iterator(chunk_size=CHUNK_SIZE)
    while chunk := list(islice(rows, CHUNK_SIZE)):
        events_attach_points(chunk)
        yield chunk


def event_row(event: Event) -> dict:
    """One flat row per event; several actors in one role are joined with '; '."""
    row = dict.fromkeys(CSV_COLUMNS, "")
    for place in [*event.location.ancestors, event.location]:
        if place.level in LEVEL_COLUMNS:
            row[LEVEL_COLUMNS[place.level]] = place.name
        if place.level == 0:
            row["iso3"] = place.iso3 or ""
    for role in event.event_actors.all():
        column = ROLE_COLUMNS[role.role]
        row[column] = f"{row[column]}; {role.actor.name}" if row[column] else role.actor.name
    latitude, longitude, origin = event.point
    row.update(
        id=event.pk,
        date_start=event.date_start.isoformat(),
        date_end=event.date_end.isoformat(),
        date_precision=event.date_precision,
        event_type=event.event_type.name,
        sub_event_type=event.sub_event_type.name,
        location=event.location.name,
        location_id=event.location_id,
        pcode=event.location.pcode or "",
        latitude=latitude,
        longitude=longitude,
        coordinates_from=origin,
        geo_precision=event.geo_precision,
        fatalities_low=event.fatalities_low,
        fatalities_best=event.fatalities_best,
        fatalities_high=event.fatalities_high,
        civilian_targeting=event.civilian_targeting,
        verification=event.verification,
        verification_reason=event.verification_reason,
        independent_reports=event.independent_reports,
        summary=event.summary,
        notes=event.notes,
        tags="; ".join(tag.name for tag in event.tags.all()),
        acled_event_id=event.acled_event_id,
        ucdp_ged_id=event.ucdp_ged_id,
        created_at=event.created_at.isoformat(),
        updated_at=event.updated_at.isoformat(),
    )
    return row


def stream_csv(queryset) -> Iterator[str]:
    buffer = io.StringIO()
    # None (unknown) is written as an empty cell, never as 0.
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for chunk in _chunks(queryset):
        for event in chunk:
            writer.writerow(event_row(event))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def event_feature(event: Event) -> dict:
    properties = event_row(event)
    latitude, longitude = properties.pop("latitude"), properties.pop("longitude")
    geometry = None if latitude is None else {"type": "Point", "coordinates": [longitude, latitude]}
    return {"type": "Feature", "id": event.pk, "geometry": geometry, "properties": properties}


def stream_geojson(queryset) -> Iterator[str]:
    yield '{"type":"FeatureCollection","features":['
    first = True
    for chunk in _chunks(queryset):
        parts = [
            json.dumps(event_feature(event), ensure_ascii=False, separators=(",", ":")) for event in chunk
        ]
        if parts:
            yield ("" if first else ",") + ",".join(parts)
            first = False
    yield "]}"
