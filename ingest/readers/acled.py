"""ACLED's CSV export (and the records of its API) read into `EventRow`s.

`read_acled(source) -> Reading` reads a file (see `ingest.readers.files` for what refuses a whole file);
`acled_row(record, line) -> EventRow | Refusal` converts one record, a dict from the file or from ACLED's
JSON API (values may be strings, numbers or None). To convert many records, make one `AcledConverter()`
(it loads the event-type vocabulary once) and call it per record.

Columns (current names; old ones are read under them): event_id_cnty, event_date, year, time_precision,
disorder_type, event_type, sub_event_type, actor1, assoc_actor_1 (ally_actor_1), inter1, actor2,
assoc_actor_2 (ally_actor_2), inter2, interaction, civilian_targeting, iso, region, country, admin1, admin2,
admin3, location, latitude, longitude, geo_precision (geo_precis), source, source_scale, notes, fatalities,
tags, timestamp. Retired columns (data_id, event_id_no_cnty, gwno) are known and skipped.

Required columns, checked before any row: event_id_cnty, event_date, event_type, actor1, time_precision,
geo_precision, one of country / iso / iso3, and sub_event_type — except in the pre-2019 layout (a header
with data_id, event_id_no_cnty, gwno or ally_actor_1/2), whose event types named the sub-type themselves.

Row rules (a row that breaks one is refused with its line, the column and the reason):

- event_id_cnty: non-blank; event_date: see `ingest.readers.dates`; year, when given, is the date's year.
- time_precision 1–3 and geo_precision 1–3, mapped by `events.precision`.
- event_type / sub_event_type: the sub-type is found by name in the vocabulary (any case; "protestors" or
  "protesters"), and the event type must be its parent. Retired pre-2019 types that name one sub-type map
  to it (`RETIRED_TYPES`); the others (`Riots/Protests`, `Remote violence`, `Strategic development`,
  `Non-violent activity by a conflict actor`, and `Violence against civilians` without a sub-type) are
  refused: the current sub-type cannot be known.
- actor1 (non-blank) is side A, actor2 side B; assoc_actor_1/2 ("; "-separated) are associated with their
  side; their kind comes from their side's inter1/inter2, a number 1–8 or its name in any of ACLED's
  spellings (`INTER_NAMES`). An actor named twice keeps its first role.
- civilian_targeting: "Civilian targeting" (or "Civilians targeted") is True, blank is False.
- fatalities: ACLED writes 0 both for "none" and for "no information", so 0 is read as at least none,
  exact figure unknown (fatalities_low=0, best and high unknown); n > 0 is the best estimate (low and high
  unknown); blank is unknown. Negative or fractional counts are refused ("3.0" is read as 3).
- latitude/longitude: both or neither, in range. country must agree with iso (numeric) / iso3.
- places: (admin1, admin2, admin3, location), blank levels kept as "" so the levels stay aligned.
- source: "; "-separated outlets, one asserting claim each; source_scale's first part (National in
  "National-International") is every one's scale. tags: "; "-separated.
- summary: the notes cut at a word boundary to 500 characters ("…" when cut), on one line; without notes,
  "{sub-event type} in {location, else the deepest admin area, else the country}".
- disorder_type: one or more of its three values ("; "-separated); timestamp: a Unix time or a date.
  region and interaction are read and not stored.
"""

from collections.abc import Mapping

from actors.models import Actor
from events.formats.acled import ACLED_COLUMNS
from events.models import SubEventType
from events.precision import date_precision_from_acled, geo_precision_from_acled
from events.services.bulk import ActorRef, ClaimRow, CountryRef, EventRow
from locations.countries import country_ref
from sources.models import SourceScale

from . import Reading, Refusal
from .dates import parse_date
from .files import Layout, Memo, RowRefused, as_text, coordinates, open_table, split_list, whole_number

COLUMNS = frozenset(ACLED_COLUMNS)
RETIRED_COLUMNS = frozenset({"data_id", "event_id_no_cnty", "gwno", "iso3"})
PRE_2019_MARKERS = frozenset(
    {"data_id", "event_id_no_cnty", "gwno", "ally_actor_1", "ally_actor_2", "geo_precis"}
)
ALIASES = {"ally_actor_1": "assoc_actor_1", "ally_actor_2": "assoc_actor_2", "geo_precis": "geo_precision"}
LAYOUT = Layout("ACLED", COLUMNS, RETIRED_COLUMNS, ALIASES)
REQUIRED = (
    "event_id_cnty",
    "event_date",
    "event_type",
    "sub_event_type",
    "actor1",
    "time_precision",
    "geo_precision",
    ("country", "iso", "iso3"),
)

