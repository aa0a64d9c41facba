"""The bulk write path: validated rows in, events with their places, actors, roles, sources, reports and
claims written in batches, for importers.

Per batch, a fixed number of queries whatever its size. Each row's event is validated with the model's
rules first; a batch with any refused row raises `RowsRefused` (every line and reason) before it writes
anything. Names are then resolved through an in-memory index loaded once per writer (actors with their
aliases, sources, tags; places country by country, with their aliases), matched case- and
accent-insensitively, and missing ones are created with `bulk_create`. Events are upserted by external id
(ACLED `event_id_cnty` or UCDP id); roles and tags of a changed event are replaced; claims are added (a
claim already recorded is not recorded twice). History rows are written in bulk; derived state is re-derived
in sets at the end of the caller's `deferred()` block. Lookups are by dict, so a row costs the same
whether it comes first or millionth.
"""

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from actors.models import Actor, ActorAlias
from core.bulk_sql import history_rows, insert_rows, insert_rows_with_history, update_rows
from core.deferred import deferred
from core.integrity import integrity_errors_as_validation, validate_for_write
from locations.countries import CountryRef
from locations.models import Location, LocationAlias
from locations.tree import location_path
from sources.models import Report, Source

from ..models import Claim, Event, EventActor, SubEventType, Tag
from ..verification import mark

BATCH_SIZE = 2000
PLACE_LEVELS = (Location.Level.ADMIN1, Location.Level.ADMIN2, Location.Level.ADMIN3, Location.Level.PLACE)
EXTERNAL_KEYS = ("acled_event_id", "ucdp_ged_id")
# What an import sets on an event; a re-import compares these to tell "updated" from "unchanged".
EVENT_COLUMNS = [f.attname for f in Event._meta.concrete_fields if not f.primary_key]
UPDATABLE = [
    "date_start", "date_end", "date_precision", "event_type_id", "sub_event_type_id", "location_id",
    "geo_precision", "latitude", "longitude", "fatalities_low", "fatalities_best", "fatalities_high",
    "civilian_targeting", "summary", "notes", "acled_event_id", "ucdp_ged_id",
]  # fmt: skip


@dataclass(frozen=True)
class ActorRef:
    name: str
    kind: str = Actor.Kind.EXTERNAL_OTHER


@dataclass(frozen=True)
class ClaimRow:
    """A report cited for the event: its source speaks (asserts it happened) unless a claimant is named."""

    source: str
    report_key: str
    report_title: str
    source_scale: str = Source.Scale.OTHER
    published_on: object = None
    stance: str = Claim.Stance.ASSERTS
    subject: str = Claim.Subject.OCCURRENCE
    claimant: ActorRef | None = None
    quote: str = ""
    claimed_fatalities_low: int | None = None
    claimed_fatalities_high: int | None = None
    casualties_of: str = Claim.CasualtiesOf.ALL


@dataclass
class EventRow:
    """One event as an importer read it; `line` is where it came from, for error messages."""

    line: int
    fields: dict  # Event field values (dates, precisions, fatalities, summary, notes, external ids…)
    sub_event_type: str  # slug
    country: CountryRef
    places: tuple[str, ...] = ()  # admin1, admin2, admin3, place names below the country; "" skips a level
    latitude: float | None = None
    longitude: float | None = None
    actors: list[tuple[ActorRef, str]] = field(default_factory=list)  # (actor, role)
    tags: list[str] = field(default_factory=list)
    claims: list[ClaimRow] = field(default_factory=list)


@dataclass
class BulkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class RowsRefused(ValidationError):
    """Rows that failed the model's rules, each with its line: nothing of their batch was written."""

    def __init__(self, errors: list[tuple[int, dict[str, list[str]]]]):
        self.refused = errors
        super().__init__(
            [f"line {line}: {name}: {'; '.join(msgs)}" for line, e in errors for name, msgs in e.items()]
        )


@lru_cache(maxsize=200_000)
def fold(name: str) -> str:
    """A name as compared: accents dropped, case folded, spaces collapsed ("Taleban" ≠ "Taliban", but
    "Kunduz" = "KUNDŪZ")."""
    decomposed = unicodedata.normalize("NFKD", name)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


