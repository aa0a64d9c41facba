"""The floor of the comparison benchmark: each shape's SQL, hand-written, against our normalised tables.

A bare WSGI app (no Django, no framework), served by gunicorn with one sync worker like our API, holding
one database connection for its life: SQLite through the standard library, PostgreSQL through psycopg.
Each request runs the query our API would ideally run for the same request and returns the same columns
as JSON (an event's type, sub-type, place with its enclosing areas, point, actors, tags, figures and
verification; the detail adds the claims with their reports and sources). No request can be answered
faster than this with these tables and indexes: the API's time over the floor's is what our Python costs.

    FLOOR_DATABASE=/path/to/db.sqlite3 gunicorn --chdir bench floor:application
    FLOOR_DATABASE=postgres://user@host:5432/name gunicorn --chdir bench floor:application

`shape_sql(dialect, shape, params)` gives the SQL of a shape and its parameters, for the app and for
`compare.py --explain`. A shape's parameters come in the query string (see `SHAPES`).
"""

import csv
import datetime
import io
import os
import re
from urllib.parse import parse_qs

try:
    import orjson

    def dumps(value) -> bytes:
        return orjson.dumps(value)

except ImportError:  # the project's requirements have orjson; this keeps the floor runnable without
    import json

    def dumps(value) -> bytes:
        return json.dumps(value, default=str, separators=(",", ":")).encode()


PAGE = 100
SUBJECTS = ("attribution", "casualties", "control")
EVENT_COLUMNS = (
    "e.id, e.date_start, e.date_end, e.date_precision, et.slug, et.name, st.slug, st.name, l.id, l.name, "
    "l.level, l.pcode, l.path, l.latitude, l.longitude, e.geo_precision, e.latitude, e.longitude, "
    "e.fatalities_low, e.fatalities_best, e.fatalities_high, e.claimed_fatalities_low, "
    "e.claimed_fatalities_high, e.civilian_targeting, e.summary, e.notes, e.acled_event_id, e.ucdp_ged_id, "
    "e.verification, e.verification_reason, e.independent_reports, e.verdict, e.verdict_reason, e.verdict_at, "
    "e.attribution_verification, e.attribution_reason, e.casualties_verification, e.casualties_reason, "
    "e.control_verification, e.control_reason, e.created_at, e.updated_at"
)
JOINS = (
    "FROM events_event e JOIN events_eventtype et ON et.id = e.event_type_id "
    "JOIN events_subeventtype st ON st.id = e.sub_event_type_id JOIN locations_location l ON l.id = e.location_id"
)
NEWEST = "ORDER BY e.date_start DESC, e.id DESC"


