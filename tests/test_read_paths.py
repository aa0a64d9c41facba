"""The read paths that keep lists fast at millions of events: the text index stays in step with every kind of
write, and the indexes the list shapes need are the ones the database uses (plans, not timings)."""

import datetime
import re
from dataclasses import replace

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from actors.models import Actor
from events.models import Event, SubEventType
from events.search import SQLITE_TRIGGERS, TABLE, ensure_text_index
from tests import factories as f

pytestmark = pytest.mark.django_db


def ids(client, **params):
    response = client.get("/api/v1/events/", params)
    assert response.status_code == 200, response.content
    return {e["id"] for e in response.json()["results"]}


def test_text_search_takes_words_and_their_starts_in_any_case(client):
    shelling = f.EventFactory(summary="Shelling near Bazarak", notes="Residents heard artillery overnight.")
    f.EventFactory(summary="Talks in Doha", notes="")
    assert ids(client, q="bazarak") == {shelling.pk}
    assert ids(client, q="Artill overnight") == {shelling.pk}  # every word, each as a word or its start
    assert ids(client, q="artillery Doha") == set()
    assert ids(client, q="tillery") == set()  # inside a word is not a word
    if connection.vendor == "sqlite":  # FTS5's tokenizer folds accents; PostgreSQL's 'simple' does not
        accented = f.EventFactory(summary="Clashes in Panjshīr")
        assert ids(client, q="panjshir") == {accented.pk}


def test_the_text_index_follows_updates_deletes_and_bulk_writes(client):
    event = f.EventFactory(notes="lions")
    assert ids(client, q="lions") == {event.pk}
    Event.objects.filter(pk=event.pk).update(notes="tigers")  # a queryset update: no Python in between
    assert ids(client, q="lions") == set() and ids(client, q="tigers") == {event.pk}
    Event.all_objects.filter(pk=event.pk).delete()
    assert ids(client, q="tigers") == set()
    created = Event.all_objects.bulk_create([f.EventFactory.build(notes="leopards", location=event.location,
                                                                  event_type=event.event_type,
                                                                  sub_event_type=event.sub_event_type)])  # fmt: skip
    assert ids(client, q="leopards") == {created[0].pk}


def test_text_without_words_is_matched_as_text(client):
    event = f.EventFactory(notes="Casualties: ??? (unknown)")
    f.EventFactory(notes="Casualties: 3")
    assert ids(client, q="???") == {event.pk}


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite drops a table's triggers when Django remakes it"
)
def test_migrate_puts_back_a_missing_trigger_and_refills_the_index(client):
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {TABLE}_insert")
    missed = f.EventFactory(notes="written while the trigger was gone")
    assert ids(client, q="gone") == set()
    call_command("migrate", verbosity=0)  # post_migrate: events.apps._ensure_text_index
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", (f"{TABLE}%",)
        )
        assert {row[0] for row in cursor.fetchall()} == set(SQLITE_TRIGGERS)
    assert ids(client, q="gone") == {missed.pk}
    ensure_text_index(connection)  # idempotent


NAME_TEXTS = [
    "nau",
    "NAU",
    "Qala-i",
    "a-i-N",
    "Kala",
    "ala",
    "Qa",
    "q",
    "-",
    "100%",
    "10_0",
    'say "no',
    "it's",
]


def test_names_are_found_as_substrings_in_any_case_as_icontains_finds_them():
    """The names' trigram indexes (SQLite) answer as `name__icontains` does, for texts of any length and
    any character, LIKE's and FTS5's own syntax included; on PostgreSQL it is icontains itself."""
    from actors.models import Actor, ActorAlias
    from core.text_index import name_contains
    from locations.models import Location, LocationAlias

    town = f.LocationFactory(level=4, name="Qala-i-Naw")
    LocationAlias.objects.create(location=town, name='Kala Nau "100%"')
    f.LocationFactory(level=4, name='It\'s 10_0 Say "No" city')
    group = f.ActorFactory(name="Qala-i-Naw Front")
    ActorAlias.objects.create(actor=group, name='It\'s 100% say "no"')
    for model in (Location, LocationAlias, Actor, ActorAlias):
        hits = 0
        for text in NAME_TEXTS:
            found = set(model.objects.filter(name_contains(model, text, connection.vendor)))
            assert found == set(model.objects.filter(name__icontains=text)), (model, text)
            hits += len(found)
        assert hits >= 3, model  # the texts do find names