# Pre-2019 event types that named the sub-type themselves; the others cannot be mapped.
RETIRED_TYPES = {
    "battle-no change of territory": "armed-clash",
    "battle-government regains territory": "government-regains-territory",
    "battle-non-state actor overtakes territory": "non-state-actor-overtakes-territory",
    "headquarters or base established": "headquarters-or-base-established",
    "non-violent transfer of territory": "non-violent-transfer-of-territory",
}
RETIRED_UNMAPPED = frozenset(
    {
        "violence against civilians",
        "remote violence",
        "riots/protests",
        "strategic development",
        "non-violent activity by a conflict actor",
    }
)

Kind = Actor.Kind
INTER_NAMES = {
    Kind.STATE_FORCES: ("state forces", "state force", "government or mutinous force"),
    Kind.REBEL_GROUP: ("rebel group", "rebel groups", "rebel force", "rebel forces"),
    Kind.POLITICAL_MILITIA: ("political militia", "political militias", "militia groups", "militia group"),
    Kind.IDENTITY_MILITIA: (
        "identity militia",
        "identity militias",
        "ethnic/communal militia",
        "communal/identity groups",
        "communal/identity group",
    ),
    Kind.RIOTERS: ("rioters", "rioter"),
    Kind.PROTESTERS: ("protesters", "protestors", "protester", "protestor"),
    Kind.CIVILIANS: ("civilians", "civilian"),
    Kind.EXTERNAL_OTHER: (
        "external/other forces",
        "external/other force",
        "outside/external force",
        "foreign/others",
        "foreign/other",
    ),
}
INTER_KINDS: dict[str, str] = {str(code): kind.value for kind, code in Actor.ACLED_INTER_CODES.items()}
INTER_KINDS.update({name: kind.value for kind, names in INTER_NAMES.items() for name in names})

SCALES = {
    "local": SourceScale.LOCAL,
    "subnational": SourceScale.LOCAL,
    "local partner": SourceScale.LOCAL,
    "national": SourceScale.NATIONAL,
    "regional": SourceScale.REGIONAL,
    "international": SourceScale.INTERNATIONAL,
    "new media": SourceScale.NEW_MEDIA,
}
CIVILIAN_TARGETING = {"civilian targeting": True, "civilians targeted": True, "": False}
DISORDER_TYPES = frozenset({"political violence", "demonstrations", "strategic developments"})
SUMMARY_MAX = 500


def _name_key(name: str) -> str:
    return " ".join(name.casefold().replace("protestors", "protesters").split())


def _inter_key(text: str) -> str:
    key = " ".join(text.casefold().split()).replace(" / ", "/").replace("/ ", "/").replace(" /", "/")
    return key[:-2] if key.endswith(".0") and key[:-2].isdigit() else key


def summary_from(notes: str) -> str:
    """The notes on one line, cut at a word boundary to SUMMARY_MAX characters with "…" when cut."""
    if len(notes) <= SUMMARY_MAX and not ("  " in notes or "\n" in notes or "\r" in notes or "\t" in notes):
        return notes.strip()
    text = " ".join(notes.split())
    if len(text) <= SUMMARY_MAX:
        return text
    cut = text[: SUMMARY_MAX - 1]
    space = cut.rfind(" ")
    if space > SUMMARY_MAX // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


class Vocabulary:
    """The sub-event types by name, with their parent event type's name (one query)."""

    def __init__(self, sub_types: Mapping[str, tuple[str, str, str, str]]):
        # name key → (slug, name, parent key, parent name)
        self.sub_types = dict(sub_types)
        self.names = {slug: name for slug, name, _, _ in self.sub_types.values()}

    @classmethod
    def load(cls) -> "Vocabulary":
        return cls(
            {
                _name_key(t.name): (t.slug, t.name, _name_key(t.event_type.name), t.event_type.name)
                for t in SubEventType.objects.select_related("event_type")
            }
        )


