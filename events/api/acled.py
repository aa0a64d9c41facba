"""ACLED's read API, laid out as ACLED's own, so that an existing ACLED client works with its base URL set to
this server's `/api`: `/api/acled/read` (events), `/api/deleted/read` (tombstones), `/api/actor/read` and
`/api/country/read` (who and where, with first and last event dates and counts).

Conventions (ACLED's):

- Every column is a filter. Its operator comes from `<column>_where`: `=`, `LIKE`, `BETWEEN`, `>`, `<`,
  `>=`, `<=` (any case); each column has ACLED's default. `BETWEEN` takes `low|high`; otherwise `a|b|c`
  means any of them. On text, `LIKE` without `%` (and `=`) is case-insensitive equality; with `%` it is
  SQL's LIKE pattern (`%` any run of characters, `_` any one character, `\\` escapes the next). An empty
  value matches rows where the column is empty (`actor2=`: events without a side B).
- `fields=a|b|c` chooses and orders the columns; `_format=json` (default) or `csv`; `limit` (default and
  most 5000; `limit=0` is every row, for CSV only, streamed) and `page` (from 1). Events come newest first.
- Success: `{"status": 200, "success": true, "last_update", "count", "messages": [], "data", "filename"}`;
  an error: HTTP 400 (401, 405 or 429 where those apply) with `{"status", "success": false, "count": 0,
  "error": [{"status", "message"}]}`, the message naming the parameter, the reason and what is allowed.
  A parameter nobody declared is an error, never an unfiltered list.
- Credentials: ACLED clients send `key` and `email` with every request. Reads are open: a `key` that is one
  of this server's API tokens authenticates the request as the token's user, and an unknown `key` (an ACLED
  key, say) is ignored — the request is read anonymously. `email` is accepted and ignored. The
  `Authorization: Token <key>` (or `Bearer <key>`) header works as on the rest of the API; a wrong token in
  the header is refused (401), as there.

Rows are `events.formats.acled.acled_row`'s, and every filter is evaluated on what that row shows (the
filters below map each column onto the events' own fields, and are tested against the rows), so a filter
never disagrees with the column it names. Events are read with `event_records(…, reports=True)`: a fixed
number of queries a page whatever its size. What this system keeps differently from ACLED:

- `region` is not kept; a filter on it is refused. `disorder_type` and `interaction` are derived (from the
  sub-event type, and from the first actor of each side's kind), as in the rows.
- `fatalities` is the best estimate, and 0 where none is known (ACLED's 0 means "0 or unknown"): so
  `fatalities=0` matches events with none killed and events whose toll is unknown.
- `latitude`/`longitude` are the point the row shows: the event's own coordinates, else its place's, else
  the nearest enclosing area's.
- `actor1`… match any actor in that role (by name or alias); `admin1`… and `country` match places by name or
  alias and take the events at or inside them; `location` is the event's own place; `source`,
  `source_scale` and `tags` match any one of the event's sources, scales or tags (`National-International`
  asks for an event with both).
- `export_type=monadic` gives one row per side: side A's row, then side B's with its actors moved into the
  `actor1`, `assoc_actor_1` and `inter1` columns; `actor2`, `assoc_actor_2` and `inter2` are blank in both.
  Filters and paging select events as in the dyadic layout, so a page of `limit` events can hold up to twice
  as many rows.
"""

import datetime
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import reduce
from itertools import islice
from operator import or_

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from access.authentication import ApiTokenAuthentication, BearerTokenAuthentication, authenticate_key
from actors.models import Actor, ActorAlias
from core.api.renderers import FastJSONRenderer
from locations.countries import country_name_for_export, country_ref, iso_numeric, normalise_name
from locations.models import Location, LocationAlias
from sources.models import Source

from ..filtersets import events_inside
from ..formats.acled import (
    ACLED_COLUMNS,
    CIVILIAN_TARGETING,
    SCALE_LABELS,
    acled_records,
    acled_row,
    disorder_type,
)
from ..formats.flat import csv_stream
from ..models import Claim, Event, EventActor, SubEventType, Tag
from ..precision import DatePrecision, GeoPrecision, date_precision_to_acled, geo_precision_to_acled

MAX_LIMIT = 5000
MAX_PAGE = 1_000_000
INT_RANGE = (-(2**31), 2**31 - 1)
TIMESTAMP_RANGE = (0, 253_402_300_798)  # up to 9999-12-31T23:59:58Z, so that one second more is a date
CREDENTIALS = ("key", "email", "terms")  # accepted on every endpoint; `terms=accept` is ACLED's old opt-in


# --- ACLED's query conventions, parsed: one function per concern --------------------------------------


class AcledError(Exception):
    """A request this API refuses: 400 with the message, in ACLED's error envelope."""


TEXT, INTEGER, NUMBER, DATE, TIMESTAMP = "text", "integer", "number", "date", "timestamp"
OPERATORS = {
    TEXT: ("LIKE", "="),
    INTEGER: ("=", ">", "<", ">=", "<=", "BETWEEN"),
    NUMBER: ("=", ">", "<", ">=", "<=", "BETWEEN"),
    DATE: ("=", ">", "<", ">=", "<=", "BETWEEN"),
    TIMESTAMP: ("=", ">", "<", ">=", "<=", "BETWEEN"),
}
KIND_HELP = {
    TEXT: "text",
    INTEGER: "a whole number",
    NUMBER: "a number",
    DATE: "a date, YYYY-MM-DD",
    TIMESTAMP: "a Unix time in seconds, or a date YYYY-MM-DD (midnight UTC)",
}


@dataclass(frozen=True)
class Column:
    """A filterable column: the type of its values, ACLED's default operator, and what the filter does
    (`apply(queryset, where)`), or why it is refused."""

    kind: str
    default: str
    help: str
    apply: Callable | None = None
    refused: str = ""
    bounds: tuple[int, int] = INT_RANGE


@dataclass(frozen=True)
class Where:
    """One filter as asked: the column, its operator and its values (typed; BETWEEN: low, high)."""

    name: str
    kind: str
    operator: str
    values: tuple

    @property
    def matches(self) -> list["TextMatch"]:
        return [TextMatch(self.operator, value) for value in self.values]

    @property
    def comparison(self) -> "Comparison":
        return Comparison(self.operator, self.values)


