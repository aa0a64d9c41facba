"""import_acled, import_ucdp and export_events: round trips, all-or-nothing, --keep-valid, re-imports."""

import csv
import io
import os
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from actors.models import Actor
from events.models import Claim, Event
from events.verification import events_rederive
from locations.models import Location
from tests.test_ingest_readers import ACLED_BASE, ACLED_COLUMNS, UCDP_BASE, UCDP_COLUMNS, to_bytes, write

pytestmark = pytest.mark.django_db

# What an ACLED round trip does not give back as it was, and why (docs/IMPORT_EXPORT.md).
ACLED_NOT_KEPT = {
    "region",  # ACLED's regions are not kept
    "source_scale",  # rebuilt from each source's one scale
    "timestamp",  # the time the event last changed here
}


def run(command: str, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def exported(command_format: str, tmp_path, *filters) -> list[dict]:
    path = tmp_path / f"out.{command_format}.csv"
    run("export_events", "--format", command_format, "-o", str(path), *[f"--filter={f}" for f in filters])
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def database_snapshot() -> tuple:
    return (
        Event.all_objects.count(),
        Actor.objects.count(),
        Location.objects.count(),
        Claim.objects.count(),
    )


def test_an_acled_file_comes_back_field_by_field(tmp_path):
    path = write(tmp_path, to_bytes(ACLED_COLUMNS, ACLED_BASE))
    summary = run("import_acled", str(path))
    assert "3 events created, 0 updated, 0 unchanged, 0 refused" in summary
    rows = {row["event_id_cnty"]: row for row in exported("acled", tmp_path)}
    for original in ACLED_BASE:
        back = rows[original["event_id_cnty"]]
        for column in ACLED_COLUMNS:
            if column in ACLED_NOT_KEPT:
                continue
            want, got = original[column], back[column]
            if column in ("latitude", "longitude"):
                assert float(got) == float(want), (column, original["event_id_cnty"])
            elif column == "fatalities":
                assert got == (want or "0"), original["event_id_cnty"]  # ACLED writes unknown as 0
            elif column == "tags":
                assert sorted(got.split("; ")) == sorted(want.split("; "))  # tags come back alphabetically
            elif column == "notes" and not want:
                assert got, "an event without notes is exported with its summary"
            else:
                assert got == want, (column, original["event_id_cnty"], got, want)
    assert events_rederive(Event.objects.values_list("pk", flat=True)) == 0


def test_reimporting_the_same_file_changes_nothing_and_says_so(tmp_path):
    path = write(tmp_path, to_bytes(ACLED_COLUMNS, ACLED_BASE))
    run("import_acled", str(path))
    before = database_snapshot()
    assert "0 events created, 0 updated, 3 unchanged" in run("import_acled", str(path))
    assert database_snapshot() == before
    changed = [dict(row) for row in ACLED_BASE]
    changed[2]["fatalities"] = "5"
    path = write(tmp_path, to_bytes(ACLED_COLUMNS, changed), "changed.csv")
    assert "0 events created, 1 updated, 2 unchanged" in run("import_acled", str(path))
    assert Event.objects.get(acled_event_id="DRC30003").fatalities_best == 5


def test_a_ucdp_file_comes_back_with_what_is_kept(tmp_path):
    path = write(tmp_path, to_bytes(UCDP_COLUMNS, UCDP_BASE))
    assert "refused" in run("import_ucdp", str(path))
    rows = {row["id"]: row for row in exported("ucdp", tmp_path)}
    kept = ["id", "year", "type_of_violence", "side_a", "side_b", "where_prec", "date_prec", "best", "high",
            "low", "latitude", "longitude", "source_office", "adm_1", "adm_2", "country"]  # fmt: skip
    for original in UCDP_BASE:
        back = rows[original["id"]]
        assert (
            back["date_start"] == original["date_start"][:10]
            and back["date_end"] == original["date_end"][:10]
        )
        for column in kept:
            want, got = original[column], back[column]
            if column in ("latitude", "longitude") and want:
                assert float(got) == float(want)
            elif column == "source_office":
                assert [o for o in got.split("; ") if o] == [o.strip() for o in want.split(";") if o.strip()]
            elif column in ("adm_1", "adm_2"):
                assert want.lower().startswith(got.lower()), (column, got, want)  # " province" is dropped
            elif column == "country":
                assert got == want.split(" (")[0]  # "Yemen (North Yemen)": the old name is not kept
            elif column == "type_of_violence":
                assert got == str(int(want)) if want.isdigit() else got
            else:
                assert got == want, (column, original["id"], got, want)


def test_a_file_with_a_refused_row_changes_nothing_and_lists_it(tmp_path):
    rows = [dict(row) for row in ACLED_BASE]
    rows[1]["event_date"] = "2022-02-30"
    path = write(tmp_path, to_bytes(ACLED_COLUMNS, rows))
    before = database_snapshot()
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 3 rows refused; nothing was imported"):
        call_command("import_acled", str(path), stdout=out, stderr=io.StringIO())
    assert "line 3, column event_date:" in out.getvalue()
    assert database_snapshot() == before


def test_keep_valid_loads_the_others_and_writes_the_refused_rows_beside_the_file(tmp_path):
    rows = [dict(row) for row in ACLED_BASE]
    rows[0]["latitude"] = "91"
    path = write(tmp_path, to_bytes(ACLED_COLUMNS, rows), "export.csv")
    assert "2 events created" in run("import_acled", str(path), "--keep-valid")
    with (tmp_path / "export.refused.csv").open(newline="") as file:
        refused = list(csv.DictReader(file))
    assert [(r["line"], r["column"], r["event_id_cnty"]) for r in refused] == [("2", "latitude", "AFG61001")]
    assert not Event.objects.filter(acled_event_id="AFG61001").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "(?i)binary"),
        (b"event_id_cnty,event_date\nAFG1,2022-05-05\n", "missing"),
        (to_bytes(ACLED_COLUMNS, ACLED_BASE, encoding="latin-1")[:-50] + "é,\n".encode("latin-1"), "UTF-8"),
    ],
    ids=["empty", "binary", "missing columns", "latin-1"],
)
def test_a_malformed_file_gives_one_clear_message_and_changes_nothing(tmp_path, content, message):
    path = write(tmp_path, content)
    before = database_snapshot()
    with pytest.raises(CommandError, match=message) as refused:
        run("import_acled", str(path))
    assert "Nothing was imported" in str(refused.value)
    assert database_snapshot() == before


