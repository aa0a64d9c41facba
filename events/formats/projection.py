"""Export rows computed by the database: each file format's columns as one SQL statement per chunk.

An export is every matching event, up to millions. Building a record per event in Python and then a row
from it (`rows.py`, then `flat_row`, `acled_row`, `ucdp_row`) costs about three times what reading the
rows costs; here the database assembles each row (joined names, enclosing areas, the point to map, the
ACLED and UCDP codes, spreadsheet-formula neutralising) and Python only writes what it reads.

The row functions stay the definition of each format: the API's pages, the ACLED-compatible API and the
round trip tests use them. A test renders every export both ways over events of every kind and requires
the same bytes, so these statements cannot drift from them.

Shape of one statement: the chunk's event ids, in the export's order, joined to the events, their type and
sub-type, their place and up to four enclosing areas (by parent; a place's path lists the same areas), with
the lists (actors in a role, sources, reports) computed for the whole chunk (`Listing`) and the tags by a
correlated subquery. The ids come from the queryset, so
every filter and ordering the API or the command applied holds; a chunk costs one query.
"""

import contextlib
import csv
import functools
import io
import itertools
import json
import multiprocessing
import pickle
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import orjson
from django.core.exceptions import EmptyResultSet
from django.db import connections

from actors.models import Actor
from locations.countries import ACLED_NAMES, iso_numeric_codes

from ..models import EventActor
from ..precision import DATE_TO_ACLED, GEO_TO_ACLED
from .acled import ACLED_COLUMNS, CIVILIAN_TARGETING, DISORDER_BY_SUB_TYPE, DISORDER_BY_TYPE, SCALE_LABELS
from .flat import COLUMNS, CSV_LINE_END, FORMULA_STARTS, event_feature
from .ucdp import NON_STATE, ONE_SIDED, STATE_BASED, UCDP_COLUMNS

CHUNK_SIZE = 2000
ANCESTOR_ALIASES = ("p1", "p2", "p3", "p4")  # a place is at most level 4 and only countries are roots
CHAIN = ("l", *ANCESTOR_ALIASES)  # the place, then its enclosing areas, nearest first
# The event's actors (ea, a) and its tags (t), for subqueries.
EVENT_ACTORS = "FROM events_eventactor ea JOIN actors_actor a ON a.id = ea.actor_id WHERE ea.event_id = e.id"
EVENT_TAGS = "FROM events_event_tags et2 JOIN events_tag t ON t.id = et2.tag_id WHERE et2.event_id = e.id"


def quote(text: str) -> str:
    """A SQL string literal (for the fixed vocabularies written into the statements, never for input)."""
    return "'" + text.replace("'", "''") + "'"


def literal(value) -> str:
    """A fixed value as SQL: text quoted, a number as it is, None as NULL."""
    return "NULL" if value is None else quote(value) if isinstance(value, str) else str(int(value))


def case(expression: str, table: dict, default: str = "NULL") -> str:
    """`CASE expression WHEN key THEN value … END` from a Python mapping."""
    whens = " ".join(f"WHEN {literal(key)} THEN {literal(value)}" for key, value in table.items())
    return f"CASE {expression} {whens} ELSE {default} END"


