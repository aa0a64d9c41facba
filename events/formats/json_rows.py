"""A page of events as the API's JSON, computed by the database: one statement for the whole page.

`json.event_json` defines an event's JSON, from the record `rows.py` loads; building that record and then
the JSON in Python costs about 40 µs an event, more than everything else a 100-event page does. Here the
database writes each event's JSON text (one `printf`/`format` per object, so each row is one allocation,
and the lists as joined subqueries) and Python only splices in the four coordinates: SQLite 3.40 writes a
float with 15 significant digits, which is not always the value stored, so floats are written by orjson
as everywhere else. A test renders events of every kind both ways and requires the same bytes.

The statement is `projection.statement`'s: the page's ids in order, the event with its type, sub-type,
place and enclosing areas by parent join.
"""

import functools

import orjson
from django.db import connections

from ..models import SUBJECT_PREFIXES
from .projection import ANCESTOR_ALIASES, EVENT_ACTORS, EVENT_TAGS, Dialect, Fragments, Projection, statement


class JsonText:
    """SQL that writes JSON text, for one dialect. `value` is JSON for a column of text or a whole number
    (both databases escape a string exactly as orjson does: a test compares every code point); `obj` is a
    fixed-shape object, written by one printf (SQLite) or format (PostgreSQL) call."""

    def __init__(self, dialect: Dialect):
        self.d = dialect

    def value(self, expression: str) -> str:
        if self.d.postgres:
            return f"COALESCE(to_json({expression})::text, 'null')"
        return f"json_quote({expression})"

    def whole(self, expression: str) -> str:
        """JSON for a column of whole numbers: its digits, or null (what `value` writes, without JSON's
        quoting machinery: 5-10% of the statement)."""
        if self.d.postgres:
            return f"COALESCE(({expression})::text, 'null')"
        return f"COALESCE({expression}, 'null')"

    def flag(self, expression: str) -> str:
        return f"CASE WHEN {expression} THEN 'true' ELSE 'false' END"

    def date(self, column: str) -> str:
        return f"'\"' || {self.d.date(column)} || '\"'"

    def datetime(self, column: str) -> str:
        """What `json._datetime` writes: ISO 8601 in UTC with `Z`, or null."""
        return (
            f"CASE WHEN {column} IS NULL THEN 'null' ELSE '\"' || {self.d.datetime(column, 'Z')} || '\"' END"
        )

    def obj(self, members: dict) -> str:
        """`{"key":value,…}` from JSON-text expressions; a nested dict is written in the same call."""
        template, args = self._template(members)
        function = "format" if self.d.postgres else "printf"
        return f"{function}('{template}', {', '.join(args)})"

    def _template(self, members: dict) -> tuple[str, list[str]]:
        parts, args = [], []
        for key, member in members.items():
            if isinstance(member, dict):
                inner, inner_args = self._template(member)
                parts.append(f'"{key}":{inner}')
                args += inner_args
            else:
                parts.append(f'"{key}":%%s')  # %% for the driver's parameter syntax: printf sees %s
                args.append(member)
        return "{" + ",".join(parts) + "}", args

    def array(self, element: str, source: str, order: str | tuple[str, ...]) -> str:
        """`[element,…]` over the rows of `source` in `order`; `[]` when there are none."""
        return f"COALESCE('[' || {self.d.joined(element, ',', source, order)} || ']', '[]')"


def _brief_place(j: JsonText, alias: str) -> dict:
    return {
        "id": j.whole(f"{alias}.id"),
        "name": j.value(f"{alias}.name"),
        "level": j.whole(f"{alias}.level"),
        "pcode": j.value(f"{alias}.pcode"),
    }