class Dialect:
    """What differs between SQLite and PostgreSQL in the floor's SQL."""

    def __init__(self, vendor: str, text_index: bool):
        self.vendor = vendor
        self.text_index = text_index  # events/search.py's index exists (FTS5 table, GIN index)

    def roles(self) -> str:
        """The event's actors as one JSON array (role, id, name, acronym, kind), ordered as the API's."""
        if self.vendor == "sqlite":
            return (
                "(SELECT json_group_array(json_object('role', r.role, 'id', r.aid, 'name', r.name, 'acronym', "
                "r.acronym, 'kind', r.kind)) FROM (SELECT ea.role, a.id AS aid, a.name, a.acronym, a.kind "
                "FROM events_eventactor ea JOIN actors_actor a ON a.id = ea.actor_id WHERE ea.event_id = e.id "
                "ORDER BY ea.role, ea.id) r)"
            )
        return (
            "(SELECT coalesce(json_agg(json_build_object('role', ea.role, 'id', a.id, 'name', a.name, "
            "'acronym', a.acronym, 'kind', a.kind) ORDER BY ea.role, ea.id), '[]') FROM events_eventactor ea "
            "JOIN actors_actor a ON a.id = ea.actor_id WHERE ea.event_id = e.id)"
        )

    def tags(self) -> str:
        if self.vendor == "sqlite":
            return (
                "(SELECT json_group_array(t.name) FROM (SELECT t.name FROM events_event_tags x "
                "JOIN events_tag t ON t.id = x.tag_id WHERE x.event_id = e.id ORDER BY t.name) t)"
            )
        return (
            "(SELECT coalesce(json_agg(t.name ORDER BY t.name), '[]') FROM events_event_tags x "
            "JOIN events_tag t ON t.id = x.tag_id WHERE x.event_id = e.id)"
        )

    def inside(self, params: dict) -> str:
        """The events at a place or anywhere inside it, by materialised path: an index range."""
        if self.vendor == "sqlite":
            # A range, not LIKE: SQLite's LIKE is case-insensitive and cannot use the path index.
            prefix = params["prefix"]
            params["prefix_end"] = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            within = "path >= %(prefix)s AND path < %(prefix_end)s"
        else:
            params["prefix_like"] = params["prefix"] + "%"
            within = "path LIKE %(prefix_like)s"  # the path index is built with pattern ops
        return f"e.location_id IN (SELECT id FROM locations_location WHERE id = %(place)s OR {within})"

    def text_ids(self, params: dict) -> str:
        """The ids of the events whose summary or notes have every word of `q` (each as a word or its
        start) through the text index; without one, those with `q` anywhere in them."""
        terms = re.findall(r"\w+", params["q"].casefold())
        if not self.text_index:
            return (
                f"SELECT id FROM events_event WHERE {self.icontains('summary')} OR {self.icontains('notes')}"
            )
        if self.vendor == "sqlite":
            params["q_match"] = " ".join(f'"{term}"*' for term in terms)
            return "SELECT rowid AS id FROM events_event_fts WHERE events_event_fts MATCH %(q_match)s"
        params["q_match"] = " & ".join(f"{term}:*" for term in terms)
        return (
            "SELECT id FROM events_event WHERE to_tsvector('simple'::regconfig, summary || ' ' || notes) "
            "@@ to_tsquery('simple', %(q_match)s)"
        )

    def icontains(self, column: str) -> str:
        return f"{column} LIKE %(q_like)s" if self.vendor == "sqlite" else f"{column} ILIKE %(q_like)s"

    def month(self, column: str) -> str:
        # SQLite keeps dates as YYYY-MM-DD text: the month is its first seven characters.
        return f"substr({column}, 1, 7)" if self.vendor == "sqlite" else f"to_char({column}, 'YYYY-MM')"

    def placeholders(self, sql: str) -> str:
        """psycopg's %(name)s as sqlite3's :name."""
        return re.sub(r"%\((\w+)\)s", r":\1", sql) if self.vendor == "sqlite" else sql


def page_sql(dialect: Dialect, where: str, order: str = NEWEST, source: str = "events_event e") -> str:
    """A page in two steps: the page's ids (the filter and the order on the events table alone, so a sort
    handles narrow rows), then those rows with their columns, actors and tags. In one step the database
    would build every matching row in full, subqueries included, before sorting them."""
    ids = f"SELECT e.id FROM {source} WHERE e.deleted_at IS NULL AND {where} {order} LIMIT {PAGE}"
    return (
        f"SELECT {EVENT_COLUMNS}, {dialect.roles()}, {dialect.tags()} {JOINS} WHERE e.id IN ({ids}) {order}"
    )


def stats_sql(dialect: Dialect, where: str) -> str:
    """The API's monthly stats in one pass: counts, unknowns, and the sums of all, confirmed or
    corroborated, and claimed-only events."""
    sums = []
    for label, condition in (
        ("all", ""),
        ("confirmed", " FILTER (WHERE e.verification IN ('confirmed', 'corroborated'))"),
        ("claimed", " FILTER (WHERE e.verification = 'claimed')"),
    ):
        sums += [
            f"SUM(e.fatalities_{figure}){condition} AS {label}_{figure}" for figure in ("low", "best", "high")
        ]
    return (
        f"SELECT {dialect.month('e.date_start')} AS period, COUNT(*) AS events, "
        f"COUNT(*) FILTER (WHERE e.fatalities_best IS NULL) AS unknown, {', '.join(sums)} "
        f"FROM events_event e WHERE e.deleted_at IS NULL AND {where} GROUP BY period ORDER BY period"
    )