def test_standard_input_and_aliases_make_one_actor_of_two_spellings(tmp_path, monkeypatch):
    run("import_acled", str(write(tmp_path, to_bytes(ACLED_COLUMNS, ACLED_BASE))))
    Actor.objects.create(name="Taliban", kind="state_forces")
    aliases = tmp_path / "aliases.csv"
    aliases.write_text("alias,actor\nTaleban,Taliban\n", encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(to_bytes(UCDP_COLUMNS, UCDP_BASE))))
    out = run("import_ucdp", "-", "--aliases", str(aliases))
    assert "1 actor aliases added" in out
    assert not Actor.objects.filter(name="Taleban").exists()
    taliban = Actor.objects.get(name="Taliban")
    assert Event.objects.filter(ucdp_ged_id=int(UCDP_BASE[0]["id"]), actors=taliban).exists()


def test_export_takes_the_api_filters_and_refuses_unknown_ones(tmp_path):
    run("import_acled", str(write(tmp_path, to_bytes(ACLED_COLUMNS, ACLED_BASE))))
    assert {r["event_id_cnty"] for r in exported("acled", tmp_path, "country=COD")} == {"DRC30003"}
    assert [r["id"] for r in exported("csv", tmp_path, "date_before=2022-05-05")] == [
        str(Event.objects.get(acled_event_id="AFG61001").pk)
    ]
    with pytest.raises(CommandError, match="Unknown filter colour"):
        run("export_events", "--filter", "colour=red")
    with pytest.raises(CommandError, match="date_after"):
        run("export_events", "--filter", "date_after=yesterday")


