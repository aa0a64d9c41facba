"""The bulk write path: validated rows in, events with their places, actors, roles, sources, reports and
claims written in batches, for importers.

Per batch, a fixed number of queries whatever its size: names are resolved once (places level by level,
actors through their aliases, sources, vocabulary), missing ones created with `bulk_create`, events upserted
by external id (ACLED `event_id_cnty` or UCDP id), and their derived state re-derived in sets at the end of
the caller's `deferred()` block. Lookups are by index and the caches only grow by what a batch adds, so a
row costs the same whether it comes first or millionth. History rows are written in bulk too.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from actors.models import Actor, ActorAlias
from core.deferred import deferred
from core.integrity import integrity_errors_as_validation, validate_for_write
from locations.models import Location, LocationAlias
from locations.tree import location_path
from sources.models import Report, Source

from ..models import Claim, Event, EventActor, SubEventType, Tag
from ..verification import mark

BATCH_SIZE = 2000
PLACE_LEVELS = (Location.Level.ADMIN1, Location.Level.ADMIN2, Location.Level.ADMIN3, Location.Level.PLACE)


@dataclass(frozen=True)
class CountryRef:
    name: str
    iso2: str | None = None
    iso3: str | None = None


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
    source_scale: str = Source.Scale.NEW_MEDIA
    published_on: object = None
    stance: str = Claim.Stance.ASSERTS
    subject: str = Claim.Subject.OCCURRENCE
    claimant: ActorRef | None = None
    quote: str = ""
    claimed_fatalities_low: int | None = None
    claimed_fatalities_high: int | None = None


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
    """Rows that failed the model's rules, each with its line: nothing was written."""

    def __init__(self, errors: list[tuple[int, dict[str, list[str]]]]):
        self.refused = errors
        super().__init__(
            [f"line {line}: {name}: {'; '.join(msgs)}" for line, e in errors for name, msgs in e.items()]
        )


def _key(name: str) -> str:
    return name.strip().casefold()


