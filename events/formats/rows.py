"""The one public shape of an event, as a plain record, loaded in chunks with a fixed number of queries.

Every format renders these records — the JSON list and detail (`json.py`), CSV and GeoJSON (`flat.py`),
ACLED and UCDP — so a field is named, ordered and loaded in one place. A record is a dict: the event's own
columns and its place's (from `values()`, no model instances), its actor roles, its tags, the place's
enclosing areas (country first) and the point to map it at.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import NamedTuple

from core.db.prepared import IdsQuery
from locations.models import Location
from locations.selectors import Point, place_point

from ..models import Claim, Event, EventActor, claims_version_of

CHUNK_SIZE = 2000

VALUE_FIELDS = (
    "id", "date_start", "date_end", "date_precision",
    "event_type__slug", "event_type__name", "sub_event_type__slug", "sub_event_type__name",
    "location_id", "location__name", "location__level", "location__pcode", "location__iso3", "location__path",
    "location__latitude", "location__longitude",
    "geo_precision", "latitude", "longitude", "fatalities_low", "fatalities_best", "fatalities_high",
    "civilian_targeting", "summary", "notes", "acled_event_id", "ucdp_ged_id",
    "verification", "verification_reason", "independent_reports", "verdict", "verdict_reason", "verdict_at",
    "attribution_verification", "attribution_reason", "casualties_verification", "casualties_reason",
    "control_verification", "control_reason", "claimed_fatalities_low", "claimed_fatalities_high",
    "created_at", "updated_at",
)  # fmt: skip


class Area(NamedTuple):
    """An enclosing area, as the formats read it (a tuple: a model instance costs more than the row)."""

    pk: int
    name: str
    level: int
    pcode: str | None
    iso3: str | None
    latitude: float | None
    longitude: float | None


# The fixed-shape reads of `attach` and `claim_records`, compiled once (core/db/prepared.py).
_ROLES = IdsQuery(
    lambda ids: (
        EventActor.objects.filter(event_id__in_ids=ids)
        .order_by("role", "id")
        .values_list("event_id", "role", "actor_id", "actor__name", "actor__acronym", "actor__kind")
    )
)
_TAGS = IdsQuery(
    lambda ids: (
        Event.tags.through.objects.filter(event_id__in_ids=ids)
        .order_by("tag__name")
        .values_list("event_id", "tag__name")
    )
)
_PLACES = IdsQuery(lambda ids: Location.objects.filter(pk__in_ids=ids).values_list(*Area._fields))


class Ancestors:
    """Enclosing areas by id, loaded once per list or export however many events share them."""

    def __init__(self):
        self.places: dict[int, Area] = {}

    def load(self, paths: Iterable[str]) -> None:
        wanted = {int(part) for path in paths for part in path.strip("/").split("/") if part}
        missing = wanted - self.places.keys()
        if missing:
            self.places.update((row[0], Area(*row)) for row in _PLACES.rows(sorted(missing)))

    def of(self, path: str) -> list[Area]:
        return [
            self.places[int(part)] for part in path.strip("/").split("/") if part and int(part) in self.places
        ]


def _point(record: dict) -> Point:
    """The event's own coordinates, else its place's, else the nearest enclosing area's; never made up."""
    if record["latitude"] is not None:
        return Point(record["latitude"], record["longitude"], "event")
    return place_point(record["location__latitude"], record["location__longitude"], record["ancestors"])


def attach(records: list[dict], ancestors: Ancestors | None = None) -> None:
    """Give each record its roles, tags, enclosing areas and point: three queries for any number."""
    if not records:
        return
    ancestors = ancestors or Ancestors()
    ids = [r["id"] for r in records]
    roles: dict[int, list[dict]] = defaultdict(list)
    for event_id, role, actor_id, name, acronym, kind in _ROLES.rows(ids):
        roles[event_id].append({"role": role, "id": actor_id, "name": name, "acronym": acronym, "kind": kind})
    tags: dict[int, list[str]] = defaultdict(list)
    for event_id, name in _TAGS.rows(ids):
        tags[event_id].append(name)
    ancestors.load(r["location__path"] for r in records)
    for record in records:
        record["roles"] = roles.get(record["id"], [])
        record["tags"] = tags.get(record["id"], [])
        record["ancestors"] = ancestors.of(record["location__path"])
        record["point"] = _point(record)


