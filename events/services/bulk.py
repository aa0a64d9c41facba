"""The bulk write path: validated rows in, events with their places, actors, roles, sources, reports and
claims written in batches, for importers.

Per batch, a fixed number of queries whatever its size. Each row's event is validated with the model's
rules first (`core.integrity.full_clean_for_write`: the fields a row sets, and `clean()`; the defaults it
leaves are checked once per writer); a batch with any refused row raises `RowsRefused` (every line and
reason) before it writes anything. Names are then resolved through an in-memory index loaded once per writer
(actors with their aliases, sources, tags; places country by country, with their aliases), matched case- and
accent-insensitively, and missing ones are created in one INSERT per kind (places one per level). Events
are upserted by external id (ACLED `event_id_cnty` or UCDP id); roles and tags of a changed event are
replaced; claims are added (a claim already recorded is not recorded twice). Rows go to the database as
plain tuples (`core.bulk_sql`), and their history rows are copied from what was written by one
`INSERT … SELECT` per table. An event created here is derived by the owner of derived state before it is
written (`NewEventsDerivation`, from the roles and claims in hand); any other event the batch touches is
marked and re-derived in sets at the end of the caller's `deferred()` block. Lookups are by dict, so a row
costs the same whether it comes first or millionth.

Inside `core.bulk_sql.write_behind()` (SQLite), a batch's statements run in a thread while the next batch
is prepared; what the next batch must read is read ahead, before this batch's writes are queued, unless
it names an event or report this batch writes (`EventsBulkWriter._read_ahead`).
"""

import enum
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, lru_cache
from operator import itemgetter
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from actors.models import Actor, ActorAlias
from core.bulk_sql import (
    copy_to_history,
    held_writes,
    insert_rows,
    insert_rows_with_history,
    larger_cache,
    read_ahead,
    select_rows,
    update_rows,
    write_behind,
    writing_behind,
)
from core.collector import fewer_collections
from core.deferred import deferred
from core.integrity import fields_taken_as_is, full_clean_for_write, integrity_errors_as_validation
from locations.countries import CountryRef
from locations.models import Location, LocationAlias
from locations.tree import location_path
from sources.models import Report, Source

from ..models import EVENT_DERIVED_FIELDS, Claim, Event, EventActor, SubEventType, Tag
from ..verification import mark
from ..verification.refresh import NewClaim, NewEventsDerivation

BATCH_SIZE = 2000
PLACE_LEVELS = (Location.Level.ADMIN1, Location.Level.ADMIN2, Location.Level.ADMIN3, Location.Level.PLACE)
EXTERNAL_KEYS = ("acled_event_id", "ucdp_ged_id")
# What an import sets on an event; a re-import compares these to tell "updated" from "unchanged".
EVENT_COLUMNS = [f.attname for f in Event._meta.concrete_fields if not f.primary_key]
UPDATABLE = [
    "date_start", "date_end", "date_precision", "event_type_id", "sub_event_type_id", "location_id",
    "country_id", "geo_precision", "latitude", "longitude", "fatalities_low", "fatalities_best", "fatalities_high",
    "civilian_targeting", "summary", "notes", "acled_event_id", "ucdp_ged_id",
]  # fmt: skip
EVENT_ATTNAMES = frozenset(f.attname for f in Event._meta.concrete_fields)
# Not validated per row: the place (and its country) is resolved when written, and the types were just
# looked up.
NOT_VALIDATED = frozenset({"location", "country", "sub_event_type", "event_type"})
_event_row = itemgetter(*EVENT_COLUMNS)
_updatable = itemgetter(*UPDATABLE)


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
    if name.isascii():  # nothing to decompose, and casefold() is lower() (most names, and much faster)
        return " ".join(name.lower().split())
    decomposed = unicodedata.normalize("NFKD", name)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


class _Place(NamedTuple):
    """What a place's children need of it: its id, level and path (no model instance per place)."""

    id: int
    level: int
    path: str

    @property
    def pk(self) -> int:
        return self.id