class _Resolver:
    """Names to rows, remembered across batches; each batch asks the database once per kind of name."""

    def __init__(self):
        self.sub_types = {t.slug: t for t in SubEventType.objects.select_related("event_type")}
        self.countries: dict[str, Location] = {}
        self.places: dict[tuple[int, int, str], Location] = {}
        self.actors: dict[str, Actor] = {}
        self.sources: dict[str, Source] = {}
        self.tags: dict[str, Tag] = {}

    def country(self, ref: CountryRef) -> Location:
        return self.countries[_key(ref.iso3 or ref.name)]

    def load_countries(self, refs: set[CountryRef]) -> None:
        missing = {_key(r.iso3 or r.name): r for r in refs}
        missing = {k: r for k, r in missing.items() if k not in self.countries}
        if not missing:
            return
        iso3s = [r.iso3.upper() for r in missing.values() if r.iso3]
        names = [_key(r.name) for r in missing.values()]
        found = Location.objects.countries().annotate(lowered=Lower("name"))
        for country in found.filter(Q(iso3__in=iso3s) | Q(lowered__in=names)):
            for k, r in missing.items():
                if (r.iso3 and country.iso3 == r.iso3.upper()) or country.lowered == _key(r.name):
                    self.countries[k] = country
        new = {
            k: Location(name=r.name.strip(), level=Location.Level.COUNTRY, iso2=r.iso2, iso3=r.iso3, path="/")
            for k, r in missing.items()
            if k not in self.countries
        }
        _create(list(new.values()), Location)
        self.countries.update(new)

    def load_places(self, rows: list[EventRow]) -> None:
        """Each level of names in one lookup (names and aliases), missing ones created under their parent."""
        for depth, level in enumerate(PLACE_LEVELS):
            wanted: dict[tuple[int, int, str], str] = {}
            for row in rows:
                parent = self.parent_of(row, depth)
                name = row.places[depth].strip() if depth < len(row.places) else ""
                if name:
                    wanted.setdefault((parent.pk, level, _key(name)), name)
            missing = {k: v for k, v in wanted.items() if k not in self.places}
            if not missing:
                continue
            parents = {k[0] for k in missing}
            keys = {k[2] for k in missing}
            found = Location.objects.filter(parent_id__in=parents, level=level).annotate(
                lowered=Lower("name")
            )
            for place in found.filter(lowered__in=keys):
                self.places[(place.parent_id, level, place.lowered)] = place
            for alias in (
                LocationAlias.objects.filter(location__parent_id__in=parents, location__level=level)
                .annotate(lowered=Lower("name"))
                .filter(lowered__in=keys)
                .select_related("location")
            ):
                self.places.setdefault((alias.location.parent_id, level, alias.lowered), alias.location)
            parents_by_id = {
                p.pk: p for p in [*self.countries.values(), *self.places.values()] if p.pk in parents
            }
            new = {
                k: Location(
                    name=name,
                    level=level,
                    parent=parents_by_id[k[0]],
                    path=location_path(parents_by_id[k[0]]),
                )
                for k, name in missing.items()
                if k not in self.places
            }
            _create(list(new.values()), Location)
            self.places.update(new)

    def parent_of(self, row: EventRow, depth: int) -> Location:
        """The most precise known place of a row above `depth` (levels may be skipped)."""
        place = self.country(row.country)
        for d, level in enumerate(PLACE_LEVELS[:depth]):
            name = row.places[d].strip() if d < len(row.places) else ""
            if name:
                place = self.places[(place.pk, level, _key(name))]
        return place

    def load_actors(self, refs: set[ActorRef]) -> None:
        missing = {_key(r.name): r for r in refs if _key(r.name) not in self.actors}
        if not missing:
            return
        for actor in Actor.objects.annotate(lowered=Lower("name")).filter(lowered__in=list(missing)):
            self.actors[actor.lowered] = actor
        for alias in (
            ActorAlias.objects.annotate(lowered=Lower("name"))
            .filter(lowered__in=[k for k in missing if k not in self.actors])
            .select_related("actor")
        ):
            self.actors.setdefault(alias.lowered, alias.actor)
        new = {k: Actor(name=r.name.strip(), kind=r.kind) for k, r in missing.items() if k not in self.actors}
        _create(list(new.values()), Actor)
        self.actors.update(new)

    def load_sources(self, claims: list[ClaimRow]) -> None:
        missing = {_key(c.source): c for c in claims if _key(c.source) not in self.sources}
        if not missing:
            return
        for source in Source.objects.annotate(lowered=Lower("name")).filter(lowered__in=list(missing)):
            self.sources[source.lowered] = source
        new = {
            k: Source(name=c.source.strip(), kind=Source.Kind.OTHER, scale=c.source_scale)
            for k, c in missing.items()
            if k not in self.sources
        }
        _create(list(new.values()), Source)
        self.sources.update(new)

    def load_tags(self, names: set[str]) -> None:
        missing = {_key(n): n.strip() for n in names if _key(n) not in self.tags}
        if not missing:
            return
        for tag in Tag.objects.annotate(lowered=Lower("name")).filter(lowered__in=list(missing)):
            self.tags[tag.lowered] = tag
        new = {k: Tag(name=n) for k, n in missing.items() if k not in self.tags}
        _create(list(new.values()), Tag)
        self.tags.update(new)


def _create(objs: list, model) -> list:
    """Validate and create new rows with their history rows: two INSERTs, whatever the count."""
    for obj in objs:
        try:
            validate_for_write(obj)
        except ValidationError as exc:
            label = f"{model._meta.verbose_name} {obj.name if hasattr(obj, 'name') else obj}"
            raise ValidationError({f"{label}: {k}": v for k, v in exc.message_dict.items()}) from exc
    return bulk_create_with_history(objs, model, batch_size=BATCH_SIZE) if objs else []