class _Resolver:
    """Names to ids, through an index loaded once and grown by what each batch creates."""

    def __init__(self):
        self.sub_types = {t.slug: t for t in SubEventType.objects.select_related("event_type")}
        self.actors: dict[str, int] = {}
        for pk, name in Actor.objects.values_list("pk", "name"):
            self.actors[fold(name)] = pk
        for pk, name in ActorAlias.objects.values_list("actor_id", "name"):
            self.actors.setdefault(fold(name), pk)
        self.sources = {fold(name): pk for pk, name in Source.objects.values_list("pk", "name")}
        self.tags = {fold(name): pk for pk, name in Tag.objects.values_list("pk", "name")}
        # fold(iso3 or name) → country; (parent id, level, folded name) → place. Places are kept as bare
        # Location(pk, level, path) so that new children are validated and placed without a query.
        self.countries: dict[str, Location] = {}
        self.places: dict[tuple[int, int, str], Location] = {}
        self._countries_loaded: set[int] = set()
        self.reached: dict[tuple, Location] = {}  # (country key, place names) → the place they name

    # --- countries and places -------------------------------------------------------------------------

    def load_countries(self, refs: Iterable[CountryRef]) -> None:
        missing = {_country_key(r): r for r in refs}
        missing = {k: r for k, r in missing.items() if k not in self.countries}
        if not missing:
            return
        for country in Location.objects.countries().only("pk", "name", "iso3", "level", "path"):
            for key in {fold(country.name), fold(country.iso3 or "")} - {""}:
                self.countries.setdefault(key, country)
        new = []
        for key, ref in missing.items():
            found = self.countries.get(fold(ref.iso3 or "")) or self.countries.get(fold(ref.name))
            if found:
                self.countries[key] = found
            else:
                new.append(Location(name=ref.name.strip(), level=Location.Level.COUNTRY, iso2=ref.iso2,
                                    iso3=ref.iso3, path="/"))  # fmt: skip
        for country in _create(new, Location):
            self.countries[_country_key(CountryRef(country.name, country.iso2, country.iso3))] = country
            self.countries.setdefault(fold(country.name), country)

    def _load_places_of(self, country_pk: int) -> None:
        """Every place inside a country, with its aliases, the first time the country is met."""
        if country_pk in self._countries_loaded:
            return
        self._countries_loaded.add(country_pk)
        inside = Location.objects.filter(path__startswith=f"/{country_pk}/")
        for pk, parent, level, name, path in inside.values_list("pk", "parent_id", "level", "name", "path"):
            self.places[(parent, level, fold(name))] = Location(pk=pk, level=level, path=path)
        for alias, pk, parent, level, path in LocationAlias.objects.filter(location__in=inside).values_list(
            "name", "location_id", "location__parent_id", "location__level", "location__path"
        ):
            self.places.setdefault((parent, level, fold(alias)), Location(pk=pk, level=level, path=path))

    def load_places(self, rows: list[EventRow]) -> None:
        """Level by level, missing places created under their parent (one INSERT per level); then each row
        knows its place (`place_of`)."""
        for row in rows:
            self._load_places_of(self.countries[_country_key(row.country)].pk)
        # Rows name few distinct places: walk each distinct (country, names) once, level by level.
        chains = {(_country_key(row.country), tuple(_place_name(row, d) for d in range(len(PLACE_LEVELS))))
                  for row in rows}  # fmt: skip
        reached = {chain: self.countries[chain[0]] for chain in chains}
        for depth, level in enumerate(PLACE_LEVELS):
            new: dict[tuple[int, int, str], Location] = {}
            for chain in chains:
                name = chain[1][depth]
                if not name:
                    continue
                parent = reached[chain]
                key = (parent.pk, level, fold(name))
                if key not in self.places and key not in new:
                    new[key] = Location(name=name, level=level, parent=parent, path=location_path(parent))
            for key, place in zip(new, _create(list(new.values()), Location), strict=True):
                self.places[key] = place
            for chain in chains:
                name = chain[1][depth]
                if name:
                    reached[chain] = self.places[(reached[chain].pk, level, fold(name))]
        self.reached.update(reached)

    def place_of(self, row: EventRow) -> Location:
        """The most precise place of the row (empty levels are skipped), once load_places has run."""
        return self.reached[
            (_country_key(row.country), tuple(_place_name(row, d) for d in range(len(PLACE_LEVELS))))
        ]

    # --- actors, sources, tags ------------------------------------------------------------------------

    def load_actors(self, refs: Iterable[ActorRef]) -> None:
        new = {}
        for ref in refs:
            key = fold(ref.name)
            if key not in self.actors and key not in new:
                new[key] = Actor(name=ref.name.strip(), kind=ref.kind)
        for key, actor in zip(new, _create(list(new.values()), Actor), strict=True):
            self.actors[key] = actor.pk

    def load_sources(self, claims: Iterable[ClaimRow]) -> None:
        new = {}
        for claim in claims:
            key = fold(claim.source)
            if key not in self.sources and key not in new:
                new[key] = Source(name=claim.source.strip(), kind=Source.Kind.OTHER, scale=claim.source_scale)
        for key, source in zip(new, _create(list(new.values()), Source), strict=True):
            self.sources[key] = source.pk

    def load_tags(self, names: Iterable[str]) -> None:
        new = {}
        for name in names:
            key = fold(name)
            if key not in self.tags and key not in new:
                new[key] = Tag(name=name.strip())
        for key, tag in zip(new, _create(list(new.values()), Tag), strict=True):
            self.tags[key] = tag.pk