@dataclass(frozen=True)
class Paging:
    limit: int  # 0: every row
    page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def check_names(params, accepted: Iterable[str], refused: dict[str, Column]) -> None:
    """Every parameter is known and given once; a filter on a column this system does not keep is refused
    with the reason."""
    accepted = set(accepted)
    for name, values in params.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            raise AcledError(f"{name!r}: a parameter cannot contain a NUL character.")
    for name in params:
        column = refused.get(name.removesuffix("_where"))
        if column is not None:
            raise AcledError(f"{name}: {column.refused}")
    unknown = sorted(set(params) - accepted)
    if unknown:
        filters = sorted(n for n in accepted if n + "_where" in accepted)
        others = sorted(n for n in accepted if n not in filters and not n.endswith("_where"))
        raise AcledError(
            f"Unknown parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. Accepted: the filters "
            f"{', '.join(filters)} (each with <filter>_where for its operator), and {', '.join(others)}."
        )
    repeated = sorted(name for name, values in params.lists() if len(values) > 1)
    if repeated:
        raise AcledError(
            f"{repeated[0]}: given {len(params.getlist(repeated[0]))} times; give each parameter once "
            "(for several values of a filter, separate them with |: a|b)."
        )


def parse_value(name: str, column: Column, raw: str):
    """A filter value in its column's type, or AcledError saying what was expected."""
    kind = column.kind
    if kind == TEXT:
        return raw
    text = raw.strip()
    if kind == DATE or (kind == TIMESTAMP and "-" in text[1:]):
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError
            day = datetime.date.fromisoformat(text)
        except ValueError:
            raise AcledError(f"{name}: {raw!r} is not {KIND_HELP[kind]}.") from None
        if kind == DATE:
            return day
        text = str(int(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC).timestamp()))
    if kind == NUMBER:
        try:
            if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
                raise ValueError
            number = float(text)
        except ValueError:
            raise AcledError(f"{name}: {raw!r} is not a number (e.g. 34.52).") from None
        if not math.isfinite(number):
            raise AcledError(f"{name}: {raw!r} is not a finite number.")
        return number
    if not re.fullmatch(r"[+-]?\d{1,20}", text):
        raise AcledError(f"{name}: {raw!r} is not {KIND_HELP[kind]}.")
    low, high = TIMESTAMP_RANGE if kind == TIMESTAMP else column.bounds
    number = int(text)
    if not low <= number <= high:
        raise AcledError(f"{name}: {number} is out of range; give {KIND_HELP[kind]} from {low} to {high}.")
    return number


def parse_operator(params, name: str, column: Column) -> str:
    raw = params.get(f"{name}_where")
    if raw is None:
        return column.default
    operator = " ".join(raw.split()).upper()
    allowed = OPERATORS[column.kind]
    if operator not in allowed:
        raise AcledError(
            f"{name}_where: {raw!r} is not an operator {name} takes ({KIND_HELP[column.kind]}); "
            f"use one of {', '.join(allowed)} (default {column.default})."
        )
    return operator


def parse_where(params, name: str, column: Column) -> Where:
    operator = parse_operator(params, name, column)
    raw = params[name]
    parts = raw.split("|")
    if operator == "BETWEEN" and len(parts) != 2:
        raise AcledError(
            f"{name}: BETWEEN takes two values, low|high (e.g. 2022-01-01|2022-12-31); got {raw!r}."
        )
    values = tuple(parse_value(name, column, part) for part in parts)
    if operator == "BETWEEN" and values[0] > values[1]:
        raise AcledError(f"{name}: BETWEEN {parts[0]} and {parts[1]} is empty; give low|high, low first.")
    return Where(name, column.kind, operator, values)


def parse_wheres(params, columns: dict[str, Column]) -> list[Where]:
    """The filters asked for, in the order given; an operator without its filter is refused."""
    for name in params:
        base = name.removesuffix("_where")
        if name.endswith("_where") and base in columns and base not in params:
            raise AcledError(f"{name} is given without {base}: give {base}=<value> too, or drop {name}.")
    return [parse_where(params, name, columns[name]) for name in params if name in columns]


def parse_fields(params, columns: list[str]) -> list[str]:
    """The columns asked for by `fields=a|b|c`, in that order (each once); all of them by default."""
    raw = params.get("fields")
    if raw is None:
        return list(columns)
    names = list(dict.fromkeys(name.strip() for name in raw.split("|")))
    unknown = [name for name in names if name not in columns]
    if unknown or not names:
        raise AcledError(
            f"fields: {', '.join(repr(n) for n in unknown) or 'nothing'} is not a column here; "
            f"choose from {', '.join(columns)}, separated by |."
        )
    return names


def parse_format(params) -> str:
    value = params.get("_format", "json")
    if value.lower() not in ("json", "csv"):
        raise AcledError(f"_format: {value!r} is not a format this API writes; use json (default) or csv.")
    return value.lower()


def parse_export_type(params) -> str:
    value = params.get("export_type", "dyadic")
    if value.lower() not in ("dyadic", "monadic"):
        raise AcledError(
            f"export_type: {value!r} is not a layout; use dyadic (default: one row per event) or monadic "
            "(one row per side)."
        )
    return value.lower()


def _whole_number(name: str, raw: str, low: int, high: int) -> int:
    if not re.fullmatch(r"\s*\+?\d{1,9}\s*", raw) or not low <= int(raw) <= high:
        raise AcledError(f"{name}: {raw!r} is not a whole number from {low} to {high}.")
    return int(raw)


def parse_paging(params, fmt: str) -> Paging:
    """`limit` (1 to 5000, default 5000; 0 means every row, CSV only) and `page` (from 1)."""
    limit = _whole_number("limit", params.get("limit", str(MAX_LIMIT)), 0, 10**9)
    if limit > MAX_LIMIT:
        raise AcledError(
            f"limit: {limit} is more than {MAX_LIMIT} rows a page; page through with page=2, 3, … or ask for "
            "every row with limit=0&_format=csv."
        )
    page = _whole_number("page", params.get("page", "1"), 1, MAX_PAGE)
    if limit == 0 and fmt != "csv":
        raise AcledError(
            f"limit: 0 (every row) is for _format=csv, streamed; JSON pages hold 1 to {MAX_LIMIT} rows."
        )
    if limit == 0 and page != 1:
        raise AcledError("page: with limit=0 every row comes at once; there is no page 2.")
    return Paging(limit, page)


