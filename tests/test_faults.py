"""Faults: the database going away under load, an import killed half-way, imports that overlap, and reads
while a large import runs.

The outage is answered in process first (every kind of request gets 503 with Retry-After), then for real:
gunicorn talks to PostgreSQL through a TCP proxy started here, and the proxy is cut and restored while
clients read. The imports are `manage.py import_acled` processes on a generated ACLED file, on a database
they share with the test: an SQLite file of their own, or the test database itself on PostgreSQL (these
tests commit, so they run with transaction=True and put the database back afterwards).

`FAULTS_IMPORT_ROWS` sizes the import that runs while a client reads (default 40,000 rows; the issue's
1,000,000 is for a manual run: `FAULTS_IMPORT_ROWS=1000000 pytest tests/test_faults.py -k reads`).
"""

import csv
import datetime
import hashlib
import json
import os
import pty
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import psycopg
import pytest
from django.db import IntegrityError, InterfaceError, OperationalError, connection
from django.db.backends.utils import CursorWrapper
from django.middleware.common import CommonMiddleware
from django.test import Client

from actors.models import Actor
from core.outage import DETAIL, RETRY_AFTER_SECONDS, is_outage
from events.formats.acled import ACLED_COLUMNS
from events.models import Claim, Event, EventActor
from locations.models import Location
from sources.models import Report, Source
from tests import factories as f
from tests.test_production import PRODUCTION, ROOT, environment, free_port, manage

# Enough that the import still runs when its progress is first shown, half a second in (6,000 rows were
# all written in 0.5 s on a machine importing 12,600 rows/s, before any progress line).
IMPORT_ROWS = int(os.environ.get("FAULTS_IMPORT_ROWS", "40000"))
# No request may wait longer than this while an import runs: a bound that proves no lock-out, not a speed.
LOCK_OUT_BOUND = 20.0
ON_POSTGRESQL = "PostgreSQL only: "


# --- 1. In process: every kind of request gets 503 while the database does not answer -----------------------


@pytest.fixture
def database_down(monkeypatch):
    """Every statement fails as it does when PostgreSQL refuses connections, whichever cursor runs it (the
    exports read through server-side cursors on PostgreSQL); calling the fixture's value brings it back."""

    def refused(*args, **kwargs):
        raise OperationalError('connection failed: connection to server at "127.0.0.1", port 5432 failed')

    monkeypatch.setattr(CursorWrapper, "_execute", refused)
    monkeypatch.setattr(CursorWrapper, "_executemany", refused)
    return monkeypatch.undo


def assert_retry_later(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "connection" not in response.content.decode()  # never the database's own words


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/events/",
        "/api/v1/events/1/",
        "/api/v1/actors/",
        "/api/v1/stats/events/",
        # Streamed: the first query runs when the stream is read, not in the view.
        "/api/v1/events/?format=csv",
        "/api/v1/events/?format=geojson",
        "/api/acled/read",
    ],
)
def test_api_reads_answer_503_with_retry_after_and_the_api_error_while_the_database_is_down(
    client, database_down, path
):
    response = client.get(path)
    assert_retry_later(response)
    assert response.json() == {"detail": DETAIL}
    database_down()  # the database is back: the same process answers
    assert client.get(path).status_code in (200, 404)