def events_bulk_write(
    rows: Iterable[EventRow], *, batch_size: int = BATCH_SIZE, progress: Callable[[int], None] | None = None
) -> BulkResult:
    """Upsert events by external id, in batches, all or nothing; returns created/updated/unchanged counts.

    Raises RowsRefused (with each row's line and reasons) when any row breaks the model's rules; nothing
    is written then.
    """
    result = BulkResult()
    resolver = _Resolver()
    # A savepoint of its own: a refused file leaves the caller's transaction usable (nothing was written).
    with integrity_errors_as_validation(), transaction.atomic(), deferred():
        iterator = iter(rows)
        while batch := list(islice(iterator, batch_size)):
            _write_batch(batch, resolver, result)
            if progress is not None:
                progress(len(batch))
    return result


EXTERNAL_KEYS = ("acled_event_id", "ucdp_ged_id")
UPDATABLE = [
    "date_start", "date_end", "date_precision", "event_type_id", "sub_event_type_id", "location_id",
    "geo_precision", "latitude", "longitude", "fatalities_low", "fatalities_best", "fatalities_high",
    "civilian_targeting", "summary", "notes", "acled_event_id", "ucdp_ged_id",
]  # fmt: skip


def _write_batch(batch: list[EventRow], resolver: _Resolver, result: BulkResult) -> None:
    resolver.load_countries({row.country for row in batch})
    resolver.load_places(batch)
    claimants = {c.claimant for row in batch for c in row.claims if c.claimant is not None}
    resolver.load_actors({ref for row in batch for ref, _ in row.actors} | claimants)
    resolver.load_sources([c for row in batch for c in row.claims])
    resolver.load_tags({t for row in batch for t in row.tags})

    existing = _existing_events(batch)
    rows, errors = [], []
    for row in batch:
        key = next((k for k in EXTERNAL_KEYS if row.fields.get(k) is not None), None)
        found = existing.get((key, row.fields[key])) if key else None
        sub_type = resolver.sub_types.get(row.sub_event_type)
        if sub_type is None:
            errors.append((row.line, {"sub_event_type": [f"Unknown sub-event type {row.sub_event_type!r}."]}))
            continue
        event = found or Event()
        before = _values(event) if found else None
        for name, value in row.fields.items():
            setattr(event, name, value)
        event.sub_event_type, event.event_type = sub_type, sub_type.event_type
        event.location = resolver.parent_of(row, len(PLACE_LEVELS))
        event.latitude, event.longitude = row.latitude, row.longitude
        try:
            validate_for_write(event)
        except ValidationError as exc:
            errors.append((row.line, exc.message_dict))
            continue
        roles = _roles(row, resolver)
        tags = {resolver.tags[_key(t)].pk for t in row.tags}
        if found is None:
            rows.append((row, event, "created", roles, tags))
        elif before != _values(event) or roles != _current_roles(found) or tags != _current_tags(found):
            rows.append((row, event, "updated", roles, tags))
        else:
            rows.append((row, event, "unchanged", roles, tags))
    if errors:
        raise RowsRefused(errors)

    created = [event for _, event, state, _, _ in rows if state == "created"]
    updated = [event for _, event, state, _, _ in rows if state == "updated"]
    now = timezone.now()
    for event in updated:
        event.updated_at = now
    Event.all_objects.bulk_create(created, batch_size=BATCH_SIZE)
    if updated:
        Event.all_objects.bulk_update(updated, [*UPDATABLE, "updated_at"], batch_size=BATCH_SIZE)
    Event.history.bulk_history_create(created, default_change_reason="import")
    Event.history.bulk_history_create(updated, update=True, default_change_reason="import")
    _write_roles_and_tags([r for r in rows if r[2] != "unchanged"], replace=[e.pk for e in updated])
    with_new_claims = _write_claims(rows, resolver)
    for _, event, state, _, _ in rows:
        if state == "unchanged" and event.pk in with_new_claims:
            state = "updated"
        setattr(result, state, getattr(result, state) + 1)
    mark(
        events=[
            event.pk for _, event, state, _, _ in rows if state != "unchanged" or event.pk in with_new_claims
        ]
    )