@dataclass(frozen=True)
class Dialect:
    """What differs between SQLite and PostgreSQL in these statements."""

    vendor: str

    @property
    def postgres(self) -> bool:
        return self.vendor == "postgresql"

    def joined(self, value: str, separator: str, source: str, order: str | tuple[str, ...]) -> str:
        """A scalar subquery: `value` over the rows of `source` (FROM … [WHERE …] [GROUP BY …]), in `order`
        (one expression or several), joined by `separator`; NULL when there are none. SQLite 3.40 has no
        ORDER BY inside an aggregate: its group_concat takes rows in the order a subquery hands them over."""
        order = (order,) if isinstance(order, str) else order
        if self.postgres:
            keys = ", ".join(f"{expression} AS k{n}" for n, expression in enumerate(order))
            return (
                f"(SELECT string_agg(v, {quote(separator)} ORDER BY {', '.join(f'k{n}' for n in range(len(order)))}) "
                f"FROM (SELECT {value} AS v, {keys} {source}) AS q)"
            )
        return (
            f"(SELECT group_concat(v, {quote(separator)}) FROM (SELECT {value} AS v {source} "
            f"ORDER BY {', '.join(order)}))"
        )

    def aggregate(self, value: str, separator: str, order: str, where: str | None = None) -> str:
        """An aggregate joining `value` by `separator` over a group's rows in `order` (NULL when none), for a
        GROUP BY over rows a subquery hands over in that order: PostgreSQL sorts each group itself; SQLite
        3.40 has no ORDER BY inside an aggregate, and its group_concat takes the rows in the order the
        subquery gives them (its sorter keeps rows with the same group key in the order they came)."""
        only = f" FILTER (WHERE {where})" if where else ""
        if self.postgres:
            return f"string_agg({value}, {quote(separator)} ORDER BY {order}){only}"
        return f"group_concat({value}, {quote(separator)}){only}"

    def neutral(self, value: str) -> str:
        """The text with a leading apostrophe when a spreadsheet would run it as a formula (`neutralised`).
        `value` is named three times: give it a column, not a subquery."""
        # The first character's code point (0 or NULL when there is none).
        first = "ascii" if self.postgres else "unicode"
        codes = ", ".join(str(ord(c)) for c in FORMULA_STARTS)
        return f"CASE WHEN {first}({value}) IN ({codes}) THEN '''' || {value} ELSE {value} END"

    def date(self, column: str) -> str:
        """A date as YYYY-MM-DD (SQLite keeps it so)."""
        return f"to_char({column}, 'YYYY-MM-DD')" if self.postgres else column

    def year(self, column: str) -> str:
        return (
            f"CAST(extract(year FROM {column}) AS integer)"
            if self.postgres
            else f"CAST(substr({column}, 1, 4) AS integer)"
        )

    def datetime(self, column: str, utc: str = "+00:00") -> str:
        """A UTC timestamp as Python's isoformat() writes it: microseconds only when there are some; `utc`
        is how the offset is written (`Z` for the API's JSON)."""
        if self.postgres:
            at = f"({column} AT TIME ZONE 'UTC')"
            return (
                f"CASE WHEN {column} IS NULL THEN NULL ELSE to_char({at}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
                f"CASE WHEN date_trunc('second', {at}) = {at} THEN '' ELSE to_char({at}, '.US') END"
                f" || {quote(utc)} END"
            )
        # Django stores an aware datetime on SQLite as its UTC text: 'YYYY-MM-DD HH:MM:SS[.ffffff]'.
        return f"replace({column}, ' ', 'T') || {quote(utc)}"

    def epoch(self, column: str) -> str:
        """Unix seconds, truncated (int(datetime.timestamp()))."""
        if self.postgres:
            return f"CAST(floor(extract(epoch FROM {column})) AS bigint)"
        return f"CAST(strftime('%%s', {column}) AS integer)"

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.postgres else f"min({a}, {b})"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.postgres else f"max({a}, {b})"

    def fence(self) -> str:
        """OFFSET 0 keeps a subquery a query of its own: neither planner merges it into the enclosing one."""
        return "LIMIT ALL OFFSET 0" if self.postgres else "LIMIT -1 OFFSET 0"

    def ids(self) -> str:
        """The chunk's ids with their position, from one parameter (a JSON array / an array), as the common
        table `j` (id, n): the statement reads it, and so do the per-chunk lists (`Listing`)."""
        if self.postgres:
            return "WITH j AS (SELECT * FROM unnest(%s::bigint[]) WITH ORDINALITY AS ids(id, n))"
        return "WITH j AS (SELECT CAST(value AS integer) AS id, key AS n FROM json_each(%s))"

    def ids_param(self, ids: list[int]):
        return ids if self.postgres else json.dumps(ids)


@dataclass(frozen=True)
class Listing:
    """Lists per event for a whole chunk at once: `rows` (SELECT … AS eid, … AS k, … over the chunk's events,
    `IN (SELECT id FROM j)`) ordered by event and then k, grouped by event into `columns` (aggregates over
    the rows as alias x, by name), and left-joined to the events as `alias`. One pass per chunk instead of
    a correlated subquery per event and list (each with sorters of its own when the list is grouped)."""

    alias: str
    rows: str
    columns: dict[str, str]
    # The rows' order: event, then what each aggregate needs, as an index may already hold them (no sorter).
    order: str = "eid, k"

    def join(self, dialect: Dialect) -> str:
        aggregates = ", ".join(f"{sql} AS {name}" for name, sql in self.columns.items())
        # The fence keeps the ORDER BY (a subquery with a LIMIT is never flattened nor its order dropped).
        return (
            f"LEFT JOIN (SELECT x.eid, {aggregates} FROM ({self.rows} ORDER BY {self.order} {dialect.fence()}) x "
            f"GROUP BY x.eid) {self.alias} ON {self.alias}.eid = e.id"
        )

    def __getitem__(self, name: str) -> str:
        assert name in self.columns, name
        return f"{self.alias}.{name}"