# --- a filter as ORM conditions, and as a test of a row's value --------------------------------------

_ANY, _ONE = object(), object()
ANY_CHARACTER = "(.|\n)"


def _like_tokens(pattern: str) -> list:
    """A LIKE pattern as literal strings and wildcards (`%` any run, `_` one character, `\\` escapes)."""
    tokens: list = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            char = next(chars, "\\")
        elif char in "%_":
            if not (char == "%" and tokens and tokens[-1] is _ANY):
                tokens.append(_ANY if char == "%" else _ONE)
            continue
        if tokens and isinstance(tokens[-1], str):
            tokens[-1] += char
        else:
            tokens.append(char)
    return tokens


class TextMatch:
    """One value of a text filter: case-insensitive equality, or (LIKE with %) a LIKE pattern."""

    def __init__(self, operator: str, value: str):
        self.value = value
        self.tokens = _like_tokens(value) if operator == "LIKE" and "%" in value else None

    def _regex(self, any_run: str, one: str) -> str:
        return "".join(
            any_run if t is _ANY else one if t is _ONE else re.escape(t) for t in self.tokens or [self.value]
        )

    def q(self, path: str) -> Q:
        tokens = self.tokens
        if tokens is None:
            return Q(**{f"{path}__iexact": self.value})
        shape = "".join("%" if t is _ANY else "_" if t is _ONE else "x" for t in tokens)
        literal = next((t for t in tokens if isinstance(t, str)), "")
        lookup = {"%": "isnull", "%x": "iendswith", "x%": "istartswith", "%x%": "icontains"}.get(shape)
        if lookup == "isnull":
            return Q(**{f"{path}__isnull": False})
        if lookup:
            return Q(**{f"{path}__{lookup}": literal})
        # `(.|\n)` is any character in both PostgreSQL's and Python's (SQLite's) regular expressions.
        return Q(**{f"{path}__iregex": "^" + self._regex(ANY_CHARACTER + "*", ANY_CHARACTER) + "$"})

    def test(self, text: str | None) -> bool:
        if text is None:
            return False
        if self.tokens is None:
            return text.casefold() == self.value.casefold()
        return re.fullmatch(self._regex(".*", "."), text, re.IGNORECASE | re.DOTALL) is not None


class Comparison:
    """A filter on numbers or dates: `=` any of the values, `>`… (any of, so the loosest), BETWEEN low|high."""

    LOOKUPS = {">": ("gt", min), ">=": ("gte", min), "<": ("lt", max), "<=": ("lte", max)}

    def __init__(self, operator: str, values: tuple):
        self.operator, self.values = operator, values

    def q(self, path: str) -> Q:
        if self.operator == "=":
            return (
                Q(**{f"{path}__in": list(self.values)})
                if len(self.values) > 1
                else Q(**{path: self.values[0]})
            )
        if self.operator == "BETWEEN":
            return Q(**{f"{path}__gte": self.values[0], f"{path}__lte": self.values[1]})
        lookup, pick = self.LOOKUPS[self.operator]
        return Q(**{f"{path}__{lookup}": pick(self.values)})

    def test(self, value) -> bool:
        if value is None:
            return False
        if self.operator == "=":
            return value in self.values
        if self.operator == "BETWEEN":
            return self.values[0] <= value <= self.values[1]
        lookup, pick = self.LOOKUPS[self.operator]
        bound = pick(self.values)
        return {"gt": value > bound, "gte": value >= bound, "lt": value < bound, "lte": value <= bound}[
            lookup
        ]

    def seconds_q(self, path: str) -> Q:
        """On a datetime column shown as whole Unix seconds (rounded down): `timestamp=T` is [T, T+1)."""

        def at(seconds: int) -> datetime.datetime:
            return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)

        values = self.values
        if self.operator == "=":
            return _any(Q(**{f"{path}__gte": at(v), f"{path}__lt": at(v + 1)}) for v in values)
        if self.operator == "BETWEEN":
            return Q(**{f"{path}__gte": at(values[0]), f"{path}__lt": at(values[1] + 1)})
        return {
            ">=": lambda: Q(**{f"{path}__gte": at(min(values))}),
            ">": lambda: Q(**{f"{path}__gte": at(min(values) + 1)}),
            "<": lambda: Q(**{f"{path}__lt": at(max(values))}),
            "<=": lambda: Q(**{f"{path}__lt": at(max(values) + 1)}),
        }[self.operator]()


def _any(conditions: Iterable[Q]) -> Q:
    """Any of the conditions; none at all matches nothing."""
    conditions = list(conditions)
    return reduce(or_, conditions) if conditions else Q(pk__in=[])


def _named(matches: list[TextMatch], alias_model, owner: str) -> Q:
    """Rows whose name, or one of whose aliases, matches."""
    names = _any(m.q("name") for m in matches)
    return names | Q(Exists(alias_model.objects.filter(names, **{owner: OuterRef("pk")})))


def _matches_empty(where: Where) -> bool:
    return any(m.test("") for m in where.matches)


def _unix(moment: datetime.datetime | None) -> int:
    return int(moment.timestamp()) if moment is not None else 0


# --- the gazetteer's countries, matched by ACLED's names and codes ---------------------------------


@dataclass(frozen=True)
class Country:
    pk: int
    name: str
    iso3: str | None
    aliases: tuple[str, ...] = ()

    @property
    def acled_name(self) -> str:
        return country_name_for_export(self.iso3, self.name)

    @property
    def iso(self) -> int | None:
        return iso_numeric(self.iso3) if self.iso3 else None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, self.acled_name, *self.aliases)


def gazetteer_countries(*, aliases: bool = False) -> list[Country]:
    """The countries in the gazetteer (one query; two with their alternate names)."""
    names = defaultdict(tuple)
    if aliases:
        for pk, name in LocationAlias.objects.filter(location__level=Location.Level.COUNTRY).values_list(
            "location_id", "name"
        ):
            names[pk] += (name,)
    return [
        Country(pk, name, iso3, names[pk])
        for pk, name, iso3 in Location.objects.countries().values_list("pk", "name", "iso3")
    ]