def _country_key(ref: CountryRef) -> str:
    return fold(ref.iso3 or ref.name)


def _place_name(row: EventRow, depth: int) -> str:
    return row.places[depth].strip() if depth < len(row.places) else ""


def _create(objs: list, model) -> list:
    """Validate and create new rows with their history rows: two INSERTs, whatever the count."""
    if not objs:
        return []
    now = timezone.now()
    for obj in objs:
        try:
            validate_for_write(obj)
        except ValidationError as exc:
            label = f"{model._meta.verbose_name} {getattr(obj, 'name', obj)!r}"
            raise ValidationError({f"{label}: {k}": v for k, v in exc.message_dict.items()}) from exc
        for name in ("created_at", "updated_at"):
            if hasattr(obj, name):
                setattr(obj, name, now)
    columns = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    ids = insert_rows_with_history(
        model, columns, [[getattr(o, c) for c in columns] for o in objs], reason="import"
    )
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
    return objs


# Writers take turns, one at a time per database. A writer's name index is read when it starts, so a second
# writer alongside would create the same actors, places and sources again and fail half-way on their unique
# constraints. On PostgreSQL, a transaction-level advisory lock: released at commit or rollback, and when a
# killed importer's connection drops. SQLite's IMMEDIATE transactions already let one writer in at a time.
WRITERS_LOCK = 7_297_318  # any fixed number, the same in every process


def _wait_for_other_writers() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITERS_LOCK])


