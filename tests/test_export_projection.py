"""The exports the database computes (`events.formats.projection`) equal the format definitions, byte for byte.

`flat_row`, `acled_row` and `ucdp_row` define each format over the one record (the API's pages and the
ACLED-compatible API use them); exports stream the same rows from SQL. Here every format is rendered both
ways over events of every kind the model allows — every place level, points from the event, the place,
an enclosing area or nowhere, several actors in one role recorded out of name and id order, tags, claims
citing one report twice, sources of every scale, undated reports, text a spreadsheet would run, unknown
numbers, Kosovo and ACLED-renamed countries, whole-second and fractional timestamps — and in several
orders and filters, and must agree.
"""

import csv
import datetime
import io
import json
import multiprocessing
import pickle

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actors.models import Actor
from events.formats import EXPORTS, projection
from events.formats.acled import ACLED_COLUMNS, acled_records, acled_row
from events.formats.flat import COLUMNS, csv_stream, event_feature, flat_row
from events.formats.rows import event_records
from events.formats.ucdp import UCDP_COLUMNS, ucdp_row
from events.models import Event, EventType, SubEventType, Tag
from events.services import event_save
from locations.models import Location
from sources.models import Source
from tests import factories as f
from tests.test_ingest_readers import ACLED_BASE, UCDP_BASE, to_bytes, write
from tests.test_ingest_readers import ACLED_COLUMNS as ACLED_FILE_COLUMNS
from tests.test_ingest_readers import UCDP_COLUMNS as UCDP_FILE_COLUMNS

pytestmark = pytest.mark.django_db


def reference(name: str, queryset) -> str:
    """The format as its row function defines it, from records."""
    if name == "csv":
        return "".join(csv_stream(event_records(queryset), COLUMNS, flat_row))
    if name == "acled":
        return "".join(csv_stream(acled_records(queryset), ACLED_COLUMNS, acled_row))
    if name == "ucdp":
        return "".join(csv_stream(event_records(queryset, reports=True), UCDP_COLUMNS, ucdp_row))
    features = [event_feature(flat_row(r)) for chunk in event_records(queryset) for r in chunk]
    return json.dumps({"type": "FeatureCollection", "features": features})


def place(name: str, level: int, parent: Location | None, **fields) -> Location:
    path = f"{parent.path}{parent.pk}/" if parent else "/"
    return Location.objects.create(name=name, level=level, parent=parent, path=path, **fields)