def countries_named(where: Where, countries: list[Country]) -> list[Country]:
    """The countries a `country` filter names: by ACLED's, the gazetteer's or an alternate name (case,
    accents and spacing aside), or by any name ISO 3166 knows for it; a pattern matches the names.
    A name neither ISO nor the gazetteer knows is refused (a misspelling is not an empty answer)."""
    found: dict[int, Country] = {}
    for match in where.matches:
        if match.tokens is not None:
            found.update((c.pk, c) for c in countries if any(match.test(n) for n in c.names))
            continue
        key = normalise_name(match.value)
        try:
            iso3 = country_ref(name=match.value).iso3
        except ValueError:
            iso3 = None
        hits = [c for c in countries if (iso3 and c.iso3 == iso3) or key in map(normalise_name, c.names)]
        if not hits and iso3 is None:
            raise AcledError(
                f"{where.name}: {match.value!r} is not a country name ISO 3166 or the gazetteer knows; use "
                "ACLED's country names (e.g. Afghanistan), or filter by iso (the ISO numeric code)."
            )
        found.update((c.pk, c) for c in hits)
    return list(found.values())


# --- events: each ACLED column mapped onto the events' own fields ------------------------------------

HOPS = ["location__", *("location__" + "parent__" * n for n in range(1, 5))]  # a place is ≤ 4 levels deep
EVENT_ID = Coalesce(
    "acled_event_id", Concat(Value("CE"), Cast("id", output_field=CharField())), output_field=CharField()
)


def _text(path: str, alias=None):
    def apply(queryset, where):
        if alias is not None:
            queryset = queryset.alias(**{path: alias})
        return queryset.filter(_any(m.q(path) for m in where.matches))

    return apply


def _compare(path: str, alias=None):
    def apply(queryset, where):
        if alias is not None:
            queryset = queryset.alias(**{path: alias})
        return queryset.filter(where.comparison.q(path))

    return apply


def _codes(field: str, codes: Iterable[int], to_acled: Callable[[int], int]):
    """A precision column: our codes whose ACLED code passes the filter (ACLED's scale is coarser)."""

    def apply(queryset, where):
        wanted = [code for code in codes if where.comparison.test(to_acled(code))]
        return queryset.filter(**{f"{field}__in": wanted})

    return apply


def _disorder_type(queryset, where):
    # As the row derives it (events.formats.acled.acled_row): the sub-event type's, else its type's.
    wanted = [
        pk
        for pk, slug, type_slug in SubEventType.objects.values_list("pk", "slug", "event_type__slug")
        if any(m.test(disorder_type(type_slug, slug)) for m in where.matches)
    ]
    return queryset.filter(sub_event_type__in=wanted)


def _civilian_targeting(queryset, where):
    return queryset.filter(
        civilian_targeting__in=[
            value for value, text in CIVILIAN_TARGETING.items() if any(m.test(text) for m in where.matches)
        ]
    )


def _role(role: str):
    def apply(queryset, where):
        actors = Actor.objects.filter(_named(where.matches, ActorAlias, "actor"))
        in_role = EventActor.objects.filter(event=OuterRef("pk"), role=role)
        condition = Q(Exists(in_role.filter(actor__in=actors)))
        if _matches_empty(where):
            condition |= ~Q(Exists(in_role))
        return queryset.filter(condition)

    return apply


def _first_kind(role: str) -> Subquery:
    """The kind of the first actor in the role (by when it was added), as the row's inter code reads it."""
    return Subquery(
        EventActor.objects.filter(event=OuterRef("pk"), role=role).order_by("id").values("actor__kind")[:1]
    )


def _inter_code(kind_alias: str) -> Case:
    return Case(
        *[When(**{kind_alias: kind}, then=Value(code)) for kind, code in Actor.ACLED_INTER_CODES.items()],
        default=None,
        output_field=IntegerField(),
    )


def _with_inter_codes(queryset):
    """Alias inter1, inter2 and interaction as acled_row computes them (inter2 is 0 when side A has a code
    and side B none; interaction is the two codes, lower first, or inter1 × 10 without a side B)."""
    if "acled_inter1" in queryset.query.annotations:
        return queryset
    return (
        queryset.alias(
            acled_kind1=_first_kind(EventActor.Role.SIDE_A), acled_kind2=_first_kind(EventActor.Role.SIDE_B)
        )
        .alias(acled_inter1=_inter_code("acled_kind1"), acled_code2=_inter_code("acled_kind2"))
        .alias(
            acled_inter2=Coalesce(
                "acled_code2",
                Case(When(acled_inter1__isnull=False, then=Value(0)), output_field=IntegerField()),
            ),
            acled_interaction=Case(
                When(acled_inter1__isnull=True, then=Value(None)),
                When(acled_code2__isnull=True, then=F("acled_inter1") * 10),
                When(acled_inter1__lte=F("acled_code2"), then=F("acled_inter1") * 10 + F("acled_code2")),
                default=F("acled_code2") * 10 + F("acled_inter1"),
                output_field=IntegerField(),
            ),
        )
    )


def _inter(alias: str):
    def apply(queryset, where):
        return _with_inter_codes(queryset).filter(where.comparison.q(alias))

    return apply


def _in_countries(queryset, countries: list[Country]):
    return queryset.filter(_any(events_inside(Location(pk=c.pk, path="/")) for c in countries))


def _country(queryset, where):
    return _in_countries(queryset, countries_named(where, gazetteer_countries(aliases=True)))


def _iso(queryset, where):
    return _in_countries(queryset, [c for c in gazetteer_countries() if where.comparison.test(c.iso)])


def _places_inside(places, level: int):
    """Places equal to or inside any of `places` (all at `level`), as one subquery: a place at level L has
    descendants at most 4 − L levels down, so as many parent hops cover them, without a tree walk."""
    hops = [Q(pk__in=places), *(Q(**{"parent__" * n + "in": places}) for n in range(1, 5 - level))]
    return Location.objects.filter(reduce(or_, hops))


