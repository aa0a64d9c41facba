"""An event record in ACLED's layout: its column names, order and value forms (as ACLED's API and exports).

Round trip: an event imported from an ACLED file comes back with the same values, except where this system
keeps less or more than ACLED does (documented in docs/IMPORT_EXPORT.md): `region` is not kept (empty),
`source_scale` is rebuilt from the sources' scales, `interaction` and `disorder_type` are derived from the
actors' kinds and the sub-event type, and an event without an ACLED id gets `CE<id>`.
ACLED records "no information on fatalities" as 0; here unknown is null, and it is written back as 0.
"""

from collections.abc import Iterator

from actors.models import Actor
from locations.countries import country_name_for_export, iso_numeric

from ..models import EventActor
from ..precision import date_precision_to_acled, geo_precision_to_acled
from .rows import event_records

ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
    "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude",
    "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
]  # fmt: skip

# ACLED's disorder type, from the event type, with the sub-event types that differ from their type's.
DISORDER_BY_TYPE = {
    "battles": "Political violence",
    "explosions-remote-violence": "Political violence",
    "violence-against-civilians": "Political violence",
    "protests": "Demonstrations",
    "riots": "Demonstrations",
    "strategic-developments": "Strategic developments",
}
DISORDER_BY_SUB_TYPE = {
    "excessive-force-against-protesters": "Political violence; Demonstrations",
    "mob-violence": "Political violence",
}
CIVILIAN_TARGETING = {True: "Civilian targeting", False: ""}  # how ACLED writes the column


def disorder_type(event_type_slug: str, sub_event_type_slug: str) -> str:
    """ACLED's disorder type of a sub-event type: its own where it differs from its type's."""
    return DISORDER_BY_SUB_TYPE.get(sub_event_type_slug) or DISORDER_BY_TYPE.get(event_type_slug, "")


SCALE_LABELS = {
    "local": "Local", "national": "National", "regional": "Regional", "international": "International",
    "new_media": "New media", "other": "Other",
}  # fmt: skip
ROLE_COLUMNS = {
    EventActor.Role.SIDE_A: "actor1",
    EventActor.Role.ASSOCIATED_A: "assoc_actor_1",
    EventActor.Role.SIDE_B: "actor2",
    EventActor.Role.ASSOCIATED_B: "assoc_actor_2",
}


def _inter(roles: list[dict], role: str) -> int | None:
    for r in roles:
        if r["role"] == role:
            return Actor.ACLED_INTER_CODES.get(r["kind"])
    return None


def _country(record: dict):
    areas = [*record["ancestors"]]
    if record["location__level"] == 0:
        return record["location__iso3"], record["location__name"]
    return (areas[0].iso3, areas[0].name) if areas else (None, "")


def acled_row(record: dict) -> dict:
    row = dict.fromkeys(ACLED_COLUMNS, "")
    roles = record["roles"]
    for role, column in ROLE_COLUMNS.items():
        row[column] = "; ".join(r["name"] for r in roles if r["role"] == role)
    inter1, inter2 = _inter(roles, EventActor.Role.SIDE_A), _inter(roles, EventActor.Role.SIDE_B)
    if inter1 is not None:
        interaction = int(f"{min(inter1, inter2)}{max(inter1, inter2)}") if inter2 else inter1 * 10
    else:
        interaction = None
    iso3, country = _country(record)
    levels = {area.level: area.name for area in record["ancestors"]}
    levels[record["location__level"]] = record["location__name"]
    latitude, longitude, _ = record["point"]
    reports = record.get("reports", [])
    sources = list(dict.fromkeys(r["source"] for r in reports))
    scales = list(dict.fromkeys(SCALE_LABELS.get(r["scale"], "") for r in reports))
    row.update(
        event_id_cnty=record["acled_event_id"] or f"CE{record['id']}",
        event_date=record["date_start"].isoformat(),
        year=record["date_start"].year,
        time_precision=date_precision_to_acled(record["date_precision"]),
        disorder_type=disorder_type(record["event_type__slug"], record["sub_event_type__slug"]),
        event_type=record["event_type__name"],
        sub_event_type=record["sub_event_type__name"],
        inter1=inter1,
        inter2=inter2 if inter2 is not None else (0 if inter1 is not None else None),
        interaction=interaction,
        civilian_targeting=CIVILIAN_TARGETING[record["civilian_targeting"]],
        iso=iso_numeric(iso3) if iso3 else None,
        country=country_name_for_export(iso3, country),
        admin1=levels.get(1, ""),
        admin2=levels.get(2, ""),
        admin3=levels.get(3, ""),
        location=record["location__name"],
        latitude=latitude,
        longitude=longitude,
        geo_precision=geo_precision_to_acled(record["geo_precision"]),
        source="; ".join(sources),
        source_scale="-".join(s for s in scales if s),
        notes=record["notes"] or record["summary"],
        # ACLED writes 0 where no figure is known; the best estimate, else none known.
        fatalities=record["fatalities_best"] if record["fatalities_best"] is not None else 0,
        tags="; ".join(record["tags"]),
        timestamp=int(record["updated_at"].timestamp()),
    )
    return row


def acled_records(queryset, chunk_size: int | None = None) -> Iterator[list[dict]]:
    return event_records(queryset, chunk_size, reports=True)