# The columns a row is read from, in the order `AcledConverter.convert` takes their values.
FIELDS = (
    "event_id_cnty", "event_date", "year", "time_precision", "event_type", "sub_event_type", "actor1",
    "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "civilian_targeting", "iso", "iso3",
    "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision", "source",
    "source_scale", "notes", "fatalities", "tags", "disorder_type", "timestamp",
)  # fmt: skip


class AcledConverter:
    """Converts ACLED records to EventRows, remembering what repeats (dates, types, countries, actors).

    Call it with a record (a dict, as from the API); `convert` takes the values of `FIELDS` in order, as
    the file reader extracts them. Either returns an EventRow or refuses (`Refusal` / `RowRefused`).
    """

    def __init__(self, vocabulary: Vocabulary | None = None):
        self.vocabulary = vocabulary or Vocabulary.load()
        self.dates = Memo(_parse_event_date)
        self.sub_types = Memo(lambda key: self._find_sub_type(*key))
        self.countries = Memo(_find_country)
        self.time_precisions = Memo(lambda text: _precision("time_precision", text))
        self.geo_precisions = Memo(lambda text: _precision("geo_precision", text))
        self.fatalities = Memo(_fatalities)
        self.targeting = Memo(_civilian_targeting)
        self.actors = Memo(self._find_actors)
        self.sides = Memo(self._find_side)
        self.lists = Memo(split_list)
        self.scales = Memo(_scale)
        self.disorder = Memo(_check_disorder)
        self.refs: dict[tuple[str, str], ActorRef] = {}

    def __call__(self, record: Mapping, line: int) -> EventRow | Refusal:
        record = {
            ALIASES.get(k, k): as_text(v) for k, v in ((str(k).strip().lower(), v) for k, v in record.items())
        }
        try:
            return self.convert(tuple(record.get(name, "") for name in FIELDS), line)
        except RowRefused as refusal:
            return Refusal(line, refusal.column, refusal.reason, record)

    def convert(self, values: tuple, line: int) -> EventRow:
        """The EventRow for the values of FIELDS, or RowRefused naming the column and the reason."""
        (
            event_id, event_date, year, time_precision, event_type, sub_event_type, actor1, assoc1, inter1,
            actor2, assoc2, inter2, targeting, iso, iso3, country, admin1, admin2, admin3, location,
            latitude, longitude, geo_precision, source, source_scale, notes, fatalities, tags, disorder,
            timestamp,
        ) = values  # fmt: skip
        event_id = event_id.strip()
        if not event_id:
            raise RowRefused("event_id_cnty", "blank: every ACLED event needs its event_id_cnty")
        day = self.dates[event_date]
        if year and year != _YEARS.get(day.year) and whole_number(year.strip()) != day.year:
            raise RowRefused("year", f"year {year.strip()} does not match event_date {day.isoformat()}")
        date_precision = self.time_precisions[time_precision]
        geo = self.geo_precisions[geo_precision]
        slug = self.sub_types[(event_type, sub_event_type)]
        civilians = self.targeting[targeting]
        low, best = self.fatalities[fatalities]
        place = self.countries[(country, iso, iso3)]
        if latitude or longitude:
            try:  # the common case, checked in full by coordinates() when it fails
                latitude, longitude = float(latitude), float(longitude)
                if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
                    raise ValueError
            except ValueError:
                latitude, longitude = coordinates(values[20], values[21])
        else:
            latitude = longitude = None
        actors = self.actors[(actor1, assoc1, inter1, actor2, assoc2, inter2)]
        if disorder:
            self.disorder[disorder]  # raises RowRefused unless it is ACLED's
        if timestamp and not timestamp.isdigit():
            _check_timestamp(timestamp)
        admin1, admin2, admin3, location = admin1.strip(), admin2.strip(), admin3.strip(), location.strip()
        notes = notes.strip()
        if notes:
            summary = summary_from(notes)
        else:
            where = location or admin3 or admin2 or admin1 or place.name
            summary = f"{self.vocabulary.names.get(slug, slug)} in {where}"
        claims = []
        if source:
            scale = self.scales[source_scale]
            for outlet in self.lists[source]:
                claims.append(
                    _claim(
                        outlet,
                        f"acled:{event_id}:{outlet}",
                        f"{outlet}, as cited by ACLED for event {event_id}",
                        scale,
                    )
                )
        return EventRow(
            line=line,
            fields={
                "acled_event_id": event_id,
                "date_start": day,
                "date_end": day,
                "date_precision": date_precision,
                "geo_precision": geo,
                "fatalities_low": low,
                "fatalities_best": best,
                "fatalities_high": None,
                "civilian_targeting": civilians,
                "summary": summary,
                "notes": notes,
            },
            sub_event_type=slug,
            country=place,
            places=(admin1, admin2, admin3, location),
            latitude=latitude,
            longitude=longitude,
            actors=list(actors),
            tags=list(self.lists[tags]) if tags else [],
            claims=claims,
        )

    def _find_sub_type(self, event_type: str, sub_event_type: str) -> str:
        event_type, sub_event_type = event_type.strip(), sub_event_type.strip()
        type_key = _name_key(event_type)
        if not type_key:
            raise RowRefused("event_type", "blank")
        retired = RETIRED_TYPES.get(type_key)
        if not sub_event_type:
            if retired:
                return retired
            if type_key in RETIRED_UNMAPPED:
                raise RowRefused(
                    "event_type",
                    f"retired ACLED event type {event_type!r} has no single current sub-event type; "
                    "re-export with the current taxonomy",
                )
            parents = {parent for _, _, parent, _ in self.vocabulary.sub_types.values()}
            if type_key in parents:
                raise RowRefused("sub_event_type", f"blank; event type {event_type!r} needs a sub-event type")
            raise RowRefused("event_type", f"unknown ACLED event type {event_type!r}")
        found = self.vocabulary.sub_types.get(_name_key(sub_event_type))
        if found is None:
            raise RowRefused("sub_event_type", f"unknown sub-event type {sub_event_type!r}")
        slug, name, parent_key, parent = found
        if retired:
            if retired != slug:
                raise RowRefused(
                    "sub_event_type",
                    f"{sub_event_type!r} does not match the retired event type {event_type!r}, "
                    f"which means {self.vocabulary.names.get(retired, retired)!r}",
                )
        elif parent_key != type_key:
            raise RowRefused(
                "event_type",
                f"sub-event type {name!r} belongs to event type {parent!r}, not {event_type!r}",
            )
        return slug

    def _ref(self, name: str, kind: str) -> ActorRef:
        ref = self.refs.get((name, kind))
        if ref is None:
            ref = ActorRef(name, kind)
            if len(self.refs) < Memo.LIMIT:
                self.refs[(name, kind)] = ref
        return ref

    def _find_side(self, key: tuple[str, str, str, str]) -> tuple:
        """One side's actors as ((ActorRef, role), …), with their casefolded names."""
        side, actor, assoc, inter = key
        actor = actor.strip()
        names = self.lists[assoc] if assoc else []
        if not actor and not names:
            return ()
        column = "inter1" if side == "a" else "inter2"
        kind = INTER_KINDS.get(_inter_key(inter))
        if kind is None:
            value = inter.strip()
            raise RowRefused(
                column,
                (f"{value!r} is not an ACLED actor type (1–8 or its name)" if value else "blank")
                + f"; the actor type of {'actor1' if side == 'a' else 'actor2'} is needed",
            )
        pairs = [(self._ref(actor, kind), f"side_{side}")] if actor else []
        pairs += [(self._ref(name, kind), f"associated_{side}") for name in names]
        return tuple(pairs)

    def _find_actors(self, key: tuple) -> tuple:
        actor1, assoc1, inter1, actor2, assoc2, inter2 = key
        if not actor1.strip():
            raise RowRefused("actor1", "blank: every ACLED event has an actor1")
        pairs = [
            *self.sides[("a", actor1, assoc1, inter1)],
            *self.sides[("b", actor2, assoc2, inter2)],
        ]
        seen, actors = set(), []
        for ref, role in pairs:  # an actor named twice keeps its first role
            if ref.name.casefold() not in seen:
                seen.add(ref.name.casefold())
                actors.append((ref, role))
        return tuple(actors)