def every_kind_of_event(tmp_path) -> None:
    call_command("load_seed", verbosity=0)
    call_command("import_acled", str(write(tmp_path, to_bytes(ACLED_FILE_COLUMNS, ACLED_BASE))), verbosity=0)
    call_command(
        "import_ucdp", str(write(tmp_path, to_bytes(UCDP_FILE_COLUMNS, UCDP_BASE), "ged.csv")), verbosity=0
    )
    # A full chain of places, coordinates only on the province; a country with no ISO codes; Kosovo (no ISO
    # numeric code) and a country ACLED names differently (Brunei Darussalam).
    country = place("Testland", 0, None)
    province = place("-Province", 1, country, latitude=10.5, longitude=20.25, pcode="TL01")
    district = place('District, "north"', 2, province)  # what a CSV cell must quote
    subdistrict = place("Subdistrict", 3, district)
    town = place("=Town", 4, subdistrict)
    kosovo = place("Kosovo", 0, None, iso2="XK", iso3="XKX", latitude=42.6, longitude=20.9)
    brunei = place("Brunei Darussalam", 0, None, iso2="BN", iso3="BRN")
    bare = place("Nowhere Province", 1, brunei)
    protest = SubEventType.objects.get(slug="excessive-force-against-protesters")
    attack = SubEventType.objects.get(slug="attack")
    police = f.ActorFactory(name="Test Police", kind=Actor.Kind.STATE_FORCES)
    rebels = [f.ActorFactory(name=name) for name in ("Zeta Front", "@Alpha Army", "Beta Brigade")]
    odd = f.ActorFactory(name="+Plus Group", kind=Actor.Kind.PERSON)  # no ACLED inter code
    events = [
        f.EventFactory(location=town, summary="+1 town", notes="", date_precision=4,
                       date_end=datetime.date(2022, 5, 30), geo_precision=1, civilian_targeting=True,
                       fatalities_low=0, fatalities_best=0, fatalities_high=2),
        f.EventFactory(location=subdistrict, summary="Subdistrict", notes="-notes", geo_precision=3,
                       latitude=-1.25, longitude=-170.125, acled_event_id="TST1"),
        f.EventFactory(location=district, summary="District", ucdp_ged_id=99, geo_precision=7,
                       notes='Said "the market", twice;\nthen\rleft',  # quotes, a comma, line breaks
                       sub_event_type=protest, event_type=protest.event_type),
        f.EventFactory(location=kosovo, summary="Kosovo", notes="Line one\nline two", geo_precision=6,
                       sub_event_type=attack,
                       event_type=attack.event_type, fatalities_best=4),
        f.EventFactory(location=bare, summary="\tNo point anywhere", geo_precision=4, date_precision=2,
                       date_end=datetime.date(2022, 5, 8)),
        f.EventFactory(location=brunei, summary="Brunei", geo_precision=6, date_precision=5,
                       date_end=datetime.date(2022, 9, 1)),
    ]  # fmt: skip
    # Several actors in a role, recorded in an order that is neither their names' nor their ids'.
    event_save(event=events[0], fields=[], actors=[(rebels[2], "side_a"), (rebels[0], "side_a"),
               (police, "side_b"), (rebels[1], "associated_b"), (odd, "associated_a")])  # fmt: skip
    event_save(event=events[1], fields=[], actors=[(odd, "side_a"), (police, "side_b")])
    gamma = f.ActorFactory(name='Gamma, "the Front"')
    event_save(event=events[2], fields=[], actors=[(rebels[1], "side_a"), (gamma, "side_b")])
    event_save(event=events[3], fields=[], actors=[(rebels[0], "side_a"), (rebels[2], "side_b")])
    # Tags, one a formula; their order is by name.
    for event, names in ((events[0], ["zulu", "=alpha", "mike"]), (events[3], ["single", "comma, tag"])):
        event.tags.set([Tag.objects.get_or_create(name=n)[0] for n in names])
    # Claims: one report cited twice, two reports of one source, an undated report, every scale.
    sources = [f.SourceFactory(name=f"{scale.label} outlet", scale=scale) for scale in Source.Scale]
    sources.append(f.SourceFactory(name="=Formula outlet", scale=Source.Scale.LOCAL))
    cited = f.ReportFactory(source=sources[3], title="-Headline")
    for report in (cited, cited, f.ReportFactory(source=sources[5], published_on=None),
                   f.ReportFactory(source=sources[3]), f.ReportFactory(source=sources[-1])):  # fmt: skip
        f.ClaimFactory(event=events[0], report=report)
    for source in sources[:5]:
        f.ClaimFactory(event=events[1], report=f.ReportFactory(source=source))
    quoted = f.SourceFactory(name='The "Quoted", outlet', scale=Source.Scale.NATIONAL)
    f.ClaimFactory(event=events[2], report=f.ReportFactory(source=quoted, title="Two\nlines"))
    # Timestamps: a whole second (no fraction in ISO text) and a fraction.
    Event.objects.filter(pk=events[2].pk).update(
        updated_at=datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    )
    Event.objects.filter(pk=events[3].pk).update(updated_at=timezone.now().replace(microsecond=7))


QUERYSETS = {
    "newest": lambda: Event.objects.order_by("-date_start", "-id"),
    "by id": lambda: Event.objects.order_by("id"),
    "filtered": lambda: Event.objects.filter(fatalities_best__isnull=False).order_by(
        "-fatalities_best", "id"
    ),
    "none": lambda: Event.objects.none(),
}


@pytest.mark.parametrize("name", ["csv", "acled", "ucdp", "geojson"])
def test_every_export_equals_its_row_definition(tmp_path, name):
    every_kind_of_event(tmp_path)
    assert Event.objects.count() >= 20
    for label, queryset in QUERYSETS.items():
        expected, got = reference(name, queryset()), "".join(EXPORTS[name].stream(queryset()))
        if name == "geojson":  # the same JSON (number spelling may differ: 1e-05 against 1e-5)
            assert json.loads(got) == json.loads(expected), label
        else:
            assert got == expected, label
            assert len(list(csv.reader(io.StringIO(got)))) == queryset().count() + 1, label


def test_an_export_is_one_query_for_the_ids_and_one_per_chunk(monkeypatch):
    monkeypatch.setattr(projection, "CHUNK_SIZE", 5)
    f.EventFactory.create_batch(12)
    for name in EXPORTS:
        with CaptureQueriesContext(connection) as queries:
            text = "".join(EXPORTS[name].stream(Event.objects.order_by("id")))
        assert len(queries) == 1 + 3, name  # 12 events in chunks of 5
        if name != "geojson":
            assert len(list(csv.reader(io.StringIO(text)))) == 13, name