class EventsBulkWriter:
    """Writes batches of rows through one resolver; the caller owns the transaction and the deferred block,
    and builds the writer inside that transaction (it waits there for other writers: WRITERS_LOCK)."""

    def __init__(self):
        _wait_for_other_writers()
        self.resolver = _Resolver()
        self.result = BulkResult()

    def check(self, batch: list[EventRow]) -> list[tuple[int, dict[str, list[str]]]]:
        """The rows the model's rules refuse, with their reasons; writes nothing."""
        return self._validated(batch)[1]

    def _validated(self, batch: list[EventRow]) -> tuple[list, list]:
        existing = _existing_events(batch)
        events, refused = [], []
        for row in batch:
            key = next((k for k in EXTERNAL_KEYS if row.fields.get(k) is not None), None)
            found = existing.get((key, row.fields[key])) if key else None
            sub_type = self.resolver.sub_types.get(row.sub_event_type)
            if sub_type is None:
                refused.append(
                    (row.line, {"sub_event_type": [f"Unknown sub-event type {row.sub_event_type!r}."]})
                )
                continue
            event = found or Event()
            before = _values(event) if found else None
            for name, value in row.fields.items():
                setattr(event, name, value)
            event.sub_event_type, event.event_type = sub_type, sub_type.event_type
            event.latitude, event.longitude = row.latitude, row.longitude
            try:
                validate_for_write(event, exclude={"location"})  # the place is resolved when written
            except ValidationError as exc:
                refused.append((row.line, exc.message_dict))
                continue
            events.append((row, event, found, before))
        return events, refused

    def write(self, batch: list[EventRow]) -> None:
        """Write the batch, or raise RowsRefused (every refused line) having written nothing of it."""
        resolver = self.resolver
        events, refused = self._validated(batch)
        if refused:
            raise RowsRefused(refused)

        resolver.load_countries(row.country for row, *_ in events)
        resolver.load_places([row for row, *_ in events])
        claimants = (c.claimant for row, *_ in events for c in row.claims if c.claimant is not None)
        resolver.load_actors([*(ref for row, *_ in events for ref, _ in row.actors), *claimants])
        resolver.load_sources(c for row, *_ in events for c in row.claims)
        resolver.load_tags(t for row, *_ in events for t in row.tags)

        written = []  # (row, event, state, roles, tags)
        for row, event, found, before in events:
            event.location_id = resolver.place_of(row).pk
            roles: dict[int, str] = {}
            for ref, role in row.actors:
                roles.setdefault(
                    resolver.actors[fold(ref.name)], role
                )  # one role per actor: the first listed
            tags = {resolver.tags[fold(t)] for t in row.tags}
            if found is None:
                state = "created"
            elif before != _values(event) or roles != found.current_roles or tags != found.current_tags:
                state = "updated"
            else:
                state = "unchanged"
            written.append((row, event, state, roles, tags))

        created = [event for _, event, state, _, _ in written if state == "created"]
        updated = [event for _, event, state, _, _ in written if state == "updated"]
        now = timezone.now()
        for event in created:
            event.created_at = event.updated_at = now
        for event in updated:
            event.updated_at = now
        for event, pk in zip(
            created, insert_rows(Event, EVENT_COLUMNS, [_row_of(e) for e in created]), strict=True
        ):
            event.pk = event.id = pk
        update_rows(Event, [*UPDATABLE, "updated_at"], [(*_values(e), now, e.pk) for e in updated])
        history_rows(Event, [vars(e) for e in created], change="+", reason="import")
        history_rows(Event, [vars(e) for e in updated], change="~", reason="import")
        _write_roles_and_tags([w for w in written if w[2] != "unchanged"], replace=[e.pk for e in updated])
        with_new_claims = _write_claims(written, resolver, now)
        for _, event, state, _, _ in written:
            if state == "unchanged" and event.pk in with_new_claims:
                state = "updated"
            setattr(self.result, state, getattr(self.result, state) + 1)
        mark(
            events=[e.pk for _, e, state, _, _ in written if state != "unchanged" or e.pk in with_new_claims]
        )


def events_bulk_write(
    rows: Iterable[EventRow], *, batch_size: int = BATCH_SIZE, progress: Callable[[int], None] | None = None
) -> BulkResult:
    """Upsert events by external id, in batches, all or nothing; returns created/updated/unchanged counts.

    Raises RowsRefused (each bad row's line and reasons) when any row breaks the model's rules; nothing is
    written then.
    """
    # A savepoint of its own: a refused file leaves the caller's transaction usable (nothing was written).
    with integrity_errors_as_validation(), transaction.atomic(), deferred():
        writer = EventsBulkWriter()
        iterator = iter(rows)
        while batch := list(islice(iterator, batch_size)):
            writer.write(batch)
            if progress is not None:
                progress(len(batch))
    return writer.result


def _values(event: Event) -> tuple:
    return tuple(getattr(event, name) for name in UPDATABLE)


