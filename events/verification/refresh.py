"""The one owner of an event's derived verification state (status, reason, independent reports, each other
subject's status and reason, the range of claimed fatalities: models.EVENT_DERIVED_FIELDS).

Every write path — services, the admin, importers, plain ORM saves and deletes — only *marks* what it
touched (events, or reports, sources and actors whose change can move an event's status); the receivers in
`receivers.py` do that for single-row saves and deletes, bulk paths call `mark()` themselves. The marks are
recomputed once per object per transaction:

- inside a `core.deferred.deferred()` block (every service runs in one), when the outermost block ends, still inside the
  caller's transaction, so the stored state commits together with the change that moved it;
- otherwise at commit (`transaction.on_commit`; right away in autocommit mode).

Events are re-derived in sets (a fixed number of queries per batch, whatever the batch size), under a row
lock on PostgreSQL (`SELECT … FOR NO KEY UPDATE`, taken in id order): a concurrent writer waits, then
re-derives with every committed claim in view, so the last one to commit always leaves the right state.

Events a bulk writer creates are derived before they are written, from what the writer holds
(`NewEventsDerivation`: their roles and claims, the names, operators and affiliations it has loaded), so
that the INSERT carries their state and nothing is read back. No one else can see or change those events
before the writer's transaction commits; what the derivation assumed of the rows others can change (a
source's operator, an actor's affiliation) is checked again when the marks are flushed, and the events of
whatever moved are re-derived from the database then.
"""

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Value
from django.utils import timezone

from actors.models import Actor
from core.bulk_sql import update_rows
from core.deferred import is_deferring, register_flusher
from sources.models import Report, ReportDerivation, Source

from ..claimants import actor_and_members, claims_made_by
from ..models import EVENT_DERIVED_FIELDS, Claim, Event, EventActor
from .rules import ASSERTING, CONTROL_CHANGE_TYPES, VerificationResult, derive

BATCH_SIZE = 1000


@dataclass
class _Marks:
    events: set[int] = field(default_factory=set)
    reports: set[int] = field(default_factory=set)
    sources: set[int] = field(default_factory=set)
    actors: set[int] = field(default_factory=set)
    # What derivations in memory assumed (NewEventsDerivation): source → operator, actor → affiliation.
    assumed_operators: dict[int, int | None] = field(default_factory=dict)
    assumed_affiliations: dict[int, int | None] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(
            self.events
            or self.reports
            or self.sources
            or self.actors
            or self.assumed_operators
            or self.assumed_affiliations
        )

    def take(self) -> "_Marks":
        taken = _Marks(self.events, self.reports, self.sources, self.actors, self.assumed_operators,
                       self.assumed_affiliations)  # fmt: skip
        self.events, self.reports, self.sources, self.actors = set(), set(), set(), set()
        self.assumed_operators, self.assumed_affiliations = {}, {}
        return taken


_local = threading.local()


def _marks() -> _Marks:
    marks = getattr(_local, "marks", None)
    if marks is None:
        marks = _local.marks = _Marks()
    return marks


def mark(
    *,
    events: Iterable[int] = (),
    reports: Iterable[int] = (),
    sources: Iterable[int] = (),
    actors: Iterable[int] = (),
) -> None:
    """Record that these rows changed in a way that can move the status of events (ids only, no queries)."""
    marks = _marks()
    marks.events.update(pk for pk in events if pk is not None)
    marks.reports.update(pk for pk in reports if pk is not None)
    marks.sources.update(pk for pk in sources if pk is not None)
    marks.actors.update(pk for pk in actors if pk is not None)
    if not is_deferring():
        transaction.on_commit(flush)  # runs at once outside a transaction


def flush() -> int:
    """Re-derive every marked event now (unless a deferred block is open); returns how many changed."""
    marks = _marks()
    if is_deferring() or not marks:
        return 0
    taken = marks.take()
    _mark_what_moved(taken)
    return events_rederive(_affected_events(taken))


def _mark_what_moved(marks: _Marks) -> None:
    """The sources and actors whose operator or affiliation is no longer what a derivation in memory
    assumed (another transaction changed it meanwhile): one query, and their events are re-derived."""
    if not marks.assumed_operators and not marks.assumed_affiliations:
        return
    sources = (
        Source.objects.filter(pk__in_ids=marks.assumed_operators)
        .order_by()
        .values_list(Value("source"), "pk", "operated_by_id")
    )
    actors = (
        Actor.objects.filter(pk__in_ids=marks.assumed_affiliations)
        .order_by()
        .values_list(Value("actor"), "pk", "affiliation_id")
    )
    now = {"source": {}, "actor": {}}
    for kind, pk, value in sources.union(actors, all=True):
        now[kind][pk] = value
    for pk, operator in marks.assumed_operators.items():
        if now["source"].get(pk, -1) != operator:
            marks.sources.add(pk)
    for pk, affiliation in marks.assumed_affiliations.items():
        if now["actor"].get(pk, -1) != affiliation:
            marks.actors.add(pk)