class Fragments:
    """Values every format reads, as SQL over the aliases of `statement()`: e (the event), et and st (its type
    and sub-type), l (its place) and p1…p4 (the enclosing areas, nearest first)."""

    def __init__(self, dialect: Dialect):
        self.d = dialect

    def actors(self, **more: str) -> Listing:
        """The chunk's actors, per event: `<role>` columns hold the names of the actors in each role,
        '; '-joined, in the order recorded (as `attach` reads them); `more` adds aggregates over the rows
        (x.k, the record's id; x.role; x.name; x.kind)."""
        names = {
            role.value: self.d.aggregate("x.name", "; ", "x.k", f"x.role = {quote(role)}")
            for role in EventActor.Role
        }
        return Listing(
            "act",
            "SELECT ea.event_id AS eid, ea.id AS k, ea.role AS role, a.name AS name, a.kind AS kind "
            "FROM events_eventactor ea JOIN actors_actor a ON a.id = ea.actor_id "
            "WHERE ea.event_id IN (SELECT id FROM j)",
            {**names, **more},
            # Each aggregate is over one role (or ignores order): by role, then id, is the order of the
            # role table's (event, role, id, actor) index, which SQLite then reads without a sorter.
            order="eid, role, k",
        )

    @staticmethod
    def first_actor(role: str, code: dict[str, int]) -> str:
        """An aggregate over `actors()` rows: `code[kind]` of the first actor recorded in a role, for
        `first_code` to read. The least record id wins and its code (0-14, 15 for none) rides in the low
        four bits, so one min() finds both."""
        assert all(0 <= value < 15 for value in code.values())
        return f"min(x.k * 16 + {case('x.kind', code, '15')}) FILTER (WHERE x.role = {quote(role)})"

    @staticmethod
    def first_code(column: str) -> str:
        return f"NULLIF({column} %% 16, 15)"  # %% is % once the parameters are in

    def claims(self, alias: str, columns: dict[str, str], **grouped: str) -> Listing:
        """The chunk's claims with their reports and sources (c, r, s), grouped per event by `grouped` (name:
        expression) into rows that carry k, the first claim's id, for `columns` to aggregate."""
        keys = ", ".join(grouped.values())
        values = ", ".join(f"{sql} AS {name}" for name, sql in grouped.items())
        return Listing(
            alias,
            f"SELECT c.event_id AS eid, min(c.id) AS k, {values} FROM events_claim c "
            "JOIN sources_report r ON r.id = c.report_id JOIN sources_source s ON s.id = r.source_id "
            f"WHERE c.event_id IN (SELECT id FROM j) GROUP BY c.event_id, {keys}",
            columns,
        )

    def tags(self) -> str:
        return self.d.joined(
            "t.name",
            "; ",
            EVENT_TAGS,
            "t.name",
        )

    def at_level(self, level: int, column: str) -> str:
        """`column` of the place or the enclosing area at `level`; NULL when there is none."""
        whens = " ".join(f"WHEN {alias}.level THEN {alias}.{column}" for alias in CHAIN)
        return f"CASE {level} {whens} END"

    def point(self) -> dict[str, str]:
        """The point to map the event at (`rows._point`): its own, else its place's, else the nearest
        enclosing area's that has one; coordinates are stored in pairs, so each coalesces alone."""
        areas = "COALESCE(" + ", ".join(f"{a}.latitude" for a in ANCESTOR_ALIASES) + ")"
        return {
            "lat": "COALESCE(e.latitude, " + ", ".join(f"{a}.latitude" for a in CHAIN) + ")",
            "lon": "COALESCE(e.longitude, " + ", ".join(f"{a}.longitude" for a in CHAIN) + ")",
            "origin": "CASE WHEN e.latitude IS NOT NULL THEN 'event' WHEN l.latitude IS NOT NULL THEN 'location' "
            f"WHEN {areas} IS NOT NULL THEN 'enclosing_area' END",
        }