class _Resolver:
    """Names to ids, through an index loaded once and grown by what each batch creates."""

    def __init__(self):
        self.sub_types = {t.slug: t for t in SubEventType.objects.select_related("event_type")}
        self.actors: dict[str, int] = {}
        # pk → (name, affiliation id), and pk → (name, operator id): what verification reads of them.
        self.actor_facts: dict[int, tuple[str, int | None]] = {}
        for pk, name, affiliation in Actor.objects.values_list("pk", "name", "affiliation_id"):
            self.actors[fold(name)] = pk
            self.actor_facts[pk] = (name, affiliation)
        for pk, name in ActorAlias.objects.values_list("actor_id", "name"):
            self.actors.setdefault(fold(name), pk)
        self.sources: dict[str, int] = {}
        self.source_facts: dict[int, tuple[str, int | None]] = {}
        for pk, name, operator in Source.objects.values_list("pk", "name", "operated_by_id"):
            self.sources[fold(name)] = pk
            self.source_facts[pk] = (name, operator)
        self._tags: dict[str, int] | None = None  # loaded the first time a row has tags
        # fold(iso3 or name) → country; (parent id, level, folded name) → place.
        self.countries: dict[str, _Place] = {}
        self.places: dict[tuple[int, int, str], _Place] = {}
        self._countries_loaded: set[int] = set()
        self.reached: dict[tuple, int] = {}  # (country ref, place names) → the id of the place they name

    # --- countries and places -------------------------------------------------------------------------

    def load_countries(self, refs: Iterable[CountryRef]) -> None:
        missing = {_country_key(r): r for r in refs}
        missing = {k: r for k, r in missing.items() if k not in self.countries}
        if not missing:
            return
        for pk, name, iso3, level, path in Location.objects.countries().values_list(
            "pk", "name", "iso3", "level", "path"
        ):
            for key in {fold(name), fold(iso3 or "")} - {""}:
                self.countries.setdefault(key, _Place(pk, level, path))
        new = []
        for key, ref in missing.items():
            found = self.countries.get(fold(ref.iso3 or "")) or self.countries.get(fold(ref.name))
            if found:
                self.countries[key] = found
            else:
                new.append({"name": ref.name.strip(), "level": Location.Level.COUNTRY.value, "iso2": ref.iso2,
                            "iso3": ref.iso3, "path": "/"})  # fmt: skip
        for country in _create(Location, new):
            place = _Place(country.pk, country.level, country.path)
            self.countries[_country_key(CountryRef(country.name, country.iso2, country.iso3))] = place
            self.countries.setdefault(fold(country.name), place)

    def _load_places_of(self, country_pk: int) -> None:
        """Every place inside a country, with its aliases, the first time the country is met."""
        if country_pk in self._countries_loaded:
            return
        self._countries_loaded.add(country_pk)
        inside = Location.objects.filter(path__startswith=f"/{country_pk}/")
        for pk, parent, level, name, path in inside.values_list("pk", "parent_id", "level", "name", "path"):
            self.places[(parent, level, fold(name))] = _Place(pk, level, path)
        for alias, pk, parent, level, path in LocationAlias.objects.filter(location__in=inside).values_list(
            "name", "location_id", "location__parent_id", "location__level", "location__path"
        ):
            self.places.setdefault((parent, level, fold(alias)), _Place(pk, level, path))

    def place_ids(self, rows: list[EventRow]) -> list[int]:
        """The most precise place each row names (empty levels are skipped); places not known yet are
        created level by level under their parent, one INSERT per level."""
        keys = [(row.country, tuple(row.places)) for row in rows]
        reached = self.reached
        missing = [key for key in dict.fromkeys(keys) if key not in reached]
        if missing:
            self._reach(missing)
        return [reached[key] for key in keys]

    def _reach(self, keys: list[tuple[CountryRef, tuple]]) -> None:
        for ref in {ref for ref, _ in keys}:
            self._load_places_of(self.countries[_country_key(ref)].pk)
        # Rows name few distinct places: walk each distinct (country, names) once, level by level.
        chain_of = {key: (_country_key(key[0]), _place_names(key[1])) for key in keys}
        # In the order rows first name them, so that new places get their ids in file order (a set's order
        # follows the hash seed: the same file gave other ids on every run).
        chains = list(dict.fromkeys(chain_of.values()))
        reached = {chain: self.countries[chain[0]] for chain in chains}
        parents: dict[int, Location] = {}
        for depth, level in enumerate(PLACE_LEVELS):
            new: dict[tuple[int, int, str], dict] = {}
            related: list[dict] = []
            for chain in chains:
                name = chain[1][depth]
                if not name:
                    continue
                parent = reached[chain]
                key = (parent.pk, level, fold(name))
                if key not in self.places and key not in new:
                    if parent.pk not in parents:  # what the new place's validation reads of its parent
                        parents[parent.pk] = _blank(Location).new(parent._asdict())
                    new[key] = {"name": name, "level": level.value, "parent_id": parent.pk,
                                "path": location_path(parent)}  # fmt: skip
                    related.append({"parent": parents[parent.pk]})
            for key, place in zip(new, _create(Location, list(new.values()), related), strict=True):
                self.places[key] = _Place(place.pk, place.level, place.path)
            for chain in chains:
                name = chain[1][depth]
                if name:
                    reached[chain] = self.places[(reached[chain].pk, level, fold(name))]
        for key, chain in chain_of.items():
            self.reached[key] = reached[chain].pk

    # --- actors, sources, tags ------------------------------------------------------------------------

    def load_actors(self, refs: Iterable[ActorRef]) -> None:
        new = {}
        for ref in refs:
            key = fold(ref.name)
            if key not in self.actors and key not in new:
                new[key] = {"name": ref.name.strip(), "kind": ref.kind}
        for key, actor in zip(new, _create(Actor, list(new.values())), strict=True):
            self.actors[key] = actor.pk
            self.actor_facts[actor.pk] = (actor.name, actor.affiliation_id)

    def load_sources(self, claims: Iterable[ClaimRow]) -> None:
        new = {}
        for claim in claims:
            key = fold(claim.source)
            if key not in self.sources and key not in new:
                new[key] = {
                    "name": claim.source.strip(),
                    "kind": Source.Kind.OTHER.value,
                    "scale": claim.source_scale,
                }
        for key, source in zip(new, _create(Source, list(new.values())), strict=True):
            self.sources[key] = source.pk
            self.source_facts[source.pk] = (source.name, source.operated_by_id)

    @property
    def tags(self) -> dict[str, int]:
        if self._tags is None:
            self._tags = {fold(name): pk for pk, name in Tag.objects.values_list("pk", "name")}
        return self._tags

    def load_tags(self, names: Iterable[str]) -> None:
        new = {}
        for name in names:
            key = fold(name)
            if key not in self.tags and key not in new:
                new[key] = {"name": name.strip()}
        for key, tag in zip(new, _create(Tag, list(new.values())), strict=True):
            self.tags[key] = tag.pk