def test_the_name_indexes_follow_inserts_renames_and_deletes(client):
    from actors.models import ActorAlias
    from locations.models import LocationAlias

    town = f.LocationFactory(level=4, name="Bazarak")
    at_town = f.EventFactory(location=town)
    group = f.ActorFactory(name="Kestrel Front")
    with_group = f.EventActorFactory(actor=group).event
    assert ids(client, q="zarak") == {at_town.pk} and ids(client, q="estrel") == {with_group.pk}
    type(town).objects.filter(pk=town.pk).update(name="Rokha")  # a queryset update: no Python in between
    type(group).objects.filter(pk=group.pk).update(name="Falcon Front")
    assert ids(client, q="zarak") == ids(client, q="estrel") == set()
    assert ids(client, q="okha") == {at_town.pk} and ids(client, q="alcon") == {with_group.pk}
    place_alias = LocationAlias.objects.create(location=town, name="Old Bazarak")
    actor_alias = ActorAlias.objects.create(actor=group, name="The Kestrels")
    assert ids(client, q="zarak") == {at_town.pk} and ids(client, q="estrel") == {with_group.pk}
    place_alias.delete(), actor_alias.delete()
    assert ids(client, q="zarak") == ids(client, q="estrel") == set()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the trigram indexes are SQLite's")
def test_text_search_reads_names_from_their_trigram_indexes_and_migrate_mends_them(client):
    from core.text_index import NAME_INDEXES

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/events/", {"q": "kestrel"}).status_code == 200
    sql = "\n".join(q["sql"] for q in queries.captured_queries)
    for index in NAME_INDEXES.values():
        assert f"{index.table} MATCH" in sql, index.table
    assert '"name" LIKE' not in sql  # (an actor's acronym is still compared whole, in any case)
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER locations_location_names_insert")
    missed = f.EventFactory(location=f.LocationFactory(level=4, name="Bazarak"))
    assert ids(client, q="zarak") == set()
    call_command("migrate", verbosity=0)  # post_migrate: core.text_index.ensure_name_indexes
    assert ids(client, q="zarak") == {missed.pk}