def attach_reports(records: list[dict]) -> None:
    """Give each record `reports`: the reports its claims cite, in the order recorded, each once, with
    their source's name and scale (one query; for the formats that list sources, ACLED's and UCDP's)."""
    by_event: dict[int, dict[int, dict]] = defaultdict(dict)
    for event_id, report_id, title, published_on, source, scale in (
        Claim.objects.filter(event_id__in_ids=[r["id"] for r in records])
        .order_by("id")
        .values_list(
            "event_id",
            "report_id",
            "report__title",
            "report__published_on",
            "report__source__name",
            "report__source__scale",
        )  # fmt: skip
    ):
        by_event[event_id].setdefault(
            report_id, {"title": title, "published_on": published_on, "source": source, "scale": scale}
        )
    for record in records:
        record["reports"] = list(by_event.get(record["id"], {}).values())


def event_records(queryset, chunk_size: int | None = None, *, reports: bool = False) -> Iterator[list[dict]]:
    """The queryset's events as records, in chunks: one streamed query, then three per chunk at most (four
    with `reports`)."""
    chunk_size = chunk_size or CHUNK_SIZE
    rows = queryset.prefetch_related(None).values(*VALUE_FIELDS).iterator(chunk_size=chunk_size)
    ancestors = Ancestors()
    while chunk := list(islice(rows, chunk_size)):
        attach(chunk, ancestors)
        if reports:
            attach_reports(chunk)
        yield chunk


_EVENT = IdsQuery(lambda ids: Event.objects.filter(pk__in_ids=ids).values_list(*VALUE_FIELDS))
MAX_ID = 2**63 - 1


def event_record(pk: int) -> dict | None:
    """One live event as a record, or None: one query, compiled once (roles, tags and places not attached)."""
    if pk > MAX_ID:
        return None  # no row has it; Django's lookup would not ask either
    rows = _EVENT.rows([pk])
    return dict(zip(VALUE_FIELDS, rows[0], strict=True)) if rows else None


def _walk(obj, name: str):
    """`a__b__c` read from an instance along its relations, as `values()` reads it (None past a null one)."""
    for part in name.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


def record_of(event: Event) -> dict:
    """An event instance as a record (for detail views and writes), with the same fields as a list row."""
    record = {name: _walk(event, name) for name in VALUE_FIELDS}
    attach([record])
    return record


# An event's claims as its detail lists them, with their claimant, speaker, report and source.
CLAIM_FIELDS = (
    "id", "claimed_on", "claimant_id", "claimant__name", "claimant__acronym", "claimant__kind",
    "speaker_id", "speaker__name", "speaker__acronym", "speaker__kind", "stance", "subject", "casualties_of",
    "quote", "claimed_fatalities_low", "claimed_fatalities_high", "report_id", "report__title",
    "report__source_id", "report__source__name", "report__source__kind", "report__published_on", "report__url",
    "notes", "updated_at",
)  # fmt: skip
CLAIM_ORDER = ("claimed_on", "id")


_CLAIMS = IdsQuery(
    lambda ids: Claim.objects.filter(event_id__in_ids=ids).order_by(*CLAIM_ORDER).values_list(*CLAIM_FIELDS)
)


def claim_records(event_id: int) -> list[dict]:
    """The event's claims in time order, as records: one query, the order of `Event.objects.for_detail()`."""
    return [dict(zip(CLAIM_FIELDS, row, strict=True)) for row in _CLAIMS.rows([event_id])]


def claim_record_of(claim: Claim) -> dict:
    """A claim instance (its relations loaded) as a record, with the same fields as `claim_records`."""
    return {name: _walk(claim, name) for name in CLAIM_FIELDS}


def claims_version(claims: list[dict]) -> str:
    """What the event's ETag adds for the claims its detail lists, from their records (as `Event.etag_extra`
    from the prefetched instances)."""
    return claims_version_of((c["id"], c["updated_at"]) for c in claims)
