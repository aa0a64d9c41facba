"""Database helpers of `core`: the integer-id IN lookup, and history tables indexed only where read."""

import datetime

import pytest
from django.db import connection

from events.models import Claim, Event, EventActor
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def clash():
    events = [f.EventFactory() for _ in range(4)]
    for event in events:
        f.EventActorFactory(event=event)
        f.ClaimFactory(event=event)
    return events


def test_in_ids_selects_what_in_selects(clash):
    ids = list(Event.all_objects.values_list("pk", flat=True))
    wanted = ids[::2] + [10**9]  # and an id that does not exist
    assert set(Claim.objects.filter(event_id__in_ids=wanted).values_list("pk", flat=True)) == set(
        Claim.objects.filter(event_id__in=wanted).values_list("pk", flat=True)
    )
    assert set(EventActor.objects.filter(event__in_ids=wanted)) == set(
        EventActor.objects.filter(event__in=wanted)
    )
    assert list(Event.all_objects.filter(pk__in_ids=[str(ids[0])])) == [Event.all_objects.get(pk=ids[0])]


def test_in_ids_of_nothing_matches_nothing(clash):
    assert not Event.all_objects.filter(pk__in_ids=[]).exists()
    assert Event.all_objects.exclude(pk__in_ids=[]).count() == Event.all_objects.count()


def test_in_ids_refuses_anything_but_integers():
    with pytest.raises(ValueError):
        list(Event.all_objects.filter(pk__in_ids=["1) OR (1=1"]))


def _indexed_columns(table: str) -> set[tuple[str, ...]]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":  # Django's introspection cannot read partial indexes here
            names = [row[1] for row in cursor.execute(f'PRAGMA index_list("{table}")').fetchall()]
            return {
                tuple(row[2] for row in cursor.execute(f'PRAGMA index_info("{name}")').fetchall())
                for name in names
            }
        constraints = connection.introspection.get_constraints(cursor, table)
    return {tuple(c["columns"]) for c in constraints.values() if c["index"] and not c["primary_key"]}


@pytest.mark.parametrize("model", [Event, Claim, EventActor], ids=lambda m: m.__name__)
def test_history_tables_are_indexed_by_object_and_date_only(model):
    history = model.history.model
    assert _indexed_columns(history._meta.db_table) <= {("id",), ("history_date",), ("history_user_id",)}
    assert {("id",), ("history_date",)} <= _indexed_columns(history._meta.db_table)


def test_no_event_column_is_indexed_twice():
    """A single-column index whose column leads a composite one is a second B-tree for every write."""
    indexed = _indexed_columns(Event._meta.db_table)
    leading = {columns[0] for columns in indexed if len(columns) > 1}
    assert not {columns for columns in indexed if len(columns) == 1 and columns[0] in leading}
    assert ("deleted_at",) in indexed  # kept, as a partial index: the deleted feed reads it


def test_a_prepared_ids_query_gives_the_orms_rows_without_building_it_again(clash, django_assert_num_queries):
    from core.db.prepared import IdsQuery
    from events.formats.rows import CLAIM_FIELDS

    def claims(ids):  # dates, times, nulls and joins: what converters and outer joins are for
        return Claim.objects.filter(event_id__in_ids=ids).order_by("-id").values_list(*CLAIM_FIELDS)

    claim = Claim.objects.first()
    claim.claimant, claim.claimed_on = None, None
    claim.save()
    query, built = IdsQuery(claims), []
    ids = [event.pk for event in clash[:3]] + [10**9]
    for wanted in (ids, ids[:1], [str(ids[1])]):
        rows = query.rows(wanted)
        assert rows == list(claims(wanted)) and rows, wanted
    assert isinstance(rows[0][-1], datetime.datetime)  # updated_at: a time, not SQLite's text
    with django_assert_num_queries(0):
        assert query.rows([]) == []

    def once(ids):
        built.append(ids)
        return claims(ids)

    query = IdsQuery(once)
    query.rows(ids)
    query.rows(ids[:2])
    assert len(built) == 1  # compiled once, then only the ids change


def test_a_prepared_ids_query_needs_one_ids_condition(db):
    from core.db.prepared import IdsQuery

    with pytest.raises(ValueError, match="exactly one"):
        IdsQuery(lambda ids: Claim.objects.filter(pk__in=ids).values_list("pk")).rows([1])


TRICKY_NAMES = ["Kabul Front", 'The "Quoted" Brigade', "50% Militia", "Under_Score Group", "Back\\slash Unit",
                "Panjšir Resistance", "Ka", "K"]  # fmt: skip
TRICKY_TEXTS = ["kab", "Ka", "k", '"quoted"', 'he "q', "50%", "0%", "_", "r_s", "\\", "k\\s", "panjš", "PANJ",
                "nrf", "Ša", "zz", "%", '"']  # fmt: skip


@pytest.mark.parametrize("named_in", ["actors_named_in", "places_named_in"])
def test_a_prepared_text_query_gives_the_orms_rows_for_any_text(db, named_in):
    """The search's first reads, compiled once per length class: for texts with quotes, LIKE's wildcards,
    backslashes, letters outside ASCII, short and long, the same ids as the queryset built for the text."""
    from core.db.prepared import TextQuery
    from events import filtersets

    for name in TRICKY_NAMES:
        f.ActorFactory(name=name, acronym="NRF" if name == "K" else "")
        f.LocationFactory(name=name)
    function = getattr(filtersets, named_in)
    built = []

    def queryset_for(text, vendor):
        built.append(text)
        return function(text, vendor).values_list("pk")

    query = TextQuery(queryset_for)
    found_any = False
    for text in TRICKY_TEXTS:
        expected = sorted(function(text, connection.vendor).values_list("pk"))
        assert sorted(query.rows(text, "default")) == expected, text
        found_any |= bool(expected)
    assert found_any
    assert len(built) == 2  # once for texts of three characters or more, once for shorter ones


def test_a_prepared_text_query_refuses_a_text_it_cannot_rebind(db):
    from core.db.prepared import TextQuery
    from sources.models import Source

    query = TextQuery(lambda text, vendor: Source.objects.filter(name__startswith=text).values_list("pk"))
    with pytest.raises(ValueError, match="cannot rebind"):
        query.rows("abc", "default")