def shape_sql(dialect: Dialect, shape: str, query: dict) -> tuple[str, dict]:
    """The SQL of one shape and its parameters, from the request's (already resolved) parameters."""
    params = dict(query)
    if shape == "newest":
        sql = page_sql(dialect, "TRUE")
    elif shape == "country":
        sql = page_sql(dialect, dialect.inside(params))
    elif shape == "country_year_type":
        where = (
            f"{dialect.inside(params)} AND e.date_end >= %(after)s AND e.date_start <= %(before)s "
            "AND e.event_type_id = (SELECT id FROM events_eventtype WHERE slug = %(event_type)s)"
        )
        sql = page_sql(dialect, where)
    elif shape == "actor":
        sql = page_sql(dialect, "e.id IN (SELECT event_id FROM events_eventactor WHERE actor_id = %(actor)s)")
    elif shape == "bbox":
        where = (
            "((e.latitude BETWEEN %(minlat)s AND %(maxlat)s AND e.longitude BETWEEN %(minlon)s AND %(maxlon)s)"
            " OR (e.latitude IS NULL AND e.location_id IN (SELECT id FROM locations_location WHERE latitude"
            " BETWEEN %(minlat)s AND %(maxlat)s AND longitude BETWEEN %(minlon)s AND %(maxlon)s)))"
        )
        sql = page_sql(dialect, where)
    elif shape == "fatalities":
        sql = page_sql(
            dialect,
            "e.fatalities_best >= %(min)s",
            "ORDER BY COALESCE(e.fatalities_best, -1) DESC, e.id DESC",
        )
    elif shape == "text":
        # The three ways an event matches, as one set of ids, which then drives the page: written as an OR
        # in the WHERE, the planners walk the whole date index testing each event (or scan every role).
        params["q_like"] = f"%{params['q']}%"
        name = dialect.icontains("name")
        ids = (
            f"{dialect.text_ids(params)} UNION SELECT id FROM events_event WHERE location_id IN (SELECT id FROM "
            f"locations_location WHERE {name} UNION SELECT location_id FROM locations_locationalias WHERE {name})"
            " UNION SELECT event_id FROM events_eventactor WHERE actor_id IN (SELECT id FROM actors_actor WHERE "
            f"{name} OR lower(acronym) = lower(%(q)s) UNION SELECT actor_id FROM actors_actoralias WHERE {name})"
        )
        sql = page_sql(dialect, "TRUE", source=f"({ids}) u JOIN events_event e ON e.id = u.id")
    elif shape == "deep":
        where = "e.date_start <= %(date)s AND (e.date_start < %(date)s OR (e.date_start = %(date)s AND e.id < %(id)s))"
        sql = page_sql(dialect, where)
    elif shape == "monthly":
        sql = stats_sql(dialect, dialect.inside(params))
    elif shape == "detail":
        sql = (
            f"SELECT {EVENT_COLUMNS}, {dialect.roles()}, {dialect.tags()} {JOINS} "
            "WHERE e.deleted_at IS NULL AND e.id = %(id)s"
        )
    elif shape == "claims":
        sql = (
            "SELECT c.id, c.claimed_on, c.stance, c.subject, c.casualties_of, c.quote, c.claimed_fatalities_low,"
            " c.claimed_fatalities_high, c.notes, r.id, r.title, r.published_on, r.url, s.id, s.name, s.kind,"
            " ca.id, ca.name, ca.acronym, ca.kind, sp.id, sp.name, sp.acronym, sp.kind"
            " FROM events_claim c JOIN sources_report r ON r.id = c.report_id"
            " JOIN sources_source s ON s.id = r.source_id LEFT JOIN actors_actor ca ON ca.id = c.claimant_id"
            " LEFT JOIN actors_actor sp ON sp.id = c.speaker_id WHERE c.event_id = %(id)s"
            " ORDER BY c.claimed_on, c.id"
        )
    else:
        raise KeyError(shape)
    return dialect.placeholders(sql), params


# The request parameters of each shape (the floor resolves a country code itself, as the API does).
SHAPES = {
    "newest": (),
    "country": ("country",),
    "country_year_type": ("country", "after", "before", "event_type"),
    "actor": ("actor",),
    "bbox": ("bbox",),
    "fatalities": ("min",),
    "text": ("q",),
    "deep": ("date", "id"),
    "monthly": ("country",),
    "detail": ("id",),
}


def _iso(value):
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def _json_list(value):
    if isinstance(value, str):  # SQLite gives JSON text, psycopg parsed JSON
        import json

        return json.loads(value)
    return value or []