def _plan(sql: str, *, ordered: bool = False) -> str:
    """The plan of a query as Django logged it (values inlined, so no parameters: a `%` is a `%`)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Test tables are tiny: ask whether an index CAN serve the query (`ordered`: and its order; with
            # three rows any index that filters looks as cheap, sort included).
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"SET LOCAL enable_sort = {'off' if ordered else 'on'}")
            cursor.execute("EXPLAIN " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(" ".join(str(part) for part in row) for row in cursor.fetchall())


def _main_query(client, **params) -> str:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/events/", params).status_code == 200
    sql = next(
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "events_event"."id"')
    )
    return sql


@pytest.mark.parametrize(
    "params,index",
    [
        ({"ordering": "-fatalities", "fatalities_min": "10"}, "event_fatalities_sort_id"),
        ({"ordering": "fatalities"}, "event_fatalities_sort_id"),
        ({"bbox": "69,34,70,35"}, "event_latitude_longitude"),
        ({"event_type": "battles", "date_after": "2022-01-01"}, "event_type_date"),
    ],
)
def test_list_shapes_are_served_by_their_index(client, params, index):
    f.EventFactory.create_batch(3, latitude=34.5, longitude=69.5, fatalities_best=12)
    if connection.vendor == "postgresql":
        # With three rows, PostgreSQL reads any index whose columns name a condition (the place index holds
        # deleted_at): give it other events elsewhere, and statistics, so that a selective index is cheaper.
        attack = SubEventType.objects.get(slug="attack")
        elsewhere = f.EventFactory(latitude=-10.0, longitude=20.0, fatalities_best=None)
        f.EventFactory.create_batch(300, location=elsewhere.location, latitude=-10.0, longitude=20.0,
                                    sub_event_type=attack, event_type=attack.event_type)  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE events_event")
    assert index in _plan(_main_query(client, **params), ordered="ordering" in params)


def test_text_search_reads_the_text_index(client):
    f.EventFactory(notes="artillery")
    if connection.vendor == "postgresql":
        # With one row any plan is as cheap: give it other events, and statistics (as above).
        other = f.EventFactory(notes="shelling")
        f.EventFactory.create_batch(300, location=other.location, notes="shelling")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE events_event")
    plan = _plan(_main_query(client, q="artillery"))
    if connection.vendor == "sqlite":
        assert TABLE in plan
        return
    # PostgreSQL reads the text index when it is the cheapest way; on a test table that depends on what
    # earlier tests left in the index's pages. The query must at least test the index's own expression.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef('event_text_search'::regclass)")
        expression = cursor.fetchone()[0].split("USING gin (", 1)[1].rsplit(")", 1)[0]
    assert "event_text_search" in plan or f"{expression} @@" in plan, plan


def test_a_text_search_finds_acronyms_through_their_index_in_any_case(client):
    """`q` also names actors by acronym, whole and in any case: on SQLite, read from the index on the
    lower-cased acronyms there are, not by testing every actor (that scan cost a third of a text search at
    a million events). PostgreSQL reads every actor anyway, for the names as substrings (no trigram index
    there)."""
    Actor.objects.bulk_create(Actor(name=f"Group {n}", kind="rebel_group") for n in range(2000))
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # Statistics such as a real database has, most actors without an acronym: with every empty one
            # indexed under one key, SQLite judged the index useless and read every actor.
            cursor.execute("ANALYZE actors_actor")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/events/", {"q": "nrf"}).status_code == 200
        sql = next(
            q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "actors_actor"."id"')
        )
        assert "actor_acronym_lower" in _plan(sql)
    nrf = f.ActorFactory(name="National Resistance Front", acronym="NRF")
    event = f.EventFactory(notes="unrelated")
    f.EventActorFactory(event=event, actor=nrf)
    assert ids(client, q="nrf") == ids(client, q="NrF") == {event.pk}


def test_a_country_page_reads_the_countrys_date_index(client, seed):
    """Many places' (place, date) ranges cannot be read in date order at once: reading the country's events
    by place means reading all of them, then sorting. Each event carries its place's country, and the
    (country, date, id) index holds a country's page in order."""
    plan = _plan(_main_query(client, country="AF"), ordered=True)
    assert "event_country_date" in plan and "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_everything_inside_a_place_is_one_range_of_the_path_index(seed):
    from locations.models import Location

    afghanistan = Location.objects.get(iso3="AFG")
    inside = set(Location.objects.within(afghanistan).values_list("pk", flat=True))
    expected = {afghanistan.pk} | {
        place.pk
        for place in Location.objects.all()
        if place.path.startswith(afghanistan.descendant_path_prefix)
    }
    assert inside == expected and len(inside) > 1
    # A prefix that is itself a longer id's start ("/1/" against "/12/") matches only its own subtree.
    assert all(f"/{afghanistan.pk}/" in place.path or place == afghanistan for place in
               Location.objects.within(afghanistan))  # fmt: skip
    if connection.vendor == "sqlite":
        sql, params = Location.objects.within(afghanistan).values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
        assert "locations_location_path" in plan and "path>? AND path<?" in plan


def test_a_request_builds_only_the_filters_it_gives(client, monkeypatch):
    """Copying all thirty filters and building their form fields was a tenth of a small request: a page or
    an event without filters builds no filterset, one with filters builds those alone."""
    from events.filtersets import EventFilterSet

    built, original = [], EventFilterSet.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        built.append(sorted(self.filters))

    monkeypatch.setattr(EventFilterSet, "__init__", spy)
    event = f.EventFactory(fatalities_best=3)
    assert ids(client, page_size=5) == {event.pk}
    assert client.get(f"/api/v1/events/{event.pk}/").status_code == 200
    assert built == []
    assert ids(client, fatalities_min=1, ordering="date_start", page_size=5) == {event.pk}
    assert ids(client, fatalities_min=4) == set()
    assert built == [["fatalities_min", "ordering"], ["fatalities_min"]]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="how SQLite plans a page of a country's events")
@pytest.mark.parametrize(
    "params",
    [
        {"date_after": "2022-01-01", "date_before": "2022-12-31"},
        {"ordering": "-fatalities"},
        {"actor": "1"},
    ],
)
def test_a_country_page_with_another_filter_reads_the_places_events(client, seed, params):
    """With a date range or another filter too, walking the whole date index would test event after event in
    vain: the planner is left to read the matches by an index that selects them."""
    plan = _plan(_main_query(client, country="AF", **params))
    assert "event_date_start_id" not in plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="how SQLite plans a page of a country's events")