@pytest.mark.parametrize("name", ["csv", "acled", "ucdp"])
def test_a_lone_carriage_return_is_quoted_so_that_the_file_reads_back(name):
    """Lines end in CRLF, so that csv.writer quotes a cell holding a carriage return on its own too (with
    LF endings it quotes only cells with a line feed, and every CSV reader, ours included, breaks the row
    at the bare CR)."""
    event = f.EventFactory(notes="before\rafter", summary="Summary")
    text = "".join(EXPORTS[name].stream(Event.objects.filter(pk=event.pk)))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 2 and "before\rafter" in rows[1], rows
    assert text.endswith("\r\n") and text.count("\r\n") == 2


def test_event_types_are_the_acled_taxonomy():
    # The projection's disorder-type CASE reads slugs; they must be the ones acled.py maps.
    from events.formats.acled import DISORDER_BY_SUB_TYPE, DISORDER_BY_TYPE

    assert set(DISORDER_BY_TYPE) <= set(EventType.objects.values_list("slug", flat=True))
    assert set(DISORDER_BY_SUB_TYPE) <= set(SubEventType.objects.values_list("slug", flat=True))


def forked_readers(monkeypatch) -> list[str]:
    """The names of the reader processes an export starts, as it starts them."""
    started = []
    start = projection.FORK.Process.start

    def counted(process):
        started.append(process.name)
        start(process)

    monkeypatch.setattr(projection.FORK.Process, "start", counted)
    return started


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("name", ["csv", "acled", "ucdp", "geojson"])
def test_outside_a_transaction_readers_share_the_chunks_and_the_order_holds(tmp_path, monkeypatch, name):
    """Forked readers where another process can open the database (PostgreSQL here; an SQLite file in
    test_production); the tests' SQLite in memory is read in turn. Either way the same text."""
    every_kind_of_event(tmp_path)
    monkeypatch.setattr(projection, "CHUNK_SIZE", 3)  # many chunks, so that both readers take turns
    readers = forked_readers(monkeypatch)
    for label, queryset in QUERYSETS.items():
        expected, got = reference(name, queryset()), "".join(EXPORTS[name].stream(queryset()))
        assert (json.loads(got) == json.loads(expected)) if name == "geojson" else (got == expected), label
    forks = 3 if projection.can_fork(connection) else 0  # the querysets with more than one chunk
    assert readers.count("export-reader-0") == readers.count("export-reader-1") == forks
    assert not multiprocessing.active_children()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_export_closed_early_stops_its_readers_and_a_failure_reaches_the_caller(monkeypatch):
    if not projection.can_fork(connection):
        pytest.skip("readers are forked only where another process can open the database (test_production)")
    monkeypatch.setattr(projection, "CHUNK_SIZE", 2)
    f.EventFactory.create_batch(20)
    readers = forked_readers(monkeypatch)
    terminated, terminate = [], projection.FORK.Process.terminate
    monkeypatch.setattr(
        projection.FORK.Process,
        "terminate",
        lambda process: (terminated.append(process), terminate(process))[1],
    )
    stream = EXPORTS["csv"].stream(Event.objects.order_by("id"))
    assert next(stream).startswith("id,") and next(stream).count("\n") == 2
    assert len(readers) == 2
    stream.close()  # a client that goes away: the readers end on their own, nothing hangs
    assert not multiprocessing.active_children() and not terminated

    monkeypatch.setattr(
        projection, "flat_projection", lambda *a, **k: projection.Projection({"x": "no_such"}, ["q.x"])
    )
    with pytest.raises(Exception, match="no_such|no such column"):
        "".join(EXPORTS["csv"].stream(Event.objects.order_by("id")))
    assert len(readers) == 4
    assert not multiprocessing.active_children()


def test_a_chunk_sent_to_a_reader_that_already_failed_raises_the_readers_failure():
    """A reader that fails sends its failure and closes its end; the export may still be sending it chunks.
    The send then breaks: what is raised is the reader's failure, not the broken pipe."""
    ours, theirs = multiprocessing.Pipe()
    theirs.send_bytes(b"+a chunk done before the failure\n")
    theirs.send_bytes(b"!" + pickle.dumps(LookupError("no such column: no_such")))
    theirs.close()
    with pytest.raises(LookupError, match="no such column"):
        projection._send([ours], 0, [1, 2])
    ours, theirs = multiprocessing.Pipe()
    theirs.close()  # a reader killed before it could say anything
    with pytest.raises(RuntimeError, match="ended before its chunk was done"):
        projection._send([ours], 0, None)