def _brief(place_id, name, level, pcode) -> dict:
    return {"id": place_id, "name": name, "level": level, "pcode": pcode}


def event_rows(rows: list, places: dict) -> list[dict]:
    """Rows of EVENT_COLUMNS (+ roles, tags) as the API's JSON records."""
    out = []
    for r in rows:
        ancestors = [places[int(p)] for p in r[12].strip("/").split("/") if p and int(p) in places]
        if r[16] is not None:
            point = (r[16], r[17], "event")
        elif r[13] is not None:
            point = (r[13], r[14], "location")
        else:
            near = next((a for a in reversed(ancestors) if a["latitude"] is not None), None)
            point = (near["latitude"], near["longitude"], "ancestor") if near else (None, None, None)
        out.append({
            "id": r[0], "date_start": _iso(r[1]), "date_end": _iso(r[2]), "date_precision": r[3],
            "event_type": {"slug": r[4], "name": r[5]}, "sub_event_type": {"slug": r[6], "name": r[7]},
            "location": {**_brief(r[8], r[9], r[10], r[11]),
                         "ancestors": [_brief(a["id"], a["name"], a["level"], a["pcode"]) for a in ancestors]},
            "geo_precision": r[15], "latitude": r[16], "longitude": r[17], "point_latitude": point[0],
            "point_longitude": point[1], "coordinates_from": point[2],
            "actors": [{"actor": {k: a[k] for k in ("id", "name", "acronym", "kind")}, "role": a["role"]}
                       for a in _json_list(r[42])],
            "fatalities_low": r[18], "fatalities_best": r[19], "fatalities_high": r[20],
            "claimed_fatalities_low": r[21], "claimed_fatalities_high": r[22], "civilian_targeting": bool(r[23]),
            "summary": r[24], "notes": r[25], "tags": _json_list(r[43]), "acled_event_id": r[26],
            "ucdp_ged_id": r[27],
            "verification": {
                "status": r[28], "reason": r[29], "independent_reports": r[30], "verdict": r[31] or None,
                "verdict_reason": r[32], "verdict_at": _iso(r[33]),
                "subjects": {s: {"status": r[34 + 2 * i] or None, "reason": r[35 + 2 * i]}
                             for i, s in enumerate(SUBJECTS)},
            },
            "created_at": _iso(r[40]), "updated_at": _iso(r[41]),
        })  # fmt: skip
    return out