@pytest.mark.parametrize(
    "params", [{"event_type": "battles"}, {"event_type": "battles", "date_after": "2022-01-01"}]
)
def test_a_country_page_of_one_event_type_reads_the_types_events_in_date_order(client, seed, params):
    """A country's battles: the country's (country, date, id) index or the type's (type, date) index gives
    them newest first, each tested for the other; by place, SQLite would read all of the country's events
    (with planner statistics it prefers that)."""
    plan = _plan(_main_query(client, country="AF", **params))
    assert "event_type_date" in plan or "event_country_date" in plan, plan
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan


def test_a_countrys_monthly_statistics_are_read_from_the_place_index_alone(client, seed):
    """Counts and curated sums need the place, the date, whether it is deleted, its verification and its three
    figures: all in the (place, date, …) index, so no event row is read at random. (Counting ids would need
    the rows: PostgreSQL then read the whole table, 57 against 3 ms at 100,000 events.)"""
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/stats/events/", {"country": "AF", "group_by": "month"}).status_code == 200
    sql = next(q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"])
    index = next(i for i in Event._meta.indexes if i.name == "event_location_date")
    read = set(re.findall(r'"events_event"\."(\w+)"', sql))
    assert read and read <= {Event._meta.get_field(name).column for name in index.fields}, read
    if connection.vendor == "sqlite":  # PostgreSQL's choice also weighs how much of a test table is vacuumed
        assert "COVERING INDEX event_location_date" in _plan(sql)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="how SQLite plans the actor filter")
def test_the_events_of_an_actor_are_read_from_the_actor_index_alone(client):
    """The actor filter finds its events' ids in the (actor, event_date, event) index, without reading the
    role table. (PostgreSQL chooses by its statistics: on a test table of a few rows, probing each event's
    roles by the (event, actor) constraint's index is as cheap.)"""
    event, other = f.EventFactory(), f.ActorFactory()
    actor = f.ActorFactory()
    event.event_actors.create(actor=actor, role="side_a")
    event.event_actors.create(actor=other, role="side_b")
    for params in (
        {"actor": actor.pk},
        {"actor": [actor.pk, other.pk]},
        {"actor": actor.pk, "date_after": "2000-01-01"},
    ):
        plan = _plan(_main_query(client, **params))
        assert "COVERING INDEX event_actor_actor_date" in plan, (params, plan)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="how SQLite plans a page of one actor's events")
@pytest.mark.parametrize("ordering", ["-date_start", "date_start"])
def test_a_page_of_one_actors_events_reads_its_candidates_in_date_order_from_the_actor_index(
    client, ordering
):
    """One actor alone: the page's candidates are the first entries of the actor index after the cursor, in
    the index's order (its date beside each role), so that only the page's own rows are sorted."""
    actor = f.ActorFactory()
    for day in (1, 2, 3):
        f.EventActorFactory(actor=actor, event=f.EventFactory(date_start=datetime.date(2021, 3, day)))
    sql = _main_query(client, actor=actor.pk, ordering=ordering, page_size=2)
    assert 'ORDER BY U0."event_date"' in sql and "LIMIT 3" in sql, sql
    plan = _plan(sql)
    assert "COVERING INDEX event_actor_actor_date (actor_id=?)" in plan, plan
    assert plan.count("USE TEMP B-TREE") == 1, plan  # the page's few rows; the candidates come in order


ROLES = ["side_b", "side_a"]


def _walk(client, params, size: int) -> tuple[list[int], list[int]]:
    """Every page forward by `next`, then back from the last page by `previous`: the ids in the order read."""
    forward, pages = [], []
    response = client.get("/api/v1/events/", {**params, "page_size": size})
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([e["id"] for e in body["results"]])
        forward += pages[-1]
        if body["next"] is None:
            break
        response = client.get(body["next"])
    backward = list(pages[-1])
    while body["previous"] is not None:
        body = client.get(body["previous"]).json()
        backward = [e["id"] for e in body["results"]] + backward
    return forward, backward