@dataclass(frozen=True)
class Projection:
    """One format's statement in two levels: `inner` values read once per event (subqueries and joins, by
    name), then the format's columns (`outer`) over them as `q.<name>` (formatting, codes, neutralising),
    so that a value the row shows twice, or tests before it shows, is not computed twice."""

    inner: dict[str, str]
    outer: list[str]
    listings: tuple[Listing, ...] = ()


def statement(dialect: Dialect, projection: Projection) -> str:
    ancestors = " ".join(
        f"LEFT JOIN locations_location {alias} ON {alias}.id = {parent}.parent_id"
        for parent, alias in zip(CHAIN, ANCESTOR_ALIASES, strict=False)
    )
    inner = ", ".join(f"{sql} AS {name}" for name, sql in projection.inner.items())
    listings = " ".join(listing.join(dialect) for listing in projection.listings)
    # The fence keeps the inner query a query of its own (merged into the outer one, each subquery would be
    # copied into every place its value is used).
    return (
        f"{dialect.ids()} SELECT {', '.join(projection.outer)} FROM (SELECT j.n AS n_, {inner} "
        "FROM j JOIN events_event e ON e.id = j.id "
        "JOIN events_eventtype et ON et.id = e.event_type_id "
        "JOIN events_subeventtype st ON st.id = e.sub_event_type_id "
        f"JOIN locations_location l ON l.id = e.location_id {ancestors} {listings} {dialect.fence()}) q "
        "ORDER BY q.n_"
    )


def flat_projection(dialect: Dialect, *, for_csv: bool) -> Projection:
    """`flat.FLAT_COLUMNS`, as `flat_row` fills them. For CSV, text is neutralised and the flag is written
    as Python writes a bool; for GeoJSON, values are as the record holds them."""
    f = Fragments(dialect)
    d = dialect
    actors = f.actors()
    Role = EventActor.Role
    inner = {
        "id": "e.id", "ds": d.date("e.date_start"), "de": d.date("e.date_end"), "dp": "e.date_precision",
        "etn": "et.name", "stn": "st.name",
        "a1": actors[Role.SIDE_A], "aa1": actors[Role.ASSOCIATED_A],
        "a2": actors[Role.SIDE_B], "aa2": actors[Role.ASSOCIATED_B],
        "country": f.at_level(0, "name"), "iso3": f.at_level(0, "iso3"), "adm1": f.at_level(1, "name"),
        "adm2": f.at_level(2, "name"), "adm3": f.at_level(3, "name"), "loc": "l.name", "loc_id": "l.id",
        "pcode": "l.pcode", **f.point(),
        "gp": "e.geo_precision", "fl": "e.fatalities_low", "fb": "e.fatalities_best", "fh": "e.fatalities_high",
        "cfl": "e.claimed_fatalities_low", "cfh": "e.claimed_fatalities_high", "ct": "e.civilian_targeting",
        "v": "e.verification", "vr": "e.verification_reason", "av": "e.attribution_verification",
        "cv": "e.casualties_verification", "tv": "e.control_verification", "ir": "e.independent_reports",
        "summary": "e.summary", "notes": "e.notes", "tags": f.tags(), "acled": "e.acled_event_id",
        "ucdp": "e.ucdp_ged_id", "created": d.datetime("e.created_at"), "updated": d.datetime("e.updated_at"),
    }  # fmt: skip

    def text(value: str) -> str:
        return d.neutral(value) if for_csv else value

    def listed(name: str) -> str:
        return text(f"COALESCE(q.{name}, '')")

    flag = "CASE WHEN q.ct THEN 'True' ELSE 'False' END" if for_csv else "q.ct"
    outer = [
        "q.id", "q.ds", "q.de", "q.dp", text("q.etn"), text("q.stn"),
        listed("a1"), listed("aa1"), listed("a2"), listed("aa2"),
        listed("country"), listed("iso3"), listed("adm1"), listed("adm2"), listed("adm3"),
        text("q.loc"), "q.loc_id", listed("pcode"), "q.lat", "q.lon", "q.origin",
        "q.gp", "q.fl", "q.fb", "q.fh", "q.cfl", "q.cfh", flag,
        "q.v", text("q.vr"), "q.av", "q.cv", "q.tv", "q.ir",
        text("q.summary"), text("q.notes"), listed("tags"), text("q.acled"), "q.ucdp", "q.created", "q.updated",
    ]  # fmt: skip
    return Projection(inner, outer, (actors,))