def _values(event: Event) -> tuple:
    return tuple(getattr(event, name) for name in UPDATABLE)


def _roles(row: EventRow, resolver: _Resolver) -> dict[int, str]:
    roles: dict[int, str] = {}
    for ref, role in row.actors:
        roles.setdefault(resolver.actors[_key(ref.name)].pk, role)  # one role per actor: the first listed
    return roles


def _current_roles(event: Event) -> dict[int, str]:
    return {ea.actor_id: ea.role for ea in event.event_actors.all()}


def _current_tags(event: Event) -> set[int]:
    return {t.pk for t in event.tags.all()}


def _existing_events(batch: list[EventRow]) -> dict[tuple[str, object], Event]:
    found = {}
    for key in EXTERNAL_KEYS:
        values = [row.fields[key] for row in batch if row.fields.get(key) is not None]
        if values:
            for event in Event.all_objects.filter(**{f"{key}__in": values}).prefetch_related(
                "event_actors", "tags"
            ):
                found[(key, getattr(event, key))] = event
    return found


def _write_roles_and_tags(rows: list, replace: list[int]) -> None:
    """Roles and tags of the written events; an updated event's are replaced."""
    if replace:
        EventActor.objects.filter(event_id__in=replace).delete()
        Event.tags.through.objects.filter(event_id__in=replace).delete()
    roles = [
        EventActor(event=event, actor_id=actor_id, role=role)
        for _, event, _, wanted, _ in rows
        for actor_id, role in wanted.items()
    ]
    if roles:
        bulk_create_with_history(roles, EventActor, batch_size=BATCH_SIZE)
    through = Event.tags.through
    through.objects.bulk_create(
        [through(event=event, tag_id=pk) for _, event, _, _, tags in rows for pk in tags],
        batch_size=BATCH_SIZE,
    )


def _write_claims(rows: list, resolver: _Resolver) -> set[int]:
    """Reports (found again by their import key) and claims not yet recorded; returns events that got one."""
    claim_rows = [(event, c) for row, event, _, _, _ in rows for c in row.claims]
    if not claim_rows:
        return set()
    keys = list({c.report_key for _, c in claim_rows})
    reports = {r.import_key: r for r in Report.objects.filter(import_key__in=keys)}
    new_reports = {}
    for _, c in claim_rows:
        if c.report_key not in reports:
            new_reports.setdefault(
                c.report_key,
                Report(
                    source=resolver.sources[_key(c.source)],
                    title=c.report_title,
                    published_on=c.published_on,
                    import_key=c.report_key,
                ),
            )
    _create(list(new_reports.values()), Report)
    reports.update(new_reports)
    recorded = set(
        Claim.objects.filter(report__import_key__in=keys).values_list(
            "event_id", "report_id", "claimant_id", "stance", "subject"
        )
    )
    claims = []
    for event, c in claim_rows:
        report = reports[c.report_key]
        claimant = resolver.actors[_key(c.claimant.name)] if c.claimant else None
        signature = (event.pk, report.pk, claimant.pk if claimant else None, c.stance, c.subject)
        if signature in recorded:
            continue
        recorded.add(signature)
        claims.append(
            Claim(
                event=event,
                report=report,
                claimant=claimant,
                stance=c.stance,
                subject=c.subject,
                quote=c.quote,
                claimed_fatalities_low=c.claimed_fatalities_low,
                claimed_fatalities_high=c.claimed_fatalities_high,
                claimed_on=c.published_on,
            )
        )
    _create(claims, Claim)
    return {claim.event_id for claim in claims}
