"""Bulk writes run behind (`core.bulk_sql.write_behind`, SQLite): a thread runs each batch's statements while
the caller prepares the next, keys come from the writer instead of RETURNING, and the next batch's lookups
are read ahead of the current batch's writes. None of that may change what is written."""

import contextlib
import datetime
import sys

import pytest
from django.db import IntegrityError, connection, transaction

from core import bulk_sql
from events.models import Event, Tag
from events.services import bulk
from events.services.bulk import ActorRef, ClaimRow, CountryRef, EventRow, events_bulk_write
from ingest.loader import WRITTEN_MODELS
from tests import factories as f

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="writes run behind on SQLite only"),
]

STAMPS = {"created_at", "updated_at", "history_date"}  # the time of the write: differs between two runs


class _Undo(Exception):
    pass


def _snapshot() -> dict:
    """Every row an import writes, history included, by table, as stored (ids too), less the time stamps."""
    models = [*WRITTEN_MODELS, *(m.history.model for m in WRITTEN_MODELS if hasattr(m, "history"))]
    tables = {}
    for model in models:
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in STAMPS]
        tables[model._meta.db_table] = list(model._base_manager.order_by("pk").values_list(*names))
    return tables


def _rows() -> list[EventRow]:
    """Rows that exercise what a read ahead must not miss: an event named again in the next batch and in the
    same batch, a report cited by two events in consecutive batches, claims on a report already here."""
    day = datetime.date(2022, 5, 1)
    rows = []
    for n in range(23):
        event = f"RB{n if n not in (5, 6, 14) else n - 1}"  # RB4 in batches 1 and 2; RB13 twice in batch 3
        claims = [
            ClaimRow(source="Wire", report_key=f"rb:{n}:wire", report_title="Wire"),
            ClaimRow(source="Radio", report_key=f"rb:{n // 5}:radio", report_title="Radio", stance="denies"),
        ]
        if n % 7 == 0:
            claims.append(ClaimRow(source="Old paper", report_key="rb:already", report_title="Already here"))
        rows.append(
            EventRow(
                line=n + 2,
                fields={
                    "acled_event_id": event,
                    "date_start": day + datetime.timedelta(days=n),
                    "date_end": day + datetime.timedelta(days=n),
                    "date_precision": 1,
                    "geo_precision": 1,
                    "summary": f"Event {n}",
                    "fatalities_best": n % 4 or None,
                },
                sub_event_type="armed-clash",
                country=CountryRef("Behindland", iso3="BHL"),
                places=(f"Province {n % 3}", f"Town {n % 6}"),
                actors=[
                    (ActorRef(f"Group {n % 4}", "rebel_group"), "side_a"),
                    (ActorRef("Army", "state_forces"), "side_b"),
                ],
                claims=claims,
            )  # fmt: skip
        )
    return rows


def _write_and_undo(rows, monkeypatch, behind: bool):
    """Write the rows in batches of 5, take a snapshot, roll it all back; count what ran behind and ahead."""
    calls = {"submitted": 0, "found": 0, "found_ahead": 0}
    if behind:
        submit, find = bulk_sql._WriteBehind.submit, bulk._find

        def counting_submit(self, *args, **kwargs):
            calls["submitted"] += 1
            return submit(self, *args, **kwargs)

        def counting_find(batch):
            calls["found_ahead" if bulk_sql._behind().reading_ahead else "found"] += 1
            return find(batch)

        monkeypatch.setattr(bulk_sql._WriteBehind, "submit", counting_submit)
        monkeypatch.setattr(bulk, "_find", counting_find)
    else:
        monkeypatch.setattr(bulk, "write_behind", contextlib.nullcontext)
    try:
        with transaction.atomic():
            result = events_bulk_write(rows, batch_size=5)
            snapshot = _snapshot()
            raise _Undo
    except _Undo:
        pass
    monkeypatch.undo()
    return result, snapshot, calls