def _country_key(ref: CountryRef) -> str:
    return fold(ref.iso3 or ref.name)


def _place_names(places: tuple) -> tuple[str, ...]:
    """The row's names of each place level below the country, stripped; "" where a level is skipped."""
    return tuple(places[depth].strip() if depth < len(places) else "" for depth in range(len(PLACE_LEVELS)))


class _Blank:
    """New instances of a model built as unpickling builds them (no __init__, no signals: a tenth of the
    time), from its defaults, which are checked once; then only what each row sets is validated."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        blank = model()
        fields = model._meta.concrete_fields
        self.defaults = {f.attname: _plain(getattr(blank, f.attname)) for f in fields}
        # Defaults computed per instance (a callable) are computed per instance here too.
        self.computed = [
            (f.attname, f.get_default) for f in fields if f.has_default() and callable(f.default)
        ]
        computed = {attname for attname, _ in self.computed}
        settled = fields_taken_as_is(model, self.defaults) - {f.name for f in fields if f.attname in computed}
        self.unsettled = frozenset(f.name for f in model._meta.fields) - settled
        self._to_clean: dict[tuple, frozenset] = {}
        self._relations: dict[str, models.Field] = {}

    def new(self, values: dict, related: dict | None = None) -> models.Model:
        """An unsaved instance with these values (attnames) and these related instances (by field name)
        cached, as assigning them would (so that validation does not look them up again)."""
        obj = self.model.__new__(self.model)
        state = obj.__dict__
        state.update(self.defaults)
        for attname, compute in self.computed:
            state[attname] = compute()
        state.update(values)
        state["_state"] = ModelState()
        for name, instance in (related or {}).items():
            field = self._relations.get(name)
            if field is None:
                field = self._relations[name] = self.model._meta.get_field(name)
            field.set_cached_value(obj, instance)
            state[field.attname] = instance.pk
        return obj

    def to_clean(self, keys: tuple[str, ...]) -> frozenset:
        """The fields to validate on an instance whose values differ from the defaults in `keys` only."""
        names = self._to_clean.get(keys)
        if names is None:
            get = self.model._meta.get_field
            names = self._to_clean[keys] = frozenset({get(key).name for key in keys} | self.unsettled)
        return names


@cache
def _blank(model: type[models.Model]) -> _Blank:
    return _Blank(model)


def _create(model: type[models.Model], new: list[dict], related: list[dict] | None = None) -> list:
    """Build, validate and create new rows (values by attname; `related`: instances by field name, one per
    row) with their history rows: two INSERTs, whatever the count."""
    if not new:
        return []
    blank = _blank(model)
    now = timezone.now()
    objs = []
    for values, loaded in zip(new, related or [{}] * len(new), strict=True):
        obj = blank.new(values, loaded)
        try:
            full_clean_for_write(obj, set(loaded), only=blank.to_clean(tuple(values)))
        except ValidationError as exc:
            label = f"{model._meta.verbose_name} {getattr(obj, 'name', obj)!r}"
            raise ValidationError({f"{label}: {k}": v for k, v in exc.message_dict.items()}) from exc
        for name in ("created_at", "updated_at"):
            if name in obj.__dict__:
                obj.__dict__[name] = now
        objs.append(obj)
    columns = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    ids = insert_rows_with_history(
        model, columns, [tuple(o.__dict__[c] for c in columns) for o in objs], reason="import"
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


@dataclass
class _Stored:
    """An event already here: its column values (attnames, "id" too), roles (actor id → role) and tags."""

    values: dict
    roles: dict = field(default_factory=dict)
    tags: set = field(default_factory=set)


@dataclass
class _Found:
    """What a batch names that is already here: its events by external id, its reports by import key
    ((id, source id, published on)), and the claims recorded on those reports (their signatures)."""

    events: dict[tuple[str, object], _Stored]
    reports: dict[str, tuple]
    recorded: set[tuple]


@dataclass(slots=True)
class _Pending:
    """A row whose event passed validation: its column values (attnames), and the event if it exists;
    then what the write decides: its state, roles (actor id → role, in the row's order) and tags."""

    row: EventRow
    values: dict
    found: _Stored | None
    state: str = ""
    roles: dict | None = None
    tags: frozenset | set = frozenset()


def _plain(value):
    """A choice's plain value (the database gives back a str, not the enum member)."""
    return value.value if isinstance(value, enum.Enum) else value


class EventsBulkWriter:
    """Writes batches of rows through one resolver; the caller owns the transaction and the deferred block,
    and builds the writer inside that transaction (it waits there for other writers: WRITERS_LOCK)."""

    def __init__(self):
        _wait_for_other_writers()
        self.resolver = _Resolver()
        self.result = BulkResult()
        self.derivation = NewEventsDerivation(self.resolver.actor_facts, self.resolver.source_facts)
        self._ahead: tuple[list[EventRow], _Found] | None = None  # the next batch's, read ahead

    def check(self, batch: list[EventRow]) -> list[tuple[int, dict[str, list[str]]]]:
        """The rows the model's rules refuse, with their reasons; writes nothing."""
        return self._validated(batch, self._found(batch).events)[1]

    def _found(self, batch: list[EventRow]) -> _Found:
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] is batch:
            return ahead[1]
        return _find(batch)

    def _read_ahead(self, batch: list[EventRow], found: _Found, upcoming: list[EventRow]) -> None:
        """Find what the next batch names before this batch's writes, so that the next batch's work can
        begin while they run; unless it names an event or report this batch writes (it would not find them
        yet: it is then read when its turn comes)."""
        written_events, written_reports = _keys(batch)
        for stored in found.events.values():
            written_events.update((key, stored.values[key]) for key in EXTERNAL_KEYS)
        events, reports = _keys(upcoming)
        if events.isdisjoint(written_events) and reports.isdisjoint(written_reports):
            with read_ahead():
                self._ahead = (upcoming, _find(upcoming))

    def _validated(self, batch: list[EventRow], existing: dict) -> tuple[list[_Pending], list]:
        pending, refused = [], []
        new_event = _blank(Event)
        for row in batch:
            found = None
            if existing:
                key = next((k for k in EXTERNAL_KEYS if row.fields.get(k) is not None), None)
                found = existing.get((key, row.fields[key])) if key else None
            sub_type = self.resolver.sub_types.get(row.sub_event_type)
            if sub_type is None:
                refused.append(
                    (row.line, {"sub_event_type": [f"Unknown sub-event type {row.sub_event_type!r}."]})
                )
                continue
            plain = EVENT_ATTNAMES.issuperset(row.fields)
            event = self._event(row, sub_type, found, plain)
            # A stored event's every field (its values were not checked here); a new one's, those its
            # row sets (and any default that did not pass as it is).
            only = new_event.to_clean((*row.fields, "latitude", "longitude")) if plain and not found else None
            try:
                full_clean_for_write(event, NOT_VALIDATED, only=only)
            except ValidationError as exc:
                refused.append((row.line, exc.message_dict))
                continue
            values = event.__dict__
            del values["_state"]
            pending.append(_Pending(row, values, found))
        return pending, refused

    def _event(self, row: EventRow, sub_type: SubEventType, found: _Stored | None, plain: bool) -> Event:
        """The event as the row would leave it, for validation: the stored one, or a new one (`_Blank`),
        with the row's values set (attnames when `plain`, else through the model's attributes)."""
        values = dict(found.values) if found else {}
        if plain:
            values.update(row.fields)
        values["latitude"], values["longitude"] = row.latitude, row.longitude
        event = _blank(Event).new(values, {"sub_event_type": sub_type, "event_type": sub_type.event_type})
        if not plain:
            for name, value in row.fields.items():
                setattr(event, name, value)
        return event

    def write(self, batch: list[EventRow], upcoming: list[EventRow] | None = None) -> None:
        """Write the batch, or raise RowsRefused (every refused line) having written nothing of it.

        `upcoming`, the batch the caller will write next, if it knows it: inside `write_behind()`, what that
        batch names is read before this batch's writes are queued (`_read_ahead`)."""
        found = self._found(batch)
        pending, refused = self._validated(batch, found.events)
        if refused:
            raise RowsRefused(refused)
        if not pending:
            return
        with held_writes():
            self._write(pending, found)
            if upcoming and writing_behind():
                self._read_ahead(batch, found, upcoming)

    def _write(self, pending: list[_Pending], found: _Found) -> None:
        resolver = self.resolver
        rows = [p.row for p in pending]
        resolver.load_countries({row.country for row in rows})
        places = resolver.place_ids(rows)
        claimants = (c.claimant for row in rows for c in row.claims if c.claimant is not None)
        resolver.load_actors([*(ref for row in rows for ref, _ in row.actors), *claimants])
        resolver.load_sources(c for row in rows for c in row.claims)
        if any(row.tags for row in rows):
            resolver.load_tags(t for row in rows for t in row.tags)

        actors = resolver.actors
        countries = resolver.countries
        for p, place in zip(pending, places, strict=True):
            p.values["location_id"] = place
            p.values["country_id"] = countries[_country_key(p.row.country)].pk  # derived, with the place
            p.roles = roles = {}
            for ref, role in p.row.actors:
                roles.setdefault(actors[fold(ref.name)], role)  # one role per actor: the first listed
            if p.row.tags:
                p.tags = {resolver.tags[fold(t)] for t in p.row.tags}
            if p.found is None:
                p.state = "created"
            elif (
                _updatable(p.found.values) != _updatable(p.values)
                or p.roles != p.found.roles
                or p.tags != p.found.tags
            ):
                p.state = "updated"
            else:
                p.state = "unchanged"

        now = timezone.now()
        claims = _claims_to_record(pending, resolver, found, now)
        created = [p for p in pending if p.state == "created"]
        updated = [p for p in pending if p.state == "updated"]
        derived_here = self._derive(created, claims)
        for p in created:
            p.values["created_at"] = p.values["updated_at"] = now
        for p in updated:
            p.values["updated_at"] = now
        ids = insert_rows(Event, EVENT_COLUMNS, [_event_row(p.values) for p in created])
        for p, pk in zip(created, ids, strict=True):
            p.values["id"] = pk
        copy_to_history(Event, ids, change="+", reason="import")
        update_rows(
            Event, [*UPDATABLE, "updated_at"], [(*_updatable(p.values), now, p.values["id"]) for p in updated]
        )
        copy_to_history(Event, [p.values["id"] for p in updated], change="~", reason="import")
        _write_roles_and_tags([*created, *updated], replace=[p.values["id"] for p in updated])
        with_new_claims = _write_claims(claims, now)
        for p in pending:
            state = p.state
            if state == "unchanged" and p.values["id"] in with_new_claims:
                state = "updated"
            setattr(self.result, state, getattr(self.result, state) + 1)
        mark(
            events=[
                p.values["id"]
                for p in pending
                if (p.state != "unchanged" or p.values["id"] in with_new_claims) and id(p) not in derived_here
            ]
        )

    def _derive(self, created: list[_Pending], claims: dict[int, list]) -> set[int]:
        """Derive, before they are written, the new events whose claims all cite reports this writer
        created (nothing can link those yet); returns them (by id()). The others are marked."""
        derived = set()
        for p in created:
            recorded = claims.get(id(p), ())
            if any(not claim.fresh for claim in recorded):
                continue
            values = p.values
            values.update(
                zip(
                    EVENT_DERIVED_FIELDS,
                    self.derivation.fields(
                        verdict=values["verdict"],
                        verdict_reason=values["verdict_reason"],
                        sub_event_type=p.row.sub_event_type,
                        roles=p.roles.items(),
                        claims=[claim.facts for claim in recorded],
                    ),
                    strict=True,
                )
            )
            derived.add(id(p))
        return derived