def _admin(level: int):
    def apply(queryset, where):
        places = Location.objects.filter(_named(where.matches, LocationAlias, "location"), level=level)
        condition = Q(location__in=_places_inside(places, level))
        if _matches_empty(where):  # the row's column is empty: no area at that level encloses the event
            condition |= ~Q(location__in=_places_inside(Location.objects.filter(level=level), level))
        return queryset.filter(condition)

    return apply


def _location(queryset, where):
    return queryset.filter(
        location__in=Location.objects.filter(_named(where.matches, LocationAlias, "location"))
    )


def _source(queryset, where):
    claims = Claim.objects.filter(event=OuterRef("pk"))
    sources = Source.objects.filter(_any(m.q("name") for m in where.matches))
    condition = Q(Exists(claims.filter(report__source__in=sources)))
    if _matches_empty(where):
        condition |= ~Q(Exists(claims))
    return queryset.filter(condition)


def _source_scale(queryset, where):
    claims = Claim.objects.filter(event=OuterRef("pk"))
    codes = {label.casefold(): code for code, label in SCALE_LABELS.items()}
    conditions = []
    for match in where.matches:
        parts = [part.strip().casefold() for part in match.value.split("-")]
        if match.tokens is None and len(parts) > 1 and all(part in codes for part in parts):
            # ACLED's combined scales ("National-International"): a source of each scale.
            conditions.append(
                reduce(Q.__and__, (Q(Exists(claims.filter(report__source__scale=codes[p]))) for p in parts))
            )
            continue
        wanted = [code for code, label in SCALE_LABELS.items() if match.test(label)]
        condition = Q(Exists(claims.filter(report__source__scale__in=wanted)))
        if match.test(""):
            condition |= ~Q(Exists(claims))
        conditions.append(condition)
    return queryset.filter(_any(conditions))


def _tags(queryset, where):
    links = Event.tags.through.objects.filter(event_id=OuterRef("pk"))
    tags = Tag.objects.filter(_any(m.q("name") for m in where.matches))
    condition = Q(Exists(links.filter(tag__in=tags)))
    if _matches_empty(where):
        condition |= ~Q(Exists(links))
    return queryset.filter(condition)


def _timestamp(field: str):
    def apply(queryset, where):
        return queryset.filter(where.comparison.seconds_q(field))

    return apply


def _point(axis: str):
    return Coalesce(axis, *[f"{hop}{axis}" for hop in HOPS])


LIKE, EQ = "LIKE", "="
EVENT_COLUMNS: dict[str, Column] = {
    "event_id_cnty": Column(TEXT, LIKE, "ACLED's event id, or CE<id> for events that have none.",
                            _text("acled_event_id_cnty", EVENT_ID)),
    "event_date": Column(DATE, EQ, "Event date (the earliest day it may have happened), YYYY-MM-DD.",
                         _compare("date_start")),
    "year": Column(INTEGER, EQ, "Year of the event date.", _compare("date_start__year"), bounds=(1, 9999)),
    "time_precision": Column(INTEGER, EQ, "ACLED time precision: 1 day, 2 week, 3 month or coarser.",
                             _codes("date_precision", DatePrecision.values, date_precision_to_acled)),
    "disorder_type": Column(TEXT, LIKE, "Political violence, Demonstrations or Strategic developments (derived "
                            "from the sub-event type).", _disorder_type),
    "event_type": Column(TEXT, LIKE, "Event type name, e.g. Battles.", _text("event_type__name")),
    "sub_event_type": Column(TEXT, LIKE, "Sub-event type name, e.g. Armed clash.", _text("sub_event_type__name")),
    "actor1": Column(TEXT, LIKE, "An actor on side A, by name or alias.", _role(EventActor.Role.SIDE_A)),
    "assoc_actor_1": Column(TEXT, LIKE, "An actor associated with side A.", _role(EventActor.Role.ASSOCIATED_A)),
    "inter1": Column(INTEGER, EQ, "Inter code (1-8) of side A's first actor.", _inter("acled_inter1")),
    "actor2": Column(TEXT, LIKE, "An actor on side B, by name or alias.", _role(EventActor.Role.SIDE_B)),
    "assoc_actor_2": Column(TEXT, LIKE, "An actor associated with side B.", _role(EventActor.Role.ASSOCIATED_B)),
    "inter2": Column(INTEGER, EQ, "Inter code of side B's first actor (0: none).", _inter("acled_inter2")),
    "interaction": Column(INTEGER, EQ, "Interaction code: both inter codes, lower first (e.g. 12).",
                          _inter("acled_interaction")),
    "civilian_targeting": Column(TEXT, LIKE, "'Civilian targeting', or empty.", _civilian_targeting),
    "iso": Column(INTEGER, EQ, "ISO 3166-1 numeric code of the country (4 = Afghanistan).", _iso),
    "region": Column(TEXT, EQ, "", refused="ACLED's region is not kept by this system, so it cannot be filtered "
                     "on; filter by country or iso instead."),
    "country": Column(TEXT, EQ, "Country name (ACLED's, ISO's or the gazetteer's): events anywhere inside it.",
                      _country),
    "admin1": Column(TEXT, LIKE, "Province (admin1) by name or alias: events inside it.", _admin(1)),
    "admin2": Column(TEXT, LIKE, "District (admin2) by name or alias: events inside it.", _admin(2)),
    "admin3": Column(TEXT, LIKE, "Admin3 area by name or alias: events inside it.", _admin(3)),
    "location": Column(TEXT, LIKE, "The event's own place, by name or alias.", _location),
    "latitude": Column(NUMBER, EQ, "Latitude of the row's point (the event's, else its place's).",
                       _compare("acled_latitude", _point("latitude"))),
    "longitude": Column(NUMBER, EQ, "Longitude of the row's point.", _compare("acled_longitude", _point("longitude"))),
    "geo_precision": Column(INTEGER, EQ, "ACLED geo precision: 1 the place, 2 near it or its district, 3 wider.",
                            _codes("geo_precision", GeoPrecision.values, geo_precision_to_acled)),
    "source": Column(TEXT, LIKE, "One of the sources of the event's reports.", _source),
    "source_scale": Column(TEXT, LIKE, "Scale of one of its sources (Local, National, Regional, International, "
                           "New media, Other); National-International: both.", _source_scale),
    "notes": Column(TEXT, LIKE, "Notes (the summary where there are none); use %word% to search.",
                    _text("acled_notes", Coalesce(NullIf("notes", Value("")), "summary", output_field=TextField()))),
    "fatalities": Column(INTEGER, EQ, "Best fatality estimate; 0 matches none killed and unknown tolls.",
                         _compare("acled_fatalities", Coalesce("fatalities_best", Value(0)))),
    "tags": Column(TEXT, LIKE, "One of the event's tags.", _tags),
    "timestamp": Column(TIMESTAMP, ">=", "When the event last changed here (Unix seconds or a date).",
                        _timestamp("updated_at")),
}  # fmt: skip
if list(EVENT_COLUMNS) != ACLED_COLUMNS:  # every column of the row is a filter, in the row's order
    raise ImportError("EVENT_COLUMNS must name the columns of events.formats.acled.ACLED_COLUMNS, in order")