def test_an_import_written_behind_stores_exactly_what_one_written_in_turn_stores(monkeypatch):
    f.ReportFactory(import_key="rb:already", source=f.SourceFactory(name="Old paper"))
    rows = _rows()
    # RB13 twice in the third batch of five cuts it short: five batches of 5, 5, 4, 5, 4.
    assert [len(batch) for batch in bulk.batches(rows, 5)] == [5, 5, 4, 5, 4]
    in_turn, stored_in_turn, _ = _write_and_undo(rows, monkeypatch, behind=False)
    behind, stored_behind, calls = _write_and_undo(rows, monkeypatch, behind=True)
    # Only the third batch is read ahead: the second names RB4, which the first writes, and the fourth and
    # fifth each cite a report the batch before them writes ("rb:2:radio", "rb:3:radio").
    assert calls["submitted"] > 0 and (calls["found_ahead"], calls["found"]) == (1, 4)
    assert (behind.created, behind.updated) == (in_turn.created, in_turn.updated) == (21, 2)
    assert stored_behind == stored_in_turn
    assert len(stored_behind["events_event"]) == 21


def test_the_keys_given_behind_are_those_autoincrement_gives_never_one_used_before():
    for name in ("first", "second", "third"):
        Tag.objects.create(name=name)
    last = Tag.objects.get(name="third").pk
    Tag.objects.filter(pk=last).delete()
    with transaction.atomic(), bulk_sql.write_behind():
        ids = bulk_sql.insert_rows(Tag, ["name"], [("fourth",), ("fifth",)])
    assert ids == [last + 1, last + 2]
    assert dict(Tag.objects.filter(pk__in=ids).values_list("pk", "name")) == {
        last + 1: "fourth",
        last + 2: "fifth",
    }
    assert Tag.objects.create(name="sixth").pk == last + 3  # and AUTOINCREMENT goes on after them


def test_an_orm_statement_runs_after_the_writes_submitted_before_it_held_ones_too():
    with transaction.atomic(), bulk_sql.write_behind():
        bulk_sql.insert_rows(Tag, ["name"], [("queued",)], returning=False)
        assert Tag.objects.filter(name="queued").exists()
        with bulk_sql.held_writes():
            bulk_sql.insert_rows(Tag, ["name"], [("held",)], returning=False)
            with bulk_sql.read_ahead():  # a read ahead does not see what is held
                assert bulk_sql.select_rows(Tag, ["name"], "name", ["held"]) == []
            assert Tag.objects.filter(name="held").exists()


def test_a_write_that_fails_behind_is_raised_in_the_caller_and_nothing_of_the_block_is_kept():
    with pytest.raises(IntegrityError), transaction.atomic(), bulk_sql.write_behind():
        bulk_sql.insert_rows(Tag, ["name"], [("kept?",)], returning=False)
        bulk_sql.insert_rows(
            Tag, ["name"], [("twice",), ("TWICE",)], returning=False
        )  # unique by lower(name)
    assert not Tag.objects.filter(name__in=["kept?", "twice"]).exists()


def test_after_a_failed_write_the_next_one_is_refused_not_run():
    with pytest.raises(IntegrityError), transaction.atomic(), bulk_sql.write_behind():
        bulk_sql.insert_rows(Tag, ["name"], [("",)], returning=False)  # a blank name breaks a CHECK
        with pytest.raises(IntegrityError):
            bulk_sql._behind().drain()
        with pytest.raises(IntegrityError):
            bulk_sql.insert_rows(Tag, ["name"], [("after",)], returning=False)
        assert bulk_sql._behind().queue.unfinished_tasks == 0


def test_python_switches_threads_quickly_only_while_writes_run_behind():
    before = sys.getswitchinterval()
    with transaction.atomic(), bulk_sql.write_behind():
        assert sys.getswitchinterval() == pytest.approx(bulk_sql.SWITCH_INTERVAL)
        with bulk_sql.write_behind():  # nested: the outer one's
            assert sys.getswitchinterval() == pytest.approx(bulk_sql.SWITCH_INTERVAL)
    assert sys.getswitchinterval() == before
    assert Event.objects.count() == 0  # nothing was written by the blocks themselves