class Floor:
    """One connection, and the shapes answered over it."""

    def __init__(self, database: str):
        if database.startswith(("postgres://", "postgresql://")):
            import psycopg

            self.db = psycopg.connect(database, autocommit=True)
            with self.db.cursor() as cursor:
                cursor.execute("SELECT to_regclass('event_text_search') IS NOT NULL")
                text_index = cursor.fetchone()[0]
            self.dialect = Dialect("postgresql", text_index)
        else:
            import sqlite3

            self.db = sqlite3.connect(database, check_same_thread=False)
            text_index = self.db.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'events_event_fts'"
            ).fetchone()
            self.dialect = Dialect("sqlite", text_index is not None)

    def fetch(self, sql: str, params=None) -> list:
        cursor = self.db.cursor()
        try:
            cursor.execute(sql, params or {})
            return cursor.fetchall()
        finally:
            cursor.close()

    def country(self, code: str) -> dict:
        column = "iso2" if len(code) == 2 else "iso3"
        found = self.fetch(
            self.dialect.placeholders(
                f"SELECT id, path FROM locations_location WHERE level = 0 AND {column} = %(code)s"
            ),
            {"code": code.upper()},
        )
        if not found:
            raise LookupError(f"country {code!r}")
        place, path = found[0]
        return {"place": place, "prefix": f"{path}{place}/"}

    def places(self, rows: list) -> dict:
        wanted = {int(p) for r in rows for p in r[12].strip("/").split("/") if p}
        if not wanted:
            return {}
        found = self.fetch(
            "SELECT id, name, level, pcode, latitude, longitude FROM locations_location WHERE id IN "
            f"({', '.join(str(pk) for pk in sorted(wanted))})"
        )
        keys = ("id", "name", "level", "pcode", "latitude", "longitude")
        return {r[0]: dict(zip(keys, r, strict=True)) for r in found}

    def resolve(self, shape: str, args: dict) -> dict:
        """A request's parameters as the shape's SQL takes them (a country code as its place and path)."""
        params = {}
        for name in SHAPES[shape]:
            if name == "country":
                params.update(self.country(args["country"]))
            elif name == "bbox":
                corners = [float(v) for v in args["bbox"].split(",")]
                params.update(zip(("minlon", "minlat", "maxlon", "maxlat"), corners, strict=True))
            elif name in ("actor", "min", "id"):
                params[name] = int(args[name])
            else:
                params[name] = args[name]
        return params

    def answer(self, shape: str, args: dict) -> dict:
        sql, params = shape_sql(self.dialect, shape, self.resolve(shape, args))
        rows = self.fetch(sql, params)
        if shape == "monthly":
            return self.monthly(rows)
        results = event_rows(rows, self.places(rows))
        if shape == "detail":
            if not results:
                raise LookupError(f"event {args['id']}")
            sql, params = shape_sql(self.dialect, "claims", {"id": params["id"]})
            results[0]["claims"] = [self.claim(r) for r in self.fetch(sql, params)]
            return results[0]
        return {"results": results}

    @staticmethod
    def claim(r) -> dict:
        def actor(i):
            return {"id": r[i], "name": r[i + 1], "acronym": r[i + 2], "kind": r[i + 3]} if r[i] else None

        return {
            "id": r[0], "claimed_on": _iso(r[1]), "claimant": actor(16), "speaker": actor(20), "stance": r[2],
            "subject": r[3], "casualties_of": r[4] or None, "quote": r[5], "claimed_fatalities_low": r[6],
            "claimed_fatalities_high": r[7],
            "report": {"id": r[9], "title": r[10], "source": {"id": r[13], "name": r[14], "kind": r[15]},
                       "published_on": _iso(r[11]), "url": r[12]},
            "notes": r[8],
        }  # fmt: skip

    @staticmethod
    def monthly(rows: list) -> dict:
        def row(key, values):
            events, unknown, *sums = values
            figures = [dict(zip(("low", "best", "high"), sums[i : i + 3], strict=True)) for i in (0, 3, 6)]
            return {"key": key, "label": key, "events": events, "fatalities_unknown": unknown,
                    "fatalities": figures[0], "fatalities_confirmed_or_corroborated": figures[1],
                    "fatalities_claimed_only": figures[2]}  # fmt: skip

        def total(i):
            known = [r[i] for r in rows if r[i] is not None]
            return sum(known) if known else None

        return {
            "group_by": "month",
            "figures": "curated",
            "total": row(None, [total(i) for i in range(1, 12)]),
            "results": [row(r[0], r[1:]) for r in rows],
        }

    def export(self):
        """Every live event's own columns, with its place's name and its types, as CSV: the floor of the
        API's CSV export (no roles, no enclosing areas)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        # On PostgreSQL a server-side cursor, so the rows stream instead of arriving all at once.
        cursor = (
            self.db.cursor() if self.dialect.vendor == "sqlite" else self.db.cursor("export", withhold=True)
        )
        cursor.execute(f"SELECT {EVENT_COLUMNS} {JOINS} WHERE e.deleted_at IS NULL {NEWEST}")
        while rows := cursor.fetchmany(2000):
            writer.writerows(rows)
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
        cursor.close()


_floor = None


def application(environ, start_response):
    """/<shape>?<parameters> as JSON; /export.csv streams every event; /readyz answers once connected."""
    global _floor
    if _floor is None:
        _floor = Floor(os.environ["FLOOR_DATABASE"])
    path = environ.get("PATH_INFO", "/").strip("/")
    args = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if path == "readyz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ready"]
    if path == "export.csv":
        start_response("200 OK", [("Content-Type", "text/csv")])
        return _floor.export()
    if path not in SHAPES:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such shape"]
    try:
        body = dumps(_floor.answer(path, args))
    except (LookupError, ValueError) as exc:
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [str(exc).encode()]
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


if __name__ == "__main__":  # a quick look: python bench/floor.py DATABASE SHAPE [name=value ...]
    import sys

    started = datetime.datetime.now()
    answer = Floor(sys.argv[1]).answer(sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:]))
    print(dumps(answer).decode()[:2000])
    print(datetime.datetime.now() - started)