def lookup(expression: str, table: dict[str, object]) -> str:
    """`table[expression]` (NULL when absent) as a binary search of CASEs over the sorted keys: ten
    comparisons instead of one per key, and no join (SQLite would scan a VALUES table for every row). Keys
    are ASCII codes, compared byte-wise (SQLite's BINARY collation, PostgreSQL's "C")."""
    keys = sorted(table)

    def search(lo: int, hi: int) -> str:
        if hi - lo <= 4:
            return case(expression, {k: table[k] for k in keys[lo:hi] if table[k] is not None})
        mid = (lo + hi) // 2
        return (
            f"CASE WHEN {expression} < {quote(keys[mid])} THEN {search(lo, mid)} ELSE {search(mid, hi)} END"
        )

    return search(0, len(keys))


def acled_projection(dialect: Dialect) -> Projection:
    """`acled.ACLED_COLUMNS`, as `acled_row` fills them (see there for what is derived and how)."""
    f = Fragments(dialect)
    d = dialect
    Role = EventActor.Role
    codes = {str(kind): value for kind, value in Actor.ACLED_INTER_CODES.items()}
    actors = f.actors(i1=f.first_actor(Role.SIDE_A, codes), i2=f.first_actor(Role.SIDE_B, codes))
    # Reports in the order their first claim was recorded, each once; their sources, each once, in that
    # order; the sources' scales, each once, in the order of the first claim citing one.
    label = case("s.scale", {str(scale): text for scale, text in SCALE_LABELS.items()}, "''")
    names = d.aggregate("x.name", "; ", "x.k")
    if d.postgres:
        sources = f.claims("src", {"names": names}, id="s.id", name="s.name")
        scales = f.claims("scl", {"labels": d.aggregate("x.label", "-", "x.k", "x.label <> ''")}, label=label)
        listings = (actors, sources, scales)
    else:
        # One pass: a scale is listed where the first source of that scale is. SQLite's DISTINCT aggregate
        # takes each value the first time a row brings it, in row order; its separator is always ',', which
        # no label holds.
        assert not any("," in text for text in SCALE_LABELS.values())
        labels = "replace(group_concat(DISTINCT NULLIF(x.label, '')), ',', '-')"
        sources = scales = f.claims(
            "src", {"names": names, "labels": labels}, id="s.id", name="s.name", label=label
        )
        listings = (actors, sources)
    inner = {
        "id": "e.id", "acled": "e.acled_event_id", "ds": d.date("e.date_start"), "yr": d.year("e.date_start"),
        "dp": "e.date_precision", "ets": "et.slug", "sts": "st.slug", "etn": "et.name", "stn": "st.name",
        "a1": actors[Role.SIDE_A], "aa1": actors[Role.ASSOCIATED_A],
        "a2": actors[Role.SIDE_B], "aa2": actors[Role.ASSOCIATED_B],
        "i1": f.first_code(actors["i1"]), "i2": f.first_code(actors["i2"]),
        "ct": "e.civilian_targeting", "ciso3": f.at_level(0, "iso3"), "cname": f.at_level(0, "name"),
        "adm1": f.at_level(1, "name"), "adm2": f.at_level(2, "name"), "adm3": f.at_level(3, "name"),
        "loc": "l.name", "lat": f.point()["lat"], "lon": f.point()["lon"], "gp": "e.geo_precision",
        "sources": sources["names"], "scales": scales["labels"],
        "notes": "e.notes", "summary": "e.summary", "fb": "e.fatalities_best", "tags": f.tags(),
        "updated": d.epoch("e.updated_at"),
    }  # fmt: skip
    n = d.neutral
    iso3 = 'q.ciso3 COLLATE "C"' if d.postgres else "q.ciso3"
    interaction = (
        "CASE WHEN q.i1 IS NULL THEN NULL WHEN q.i2 IS NULL OR q.i2 = 0 THEN q.i1 * 10 "
        f"ELSE {d.least('q.i1', 'q.i2')} * 10 + {d.greatest('q.i1', 'q.i2')} END"
    )
    outer = [
        n("COALESCE(q.acled, 'CE' || CAST(q.id AS text))"), "q.ds", "q.yr", case("q.dp", DATE_TO_ACLED),
        case("q.sts", DISORDER_BY_SUB_TYPE, case("q.ets", DISORDER_BY_TYPE, "''")), n("q.etn"), n("q.stn"),
        n("COALESCE(q.a1, '')"), n("COALESCE(q.aa1, '')"), "q.i1", n("COALESCE(q.a2, '')"),
        n("COALESCE(q.aa2, '')"), "CASE WHEN q.i2 IS NOT NULL THEN q.i2 WHEN q.i1 IS NOT NULL THEN 0 END",
        interaction,
        f"CASE WHEN q.ct THEN {quote(CIVILIAN_TARGETING[True])} ELSE {quote(CIVILIAN_TARGETING[False])} END",
        lookup(iso3, iso_numeric_codes()), "''", n(f"COALESCE({lookup(iso3, ACLED_NAMES)}, q.cname, '')"),
        n("COALESCE(q.adm1, '')"), n("COALESCE(q.adm2, '')"), n("COALESCE(q.adm3, '')"), n("q.loc"),
        "q.lat", "q.lon", case("q.gp", GEO_TO_ACLED), n("COALESCE(q.sources, '')"), "COALESCE(q.scales, '')",
        n("CASE WHEN q.notes <> '' THEN q.notes ELSE q.summary END"), "COALESCE(q.fb, 0)",
        n("COALESCE(q.tags, '')"), "q.updated",
    ]  # fmt: skip
    return Projection(inner, outer, listings)