@pytest.mark.django_db
def test_a_streamed_export_is_whole_when_the_database_answers(client):
    events = f.EventFactory.create_batch(3)
    response = client.get("/api/v1/events/?format=csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 1 + len(events)
    assert {line.split(",")[0] for line in lines[1:]} == {str(e.pk) for e in events}


@pytest.mark.django_db
def test_api_writes_answer_503_too(staff_client, database_down):
    response = staff_client.post("/api/v1/sources/", {"name": "Radio Okapi"}, content_type="application/json")
    assert_retry_later(response)
    assert response.json() == {"detail": DETAIL}


@pytest.mark.django_db
def test_the_admin_answers_503_in_plain_words_while_the_database_is_down(staff_client, database_down):
    response = staff_client.get("/admin/events/event/")
    assert_retry_later(response)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().strip() == DETAIL
    database_down()
    assert staff_client.get("/admin/events/event/").status_code == 200


@pytest.mark.django_db
def test_readiness_says_unavailable_and_liveness_stays_up_while_the_database_is_down(client, database_down):
    response = client.get("/readyz")
    assert_retry_later(response)
    assert response.json()["status"] == "unavailable"
    assert client.get("/healthz").status_code == 200  # the process is alive: no restart is called for
    database_down()
    assert client.get("/readyz").json()["status"] == "ready"


@pytest.mark.django_db
def test_an_outage_met_outside_any_view_is_a_503_not_a_500(monkeypatch):
    def refused(self, request):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(CommonMiddleware, "process_request", refused)
    response = Client(raise_request_exception=False).get("/api/v1/events/")
    assert_retry_later(response)
    assert response.json() == {"detail": DETAIL}


def test_outages_are_the_errors_of_a_database_that_cannot_answer_now():
    driver = connection.Database  # psycopg or sqlite3: raw cursors raise the driver's own classes
    assert is_outage(OperationalError("the database system is starting up"))
    assert is_outage(InterfaceError("connection already closed"))
    assert is_outage(driver.OperationalError("server closed the connection unexpectedly"))
    assert not is_outage(IntegrityError("duplicate key value violates unique constraint"))
    assert not is_outage(ValueError("not a database error"))


# --- processes on a database shared with the test -----------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory) -> Path:
    """An SQLite file with every migration applied and the cache table, made once; tests use copies."""
    path = tmp_path_factory.mktemp("faults") / "template.sqlite3"
    result = manage("migrate", "--verbosity", "0", DATABASE_URL=f"sqlite:///{path}")
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def shared_database(request, tmp_path) -> str:
    """The URL of a database that processes started by the test share with it: the test database itself on
    PostgreSQL (the test must be transactional), a migrated SQLite file otherwise."""
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
        return (
            f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}"
        )
    path = tmp_path / "shared.sqlite3"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


@contextmanager
def connected(url: str):
    """A connection of the test's own to the shared database, outside Django's, seeing what is committed."""
    if url.startswith("sqlite:///"):
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
    else:
        db = psycopg.connect(url, autocommit=True)
    try:
        yield db
    finally:
        db.close()


def query(url: str, sql: str) -> list[tuple]:
    with connected(url) as db:
        return list(db.execute(sql).fetchall())


# Every table an import writes, with the history tables.
IMPORTED = [Event, EventActor, Event.tags.through, Claim, Report, Source, Actor, Location]
IMPORTED_TABLES = [model._meta.db_table for model in IMPORTED] + [
    model.history.model._meta.db_table for model in IMPORTED if hasattr(model, "history")
]


def content(url: str) -> dict:
    """The row count of every table an import writes, and a digest of the events' own rows."""
    with connected(url) as db:
        counts = {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in IMPORTED_TABLES
        }
        rows = db.execute(
            "SELECT id, acled_event_id, summary, fatalities_best, updated_at FROM events_event ORDER BY id"
        ).fetchall()
    return {**counts, "events digest": hashlib.sha256(repr(rows).encode()).hexdigest()}


def external_ids(url: str) -> list[str]:
    return [
        i for (i,) in query(url, "SELECT acled_event_id FROM events_event WHERE acled_event_id IS NOT NULL")
    ]


# --- generated ACLED files -----------------------------------------------------------------------------------

COUNTRIES = [("Afghanistan", 4, "AFG"), ("Nigeria", 566, "NGA"), ("Yemen", 887, "YEM")]
KINDS = [("Political violence", "Battles", "Armed clash"), ("Demonstrations", "Protests", "Peaceful protest"),
         ("Political violence", "Violence against civilians", "Attack")]  # fmt: skip