@pytest.mark.parametrize("ordering", ["-date_start", "date_start"])
@pytest.mark.parametrize("name", ["actor", "actor1", "actor2"])
def test_pages_of_one_actors_events_hold_every_live_event_once_in_order(client, ordering, name):
    """Same-day events, a deleted event, an event whose date changed after its roles were written, the actor
    on either side, other actors' events: page by page, forward and back, exactly the actor's live events in
    the ordering, as the query without the role index's order gives them."""
    from events.services import event_delete, event_save

    actor, other = f.ActorFactory(), f.ActorFactory()
    days = [5, 1, 3, 3, 3, 9, 2, 3, 7, 7, 4, 8, 6, 1]
    events = [f.EventFactory(date_start=datetime.date(2020, 6, day)) for day in days]
    for n, event in enumerate(events):
        f.EventActorFactory(actor=actor, event=event, role=ROLES[n % 2])
        if n % 3 == 0:
            f.EventActorFactory(actor=other, event=event, role=ROLES[(n + 1) % 2])
    f.EventActorFactory(actor=other, event=f.EventFactory(date_start=datetime.date(2020, 6, 4)))
    event_delete(event=events[4], user=None)
    moved = events[6]
    moved.date_start = moved.date_end = datetime.date(2019, 1, 1)
    event_save(event=moved, fields=["date_start", "date_end"])
    role = {"actor": None, "actor1": "side_a", "actor2": "side_b"}[name]
    live = Event.objects.filter(pk__in=[e.pk for n, e in enumerate(events) if role in (None, ROLES[n % 2])])
    expected = [
        e.pk for e in sorted(live, key=lambda e: (e.date_start, e.pk), reverse=ordering.startswith("-"))
    ]
    assert len(expected) == {None: 13, "side_a": 7, "side_b": 6}[role]  # events[4], on side B, is deleted
    assert role == "side_a" or expected.index(moved.pk) in (0, len(expected) - 1)
    for size in (1, 3, 5, 100):
        assert _walk(client, {name: actor.pk, "ordering": ordering}, size) == (expected, expected), size
    both = _walk(client, {name: [actor.pk, other.pk], "ordering": ordering}, 4)[0]
    assert set(expected) < set(both)  # two actors: the generic path, every event of either


def test_a_roles_event_date_is_its_events_date_through_every_write():
    """The role table's copy of the date (the actor index's order) follows the event through the write
    pipeline, the bulk path, fixtures and roles made by hand."""
    from events.models import EventActor
    from events.services import event_save
    from events.services.bulk import ActorRef, CountryRef, EventRow, events_bulk_write

    def stale() -> list:
        roles = EventActor.objects.exclude(event_date=F("event__date_start"))
        assert EventActor.objects.exists()
        return list(roles.values_list("event_id", "event_date", "event__date_start"))

    call_command("loaddata", "seed", verbosity=0)
    assert stale() == []
    event = f.EventFactory(date_start=datetime.date(2021, 1, 1))
    f.EventActorFactory(event=event)
    event.date_start = event.date_end = datetime.date(2021, 2, 2)
    event_save(event=event, fields=["date_start", "date_end"], actors=[(f.ActorFactory(), "side_b")])
    event.refresh_from_db()
    event.date_start = event.date_end = datetime.date(2021, 3, 3)
    event_save(event=event, fields=["date_start", "date_end"])
    assert stale() == [] and set(event.event_actors.values_list("event_date", flat=True)) == {
        event.date_start
    }

    def row(day: int) -> EventRow:
        date = datetime.date(2022, 5, day)
        return EventRow(
            line=2, fields={"acled_event_id": "RD1", "date_start": date, "date_end": date, "date_precision": 1,
                            "geo_precision": 1, "summary": "Moved"},
            sub_event_type="armed-clash", country=CountryRef("Dateland", iso3="DTL"), places=("Town",),
            actors=[(ActorRef("Group", "rebel_group"), "side_a"), (ActorRef("Army", "state_forces"), "side_b")],
        )  # fmt: skip

    events_bulk_write([row(1)])
    events_bulk_write([row(9)])  # the same event, its date changed
    imported = Event.objects.get(acled_event_id="RD1")
    assert imported.date_start == datetime.date(2022, 5, 9)
    assert stale() == [] and imported.event_actors.count() == 2