def ucdp_projection(dialect: Dialect) -> Projection:
    """`ucdp.UCDP_COLUMNS`, as `ucdp_row` fills them; the columns this system does not keep are empty."""
    f = Fragments(dialect)
    d = dialect
    Role = EventActor.Role
    sides = f"{quote(Role.SIDE_A)}, {quote(Role.SIDE_B)}"
    state = f"x.kind = {quote(Actor.Kind.STATE_FORCES)} AND x.role IN ({sides})"
    actors = f.actors(state=f"max(CASE WHEN {state} THEN 1 ELSE 0 END)")  # state forces on either side
    # Each report once, in the order its first claim was recorded (`attach_reports`).
    reports = f.claims(
        "rep",
        {
            "n": "count(*)", "offices": d.aggregate("x.office", "; ", "x.k"),
            "dates": d.aggregate("x.day", "; ", "x.k"), "headlines": d.aggregate("x.title", "; ", "x.k"),
        },
        id="r.id", office="s.name", day=f"COALESCE({d.date('r.published_on')}, '')", title="r.title",
    )  # fmt: skip
    inner = {
        "ucdp": "e.ucdp_ged_id", "yr": d.year("e.date_start"), "ets": "et.slug",
        "state": f"CASE WHEN et.slug = 'battles' THEN COALESCE({actors['state']}, 0) = 1 END",
        "a1": actors[Role.SIDE_A], "a2": actors[Role.SIDE_B], "nsrc": f"COALESCE({reports['n']}, 0)",
        "offices": reports["offices"], "dates": reports["dates"], "headlines": reports["headlines"],
        "gp": "e.geo_precision", "lvl": "l.level", "loc": "l.name", "notes": "e.notes",
        "adm1": f.at_level(1, "name"), "adm2": f.at_level(2, "name"), "lat": f.point()["lat"],
        "lon": f.point()["lon"], "cname": f.at_level(0, "name"), "dp": "e.date_precision",
        "ds": d.date("e.date_start"), "de": d.date("e.date_end"), "fb": "e.fatalities_best",
        "fh": "e.fatalities_high", "fl": "e.fatalities_low",
    }  # fmt: skip
    n = d.neutral
    violence = (
        f"CASE q.ets WHEN 'violence-against-civilians' THEN {ONE_SIDED} "
        f"WHEN 'battles' THEN CASE WHEN q.state THEN {STATE_BASED} ELSE {NON_STATE} END END"
    )
    side_a, side_b = "COALESCE(q.a1, '')", "COALESCE(q.a2, '')"
    dyad = f"CASE WHEN {side_b} <> '' THEN {side_a} || ' - ' || {side_b} ELSE {side_a} END"
    empty = "''"
    outer = [
        "q.ucdp", empty, "q.yr", empty, empty, violence, empty, empty, empty, empty, empty, n(dyad),
        empty, empty, n(side_a), empty, empty, n(side_b), "q.nsrc", empty, n("COALESCE(q.offices, '')"),
        n("COALESCE(q.dates, '')"), n("COALESCE(q.headlines, '')"), empty, "q.gp",
        n("CASE WHEN q.lvl = 4 THEN q.loc ELSE '' END"), n("q.notes"), n("COALESCE(q.adm1, '')"),
        n("COALESCE(q.adm2, '')"), "q.lat", "q.lon", empty, empty, n("COALESCE(q.cname, '')"), empty, empty,
        empty, "q.dp", "q.ds", "q.de", empty, empty, empty, empty, "q.fb", "q.fh", "q.fl", empty, empty,
    ]  # fmt: skip
    return Projection(inner, outer, (actors, reports))