register_flusher(flush)


def _affected_events(marks: _Marks) -> set[int]:
    event_ids = set(marks.events)
    report_ids = set(marks.reports)
    if marks.sources:
        report_ids |= set(Report.objects.filter(source_id__in=marks.sources).values_list("pk", flat=True))
    if report_ids:
        # A derivation can merge or split whole chains of reports: every event citing any of them may move.
        report_ids = _derivation_closure(report_ids)[0]
        event_ids |= set(
            Claim.objects.filter(report_id__in=report_ids)
            .order_by()
            .values_list("event_id", flat=True)
            .distinct()
        )
    if marks.actors:
        # Whose voice or whose party an actor (and anyone affiliated to it) is, decides disputes and parties.
        members = actor_and_members(marks.actors)
        event_ids |= set(Claim.objects.filter(claims_made_by(members)).values_list("event_id", flat=True))
        event_ids |= set(
            EventActor.objects.filter(actor_id__in=members)
            .order_by()
            .values_list("event_id", flat=True)
            .distinct()
        )
    return event_ids


def _derivation_closure(report_ids: set[int]) -> tuple[set[int], set[tuple[int, int]]]:
    """Every report linked to these by derivation (either way, transitively), and those links."""
    seen, frontier, links = set(report_ids), set(report_ids), set()
    while frontier:
        found = ReportDerivation.objects.filter(
            Q(report_id__in=frontier) | Q(derived_from_id__in=frontier)
        ).values_list("report_id", "derived_from_id")
        links.update(found)
        frontier = {node for link in links for node in link} - seen
        seen |= frontier
    return seen, links


def events_rederive(event_ids: Iterable[int]) -> int:
    """Re-derive and store the verification of these events, in batches, each under a row lock.

    Returns how many changed status, reason or count.
    """
    ids = iter(sorted(set(event_ids)))
    count = 0
    while batch := list(islice(ids, BATCH_SIZE)):
        with transaction.atomic(savepoint=False):
            count += _rederive_batch(batch)
    return count


@dataclass(slots=True)
class _Actor:
    pk: int
    name: str
    affiliation_id: int | None
    affiliation: "_Actor | None" = None


@dataclass(slots=True)
class _Source:
    name: str
    operated_by: _Actor | None


@dataclass(slots=True)
class _Report:
    source_id: int
    published_on: object
    source: _Source
    # The reports it republishes, as (source name, published on, title): reasons name the original.
    republishes: tuple = ()


@dataclass(slots=True)
class _Claim:
    """What the rules read of a claim (see events.claimants), built from plain values: no model instances."""

    stance: str
    report_id: int
    claimed_on: object
    claimant: _Actor | None
    speaker: _Actor | None
    report: _Report
    subject: str
    casualties_of: str
    claimed_fatalities_low: int | None
    claimed_fatalities_high: int | None


CLAIM_VALUES = (
    "event_id", "stance", "report_id", "claimed_on", "report__published_on", "report__source_id",
    "report__source__name", "report__source__operated_by_id", "claimant_id", "speaker_id",
    "subject", "casualties_of", "claimed_fatalities_low", "claimed_fatalities_high",
)  # fmt: skip


def _load_claims(event_ids: list[int]) -> dict[int, list[_Claim]]:
    """Each event's claims in time order, with their voices and those voices' affiliation chains."""
    rows = list(
        Claim.objects.filter(event_id__in_ids=event_ids)
        .annotate(republishes=Exists(_REPUBLISHES.filter(report_id=OuterRef("report_id"))))
        .order_by("claimed_on", "id")
        .values_list(*CLAIM_VALUES, "republishes")
    )
    actors = _load_actors({pk for row in rows for pk in (row[7], row[8], row[9]) if pk is not None})
    originals = _load_originals({row[2] for row in rows if row[-1]})
    sources: dict[int, _Source] = {}
    claims: dict[int, list[_Claim]] = {pk: [] for pk in event_ids}
    for (
        event_id,
        stance,
        report_id,
        claimed_on,
        published_on,
        source_id,
        source_name,
        operator,
        claimant,
        speaker,
        *about,
        _,
    ) in rows:
        source = sources.get(source_id)
        if source is None:
            source = sources[source_id] = _Source(source_name, actors.get(operator))
        claims[event_id].append(
            _Claim(stance, report_id, claimed_on, actors.get(claimant), actors.get(speaker),
                   _Report(source_id, published_on, source, originals.get(report_id, ())), *about)
        )  # fmt: skip
    return claims