def filter_events(queryset, wheres: list[Where]):
    for where in wheres:
        queryset = EVENT_COLUMNS[where.name].apply(queryset, where)
    return queryset


def monadic_rows(record: dict, row: dict) -> list[dict]:
    """ACLED's monadic layout: a row per side, its actors in actor1/assoc_actor_1/inter1, no actor2 columns."""
    blank = {**row, "actor2": "", "assoc_actor_2": "", "inter2": None}
    rows = [blank] if row["actor1"] or not row["actor2"] else []
    if row["actor2"]:
        first_b = next((r for r in record["roles"] if r["role"] == EventActor.Role.SIDE_B), None)
        code = Actor.ACLED_INTER_CODES.get(first_b["kind"]) if first_b else None
        rows.append({**blank, "actor1": row["actor2"], "assoc_actor_1": row["assoc_actor_2"], "inter1": code})
    return rows


# --- the envelope, and the views over it ---------------------------------------------------------------


def error_body(message: str, code: int = status.HTTP_400_BAD_REQUEST) -> dict:
    return {"status": code, "success": False, "count": 0, "error": [{"status": code, "message": message}]}


def _message(detail) -> str:
    if isinstance(detail, dict):
        return " ".join(f"{k}: {_message(v)}" for k, v in detail.items())
    if isinstance(detail, list):
        return " ".join(_message(v) for v in detail)
    return str(detail)


class JSONAlways(BaseContentNegotiation):
    """The format is chosen by `_format`, ACLED's parameter; DRF's `format` and Accept play no part."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AcledKeyAuthentication(BaseAuthentication):
    """ACLED's `key` query parameter: when it is one of this server's API tokens, the request is that token's
    user's; any other key (an ACLED key, a typo) is ignored and the request read anonymously — reads are
    open, and ACLED clients always send one."""

    def authenticate(self, request):
        key = request.query_params.get("key", "")
        if not key or "\x00" in key:
            return None
        try:
            return authenticate_key(key)
        except AuthenticationFailed:
            return None


class AcledKeyScheme(OpenApiAuthenticationExtension):
    target_class = AcledKeyAuthentication
    name = "acledKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "query",
            "name": "key",
            "description": "An API token of this server as ACLED's `key` parameter; an unknown key is ignored.",
        }


class AcledReadView(APIView):
    """One ACLED endpoint: parse the conventions, select rows, answer in the envelope or as CSV.

    A subclass names its `columns` (output order), its filterable `filters`, and `chunks(wheres, paging,
    params)`: the rows of the page (one chunk), or with `limit=0` every row in chunks.
    """

    name = ""
    columns: list[str] = []
    filters: dict[str, Column] = {}
    extra_params: tuple[str, ...] = ()
    authentication_classes = [
        ApiTokenAuthentication,
        BearerTokenAuthentication,
        AcledKeyAuthentication,
        SessionAuthentication,
    ]
    permission_classes = [AllowAny]
    renderer_classes = [FastJSONRenderer]
    content_negotiation_class = JSONAlways
    versioning_class = None
    http_method_names = ["get", "head", "options"]

    def accepted_params(self) -> list[str]:
        filters = [n for n, c in self.filters.items() if not c.refused]
        return [
            *filters,
            *(f"{n}_where" for n in filters),
            "fields",
            "_format",
            *self.extra_params,
            "limit",
            "page",
            *CREDENTIALS,
        ]

    def get(self, request):
        params = request.query_params
        check_names(params, self.accepted_params(), {n: c for n, c in self.filters.items() if c.refused})
        wheres = parse_wheres(params, self.filters)
        fields = parse_fields(params, self.columns)
        fmt = parse_format(params)
        paging = parse_paging(params, fmt)
        chunks = self.chunks(wheres, paging, params)
        filename = f"{self.name}_{timezone.now().date().isoformat()}"
        if fmt == "csv":
            response = StreamingHttpResponse(
                csv_stream(chunks, fields, lambda row: {name: row[name] for name in fields}),
                content_type="text/csv; charset=utf-8",
            )
            response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
            return response
        data = [{name: row[name] for name in fields} for chunk in chunks for row in chunk]
        last_update = _unix(Event.all_objects.aggregate(newest=Max("updated_at"))["newest"])
        return Response({
            "status": status.HTTP_200_OK, "success": True, "last_update": last_update, "count": len(data),
            "messages": [], "data": data, "filename": filename,
        })  # fmt: skip

    def chunks(self, wheres: list[Where], paging: Paging, params) -> Iterator[list[dict]]:
        """The rows, in chunks (a page is one). Everything that can refuse the request happens before this
        returns, so that a CSV stream never breaks off with an error."""
        raise NotImplementedError

    def handle_exception(self, exc):
        if isinstance(exc, AcledError):
            return Response(error_body(str(exc)), status=status.HTTP_400_BAD_REQUEST)
        response = super().handle_exception(exc)
        if isinstance(exc, APIException):  # 401, 405, 429…: the same envelope, with the status it has
            response.data = error_body(_message(exc.detail), response.status_code)
        return response


def _sliced(queryset, paging: Paging):
    return queryset if paging.limit == 0 else queryset[paging.offset : paging.offset + paging.limit]


def _in_chunks(rows: Iterable[dict], size: int = 2000) -> Iterator[list[dict]]:
    rows = iter(rows)
    while chunk := list(islice(rows, size)):
        yield chunk


# --- the four endpoints --------------------------------------------------------------------------------


class AcledEventsView(AcledReadView):
    """Events in ACLED's columns, newest first; every column is a filter."""

    name = "acled"
    columns = ACLED_COLUMNS
    filters = EVENT_COLUMNS
    extra_params = ("export_type",)

    def chunks(self, wheres, paging, params):
        monadic = parse_export_type(params) == "monadic"
        events = filter_events(Event.objects.all(), wheres).order_by("-date_start", "-id")
        return self.rows(_sliced(events, paging), paging, monadic)

    @staticmethod
    def rows(events, paging: Paging, monadic: bool) -> Iterator[list[dict]]:
        for records in acled_records(events, paging.limit or None):
            if monadic:
                yield [r for record in records for r in monadic_rows(record, acled_row(record))]
            else:
                yield [acled_row(record) for record in records]