# Processes that read and render chunks, each on a connection of its own (this machine has 2 cores).
READERS = 2
# Chunks each reader may have done ahead of the caller: memory stays flat whatever the export's size.
AHEAD = 2
# Readers are forked: they start with the statement, the renderer and the settings already in memory.
FORK = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


def can_fork(connection) -> bool:
    """Whether readers in other processes can read this database: a POSIX system, and a database another
    process can open (not SQLite in memory, as the tests' is)."""
    return FORK is not None and not (connection.vendor == "sqlite" and connection.is_in_memory_db())


def rendered_chunks(
    queryset,
    projection: Callable[[Dialect], Projection],
    render: Callable[[list[tuple]], str],
    chunk_size: int | None = None,
) -> Iterator[str]:
    """The queryset's events as rows of `projection` (for the queryset's database), rendered by `render` one
    chunk at a time, in the queryset's order: one streamed query for the ids, then one per chunk.

    An export of more than one chunk, outside a transaction, is read and rendered by READERS forked
    processes in turn, each on a database connection of its own, so that the two cores share the whole of
    the work: the database's, and the Python that reads each value and writes the text, which threads
    would take turns at under the GIL. Each chunk is still one statement. A single chunk (most exports from
    the API), a transaction (a test, or a caller's atomic block: other connections would not see its
    writes) or a database no other process can open is read in turn on the caller's connection."""
    chunk_size = chunk_size or CHUNK_SIZE
    connection = connections[queryset.db]
    dialect = Dialect(connection.vendor)
    sql = statement(dialect, projection(dialect))
    try:
        ids_sql, ids_params = queryset.values_list("id").query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:
        return
    with connection.chunked_cursor() as ids:
        ids.execute(ids_sql, ids_params)
        chunks = iter(lambda: [row[0] for row in ids.fetchmany(chunk_size)], [])
        first = list(itertools.islice(chunks, 2))
        chunks = itertools.chain(first, chunks)
        if len(first) < 2 or connection.in_atomic_block or READERS < 2 or not can_fork(connection):
            with connection.cursor() as cursor:
                for chunk in chunks:
                    cursor.execute(sql, [dialect.ids_param(chunk)])
                    yield render(cursor.fetchall())
            return
        yield from _in_parallel(queryset.db, chunks, sql, dialect, render)


# What a server sets for its own process and a reader must not keep: the default ends it on terminate().
SERVER_SIGNALS = ("SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGABRT")


def _reader(alias: str, sql: str, dialect: Dialect, render, pipe, others: list) -> None:
    """A forked reader: lists of ids in, each chunk's text out (b"+" text), until None; a failure goes back
    pickled (b"!"). It opens a connection of its own and never touches, nor closes, the ones it inherited:
    they are the parent's. It closes its copies of the parent's ends of the readers' pipes, its own included
    (`others`): a pipe ends for its reader only when no process holds the parent's end any more."""
    for name in SERVER_SIGNALS:
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    for other in others:
        other.close()
    connection = connections.create_connection(alias)
    try:
        with connection.cursor() as cursor:
            while (chunk := pipe.recv()) is not None:
                cursor.execute(sql, [dialect.ids_param(chunk)])
                pipe.send_bytes(b"+" + render(cursor.fetchall()).encode())
    except BaseException as error:
        with contextlib.suppress(Exception):  # a parent that went away takes no message
            try:
                message = pickle.dumps(error)
            except Exception:
                message = pickle.dumps(RuntimeError(f"{type(error).__name__}: {error}"))
            pipe.send_bytes(b"!" + message)
    finally:
        connection.close()
        pipe.close()