_REPUBLISHES = ReportDerivation.objects.filter(relation=ReportDerivation.Relation.REPUBLISHES)


def _load_originals(report_ids: set[int]) -> dict[int, tuple]:
    """What each of these reports republishes, for the words of reasons: one query, and none when no
    claim's report republishes anything (the claims query says which do)."""
    originals: dict[int, tuple] = {}
    if not report_ids:
        return originals
    for report_id, *original in (
        _REPUBLISHES.filter(report_id__in_ids=report_ids)
        .order_by(F("derived_from__published_on").asc(nulls_last=True), "derived_from_id")
        .values_list(
            "report_id", "derived_from__source__name", "derived_from__published_on", "derived_from__title"
        )
    ):
        originals[report_id] = (*originals.get(report_id, ()), tuple(original))
    return originals


def _load_actors(ids: set[int]) -> dict[int, _Actor]:
    """The actors and everyone up their affiliation chains: one query per level of the chain."""
    actors: dict[int, _Actor] = {}
    wanted = set(ids)
    while wanted:
        for pk, name, affiliation in Actor.objects.filter(pk__in_ids=wanted).values_list(
            "pk", "name", "affiliation_id"
        ):
            actors[pk] = _Actor(pk, name, affiliation)
        wanted = {a.affiliation_id for a in actors.values() if a.affiliation_id is not None} - actors.keys()
    for actor in actors.values():
        actor.affiliation = actors.get(actor.affiliation_id)
    return actors


def _dependence_links(report_ids: set[int]) -> set[tuple[int, int]]:
    """What makes reports dependent, as links for `rules.independent_groups`: the derivation links among and
    around them (either way, transitively), and, when there are any, a link between any two of the reports
    they reach that have the same source: a report republishing another outlet's story speaks with that
    outlet's voice, so it is not independent of the outlet's own report on the event."""
    reached, links = _derivation_closure(report_ids)
    if links:
        first_of_source: dict[int, int] = {}
        for pk, source_id in (
            Report.objects.filter(pk__in=reached).order_by("pk").values_list("pk", "source_id")
        ):
            first = first_of_source.setdefault(source_id, pk)
            if first != pk:
                links.add((pk, first))
    return links


def _results(events: list[Event]) -> dict[int, VerificationResult]:
    """What the rules say about each event now: its claims, parties and derivation links, read in sets."""
    event_ids = [event.pk for event in events]
    claims = _load_claims(event_ids)
    parties: dict[int, set[int]] = {pk: set() for pk in event_ids}
    sides: dict[int, dict[str, list[str]]] = {pk: {} for pk in event_ids}
    for event_id, actor_id, role, name in (
        EventActor.objects.filter(event_id__in_ids=event_ids)
        .order_by("id")
        .values_list("event_id", "actor_id", "role", "actor__name")
    ):
        parties[event_id].add(actor_id)
        sides[event_id].setdefault(role, []).append(name)
    # Independence only matters between two or more asserting reports: skip the walk otherwise.
    asserting_reports = {
        c.report_id for event_claims in claims.values() for c in event_claims if c.stance in ASSERTING
    }
    links = _dependence_links(asserting_reports) if len(asserting_reports) > 1 else set()
    return {
        event.pk: derive(
            verdict=event.verdict,
            verdict_reason=event.verdict_reason,
            claims=claims[event.pk],
            party_ids=parties[event.pk],
            links=links,
            control_change=event.sub_event_type.slug in CONTROL_CHANGE_TYPES,
            sides={role: " and ".join(names) for role, names in sides[event.pk].items()},
        )
        for event in events
    }


def _rederive_batch(event_ids: list[int]) -> int:
    events = list(
        Event.all_objects.select_for_update(no_key=True)
        .filter(pk__in_ids=event_ids)
        .select_related("sub_event_type")
        .order_by("pk")
        .only("pk", "verdict", "verdict_reason", "sub_event_type__slug", *EVENT_DERIVED_FIELDS)
    )
    results = _results(events)
    changed = []
    now = timezone.now()
    for event in events:
        values = results[event.pk].fields()
        if _derived(event) != tuple(values[name] for name in EVENT_DERIVED_FIELDS):
            for name, value in values.items():
                setattr(event, name, value)
            event.updated_at = now  # sync clients see a status change as a change
            changed.append(event)
    update_rows(
        Event, [*EVENT_DERIVED_FIELDS, "updated_at"], [(*_derived(e), e.updated_at, e.pk) for e in changed]
    )
    return len(changed)