@contextmanager
def bulk_session() -> Iterator[None]:
    """What a bulk write runs in, around its transaction: fewer garbage collections, a larger page cache."""
    with fewer_collections(), larger_cache():
        yield


def events_bulk_write(
    rows: Iterable[EventRow], *, batch_size: int = BATCH_SIZE, progress: Callable[[int], None] | None = None
) -> BulkResult:
    """Upsert events by external id, in batches, all or nothing; returns created/updated/unchanged counts.

    Raises RowsRefused (each bad row's line and reasons) when any row breaks the model's rules; nothing is
    written then.
    """
    # A savepoint of its own: a refused file leaves the caller's transaction usable (nothing was written).
    with bulk_session(), integrity_errors_as_validation(), transaction.atomic(), deferred(), write_behind():
        writer = EventsBulkWriter()
        for batch, upcoming in with_upcoming(batches(rows, batch_size)):
            writer.write(batch, upcoming)
            if progress is not None:
                progress(len(batch))
    return writer.result


def batches(rows: Iterable[EventRow], size: int = BATCH_SIZE) -> Iterator[list[EventRow]]:
    """The rows in batches of `size`, a batch cut short before a row that names an event the batch already
    names: that row then updates what the earlier one wrote, as a row of a later batch does (a batch finds
    its events before it writes any)."""
    batch: list[EventRow] = []
    named: set[tuple] = set()
    for row in rows:
        keys = _external_ids(row)
        if len(batch) >= size or not named.isdisjoint(keys):
            yield batch
            batch, named = [], set()
        batch.append(row)
        named.update(keys)
    if batch:
        yield batch