def json_projection(dialect: Dialect) -> Projection:
    """Each event as three pieces of `event_json`'s text around its four coordinates: the text up to
    `geo_precision`, the event's own latitude and longitude, the point's, and the text from
    `coordinates_from` to the end."""
    f = Fragments(dialect)
    j = JsonText(dialect)
    point = f.point()
    # The enclosing areas, country first: the parent joins nearest first, each present one with a comma.
    areas = " || ".join(
        f"CASE WHEN {alias}.id IS NULL THEN '' ELSE {j.obj(_brief_place(j, alias))} || ',' END"
        for alias in reversed(ANCESTOR_ALIASES)
    )
    actor = j.obj(
        {
            "actor": {
                "id": j.whole("a.id"),
                "name": j.value("a.name"),
                "acronym": j.value("a.acronym"),
                "kind": j.value("a.kind"),
            },
            "role": j.value("ea.role"),
        }
    )
    head = j.obj(
        {
            "id": j.whole("e.id"),
            "date_start": j.date("e.date_start"),
            "date_end": j.date("e.date_end"),
            "date_precision": j.whole("e.date_precision"),
            "event_type": {"slug": j.value("et.slug"), "name": j.value("et.name")},
            "sub_event_type": {"slug": j.value("st.slug"), "name": j.value("st.name")},
            "location": {**_brief_place(j, "l"), "ancestors": f"'[' || rtrim({areas}, ',') || ']'"},
            "geo_precision": j.whole("e.geo_precision"),
        }
    )
    subjects = {
        subject: {
            "status": j.value(f"NULLIF(e.{prefix}_verification, '')"),
            "reason": j.value(f"e.{prefix}_reason"),
        }
        for subject, prefix in SUBJECT_PREFIXES.items()
    }
    tail = j.obj(
        {
            "coordinates_from": j.value(point["origin"]),
            "actors": j.array(actor, EVENT_ACTORS, ("ea.role", "ea.id")),
            "fatalities_low": j.whole("e.fatalities_low"),
            "fatalities_best": j.whole("e.fatalities_best"),
            "fatalities_high": j.whole("e.fatalities_high"),
            "claimed_fatalities_low": j.whole("e.claimed_fatalities_low"),
            "claimed_fatalities_high": j.whole("e.claimed_fatalities_high"),
            "civilian_targeting": j.flag("e.civilian_targeting"),
            "summary": j.value("e.summary"),
            "notes": j.value("e.notes"),
            "tags": j.array(j.value("t.name"), EVENT_TAGS, "t.name"),
            "acled_event_id": j.value("e.acled_event_id"),
            "ucdp_ged_id": j.value("e.ucdp_ged_id"),
            "verification": {
                "status": j.value("e.verification"),
                "reason": j.value("e.verification_reason"),
                "independent_reports": j.whole("e.independent_reports"),
                "verdict": j.value("NULLIF(e.verdict, '')"),
                "verdict_reason": j.value("e.verdict_reason"),
                "verdict_at": j.datetime("e.verdict_at"),
                "subjects": subjects,
            },
            "created_at": j.datetime("e.created_at"),
            "updated_at": j.datetime("e.updated_at"),
        }
    )
    inner = {
        "head": head,
        "lat": "e.latitude",
        "lon": "e.longitude",
        "plat": point["lat"],
        "plon": point["lon"],
        "tail": tail,
    }
    return Projection(inner, ["q.head", "q.lat", "q.lon", "q.plat", "q.plon", "q.tail"])


def _number(value) -> str:
    return "null" if value is None else orjson.dumps(value).decode()


@functools.cache
def _statement(vendor: str) -> str:
    dialect = Dialect(vendor)
    return statement(dialect, json_projection(dialect))


def event_json_fragments(ids: list[int], alias: str) -> list[orjson.Fragment]:
    """The events `ids` (in that order) as `event_json` writes them, each an orjson Fragment to place in
    a response as it is: one query, its statement built once per vendor."""
    if not ids:
        return []
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(_statement(connection.vendor), [Dialect(connection.vendor).ids_param(ids)])
        rows = cursor.fetchall()
    return [
        orjson.Fragment(
            f'{head[:-1]},"latitude":{_number(lat)},"longitude":{_number(lon)},"point_latitude":{_number(plat)},'
            f'"point_longitude":{_number(plon)},{tail[1:]}'
        )
        for head, lat, lon, plat, plon, tail in rows
    ]