def acled_record(n: int) -> dict:
    """Event number n, the same in every file that holds it (so overlapping files agree)."""
    rng = random.Random(n)
    country, iso, iso3 = rng.choice(COUNTRIES)
    disorder, event_type, sub_type = rng.choice(KINDS)
    side_a, side_b = rng.sample(range(300), 2)
    admin1 = rng.randrange(10)
    admin2 = admin1 * 10 + rng.randrange(10)
    day = datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(1500))
    return dict.fromkeys(ACLED_COLUMNS, "") | {
        "event_id_cnty": f"{iso3}{n}", "event_date": day.isoformat(), "year": day.year, "time_precision": 1,
        "disorder_type": disorder, "event_type": event_type, "sub_event_type": sub_type,
        "actor1": f"Faults group {side_a}", "inter1": 2, "actor2": f"Faults group {side_b}", "inter2": 2,
        "interaction": 22, "iso": iso, "country": country, "admin1": f"{country} province {admin1}",
        "admin2": f"{country} district {admin2}", "location": f"{country} town {admin2 * 5 + rng.randrange(5)}",
        "latitude": round(rng.uniform(-40, 60), 4), "longitude": round(rng.uniform(-90, 120), 4),
        "geo_precision": 1, "source": "; ".join(rng.sample([f"Faults outlet {i}" for i in range(100)], 2)),
        "source_scale": "National", "notes": f"On {day:%d %B %Y}, group {side_a} clashed with group {side_b}.",
        "fatalities": rng.choice([0, 0, 1, 3]), "timestamp": 1_700_000_000 + n,
    }  # fmt: skip


def write_acled(path: Path, numbers: range) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=ACLED_COLUMNS)
        writer.writeheader()
        writer.writerows(acled_record(n) for n in numbers)
    return path


@dataclass
class Names:
    """What a set of events names, as an import creates it: each distinct once."""

    events: set = field(default_factory=set)
    actors: set = field(default_factory=set)
    sources: set = field(default_factory=set)
    places: set = field(default_factory=set)  # countries and every (country, admin1, …) chain below them

    @classmethod
    def of(cls, *ranges: range) -> "Names":
        names = cls()
        for n in {n for numbers in ranges for n in numbers}:
            record = acled_record(n)
            names.events.add(record["event_id_cnty"])
            names.actors |= {record["actor1"], record["actor2"]}
            names.sources |= set(record["source"].split("; "))
            chain = (record["country"], record["admin1"], record["admin2"], record["location"])
            names.places |= {chain[:depth] for depth in range(1, len(chain) + 1)}
        return names


# --- import processes ----------------------------------------------------------------------------------------


class Import:
    """`manage.py import_acled FILE` in a process of its own. Its output goes to a terminal (a pty), so the
    command shows its progress line ("1,250 rows  2,500 rows/s …") after each batch it writes, at most
    twice a second: proof that its transaction is open and writing."""

    def __init__(self, path: Path, database_url: str, *, batch_size: int = 250):
        terminal, self._terminal = pty.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "import_acled", str(path), "--batch-size", str(batch_size)],
            cwd=ROOT, env=environment(DATABASE_URL=database_url, DJANGO_COLORS="nocolor"),
            stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal,
        )  # fmt: skip
        os.close(terminal)
        self._output = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._terminal, 65536)
            except OSError:  # the process and every copy of the terminal are gone
                chunk = b""
            if not chunk:
                os.close(self._terminal)
                return
            self._output += chunk

    @property
    def output(self) -> str:
        return self._output.decode(errors="replace")

    def rows_written(self) -> int:
        shown = re.findall(r"([\d,]+) rows  ", self.output)
        return int(shown[-1].replace(",", "")) if shown else 0

    def wait_until_written(self, rows: int, timeout: float = 120) -> int:
        """Wait until the progress line shows at least `rows` written; how many it shows."""
        deadline = time.monotonic() + timeout
        while self.rows_written() < rows:
            assert self.process.poll() is None, f"the import ended first:\n{self.output}"
            assert time.monotonic() < deadline, f"no progress in {timeout} s:\n{self.output}"
            time.sleep(0.02)
        return self.rows_written()

    def wait(self, timeout: float = 600) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.wait()


@contextmanager
def importing(path: Path, database_url: str, **options):
    started = Import(path, database_url, **options)
    try:
        yield started
    finally:
        started.stop()


def summary(rows: int, created: int, updated: int, unchanged: int) -> re.Pattern:
    """The line a successful import ends with."""
    return re.compile(
        rf"{rows} rows read in [\d.]+ s \([\d,]+ rows/s\): {created} events created, {updated} updated, "
        rf"{unchanged} unchanged, 0 refused\."
    )


# --- 2. An import killed with SIGKILL half-way ------------------------------------------------------------