def with_upcoming(items: Iterable) -> Iterator[tuple]:
    """Each item with the one after it (None after the last)."""
    iterator = iter(items)
    current = next(iterator, None)
    while current is not None:
        upcoming = next(iterator, None)
        yield current, upcoming
        current = upcoming


STORED_COLUMNS = ["id", *EVENT_COLUMNS]


def _find(batch: list[EventRow]) -> _Found:
    reports = {
        key: (pk, source_id, published_on)
        for key, pk, source_id, published_on in select_rows(
            Report,
            ["import_key", "id", "source_id", "published_on"],
            "import_key",
            [c.report_key for row in batch for c in row.claims],
        )
    }
    recorded = set(
        select_rows(
            Claim,
            ["event_id", "report_id", "claimant_id", "stance", "subject"],
            "report_id",
            [pk for pk, _, _ in reports.values()],
        )
    )
    return _Found(_existing_events(batch), reports, recorded)


def _external_ids(row: EventRow) -> list[tuple[str, object]]:
    """The external ids ((key, value)) a row names its event by."""
    return [(key, row.fields[key]) for key in EXTERNAL_KEYS if row.fields.get(key) is not None]


def _keys(batch: list[EventRow]) -> tuple[set, set]:
    """The external ids and report import keys a batch names."""
    events = {pair for row in batch for pair in _external_ids(row)}
    return events, {c.report_key for row in batch for c in row.claims}