def _derived(event: Event) -> tuple:
    return tuple(getattr(event, name) for name in EVENT_DERIVED_FIELDS)


def event_verification(event: Event) -> VerificationResult:
    """What the rules say about one event now, from the database (for display, checks and tests)."""
    return _results([event])[event.pk]


# --- events a bulk writer creates ---------------------------------------------------------------------


@dataclass(slots=True)
class NewClaim:
    """A claim a bulk writer is about to record on an event it creates, as the writer knows it."""

    report_id: int
    source_id: int
    published_on: object  # the report's
    claimed_on: object
    claimant_id: int | None
    speaker_id: int | None
    stance: str
    subject: str
    casualties_of: str
    claimed_fatalities_low: int | None
    claimed_fatalities_high: int | None


_derived_values = itemgetter(*EVENT_DERIVED_FIELDS)


class NewEventsDerivation:
    """The derived state of events a bulk writer is creating, before it writes them: the same `derive` as
    `events_rederive`, given what the database would give it.

    Only for events whose claims all cite reports created in the same transaction (no derivation link can
    join those yet). `actors` (pk → (name, affiliation id)) and `sources` (pk → (name, operator id)) are the
    writer's own indexes, covering every actor and source it names; what is read from them about operators
    and affiliations is recorded and checked again at the flush (`_mark_what_moved`).
    """

    def __init__(
        self, actors: Mapping[int, tuple[str, int | None]], sources: Mapping[int, tuple[str, int | None]]
    ):
        self.actors, self.sources = actors, sources
        self._actors: dict[int, _Actor] = {}
        self._sources: dict[int, _Source] = {}
        # Claims are read in (claimed_on, id) order; where an unknown date sorts is the database's choice.
        self._unknown_last = connection.features.nulls_order_largest

    def fields(
        self,
        *,
        verdict: str,
        verdict_reason: str,
        sub_event_type: str,
        roles: Iterable[tuple[int, str]],
        claims: list[NewClaim],
    ) -> tuple:
        """The event's EVENT_DERIVED_FIELDS values; `roles` (actor, role) and `claims` in the order they are
        written (their ids' order)."""
        parties: set[int] = set()
        sides: dict[str, list[str]] = {}
        for actor_id, role in roles:
            parties.add(actor_id)
            sides.setdefault(role, []).append(self.actors[actor_id][0])
        loaded = [self._claim(c) for c in claims]
        if len(loaded) > 1:
            known = [c for c in loaded if c.claimed_on is not None]
            unknown = [c for c in loaded if c.claimed_on is None]
            known.sort(key=lambda c: c.claimed_on)  # stable: the same day keeps the id order
            loaded = known + unknown if self._unknown_last else unknown + known
        values = derive(
            verdict=verdict,
            verdict_reason=verdict_reason,
            claims=loaded,
            party_ids=parties,
            links=set(),
            control_change=sub_event_type in CONTROL_CHANGE_TYPES,
            sides={role: " and ".join(names) for role, names in sides.items()},
        ).fields()
        return _derived_values(values)

    def _claim(self, c: NewClaim) -> _Claim:
        report = _Report(c.source_id, c.published_on, self._source(c.source_id))
        claimant, speaker = self._actor(c.claimant_id), self._actor(c.speaker_id)
        return _Claim(c.stance, c.report_id, c.claimed_on, claimant, speaker, report, c.subject,
                      c.casualties_of, c.claimed_fatalities_low, c.claimed_fatalities_high)  # fmt: skip

    def _source(self, pk: int) -> _Source:
        source = self._sources.get(pk)
        if source is None:
            name, operator = self.sources[pk]
            source = self._sources[pk] = _Source(name, self._actor(operator))
        _marks().assumed_operators.setdefault(pk, source.operated_by.pk if source.operated_by else None)
        return source

    def _actor(self, pk: int | None) -> _Actor | None:
        """A voice and its affiliation chain, as the writer's index has them."""
        if pk is None:
            return None
        actor = self._actors.get(pk)
        if actor is None:
            name, affiliation = self.actors[pk]
            actor = self._actors[pk] = _Actor(pk, name, affiliation)
            actor.affiliation = self._actor(affiliation)  # cached before the walk: a cycle ends here
        marks = _marks().assumed_affiliations
        while actor is not None and actor.pk not in marks:
            marks[actor.pk] = actor.affiliation_id
            actor = actor.affiliation
        return self._actors[pk]