# Enough that the import is surely mid-way when its progress is first shown (imports run at ~8,000 rows/s).
KILLED_ROWS = 40_000


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_killed_half_way_leaves_the_database_as_it_was_and_a_rerun_loads_every_row(
    shared_database, tmp_path
):
    earlier, later = range(0, 300), range(200, 200 + KILLED_ROWS)  # 100 events in both
    with importing(write_acled(tmp_path / "earlier.csv", earlier), shared_database) as first:
        assert first.wait() == 0, first.output
    before = content(shared_database)
    path = write_acled(tmp_path / "later.csv", later)

    with importing(path, shared_database) as killed:
        written = killed.wait_until_written(750)  # three batches at least, inside its one transaction
        killed.process.send_signal(signal.SIGKILL)
        assert killed.wait() == -signal.SIGKILL
    assert written < len(later), "the import had finished before it could be killed: raise KILLED_ROWS"
    assert content(shared_database) == before

    with importing(path, shared_database) as rerun:
        assert rerun.wait() == 0, rerun.output
    assert summary(len(later), len(later) - 100, 0, 100).search(rerun.output), rerun.output
    assert sorted(external_ids(shared_database)) == sorted(Names.of(earlier, later).events)


# --- 3. Two imports at once (PostgreSQL) ----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_overlapping_imports_at_once_both_succeed_and_create_nothing_twice(shared_database, tmp_path):
    """Writers take turns (events.services.bulk.WRITERS_LOCK): the second import waits for the first to
    commit, then finds its names and events already there. Both exit 0."""
    if connection.vendor != "postgresql":
        pytest.skip(ON_POSTGRESQL + "SQLite lets one writer in at a time; a second import waits at BEGIN")
    one, two = range(0, 2400), range(1200, 3600)  # 1,200 events in both
    paths = write_acled(tmp_path / "one.csv", one), write_acled(tmp_path / "two.csv", two)
    before = content(shared_database)
    with importing(paths[0], shared_database) as first, importing(paths[1], shared_database) as second:
        assert (first.wait(), second.wait()) == (0, 0), first.output + second.output
    # Whichever committed first created its 2,400 events; the other found the 1,200 they share unchanged.
    outputs = first.output + second.output
    assert summary(2400, 2400, 0, 0).search(outputs) and summary(2400, 1200, 0, 1200).search(outputs), outputs

    names = Names.of(one, two)
    after = content(shared_database)
    assert sorted(external_ids(shared_database)) == sorted(names.events)
    assert after["actors_actor"] - before["actors_actor"] == len(names.actors)
    assert after["sources_source"] - before["sources_source"] == len(names.sources)
    assert after["locations_location"] - before["locations_location"] == len(names.places)
    for table, key in [("actors_actor", "lower(name)"), ("sources_source", "lower(name)"),
                       ("locations_location", "lower(name), parent_id, level")]:  # fmt: skip
        assert query(shared_database, f"SELECT {key} FROM {table} GROUP BY {key} HAVING COUNT(*) > 1") == []


# --- gunicorn on the shared database ---------------------------------------------------------------------------


@dataclass
class Answer:
    path: str
    started: float
    finished: float
    status: int | None  # None: no HTTP answer at all (a refused or dropped connection, a timeout)
    retry_after: str | None = None
    body: bytes = b""
    error: str = ""


def get(base: str, path: str, timeout: float = 60) -> Answer:
    started = time.monotonic()
    try:
        with urlopen(Request(base + path), timeout=timeout) as response:
            status, headers, body = response.status, response.headers, response.read()
    except HTTPError as error:
        status, headers, body = error.code, error.headers, error.read()
    except OSError as error:
        return Answer(path, started, time.monotonic(), None, error=f"{type(error).__name__}: {error}")
    return Answer(path, started, time.monotonic(), status, headers.get("Retry-After"), body)