def _existing_events(batch: list[EventRow]) -> dict[tuple[str, object], _Stored]:
    """The batch's events already here, by external id, with their roles and tags."""
    found = {}
    for key in EXTERNAL_KEYS:
        values = [row.fields[key] for row in batch if row.fields.get(key) is not None]
        for stored in select_rows(Event, STORED_COLUMNS, key, values):
            event = _Stored(dict(zip(STORED_COLUMNS, stored, strict=True)))
            found[(key, event.values[key])] = event
    if found:
        by_id = {event.values["id"]: event for event in found.values()}
        for event_id, actor_id, role in select_rows(
            EventActor, ["event_id", "actor_id", "role"], "event_id", by_id
        ):
            by_id[event_id].roles[actor_id] = role
        for event_id, tag_id in select_rows(Event.tags.through, ["event_id", "tag_id"], "event_id", by_id):
            by_id[event_id].tags.add(tag_id)
    return found


def _write_roles_and_tags(written: list[_Pending], replace: list[int]) -> None:
    """Roles and tags of the written events; an updated event's are replaced."""
    if replace:
        EventActor.objects.filter(event_id__in=replace).delete()
        Event.tags.through.objects.filter(event_id__in=replace).delete()
    roles = [
        (p.values["id"], actor_id, role, p.values["date_start"])
        for p in written
        for actor_id, role in p.roles.items()
    ]
    insert_rows(EventActor, ["event_id", "actor_id", "role", "event_date"], roles, returning=False)
    copy_to_history(EventActor, {role[0] for role in roles}, change="+", reason="import", by="event_id")
    # Tag links carry no history of their own here (bulk imports record the event's row, not its m2m).
    insert_rows(
        Event.tags.through,
        ["event_id", "tag_id"],
        [(p.values["id"], pk) for p in written for pk in p.tags],
        returning=False,
    )