def _in_parallel(
    alias: str, chunks: Iterator[list[int]], sql: str, dialect: Dialect, render
) -> Iterator[str]:
    """Chunk k is read and rendered by reader k % READERS; the pieces are handed back in order. Closing the
    generator early (a client that goes away) closes the pipes, which ends each reader at its next read or
    write, and waits for them."""
    pipes, readers = [], []
    try:
        for n in range(READERS):
            ours, theirs = FORK.Pipe()
            pipes.append(ours)
            reader = FORK.Process(
                target=_reader,
                args=(alias, sql, dialect, render, theirs, list(pipes)),
                name=f"export-reader-{n}",
                daemon=True,
            )
            reader.start()
            theirs.close()
            readers.append(reader)
        sent = 0
        for chunk in itertools.islice(chunks, READERS * AHEAD):
            _send(pipes, sent, chunk)
            sent += 1
        done = 0
        while done < sent:
            piece = _received(pipes, done)
            done += 1
            if (chunk := next(chunks, None)) is not None:
                _send(pipes, sent, chunk)
                sent += 1
            yield piece
        for n in range(READERS):
            _send(pipes, n, None)
    finally:
        for pipe in pipes:
            pipe.close()
        for reader in readers:
            reader.join(timeout=10)
            if reader.is_alive():  # stuck in a long statement: it holds nothing that needs a clean end
                reader.terminate()
                reader.join()


def _received(pipes: list, n: int) -> str:
    """Chunk n's text from its reader, or the reader's failure raised here."""
    try:
        piece = pipes[n % READERS].recv_bytes()
    except EOFError:
        raise RuntimeError(f"Export reader {n % READERS} ended before its chunk was done.") from None
    if piece[:1] == b"!":
        raise pickle.loads(piece[1:])
    return piece[1:].decode()


def _send(pipes: list, n: int, chunk: list[int] | None) -> None:
    """Chunk n (or the end, None) to its reader. A reader that failed has sent its failure and closed its
    end; the send then breaks, and what the reader said, read from the pipe, is raised in its place."""
    pipe = pipes[n % READERS]
    try:
        pipe.send(chunk)
    except OSError:  # BrokenPipeError, ConnectionResetError: the reader's end is closed
        while True:  # its chunks done before the failure, then the failure (or the end: EOF)
            _received(pipes, n % READERS)


def csv_renderer(header: list[str]) -> tuple[str, Callable[[list[tuple]], str]]:
    """The header line, and a function that writes rows as CSV text (None is an empty cell, never 0)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=CSV_LINE_END).writerow(header)

    def render(rows: list[tuple]) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator=CSV_LINE_END).writerows(rows)
        return out.getvalue()

    return buffer.getvalue(), render


def stream_rows_as_csv(
    queryset, projection: Callable[[Dialect], Projection], header: list[str]
) -> Iterator[str]:
    first, render = csv_renderer(header)
    yield first
    yield from rendered_chunks(queryset, projection, render)


def stream_csv(queryset) -> Iterator[str]:
    return stream_rows_as_csv(queryset, functools.partial(flat_projection, for_csv=True), COLUMNS)


def stream_acled_csv(queryset) -> Iterator[str]:
    return stream_rows_as_csv(queryset, acled_projection, ACLED_COLUMNS)


def stream_ucdp_csv(queryset) -> Iterator[str]:
    return stream_rows_as_csv(queryset, ucdp_projection, UCDP_COLUMNS)


def features(rows: list[tuple]) -> str:
    """GeoJSON features, comma-separated: the properties are the CSV's columns (values as JSON: numbers,
    true/false, null for unknown) without the coordinates, which are the geometry."""
    out = []
    for row in rows:
        properties = dict(zip(COLUMNS, row, strict=True))
        properties["civilian_targeting"] = bool(properties["civilian_targeting"])  # SQLite's is 0 or 1
        out.append(event_feature(properties))
    return orjson.dumps(out).decode()[1:-1]


def stream_geojson(queryset) -> Iterator[str]:
    """A FeatureCollection, one piece per chunk."""
    yield '{"type":"FeatureCollection","features":['
    first = True
    for piece in rendered_chunks(queryset, functools.partial(flat_projection, for_csv=False), features):
        if piece:
            yield piece if first else "," + piece
            first = False
    yield "]}"