@contextmanager
def gunicorn(database_url: str, log: Path, **env):
    """gunicorn in production mode on this database (two workers) for the length of the block."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    variables = {**PRODUCTION, "SECURE_SSL_REDIRECT": "false", "ANON_THROTTLE_RATE": "1000000/hour",
                 "DATABASE_URL": database_url, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
                 "LOG_LEVEL": "WARNING", **env}  # fmt: skip
    with log.open("w") as err:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "conflict_events/gunicorn.py"],
            cwd=ROOT, env=environment(**variables), stdout=subprocess.DEVNULL, stderr=err,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while get(base, "/readyz", timeout=5).status != 200:
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield base, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def cache_table(shared_database):
    """The database cache's table, which production settings use for the throttle (the test run's own
    settings use a per-process cache, so the PostgreSQL test database lacks it)."""
    if connection.vendor == "postgresql":
        result = manage("createcachetable", DATABASE_URL=shared_database)
        assert result.returncode == 0, result.stderr
        yield
        with connected(shared_database) as db:
            db.execute("DROP TABLE IF EXISTS cache_table")
    else:
        yield  # `migrate` made it in the SQLite template


def keep_reading(
    base: str, paths: list[str], answers: list[Answer], stop: threading.Event, pause: float = 0
) -> threading.Thread:
    """A client that reads the paths in turn until stopped, `pause` seconds between requests."""

    def read() -> None:
        while not stop.is_set():
            for path in paths:
                answers.append(get(base, path))
                time.sleep(pause)

    thread = threading.Thread(target=read)
    thread.start()
    return thread


# --- 4. Reads while a large import runs --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reads_are_answered_while_a_large_import_writes(shared_database, cache_table, tmp_path):
    path = write_acled(tmp_path / "large.csv", range(IMPORT_ROWS))
    answers: list[Answer] = []
    stop = threading.Event()
    with gunicorn(shared_database, tmp_path / "gunicorn.log") as (base, server):
        with importing(path, shared_database, batch_size=500) as large:
            large.wait_until_written(500)  # its transaction is open and holds what it has written
            # Two clients, each pausing a little: readers, not a load test competing with the import for CPUs.
            events = ["/api/v1/events/?page_size=50", "/api/v1/events/?date_after=2021-01-01"]
            readers = [
                keep_reading(base, events, answers, stop, pause=0.05),
                keep_reading(base, ["/healthz", "/readyz"], answers, stop, pause=0.05),
            ]
            code = large.wait(timeout=max(600, IMPORT_ROWS / 100))
            stop.set()
            for reader in readers:
                reader.join()
        assert code == 0, large.output
        assert summary(IMPORT_ROWS, IMPORT_ROWS, 0, 0).search(large.output), large.output

    assert {a.path for a in answers} == {*events, "/healthz", "/readyz"}
    assert [(a.path, a.status, a.error) for a in answers if a.status != 200] == []
    slowest = max(answers, key=lambda a: a.finished - a.started)
    assert slowest.finished - slowest.started < LOCK_OUT_BOUND, slowest


# --- 5. The database goes away under load (PostgreSQL, through a proxy) ------------------------------------


class Proxy:
    """A TCP proxy in front of PostgreSQL that can be cut (every connection closed, new ones refused, as
    when the server restarts) and restored on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port = target, free_port()
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.listening = threading.Event()

    def start(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: the port comes back
        listener.settimeout(0.1)
        self.listening.set()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        with listener:
            while self.listening.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                client.settimeout(None)
                upstream = socket.create_connection(self.target)
                with self.lock:
                    self.sockets |= {client, upstream}
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._close(source, sink)

    def _close(self, *sockets: socket.socket) -> None:
        with self.lock:
            for sock in sockets:
                self.sockets.discard(sock)
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def cut(self) -> None:
        self.listening.clear()
        time.sleep(0.3)  # the listener closes within its accept timeout: new connections are refused
        with self.lock:
            sockets = list(self.sockets)
        self._close(*sockets)

    def restore(self) -> None:
        self.start()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_outage_under_load_is_503_with_retry_after_and_the_same_server_recovers(
    shared_database, cache_table, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip(
            ON_POSTGRESQL + "SQLite is a file in the server's own process; there is no connection to cut"
        )
    f.EventFactory.create_batch(5)
    settings = connection.settings_dict
    proxy = Proxy((settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432)))
    proxy.start()
    through_proxy = re.sub(r"@[^/]+/", f"@127.0.0.1:{proxy.port}/", shared_database)
    answers: list[Answer] = []
    stop = threading.Event()
    api = ["/api/v1/events/?page_size=20", "/api/v1/events/?date_after=2021-01-01", "/api/v1/actors/",
           "/api/v1/events/?format=csv"]  # fmt: skip
    # Persistent connections (the harder case): each worker's connection dies with the cut and must be
    # replaced at the first request after the restore, not fail it.
    with gunicorn(through_proxy, tmp_path / "gunicorn.log", DB_CONN_MAX_AGE="60") as (base, server):
        readers = [keep_reading(base, [*api, "/healthz"], answers, stop) for _ in range(3)]
        readers.append(keep_reading(base, ["/readyz"], answers, stop))
        time.sleep(1.5)
        cut = time.monotonic()
        proxy.cut()
        cut_done = time.monotonic()
        time.sleep(3)
        restored = time.monotonic()
        proxy.restore()
        time.sleep(2)
        stop.set()
        for reader in readers:
            reader.join()
        # A restart while nobody asks: both workers hold connections that died with it, unnoticed. The
        # first requests after it check their connection before use (CONN_HEALTH_CHECKS) and reconnect.
        proxy.cut()
        proxy.restore()
        quiet_restart = [get(base, path) for path in [*api, *api]]
        assert server.poll() is None  # the same server answered throughout, never restarted
        assert get(base, "/readyz").status == 200

    assert [(a.path, a.status, a.error) for a in answers if a.status not in (200, 503)] == []
    for answer in answers:
        if answer.status == 503:
            assert answer.retry_after == str(RETRY_AFTER_SECONDS), answer
            assert DETAIL in answer.body.decode() or answer.path == "/readyz", answer
            if answer.path.startswith("/api/"):
                assert json.loads(answer.body) == {"detail": DETAIL}
    assert {a.status for a in answers if a.path == "/healthz"} == {200}  # liveness never depends on it
    before = [a for a in answers if a.finished < cut]
    during = [a for a in answers if cut_done < a.started and a.finished < restored and a.path != "/healthz"]
    after = [a for a in answers if a.started > restored]
    assert before and {a.status for a in before} == {200}
    assert {a.path for a in during} == {*api, "/readyz"}
    assert {a.status for a in during} == {503}, [(a.path, a.status) for a in during if a.status != 503]
    assert {a.path for a in after} >= {*api, "/readyz"}
    assert {a.status for a in after} == {200}, [(a.path, a.status) for a in after if a.status != 200]
    assert [(a.path, a.status) for a in quiet_restart if a.status != 200] == []


def test_a_token_read_is_served_while_another_connection_holds_the_write_lock(tmp_path):
    """On SQLite an import holds the single write lock for its whole transaction; a read with a token must
    not wait for it (its last use is recorded at most once a minute, and skipped when the database is busy)."""
    import os
    import subprocess
    import sys

    database = tmp_path / "db.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DEBUG": "false",
           "SECRET_KEY": "test-only-" + "k3Yq9-Zp" * 8, "ALLOWED_HOSTS": "testserver",
           "SECURE_SSL_REDIRECT": "false", "DJANGO_SETTINGS_MODULE": "conflict_events.settings"}  # fmt: skip
    env.pop("PYTEST_CURRENT_TEST", None)
    script = """
import django, time
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth import get_user_model
from access.models import ApiToken
_, key = ApiToken.objects.issue(user=get_user_model().objects.create_user("reader"), name="t")
import sqlite3, sys
holder = sqlite3.connect(sys.argv[1], isolation_level=None)
holder.execute("BEGIN IMMEDIATE")  # what an import does for its whole length
from django.test import Client
client = Client()
started = time.monotonic()
statuses = [client.get("/api/v1/events/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code for _ in range(3)]
anonymous = client.get("/api/v1/events/").status_code
print(statuses, anonymous, round(time.monotonic() - started, 1))
holder.execute("ROLLBACK")
"""
    out = subprocess.run([sys.executable, "-c", script, str(database)], env=env, capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(__file__)), timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    line = out.stdout.strip().splitlines()[-1]
    assert line.startswith("[200, 200, 200] 200"), line
    # Not a timing assertion on speed: SQLite's lock wait is 5 s, so four reads that each waited for it
    # would take 20 s; this bound only proves that none did.
    assert float(line.split()[-1]) < 15, line