REPORT_COLUMNS = ["source_id", "title", "url", "author", "published_on", "notes", "import_key", "created_at",
                  "updated_at"]  # fmt: skip
CLAIM_COLUMNS = ["event_id", "report_id", "claimant_id", "speaker_id", "stance", "subject", "casualties_of",
                 "quote", "claimed_fatalities_low", "claimed_fatalities_high", "claimed_on", "notes",
                 "created_at", "updated_at"]  # fmt: skip


@dataclass(slots=True)
class _NewClaim:
    """A claim to record on a pending event; `fresh` when its report was created by this writer."""

    pending: _Pending
    facts: NewClaim
    quote: str
    fresh: bool


def _title(text: str) -> str:
    return text if len(text) <= 500 else text[:499] + "…"


def _claims_to_record(
    pending: list[_Pending], resolver: _Resolver, found: _Found, now
) -> dict[int, list[_NewClaim]]:
    """The claims not recorded yet, by pending row (id()); their reports are found by import key
    (`found`), and the missing ones created (with their history)."""
    claim_rows = [(p, c) for p in pending for c in p.row.claims]
    if not claim_rows:
        return {}
    # import key → (id, source id, published on, created by this writer)
    reports = {key: (*report, False) for key, report in found.reports.items()}
    sources, new_reports = resolver.sources, {}
    for _, c in claim_rows:
        key = c.report_key
        if key not in reports and key not in new_reports:
            new_reports[key] = (sources[fold(c.source)], _title(c.report_title), "", "", c.published_on, "", key,
                                now, now)  # fmt: skip
    ids = insert_rows_with_history(Report, REPORT_COLUMNS, list(new_reports.values()), reason="import")
    for (key, values), pk in zip(new_reports.items(), ids, strict=True):
        reports[key] = (pk, values[0], values[4], True)
    # Claims already recorded can only be on reports that were already here.
    recorded = set(found.recorded)
    actors, claims = resolver.actors, {}
    for p, c in claim_rows:
        report_id, source_id, published_on, fresh = reports[c.report_key]
        claimant = actors[fold(c.claimant.name)] if c.claimant else None
        event = p.found.values["id"] if p.found else id(p)  # a new event has no id yet, and no claim
        signature = (event, report_id, claimant, c.stance, c.subject)
        if signature in recorded:
            continue
        recorded.add(signature)
        facts = NewClaim(report_id, source_id, published_on, c.published_on, claimant, None, c.stance, c.subject,
                         c.casualties_of, c.claimed_fatalities_low, c.claimed_fatalities_high)  # fmt: skip
        found = claims.get(id(p))
        if found is None:
            found = claims[id(p)] = []
        found.append(_NewClaim(p, facts, c.quote, fresh))
    return claims


def _write_claims(claims: dict[int, list[_NewClaim]], now) -> set[int]:
    """Write the claims (with their history rows); returns the events that got one."""
    rows = [
        (claim.pending.values["id"], f.report_id, f.claimant_id, f.speaker_id, f.stance, f.subject, f.casualties_of,
         claim.quote, f.claimed_fatalities_low, f.claimed_fatalities_high, f.claimed_on, "", now, now)
        for recorded in claims.values()
        for claim in recorded
        for f in (claim.facts,)
    ]  # fmt: skip
    insert_rows_with_history(Claim, CLAIM_COLUMNS, rows, reason="import")
    return {row[0] for row in rows}
