"""UCDP's Georeferenced Event Dataset (GED) CSV read into `EventRow`s.

`read_ucdp(source) -> Reading` reads a file (see `ingest.readers.files` for what refuses a whole file);
`ucdp_row(record, line) -> EventRow | Refusal` converts one record (values may be strings, numbers or None).

Required columns, checked before any row: id, type_of_violence, side_a, date_start, date_end, date_prec,
where_prec, country, best (low and high are read when present). Every other GED column is known and
skipped (`country_id` is a Gleditsch–Ward number, not an ISO code, and is not used).

Row rules (a row that breaks one is refused with its line, the column and the reason):

- id: a whole number, stored as `ucdp_ged_id`. date_start ≤ date_end (UCDP writes
  `2017-01-01 00:00:00.000`; see `ingest.readers.dates`); date_prec 1–5, and date_prec 1 (one day) needs
  equal dates; where_prec 1–7. Both map by `events.precision`.
- best, low, high: whole numbers ≥ 0 with low ≤ best ≤ high (some GED rows break this: refused).
- type_of_violence: 1 / 2 / 3 or State-based / Non-state / One-sided (any case, hyphen or not). 1 and 2
  are an armed clash (Battles), 3 an attack (Violence against civilians) and civilian targeting.
- actors: side_a is side A, side_b side B (none when blank). Kinds: state-based — side A state forces,
  side B state forces when named "Government of …", else a rebel group; non-state — both rebel groups
  (UCDP does not say which kind of non-state group); one-sided — side A state forces when named
  "Government of …", else a rebel group, side B civilians.
- places: (adm_1 without a trailing " province", adm_2 without a trailing " district", "", and the
  where_coordinates name when where_prec is 1 or 2); country by name (`locations.countries`); latitude and
  longitude both or neither, in range.
- sources: one asserting claim per source_office (";"-separated). Its report is titled with the matching
  headline (source_headline split the same way, when the counts agree; else the first headline; else
  "{office}, as cited by UCDP GED for event {id}") and dated with the matching, else the first
  parseable, source_date. No source_office, no claims (source_original is not an outlet).
- summary: "{dyad_name, else side_a – side_b}: {best} killed, {where_coordinates, else country}";
  notes: where_description.
"""

from collections.abc import Mapping
from datetime import date

from events.formats.ucdp import UCDP_COLUMNS
from events.precision import date_precision_from_ucdp, geo_precision_from_ucdp
from events.services.bulk import ActorRef, ClaimRow, CountryRef, EventRow
from locations.countries import country_ref
from sources.models import SourceScale

from . import Reading, Refusal
from .dates import parse_date
from .files import Layout, Memo, RowRefused, as_text, coordinates, open_table, split_list, whole_number

COLUMNS = frozenset(UCDP_COLUMNS)
ALIASES = {"best_est": "best", "low_est": "low", "high_est": "high"}
LAYOUT = Layout("UCDP GED", COLUMNS, frozenset(), ALIASES)
REQUIRED = (
    "id",
    "type_of_violence",
    "side_a",
    "date_start",
    "date_end",
    "date_prec",
    "where_prec",
    "country",
    "best",
)

STATE_BASED, NON_STATE, ONE_SIDED = 1, 2, 3
VIOLENCE = {
    "1": STATE_BASED,
    "2": NON_STATE,
    "3": ONE_SIDED,
    "statebased": STATE_BASED,
    "state": STATE_BASED,
    "statebasedconflict": STATE_BASED,
    "statebasedviolence": STATE_BASED,
    "nonstate": NON_STATE,
    "nonstateconflict": NON_STATE,
    "nonstateviolence": NON_STATE,
    "onesided": ONE_SIDED,
    "onesidedviolence": ONE_SIDED,
}
SUB_EVENT_TYPES = {STATE_BASED: "armed-clash", NON_STATE: "armed-clash", ONE_SIDED: "attack"}
STATE, REBEL, CIVILIANS = "state_forces", "rebel_group", "civilians"
TITLE_MAX = 500


