"""An event record in UCDP GED's layout (the columns this system keeps; the others are left empty).

Round trip: an event imported from a GED file comes back with the same id, dates and precisions, sides,
violence type, place, coordinates, best/low/high and sources. Not kept, so written empty: the conflict,
dyad and side ids, `relid`, `active_year`, `code_status`, `event_clarity`, `priogrid_gid`, `geom_wkt`,
`region`, `gwnoa`/`gwnob`, `deaths_a`/`deaths_b`/`deaths_civilians`/`deaths_unknown` and `source_article`/
`source_original` (see docs/IMPORT_EXPORT.md). An event without a UCDP id is written with an empty `id`.
"""

from ..models import EventActor
from ..precision import date_precision_to_ucdp, geo_precision_to_ucdp

UCDP_COLUMNS = [
    "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_dset_id",
    "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id", "dyad_name", "side_a_dset_id",
    "side_a_new_id", "side_a", "side_b_dset_id", "side_b_new_id", "side_b", "number_of_sources",
    "source_article", "source_office", "source_date", "source_headline", "source_original", "where_prec",
    "where_coordinates", "where_description", "adm_1", "adm_2", "latitude", "longitude", "geom_wkt",
    "priogrid_gid", "country", "country_id", "region", "event_clarity", "date_prec", "date_start", "date_end",
    "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "best", "high", "low", "gwnoa", "gwnob",
]  # fmt: skip
STATE_BASED, NON_STATE, ONE_SIDED = 1, 2, 3


def _violence(record: dict) -> int | None:
    if record["event_type__slug"] == "violence-against-civilians":
        return ONE_SIDED
    if record["event_type__slug"] == "battles":
        state = any(r["kind"] == "state_forces" for r in record["roles"] if r["role"] in ("side_a", "side_b"))
        return STATE_BASED if state else NON_STATE
    return None


def _side(record: dict, role: str) -> str:
    return "; ".join(r["name"] for r in record["roles"] if r["role"] == role)


def ucdp_row(record: dict) -> dict:
    row = dict.fromkeys(UCDP_COLUMNS, "")
    side_a, side_b = _side(record, EventActor.Role.SIDE_A), _side(record, EventActor.Role.SIDE_B)
    levels = {area.level: area.name for area in record["ancestors"]}
    levels[record["location__level"]] = record["location__name"]
    latitude, longitude, _ = record["point"]
    reports = record.get("reports", [])
    row.update(
        id=record["ucdp_ged_id"],
        year=record["date_start"].year,
        type_of_violence=_violence(record),
        dyad_name=f"{side_a} - {side_b}" if side_b else side_a,
        side_a=side_a,
        side_b=side_b,
        number_of_sources=len(reports),
        source_office="; ".join(r["source"] for r in reports),
        source_date="; ".join(r["published_on"].isoformat() if r["published_on"] else "" for r in reports),
        source_headline="; ".join(r["title"] for r in reports),
        where_prec=geo_precision_to_ucdp(record["geo_precision"]),
        where_coordinates=record["location__name"] if record["location__level"] == 4 else "",
        where_description=record["notes"],
        adm_1=levels.get(1, ""),
        adm_2=levels.get(2, ""),
        latitude=latitude,
        longitude=longitude,
        country=levels.get(0, ""),
        date_prec=date_precision_to_ucdp(record["date_precision"]),
        date_start=record["date_start"].isoformat(),
        date_end=record["date_end"].isoformat(),
        best=record["fatalities_best"],
        high=record["fatalities_high"],
        low=record["fatalities_low"],
    )
    return row