def test_the_admin_upload_imports_through_the_same_loader(admin_client, client, django_user_model, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    page = admin_client.get(reverse("admin:events_event_changelist"))
    assert reverse("admin-import-events") in page.content.decode()  # linked from the event list

    def upload_then_confirm(rows, **confirm):
        # The page previews first (tests/test_admin_entry.py), then imports on confirmation.
        upload = SimpleUploadedFile("export.csv", to_bytes(ACLED_COLUMNS, rows), content_type="text/csv")
        preview = admin_client.post(reverse("admin-import-events"), {"file": upload, "format": "acled"})
        token = preview.context["confirm"]["token"].value()
        return admin_client.post(reverse("admin-import-events"), {"token": token, **confirm})

    rows = [dict(row) for row in ACLED_BASE]
    rows[2]["event_date"] = "2022-02-30"
    response = upload_then_confirm(rows)
    assert "1 of 3 rows refused; nothing was imported" in response.content.decode()
    assert "2022-02-30" in response.content.decode() and not Event.objects.exists()

    response = upload_then_confirm(rows, keep_valid="on")
    assert "2 events created, 0 updated, 0 unchanged, 1 refused" in response.content.decode()

    upload = SimpleUploadedFile("export.csv", b"\x89PNG\r\n\x1a\n\x00\x00", content_type="text/csv")
    response = admin_client.post(reverse("admin-import-events"), {"file": upload, "format": "ucdp"})
    assert "Nothing was imported" in response.content.decode()

    reader = django_user_model.objects.create_user("reader", password="pw-for-tests-only", is_staff=True)
    client.force_login(reader)
    assert client.get(reverse("admin-import-events")).status_code == 403


def test_an_export_to_a_file_shows_its_progress_on_a_terminal_only(tmp_path, monkeypatch):
    import itertools

    from ingest import commands

    run("import_acled", str(write(tmp_path, to_bytes(ACLED_COLUMNS, ACLED_BASE))))
    clock = itertools.count(0, 1.0)  # a second between looks at the clock
    monkeypatch.setattr(commands.time, "monotonic", lambda: next(clock))

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for stream, shown in ((Terminal(), True), (io.StringIO(), False)):
        call_command("export_events", "-o", str(tmp_path / "out.csv"), stdout=io.StringIO(), stderr=stream)
        assert ("MB/s" in stream.getvalue()) is shown
        assert "Wrote" in stream.getvalue()


def test_an_export_to_standard_output_that_is_closed_early_stops_quietly(tmp_path, monkeypatch):
    """`export_events | head`: the export stops, and the command exits 1 with no traceback, its standard
    output pointed at /dev/null so that Python's own flush at exit does not fail again."""
    run("import_acled", str(write(tmp_path, to_bytes(ACLED_COLUMNS, ACLED_BASE))))

    class Pipe(io.StringIO):
        def __init__(self, fd):
            super().__init__()
            self.fd = fd

        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self):
            return self.fd

    with open(tmp_path / "stdout", "w") as target:
        monkeypatch.setattr(sys, "stdout", Pipe(target.fileno()))
        with pytest.raises(SystemExit) as exited:
            call_command("export_events", "--format", "acled")
        assert exited.value.code == 1
        os.write(target.fileno(), b"gone")  # the descriptor is now /dev/null's
    assert (tmp_path / "stdout").read_text() == ""


def test_new_places_get_their_ids_in_the_order_the_file_names_them(tmp_path):
    """The same file gives the same ids on every run: new places are created in file order, not in the
    order of a set (which follows Python's hash seed)."""
    towns = [f"Town {n:02d}" for n in range(40)]
    rows = [
        {**ACLED_BASE[0], "event_id_cnty": f"AFG9{n:04d}", "admin3": "", "location": town}
        for n, town in enumerate(towns)
    ]
    run("import_acled", str(write(tmp_path, to_bytes(ACLED_COLUMNS, rows))))
    created = list(Location.objects.filter(name__in=towns).order_by("pk").values_list("name", flat=True))
    assert created == towns


@pytest.mark.parametrize("threshold,analysed", [(1, True), (10_000, False)], ids=["large", "small"])
def test_a_large_import_refreshes_postgresqls_statistics(tmp_path, monkeypatch, threshold, analysed):
    """After an import of many events the planner must not take the tables for what they held before."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ingest import loader

    monkeypatch.setattr(loader, "ANALYZE_AFTER", threshold)
    with CaptureQueriesContext(connection) as queries:
        run("import_acled", str(write(tmp_path, to_bytes(ACLED_COLUMNS, ACLED_BASE))))
    statements = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor == "postgresql" and analysed:
        [statement] = statements
        assert all(table in statement for table in ("events_event,", "events_eventactor", "events_claim"))
    else:
        assert statements == []


def test_an_event_named_twice_in_a_file_is_created_then_updated_by_its_last_row(tmp_path):
    """Rows naming one event side by side (a batch finds its events before writing any) or far apart: the
    later row updates what the earlier wrote, as a re-import would; nothing is refused or left half-written."""
    first, second = ACLED_BASE[0], ACLED_BASE[1]
    rows = [first, dict(first, fatalities="7"), second, dict(first, fatalities="9")]
    summary = run("import_acled", str(write(tmp_path, to_bytes(ACLED_COLUMNS, rows))))
    assert "2 events created, 2 updated, 0 unchanged, 0 refused" in summary
    assert Event.objects.get(acled_event_id=first["event_id_cnty"]).fatalities_best == 9
    assert events_rederive(Event.objects.values_list("pk", flat=True)) == 0