_YEARS = {year: str(year) for year in range(1900, 2100)}


def _parse_event_date(text: str):
    try:
        return parse_date(text)
    except ValueError as exc:
        raise RowRefused("event_date", str(exc)) from None


def _precision(column: str, text: str) -> int:
    convert = date_precision_from_acled if column == "time_precision" else geo_precision_from_acled
    value = text.strip()
    try:
        return int(convert(value[:-2] if value.endswith(".0") else value))
    except ValueError:
        raise RowRefused(column, f"{value!r} is not an ACLED {column} (1, 2 or 3)") from None


def _fatalities(text: str) -> tuple[int | None, int | None]:
    """(fatalities_low, fatalities_best): 0 is "at least none", n > 0 the best estimate, blank unknown."""
    value = text.strip()
    if not value:
        return None, None
    number = whole_number(value)
    if number is None:
        raise RowRefused("fatalities", f"{value!r} is not a whole number of people killed")
    return (0, None) if number == 0 else (None, number)


def _civilian_targeting(text: str) -> bool:
    found = CIVILIAN_TARGETING.get(" ".join(text.lower().split()))
    if found is None:
        raise RowRefused("civilian_targeting", f"{text.strip()!r} is neither 'Civilian targeting' nor blank")
    return found


def _find_country(key: tuple[str, str, str]) -> CountryRef:
    name, iso, iso3 = key
    try:
        return country_ref(name=name, iso_numeric=iso, iso3=iso3)
    except ValueError as exc:
        raise RowRefused(
            "country" if name.strip() else ("iso" if iso.strip() else "iso3"), str(exc)
        ) from None