class DeletedEventsView(AcledReadView):
    """Events deleted here (tombstones), the latest deletion first: a copy kept in sync drops these."""

    name = "deleted"
    columns = ["event_id_cnty", "deleted_timestamp"]
    filters = {
        "event_id_cnty": Column(TEXT, LIKE, "The deleted event's ACLED id, or CE<id>.",
                                _text("acled_event_id_cnty", EVENT_ID)),
        "deleted_timestamp": Column(TIMESTAMP, ">=", "When it was deleted (Unix seconds or a date).",
                                    _timestamp("deleted_at")),
    }  # fmt: skip

    def chunks(self, wheres, paging, params):
        events = Event.all_objects.deleted()
        for where in wheres:
            events = self.filters[where.name].apply(events, where)
        rows = _sliced(events.order_by("-deleted_at", "-id"), paging).values_list(
            "id", "acled_event_id", "deleted_at"
        )
        return _in_chunks(
            {"event_id_cnty": acled_id or f"CE{pk}", "deleted_timestamp": _unix(deleted_at)}
            for pk, acled_id, deleted_at in rows.iterator(chunk_size=2000)
        )


def _actor_name(queryset, where):
    return queryset.filter(actor__in=Actor.objects.filter(_named(where.matches, ActorAlias, "actor")))


DATE_COLUMNS = {
    "first_event_date": Column(
        DATE, EQ, "Date of its first event, YYYY-MM-DD.", _compare("first_event_date")
    ),
    "last_event_date": Column(DATE, EQ, "Date of its last event, YYYY-MM-DD.", _compare("last_event_date")),
    "event_count": Column(INTEGER, ">=", "Number of its events.", _compare("event_count")),
}


class ActorsView(AcledReadView):
    """Every actor taking part in live events, in any role, by name: first and last event dates, count."""

    name = "actor"
    columns = ["actor_name", "first_event_date", "last_event_date", "event_count"]
    filters = {
        "actor_name": Column(TEXT, LIKE, "The actor's name (or an alias).", _actor_name),
        **DATE_COLUMNS,
    }

    def chunks(self, wheres, paging, params):
        """One aggregate query: each actor's live events (in any role), grouped; filters on the figures are
        HAVING clauses."""
        roles = EventActor.objects.filter(event__deleted_at__isnull=True)
        for where in wheres:
            if where.name == "actor_name":
                roles = _actor_name(roles, where)
        actors = roles.values("actor_id", "actor__name").annotate(
            first_event_date=Min("event__date_start"),
            last_event_date=Max("event__date_start"),
            event_count=Count("id"),
        )
        for where in wheres:
            if where.name != "actor_name":
                actors = self.filters[where.name].apply(actors, where)
        actors = _sliced(actors.order_by("actor__name", "actor_id"), paging)
        return _in_chunks(
            {
                "actor_name": a["actor__name"],
                "first_event_date": a["first_event_date"].isoformat(),
                "last_event_date": a["last_event_date"].isoformat(),
                "event_count": a["event_count"],
            }
            for a in actors.iterator(chunk_size=2000)
        )


class CountriesView(AcledReadView):
    """Every country with live events, by ACLED's name: ISO codes, first and last event dates, count."""

    name = "country"
    columns = ["country", "iso", "iso3", "first_event_date", "last_event_date", "event_count"]
    filters = {
        "country": Column(TEXT, LIKE, "Country name (ACLED's, ISO's or the gazetteer's)."),
        "iso": Column(INTEGER, EQ, "ISO 3166-1 numeric code."),
        "iso3": Column(TEXT, EQ, "ISO 3166-1 alpha-3 code."),
        **DATE_COLUMNS,
    }

    def chunks(self, wheres, paging, params):
        """Events grouped by place in SQL, rolled up to their country through the gazetteer paths here."""
        figures: dict[int, list] = {}
        for row in (
            Event.objects.order_by()
            .values("location_id", "location__path")
            .annotate(first=Min("date_start"), last=Max("date_start"), count=Count("id"))
        ):
            path = row["location__path"].strip("/")
            pk = int(path.split("/")[0]) if path else row["location_id"]
            first, last, count = figures.get(pk, (row["first"], row["last"], 0))
            figures[pk] = [min(first, row["first"]), max(last, row["last"]), count + row["count"]]
        countries = gazetteer_countries(aliases=any(w.name == "country" for w in wheres))
        wanted = [c for c in countries if c.pk in figures]
        rows = []
        for country in wanted:
            first, last, count = figures[country.pk]
            rows.append({
                "pk": country.pk, "country": country.acled_name, "iso": country.iso, "iso3": country.iso3,
                "first_event_date": first, "last_event_date": last, "event_count": count,
            })  # fmt: skip
        for where in wheres:
            if where.name == "country":
                named = {c.pk for c in countries_named(where, countries)}
                rows = [r for r in rows if r["pk"] in named]
            elif where.kind == TEXT:
                rows = [r for r in rows if any(m.test(r[where.name] or "") for m in where.matches)]
            else:
                rows = [r for r in rows if where.comparison.test(r[where.name])]
        rows.sort(key=lambda r: (normalise_name(r["country"]), r["pk"]))
        if paging.limit:
            rows = rows[paging.offset : paging.offset + paging.limit]
        for row in rows:
            row["first_event_date"] = row["first_event_date"].isoformat()
            row["last_event_date"] = row["last_event_date"].isoformat()
        return _in_chunks(rows)