def _existing_events(batch: list[EventRow]) -> dict[tuple[str, object], Event]:
    """The batch's events already here, by external id, each with `current_roles` and `current_tags`."""
    found = {}
    for key in EXTERNAL_KEYS:
        values = [row.fields[key] for row in batch if row.fields.get(key) is not None]
        if values:
            for event in Event.all_objects.filter(**{f"{key}__in": values}):
                found[(key, getattr(event, key))] = event
    if found:
        by_id = {event.pk: event for event in found.values()}
        for event in by_id.values():
            event.current_roles, event.current_tags = {}, set()
        for event_id, actor_id, role in EventActor.objects.filter(event_id__in=by_id).values_list(
            "event_id", "actor_id", "role"
        ):
            by_id[event_id].current_roles[actor_id] = role
        for event_id, tag_id in Event.tags.through.objects.filter(event_id__in=by_id).values_list(
            "event_id", "tag_id"
        ):
            by_id[event_id].current_tags.add(tag_id)
    return found


def _row_of(event: Event) -> tuple:
    return tuple(getattr(event, name) for name in EVENT_COLUMNS)


def _write_roles_and_tags(written: list, replace: list[int]) -> None:
    """Roles and tags of the written events; an updated event's are replaced."""
    if replace:
        EventActor.objects.filter(event_id__in=replace).delete()
        Event.tags.through.objects.filter(event_id__in=replace).delete()
    roles = [
        (event.pk, actor_id, role) for _, event, _, wanted, _ in written for actor_id, role in wanted.items()
    ]
    insert_rows_with_history(EventActor, ["event_id", "actor_id", "role"], roles, reason="import")
    # Tag links carry no history of their own here (bulk imports record the event's row, not its m2m).
    insert_rows(
        Event.tags.through,
        ["event_id", "tag_id"],
        [(e.pk, pk) for _, e, _, _, tags in written for pk in tags],
    )


REPORT_COLUMNS = ["source_id", "title", "url", "author", "published_on", "notes", "import_key", "created_at",
                  "updated_at"]  # fmt: skip
CLAIM_COLUMNS = ["event_id", "report_id", "claimant_id", "speaker_id", "stance", "subject", "casualties_of",
                 "quote", "claimed_fatalities_low", "claimed_fatalities_high", "claimed_on", "notes",
                 "created_at", "updated_at"]  # fmt: skip


def _title(text: str) -> str:
    return text if len(text) <= 500 else text[:499] + "…"


def _write_claims(written: list, resolver: _Resolver, now) -> set[int]:
    """Reports (found again by their import key) and claims not yet recorded; returns events that got one."""
    claim_rows = [(event, c) for row, event, _, _, _ in written for c in row.claims]
    if not claim_rows:
        return set()
    keys = list({c.report_key for _, c in claim_rows})
    reports = dict(Report.objects.filter(import_key__in=keys).values_list("import_key", "pk"))
    new_reports = {}
    for _, c in claim_rows:
        if c.report_key not in reports and c.report_key not in new_reports:
            new_reports[c.report_key] = (resolver.sources[fold(c.source)], _title(c.report_title), "", "",
                                         c.published_on, "", c.report_key, now, now)  # fmt: skip
    ids = insert_rows_with_history(Report, REPORT_COLUMNS, list(new_reports.values()), reason="import")
    reports.update(zip(new_reports, ids, strict=True))
    recorded = set(
        Claim.objects.filter(report_id__in=list(reports.values())).values_list(
            "event_id", "report_id", "claimant_id", "stance", "subject"
        )
    )
    claims = []
    for event, c in claim_rows:
        claimant = resolver.actors[fold(c.claimant.name)] if c.claimant else None
        signature = (event.pk, reports[c.report_key], claimant, c.stance, c.subject)
        if signature in recorded:
            continue
        recorded.add(signature)
        claims.append((event.pk, reports[c.report_key], claimant, None, c.stance, c.subject, c.casualties_of, c.quote,
                       c.claimed_fatalities_low, c.claimed_fatalities_high, c.published_on, "", now, now))  # fmt: skip
    insert_rows_with_history(Claim, CLAIM_COLUMNS, claims, reason="import")
    return {claim[0] for claim in claims}