def test_an_events_country_is_its_places_country_through_every_write(client, seed):
    """The event's copy of its place's country (the country index) follows the place through the write
    pipeline, the API, the bulk path, fixtures, plain saves, and a place moved into another country; and
    the country filter finds exactly the events inside the country by path, as the other filters do."""
    from events.services import event_save
    from events.services.bulk import CountryRef, EventRow, events_bulk_write
    from locations.models import Location
    from locations.services import location_save

    def stale() -> list:
        wrong = [
            (event.pk, event.country_id, event.location.country_pk)
            for event in Event.all_objects.select_related("location")
            if event.country_id != event.location.country_pk
        ]
        assert Event.all_objects.exists()
        return wrong

    def by_filter(code: str) -> set[int]:
        return ids(client, country=code, page_size=500)

    def by_path(code: str) -> set[int]:
        country = Location.objects.get(level=0, iso2=code)
        return set(
            Event.objects.filter(location__in=Location.objects.within(country)).values_list("pk", flat=True)
        )

    assert stale() == [] and by_filter("AF") == by_path("AF") != set()  # the seed, loaded as a fixture
    afghanistan = Location.objects.get(iso2="AF")
    pakistan = f.CountryFactory(name="Pakistan", iso2="PK", iso3="PAK")
    province = f.LocationFactory(level=1, parent=afghanistan, name="Moving Province")
    town = f.LocationFactory(level=4, parent=province, name="Moving Town")
    at_town = f.EventFactory(location=town)  # a plain save
    at_country = f.EventFactory(location=afghanistan)
    assert stale() == [] and at_country.country_id == afghanistan.pk
    at_country.location = town
    event_save(event=at_country, fields=["location"])
    assert stale() == []
    province.parent = pakistan
    location_save(location=province)  # the province and its town move to Pakistan, with their events
    assert stale() == [] and Event.objects.get(pk=at_town.pk).country_id == pakistan.pk
    assert by_filter("PK") == by_path("PK") >= {at_town.pk, at_country.pk}
    assert by_filter("AF") == by_path("AF") and at_town.pk not in by_filter("AF")
    back = Event.objects.get(pk=at_town.pk)
    back.location = afghanistan
    back.save(update_fields=["location"])  # a save of the place alone, outside the services
    assert stale() == [] and at_town.pk in by_filter("AF")

    row = EventRow(
        line=2, fields={"acled_event_id": "CY1", "date_start": datetime.date(2022, 5, 1),
                        "date_end": datetime.date(2022, 5, 1), "date_precision": 1, "geo_precision": 1,
                        "summary": "Imported"},
        sub_event_type="armed-clash", country=CountryRef("Countryland", iso3="CYL"), places=("Province", "Town"),
    )  # fmt: skip
    events_bulk_write([row])
    events_bulk_write([replace(row, country=CountryRef("Afghanistan", iso3="AFG"))])  # moved by re-import
    imported = Event.objects.get(acled_event_id="CY1")
    assert stale() == [] and imported.country_id == afghanistan.pk and imported.pk in by_filter("AF")

    made = event_save(event=f.EventFactory.build(location=Location.objects.get(pk=town.pk)))
    assert stale() == [] and made.pk in by_filter("PK")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="how SQLite plans an export's chunk")
@pytest.mark.parametrize("name", ["acled", "ucdp", "csv"])
def test_an_exports_lists_are_read_from_covering_indexes(name):
    """A chunk's actors and reports come from indexes that hold them: no row of the role or claim table is
    read to find them."""
    from events.formats import projection

    projections = {"acled": projection.acled_projection, "ucdp": projection.ucdp_projection,
                   "csv": lambda d: projection.flat_projection(d, for_csv=True)}  # fmt: skip
    dialect = projection.Dialect(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN QUERY PLAN " + projection.statement(dialect, projections[name](dialect)), ["[1]"]
        )
        rows = cursor.fetchall()
    plan = "\n".join(row[3] for row in rows)
    assert "COVERING INDEX event_actor_event_role_actor" in plan, plan
    # The actors reach their aggregates in that index's order: no sorter beside the read of the index.
    (parent,) = {row[1] for row in rows if "COVERING INDEX event_actor_event_role_actor" in row[3]}
    assert not [row for row in rows if row[1] == parent and "TEMP B-TREE" in row[3]], plan
    if name != "csv":
        assert "COVERING INDEX claim_event_report" in plan, plan
