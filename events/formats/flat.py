"""Event records as flat rows: CSV and GeoJSON, streamed in chunks at flat memory.

One row per event; several actors in one role are joined with "; "; unknown numbers are empty cells (CSV)
or null (GeoJSON), never 0. The columns, their order and their labels are declared once, here.
"""

import csv
import io
from collections.abc import Iterator
from operator import itemgetter

from ..models import EventActor

# (column, label): the label says what the column holds, for a data dictionary or a spreadsheet header note.
FLAT_COLUMNS = [
    ("id", "Event id in this system"),
    ("date_start", "Earliest day it may have happened (YYYY-MM-DD)"),
    ("date_end", "Latest day it may have happened (YYYY-MM-DD)"),
    ("date_precision", "Date precision, UCDP date_prec 1-5"),
    ("event_type", "ACLED event type"),
    ("sub_event_type", "ACLED sub-event type"),
    ("actor1", "Side A"),
    ("assoc_actor_1", "Associated with side A"),
    ("actor2", "Side B"),
    ("assoc_actor_2", "Associated with side B"),
    ("country", "Country"),
    ("iso3", "Country's ISO 3166-1 alpha-3 code"),
    ("admin1", "Province (admin1)"),
    ("admin2", "District (admin2)"),
    ("admin3", "admin3"),
    ("location", "The most precise place known"),
    ("location_id", "Its id in this system's gazetteer"),
    ("pcode", "Its P-code"),
    ("latitude", "Latitude to map it at"),
    ("longitude", "Longitude to map it at"),
    ("coordinates_from", "event, location or enclosing_area: where the point comes from"),
    ("geo_precision", "Geo precision, UCDP where_prec 1-7"),
    ("fatalities_low", "Lowest credible number killed; empty when unknown"),
    ("fatalities_best", "Best estimate killed; empty when unknown"),
    ("fatalities_high", "Highest credible number killed; empty when unknown"),
    ("claimed_fatalities_low", "Smallest total killed any claim asserts; empty when no claim gives one"),
    ("claimed_fatalities_high", "Largest total killed any claim asserts; empty when none or open-ended"),
    ("civilian_targeting", "Whether civilians were the target"),
    ("verification", "Verification status, derived from the claims"),
    ("verification_reason", "Why, in words"),
    ("attribution_verification", "Status of the claims about who did it; empty when none"),
    ("casualties_verification", "Status of the claims about casualties; empty when none"),
    ("control_verification", "Status of the claims about territorial control; empty when none"),
    ("independent_reports", "Independent asserting reports"),
    ("summary", "What happened, as far as is known"),
    ("notes", "Curators' notes"),
    ("tags", "Curators' labels, '; '-separated"),
    ("acled_event_id", "ACLED event_id_cnty"),
    ("ucdp_ged_id", "UCDP GED id"),
    ("created_at", "When it was recorded here"),
    ("updated_at", "When it last changed here"),
]
COLUMNS = [name for name, _ in FLAT_COLUMNS]
ROLE_COLUMNS = {
    EventActor.Role.SIDE_A: "actor1",
    EventActor.Role.ASSOCIATED_A: "assoc_actor_1",
    EventActor.Role.SIDE_B: "actor2",
    EventActor.Role.ASSOCIATED_B: "assoc_actor_2",
}
LEVEL_COLUMNS = {0: "country", 1: "admin1", 2: "admin2", 3: "admin3"}
OWN_COLUMNS = [
    "id", "date_precision", "location_id", "geo_precision", "fatalities_low", "fatalities_best",
    "fatalities_high", "claimed_fatalities_low", "claimed_fatalities_high", "civilian_targeting", "verification",
    "verification_reason", "attribution_verification", "casualties_verification", "control_verification",
    "independent_reports",
    "summary", "notes", "acled_event_id", "ucdp_ged_id",
]  # fmt: skip


def _iso(value):
    return value.isoformat() if value is not None else None


def flat_row(record: dict) -> dict:
    row = dict.fromkeys(COLUMNS, "")
    for area in record["ancestors"]:
        if area.level in LEVEL_COLUMNS:
            row[LEVEL_COLUMNS[area.level]] = area.name
        if area.level == 0:
            row["iso3"] = area.iso3 or ""
    if record["location__level"] in LEVEL_COLUMNS:
        row[LEVEL_COLUMNS[record["location__level"]]] = record["location__name"]
    if record["location__level"] == 0:
        row["iso3"] = record["location__iso3"] or ""
    for role, column in ROLE_COLUMNS.items():
        row[column] = "; ".join(r["name"] for r in record["roles"] if r["role"] == role)
    latitude, longitude, origin = record["point"]
    row.update({name: record[name] for name in OWN_COLUMNS})
    row.update(
        date_start=_iso(record["date_start"]),
        date_end=_iso(record["date_end"]),
        event_type=record["event_type__name"],
        sub_event_type=record["sub_event_type__name"],
        location=record["location__name"],
        pcode=record["location__pcode"] or "",
        latitude=latitude,
        longitude=longitude,
        coordinates_from=origin,
        tags="; ".join(record["tags"]),
        created_at=_iso(record["created_at"]),
        updated_at=_iso(record["updated_at"]),
    )
    return row


# A text cell starting with one of these is a formula to a spreadsheet (=HYPERLINK(…), +cmd|…): CSV cells
# get a leading apostrophe, which spreadsheets show as text; importers drop it again (`unneutralised`).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cells) -> list:
    """The cells with every text cell that a spreadsheet would run as a formula made plain text. Numbers
    (a negative longitude) are left as they are."""
    return [("'" + c) if c.__class__ is str and c.startswith(FORMULA_STARTS) else c for c in cells]


def unneutralised(cell: str) -> str:
    """A cell as it was before `neutralised`."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


# Every CSV this project writes ends its lines so (RFC 4180): csv.writer then quotes a cell holding a carriage
# return on its own too, which LF endings leave bare (and readers break the row there).
CSV_LINE_END = "\r\n"


def csv_stream(chunks: Iterator[list[dict]], columns: list[str], row) -> Iterator[str]:
    """CSV text, one piece per chunk of records, each record rendered by `row` into `columns`; text that a
    spreadsheet would run as a formula is neutralised (JSON and GeoJSON keep the text exactly)."""
    buffer = io.StringIO()
    # None (unknown) is written as an empty cell, never as 0. Every row function starts from all of its
    # columns, so a row is its values in column order (what DictWriter would do, a key at a time).
    writer = csv.writer(buffer, lineterminator=CSV_LINE_END)
    writer.writerow(columns)
    values = itemgetter(*columns)
    for records in chunks:
        writer.writerows(neutralised(values(row(record))) for record in records)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def event_feature(properties: dict) -> dict:
    latitude, longitude = properties.pop("latitude"), properties.pop("longitude")
    geometry = None if latitude is None else {"type": "Point", "coordinates": [longitude, latitude]}
    return {"type": "Feature", "id": properties["id"], "geometry": geometry, "properties": properties}