def _violence(text: str) -> int:
    key = "".join(text.casefold().replace("-", " ").replace("_", " ").split())
    found = VIOLENCE.get(key[:-2] if key.endswith(".0") else key)
    if found is None:
        raise RowRefused(
            "type_of_violence", f"{text.strip()!r} is not a UCDP type of violence (1, 2, 3 or its name)"
        )
    return found


def _strip_suffix(name: str, suffix: str) -> str:
    name = name.strip()
    if len(name) > len(suffix) and name.lower().endswith(suffix):
        return name[: -len(suffix)].rstrip()
    return name


def _government(name: str) -> bool:
    return name.lower().startswith("government of")


class UcdpConverter:
    """Converts UCDP GED records to EventRows, remembering what repeats (dates, countries, actors)."""

    def __init__(self, *, text_only: bool = False):
        self.text_only = text_only
        self.dates = Memo(_date_or_reason)
        self.countries = Memo(_find_country)
        self._actors: dict[tuple[str, str], ActorRef] = {}

    def __call__(self, record: Mapping, line: int) -> EventRow | Refusal:
        if not self.text_only:
            record = {str(k).strip().lower(): as_text(v) for k, v in record.items()}
            record = {ALIASES.get(k, k): v for k, v in record.items()}
        try:
            return self._convert(record, line)
        except RowRefused as refusal:
            return Refusal(line, refusal.column, refusal.reason, dict(record))

    def _convert(self, record: dict, line: int) -> EventRow:
        get = record.get
        raw_id = get("id", "").strip()
        ged_id = whole_number(raw_id)
        if ged_id is None:
            raise RowRefused("id", f"{raw_id!r} is not a UCDP GED id (a whole number)" if raw_id else "blank")
        start, end = (
            self._day("date_start", get("date_start", "")),
            self._day("date_end", get("date_end", "")),
        )
        if end < start:
            raise RowRefused(
                "date_end", f"date_end {end.isoformat()} is before date_start {start.isoformat()}"
            )
        date_precision = self._code("date_prec", get("date_prec", ""), date_precision_from_ucdp)
        if date_precision == 1 and start != end:
            raise RowRefused(
                "date_prec",
                f"date_prec 1 is one day but the dates span {start.isoformat()} to {end.isoformat()}",
            )
        where_prec = self._code("where_prec", get("where_prec", ""), geo_precision_from_ucdp)
        violence = _violence(get("type_of_violence", ""))
        best = self._deaths("best", get("best", ""), required=True)
        low = self._deaths("low", get("low", ""))
        high = self._deaths("high", get("high", ""))
        if high is not None and high < best:
            raise RowRefused("high", f"high {high} is below best {best}")
        if low is not None and best < low:
            raise RowRefused("low", f"low {low} is above best {best}")
        country = self.countries[get("country", "")]
        side_a, side_b = get("side_a", "").strip(), get("side_b", "").strip()
        if not side_a:
            raise RowRefused("side_a", "blank: every UCDP event has a side A")
        where = get("where_coordinates", "").strip()
        latitude, longitude = coordinates(get("latitude", ""), get("longitude", ""))
        dyad = get("dyad_name", "").strip() or (f"{side_a} – {side_b}" if side_b else side_a)
        summary = f"{dyad}: {best} killed, {where or country.name}"
        return EventRow(
            line=line,
            fields={
                "ucdp_ged_id": ged_id,
                "date_start": start,
                "date_end": end,
                "date_precision": date_precision,
                "geo_precision": where_prec,
                "fatalities_low": low,
                "fatalities_best": best,
                "fatalities_high": high,
                "civilian_targeting": violence == ONE_SIDED,
                "summary": summary if len(summary) <= 500 else summary[:499] + "…",
                "notes": get("where_description", "").strip(),
            },
            sub_event_type=SUB_EVENT_TYPES[violence],
            country=country,
            places=(
                _strip_suffix(get("adm_1", ""), " province"),
                _strip_suffix(get("adm_2", ""), " district"),
                "",
                where if where_prec in (1, 2) else "",
            ),
            latitude=latitude,
            longitude=longitude,
            actors=self._actors_of(violence, side_a, side_b),
            claims=self._claims(ged_id, get),
        )

    def _day(self, column: str, text: str) -> date:
        found = self.dates[text]
        if type(found) is str:
            raise RowRefused(column, found)
        return found

    @staticmethod
    def _code(column: str, text: str, convert) -> int:
        value = text.strip()
        try:
            return int(convert(value[:-2] if value.endswith(".0") else value))
        except ValueError as exc:
            raise RowRefused(column, str(exc)) from None

    @staticmethod
    def _deaths(column: str, text: str, required: bool = False) -> int | None:
        value = text.strip()
        if not value:
            if required:
                raise RowRefused(column, "blank: UCDP gives a best estimate for every event")
            return None
        number = whole_number(value)
        if number is None:
            raise RowRefused(column, f"{value!r} is not a whole number of deaths")
        return number

    def _actor(self, name: str, kind: str) -> ActorRef:
        ref = self._actors.get((name, kind))
        if ref is None:
            ref = self._actors[(name, kind)] = ActorRef(name, kind)
        return ref

    def _actors_of(self, violence: int, side_a: str, side_b: str) -> list[tuple[ActorRef, str]]:
        if violence == STATE_BASED:
            kind_a, kind_b = STATE, STATE if _government(side_b) else REBEL
        elif violence == NON_STATE:
            kind_a, kind_b = REBEL, REBEL
        else:
            kind_a, kind_b = STATE if _government(side_a) else REBEL, CIVILIANS
        actors = [(self._actor(side_a, kind_a), "side_a")]
        if side_b and side_b.casefold() != side_a.casefold():
            actors.append((self._actor(side_b, kind_b), "side_b"))
        return actors

    def _claims(self, ged_id: int, get) -> list[ClaimRow]:
        offices = split_list(get("source_office", ""))
        if not offices:
            return []
        headlines = [h.strip() for h in get("source_headline", "").split(";")]
        dates = [d.strip() for d in get("source_date", "").split(";")]
        paired_titles = len(headlines) == len(offices)
        paired_dates = len(dates) == len(offices)
        first_title = next((h for h in headlines if h), "")
        first_date = next((d for d in map(self._published, dates) if d), None)
        claims = []
        for i, office in enumerate(offices):
            title = (headlines[i] if paired_titles else first_title) or (
                f"{office}, as cited by UCDP GED for event {ged_id}"
            )
            published = self._published(dates[i]) if paired_dates else first_date
            claims.append(
                ClaimRow(
                    source=office,
                    report_key=f"ucdp:{ged_id}:{office}",
                    report_title=title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…",
                    source_scale=SourceScale.OTHER,
                    published_on=published or first_date,
                )
            )
        return claims

    def _published(self, text: str) -> date | None:
        found = self.dates[text] if text else None
        return None if type(found) is str else found  # an unreadable source date does not refuse the event


def _find_country(name: str) -> CountryRef:
    try:
        return country_ref(name=name)  # country_id is a Gleditsch-Ward number, not an ISO code
    except ValueError as exc:
        raise RowRefused("country", str(exc)) from None


def _date_or_reason(text: str) -> date | str:
    try:
        return parse_date(text)
    except ValueError as exc:
        return str(exc)


def ucdp_row(record: Mapping, line: int, *, converter: UcdpConverter | None = None) -> EventRow | Refusal:
    """One UCDP GED record as an EventRow, or a Refusal naming the column and the reason."""
    return (converter or UcdpConverter())(record, line)


def read_ucdp(source) -> Reading:
    """Read a UCDP GED CSV (a path, `-` or a binary stream): FileRefused now, or the rows as they stream."""
    table = open_table(source, LAYOUT)
    table.require(REQUIRED)
    converter = UcdpConverter(text_only=True)

    def rows():
        for item in table.records():
            if type(item) is Refusal:
                yield item
            else:
                yield converter(item[1], item[0])

    return Reading(format="ucdp", columns=table.columns, ignored_columns=table.ignored_columns, rows=rows())