# --- the schema: each endpoint's parameters, rows and envelopes -------------------------------------------

ROW_HELP = {
    "region": "Not kept by this system: always empty.",
    "deleted_timestamp": "When the event was deleted here, Unix seconds.",
    "actor_name": "The actor's name.",
    "event_count": "Number of its live events.",
    "first_event_date": "Date of its first event, YYYY-MM-DD.",
    "last_event_date": "Date of its last event, YYYY-MM-DD.",
    "iso3": "ISO 3166-1 alpha-3 code (XKX for Kosovo).",
}
INTEGER_COLUMNS = {"year", "time_precision", "inter1", "inter2", "interaction", "iso", "geo_precision",
                   "fatalities", "timestamp", "deleted_timestamp", "event_count"}  # fmt: skip
NULLABLE_COLUMNS = {"inter1", "inter2", "interaction", "iso", "latitude", "longitude", "iso3"}


def _row_serializer(
    name: str, columns: list[str], filters: dict[str, Column]
) -> type[serializers.Serializer]:
    def field(column):
        kwargs = {
            "required": False,  # `fields` may leave it out
            "allow_null": column in NULLABLE_COLUMNS,
            "help_text": ROW_HELP.get(column) or filters[column].help,
        }
        if column in INTEGER_COLUMNS:
            return serializers.IntegerField(**kwargs)
        if column in ("latitude", "longitude"):
            return serializers.FloatField(**kwargs)
        return serializers.CharField(**kwargs)

    return type(name, (serializers.Serializer,), {column: field(column) for column in columns})


def _envelope(name: str, rows) -> type[serializers.Serializer]:
    return type(name, (serializers.Serializer,), {
        "status": serializers.IntegerField(help_text="200."),
        "success": serializers.BooleanField(help_text="true."),
        "last_update": serializers.IntegerField(
            help_text="Unix time (seconds) of the newest change to any event here; 0 when there are none."
        ),
        "count": serializers.IntegerField(help_text="Number of rows in data."),
        "messages": serializers.ListField(child=serializers.CharField(), help_text="Notices (none)."),
        "data": rows(many=True, help_text="This page's rows, columns in ACLED's order (or as `fields` asks)."),
        "filename": serializers.CharField(help_text="A name to save the data under: <endpoint>_<date>."),
    })  # fmt: skip


class AcledErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status.")
    message = serializers.CharField(help_text="What is wrong: the parameter, the reason and what is allowed.")


class AcledErrorEnvelopeSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status (400 for a request this API refuses).")
    success = serializers.BooleanField(help_text="false.")
    count = serializers.IntegerField(help_text="0.")
    error = AcledErrorSerializer(many=True, help_text="One entry per problem.")


def _parameters(view: type[AcledReadView]) -> list[OpenApiParameter]:
    parameters = []
    for name, column in view.filters.items():
        if column.refused:
            continue
        parameters += [
            OpenApiParameter(
                name,
                OpenApiTypes.STR,
                description=f"{column.help} Value: {KIND_HELP[column.kind]}; a|b for any of"
                + ("." if column.kind == TEXT else ", low|high with BETWEEN."),
            ),
            OpenApiParameter(
                f"{name}_where",
                OpenApiTypes.STR,
                description=f"Operator for {name}: {', '.join(OPERATORS[column.kind])} (default {column.default}).",
            ),
        ]
    parameters += [
        OpenApiParameter("fields", OpenApiTypes.STR, description="Columns to return, in this order: a|b|c."),
        OpenApiParameter("_format", OpenApiTypes.STR, description="json (default, the envelope) or csv."),
        OpenApiParameter(
            "limit",
            OpenApiTypes.INT,
            description=f"Rows a page, 1 to {MAX_LIMIT} (default {MAX_LIMIT}); 0: every row (_format=csv only).",
        ),
        OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1."),
        OpenApiParameter(
            "key",
            OpenApiTypes.STR,
            description="ACLED's credential: an API token of this server, else ignored.",
        ),
        OpenApiParameter("email", OpenApiTypes.STR, description="ACLED's credential: accepted and ignored."),
        OpenApiParameter(
            "terms", OpenApiTypes.STR, description="ACLED's old terms=accept: accepted and ignored."
        ),
    ]
    if "export_type" in view.extra_params:
        parameters.append(
            OpenApiParameter(
                "export_type",
                OpenApiTypes.STR,
                description="dyadic (default: a row per event) or monadic (a row per side, in the actor1 columns).",
            )
        )
    return parameters


def _document(view, operation_id: str, summary: str, rows: type[serializers.Serializer]):
    envelope = _envelope(f"{rows.__name__.removesuffix('RowSerializer')}EnvelopeSerializer", rows)
    return extend_schema_view(
        get=extend_schema(
            operation_id=operation_id,
            summary=summary,
            tags=["acled"],
            description=f"{summary}. {view.__doc__ or ''} ACLED's conventions: see `<column>_where`, `fields`, "
            "`_format`, `limit`, `page`. `_format=csv` answers with CSV in the same columns instead.",
            parameters=_parameters(view),
            responses={200: envelope, 400: AcledErrorEnvelopeSerializer},
        )
    )(view)


_document(
    AcledEventsView,
    "acled_read",
    "ACLED-compatible event list",
    _row_serializer("AcledEventRowSerializer", ACLED_COLUMNS, EVENT_COLUMNS),
)
_document(
    DeletedEventsView,
    "deleted_read",
    "ACLED-compatible list of deleted events",
    _row_serializer("AcledDeletedRowSerializer", DeletedEventsView.columns, DeletedEventsView.filters),
)
_document(
    ActorsView,
    "actor_read",
    "ACLED-compatible list of actors with their first and last event dates",
    _row_serializer("AcledActorRowSerializer", ActorsView.columns, ActorsView.filters),
)
_document(
    CountriesView,
    "country_read",
    "ACLED-compatible list of countries with their first and last event dates",
    _row_serializer("AcledCountryRowSerializer", CountriesView.columns, CountriesView.filters),
)