def _check_disorder(text: str) -> bool:
    """disorder_type is read only to catch a shifted or garbled row: one or more of ACLED's values."""
    for part in text.split(";"):
        part = part.strip()
        if part and part.lower() not in DISORDER_TYPES:
            raise RowRefused("disorder_type", f"{part!r} is not an ACLED disorder type")
    return True


def _check_timestamp(text: str) -> None:
    """timestamp (a Unix time, or a date in re-saved files) is read only to catch a garbled row."""
    stamp = text.strip()
    if stamp and not (stamp.isdigit() and stamp.isascii()):
        try:
            parse_date(stamp)
        except ValueError:
            raise RowRefused("timestamp", f"{stamp!r} is neither a Unix time nor a date") from None


# A ClaimRow made without its dataclass __init__ (which sets eleven frozen fields one by one): a fifth of
# the time per claim, the largest single cost of a row. Only while ClaimRow stays a plain frozen dataclass
# (no __post_init__, no slots); tests check the result equals ClaimRow(...).
_CLAIM_DEFAULTS = dict(vars(ClaimRow(source="", report_key="", report_title="")))
_CLAIM_FAST = not hasattr(ClaimRow, "__post_init__") and not hasattr(ClaimRow, "__slots__")
_new = object.__new__


def _claim(source: str, report_key: str, report_title: str, source_scale: str) -> ClaimRow:
    """ClaimRow(source=…, report_key=…, report_title=…, source_scale=…, published_on=None), quickly."""
    if not _CLAIM_FAST:
        return ClaimRow(
            source=source, report_key=report_key, report_title=report_title, source_scale=source_scale
        )
    claim = _new(ClaimRow)
    values = claim.__dict__
    values.update(_CLAIM_DEFAULTS)
    values["source"], values["report_key"], values["report_title"] = source, report_key, report_title
    values["source_scale"] = source_scale
    return claim


def _scale(text: str) -> str:
    return SCALES.get(" ".join(text.split("-", 1)[0].lower().split()), SourceScale.OTHER)


def acled_row(record: Mapping, line: int, *, converter: AcledConverter | None = None) -> EventRow | Refusal:
    """One ACLED record (from a file or the API) as an EventRow, or a Refusal naming the column and reason.

    Without a `converter`, the vocabulary is loaded for this one call: pass `AcledConverter()` for many.
    """
    return (converter or AcledConverter())(record, line)


def read_acled(source) -> Reading:
    """Read an ACLED CSV (a path, `-` or a binary stream): FileRefused now, or the rows as they stream."""
    table = open_table(source, LAYOUT)
    pre_2019 = any(name.lower() in PRE_2019_MARKERS for name in table.written)
    table.require([need for need in REQUIRED if not (pre_2019 and need == "sub_event_type")])
    try:
        convert = AcledConverter().convert
    except BaseException:
        table.close()
        raise
    rows = table.converted(FIELDS, convert)
    return Reading(
        format="acled",
        columns=table.columns,
        ignored_columns=table.ignored_columns,
        rows=rows,
    )
