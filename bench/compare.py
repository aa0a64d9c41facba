"""The comparison benchmark: our API vs. Datasette vs. a bare-SQL floor, on the same generated events.

Usage:  make bench-compare                        (100,000 events, SQLite; a few minutes)
        make bench-compare N=1000000              (a million; the first run generates and imports for long)
        DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_compare make bench-compare N=100000
        .venv/bin/python bench/compare.py --help  (requests per shape, load, --explain, …)

One run: a deterministic corpus of N ACLED-layout events (bench/corpus.py) is written to CSV and loaded with
our importer (`manage.py import_acled`, timed) into a fresh database: a SQLite file, or the PostgreSQL
database that DATABASE_URL names (dropped and created anew; its name must contain "bench"). The database,
and the flat copy Datasette serves, are cached by N and seed under ~/.cache/conflict-events-bench (or
BENCH_CACHE), so reruns skip generation and import and report the import measured when it was made.

Three servers on loopback, each one process answering one request at a time:
- ours: gunicorn, one sync worker, production settings (DEBUG off), a persistent database connection, the
  throttle's counts in Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/13; `none`: the database);
- the floor (bench/floor.py): a bare WSGI app under the same gunicorn, each shape's SQL written by hand
  against our tables, the same columns as JSON, one connection;
- Datasette-lean (SQLite only): Datasette 0.65, --immutable, over a flat table made from our own ACLED
  export (`manage.py export_events --format acled`), with the indexes a user of a CSV would add (country,
  event_date, event_type, actor1, actor2, fatalities) and a full-text index on notes (what
  `sqlite-utils enable-fts` makes), queried with _nocount=1&_nosuggest=1&_nofacet=1&_size=100.

Each shape is asked of each server: warm-up requests (whose answers are compared: the "rows" column says
whether the servers returned the same events), then the timed ones in three rounds, each server taking a
run of consecutive requests in turn (so that noise falls on all alike, and a server's requests do not each
follow another server's: Datasette's deep page scans its 600 MB table for 800 ms, and a request of ours
after each such scan found the CPU's caches cold, 5.6 ms against 3.1 ms after one of its own).
Then a fixed number of "newest 100 in one country" requests from 4 client threads per server (req/s),
exports (rows/s), and each server's peak RSS. It prints one markdown table and writes it under /tmp.
The machine is shared: compare ratios measured in one run, not milliseconds across runs.
"""

import argparse
import base64
import datetime
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import corpus
from floor import Floor, shape_sql

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BIN = Path(sys.executable).parent
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"  # not 15: the test suite flushes that one
FLAT_NAME = "acled"  # Datasette serves /acled/events
FLAT_INTEGERS = {"year", "time_precision", "inter1", "inter2", "interaction", "iso", "geo_precision",
                 "fatalities", "timestamp"}  # fmt: skip
FLAT_REALS = {"latitude", "longitude"}
FLAT_INDEXES = ("country", "event_date", "event_type", "actor1", "actor2", "fatalities")
LIST_SHAPES = ("newest", "country", "country_year_type", "actor", "bbox", "fatalities", "text", "deep")


def log(message: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- preparing the databases (cached) ---------------------------------------------------------------


def api_env(database_url: str) -> dict:
    """Production settings for manage.py and gunicorn, with the benchmark's database."""
    env = {k: v for k, v in os.environ.items() if k not in ("GUNICORN_CMD_ARGS", "WEB_CONCURRENCY")}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY", "bench-compare-" + "q7Zr-" * 10),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        ANON_THROTTLE_RATE="100000000/hour",
        DB_CONN_MAX_AGE="600",
        LOG_LEVEL="WARNING",
    )
    redis = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    if redis != "none" and redis_answers(redis):
        env["REDIS_URL"] = redis
    else:
        env.pop("REDIS_URL", None)
    return env


def redis_answers(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def run_with_rss(args: list[str], env: dict) -> tuple[float, float, str]:
    """Run a command; (seconds, peak RSS in MB of that process alone, its standard output)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # Drain stderr in a thread, so a chatty command cannot block on a full pipe while we wait4 for it.
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.append(process.stderr.read()))
    reader.start()
    output = process.stdout.read()
    # wait4, not wait: the rusage of this child alone (getrusage(RUSAGE_CHILDREN) is the maximum of all).
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    reader.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({process.returncode}): {''.join(errors)[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, output


def manage(env: dict, *args: str) -> str:
    done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed: {done.stderr[-3000:]}")
    return done.stdout


def cache_root() -> Path:
    return Path(os.environ.get("BENCH_CACHE", Path.home() / ".cache" / "conflict-events-bench"))


@dataclass
class Prepared:
    """A database ready to serve: where it is, the flat copy for Datasette, what making it measured."""

    vendor: str
    database_url: str
    floor_database: str
    flat: Path | None
    meta: dict = field(default_factory=dict)


def generate_and_import(workdir: Path, events: int, seed: int, env: dict) -> dict:
    """Corpus → ACLED CSV → our importer; the measurements, and the keyword counts for the text shape."""
    csv_path = workdir / "corpus.csv"
    log(f"generating {events:,} events (seed {seed}) into {csv_path}")
    started = time.perf_counter()
    keywords = corpus.write_corpus(csv_path, events, seed)
    generated = time.perf_counter() - started
    log(f"generated in {generated:.0f} s ({csv_path.stat().st_size / 1e6:.0f} MB); migrating")
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    log("importing with manage.py import_acled (this is the long part)")
    seconds, rss, output = run_with_rss([PYTHON, "manage.py", "import_acled", str(csv_path)], env)
    log(f"imported in {seconds:.0f} s: {output.strip()}")
    csv_path.unlink()
    return {
        "events": events, "seed": seed, "generate_seconds": generated, "import_seconds": seconds,
        "import_rows_per_s": events / seconds, "import_peak_rss_mb": rss, "import_output": output.strip(),
        "keyword_counts": dict(keywords), "made": datetime.datetime.now().isoformat(timespec="seconds"),
    }  # fmt: skip


def analyze(prepared: Prepared) -> None:
    """Fresh planner statistics, as a database that has lived a while has them (PostgreSQL's autovacuum
    would gather them after an import; SQLite gathers none by itself)."""
    if prepared.vendor == "sqlite":
        db = sqlite3.connect(prepared.floor_database)
        db.execute("ANALYZE")
        db.close()
    else:
        import psycopg

        with psycopg.connect(prepared.database_url, autocommit=True) as db:
            db.execute("VACUUM ANALYZE")


def build_flat(export_csv: Path, flat: Path) -> None:
    """The ACLED export as one table, typed as a CSV-to-SQLite tool would type it, with the indexes a user
    would add and a full-text index on notes (sqlite-utils' `enable-fts` layout, which Datasette finds)."""
    import csv

    if flat.exists():
        flat.unlink()
    db = sqlite3.connect(flat)
    with export_csv.open(newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        header = next(reader)
        types = ["INTEGER" if c in FLAT_INTEGERS else "REAL" if c in FLAT_REALS else "TEXT" for c in header]
        db.execute(
            f"CREATE TABLE events ({', '.join(f'[{c}] {t}' for c, t in zip(header, types, strict=True))})"
        )

        def typed(row):
            return [
                (int(v) if t == "INTEGER" else float(v) if t == "REAL" else v)
                if v != "" or t == "TEXT"
                else None
                for v, t in zip(row, types, strict=True)
            ]

        db.executemany(
            f"INSERT INTO events VALUES ({', '.join('?' * len(header))})", (typed(row) for row in reader)
        )
    for column in FLAT_INDEXES:
        db.execute(f"CREATE INDEX idx_events_{column} ON events ([{column}])")
    db.execute("CREATE VIRTUAL TABLE [events_fts] USING FTS5 ([notes], content=[events])")
    db.execute("INSERT INTO events_fts (events_fts) VALUES ('rebuild')")
    db.execute("ANALYZE")
    db.commit()
    db.close()


def export_to_file(env: dict, fmt: str, path: str, events: int) -> dict:
    seconds, rss, _ = run_with_rss([PYTHON, "manage.py", "export_events", "--format", fmt, "-o", path], env)
    return {"seconds": seconds, "rows_per_s": events / seconds, "peak_rss_mb": rss}


def prepare_sqlite(events: int, seed: int) -> Prepared:
    workdir = cache_root() / f"sqlite-n{events}-s{seed}"
    database, flat, meta_path = workdir / "events.sqlite3", workdir / f"{FLAT_NAME}.db", workdir / "meta.json"
    url = f"sqlite:///{database}"
    env = api_env(url)
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if not (meta.get("ready") and database.exists() and flat.exists()):
        if workdir.exists():
            for path in workdir.iterdir():
                path.unlink()
        workdir.mkdir(parents=True, exist_ok=True)
        meta = generate_and_import(workdir, events, seed, env)
        log("exporting in ACLED's layout for Datasette's flat table")
        export_csv = workdir / "export.acled.csv"
        meta["export_acled"] = export_to_file(env, "acled", str(export_csv), events)
        log(f"exported in {meta['export_acled']['seconds']:.0f} s; building the flat table")
        started = time.perf_counter()
        build_flat(export_csv, flat)
        meta["flat_build_seconds"] = time.perf_counter() - started
        export_csv.unlink()
        meta["ready"] = True
        meta_path.write_text(json.dumps(meta, indent=1))
    else:
        log(f"reusing the cached database {database} (made {meta['made']})")
        meta["cached"] = True
    # Migrations added since the database was made apply now (new indexes are built on the cached rows).
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    prepared = Prepared("sqlite", url, str(database), flat, meta)
    analyze(prepared)
    return prepared


def prepare_postgresql(database_url: str, events: int, seed: int, force: bool) -> Prepared:
    import psycopg

    parts = urllib.parse.urlsplit(database_url)
    name = parts.path.lstrip("/")
    if "bench" not in name and not force:
        raise SystemExit(
            f"DATABASE_URL names the database {name!r}: the benchmark drops and recreates it, so its name must "
            "contain 'bench' (or pass --force)."
        )
    meta_path = cache_root() / f"pg-{parts.hostname}-{parts.port or 5432}-{name}-n{events}-s{seed}.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    env = api_env(database_url)
    count = None
    if meta.get("ready"):
        try:
            with psycopg.connect(database_url) as db:
                count = db.execute("SELECT COUNT(*) FROM events_event").fetchone()[0]
        except psycopg.Error:
            count = None
    if count != events:
        admin = parts._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            db.execute(f'CREATE DATABASE "{name}"')
        workdir = cache_root() / f"pg-work-{name}"
        workdir.mkdir(parents=True, exist_ok=True)
        meta = generate_and_import(workdir, events, seed, env)
        meta["ready"] = True
        meta_path.parent.mkdir(parents=True, exist_ok=True)
        meta_path.write_text(json.dumps(meta, indent=1))
    else:
        log(f"reusing the PostgreSQL database {name} (made {meta['made']})")
        meta["cached"] = True
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    prepared = Prepared("postgresql", database_url, database_url, None, meta)
    analyze(prepared)
    return prepared


# --- the servers -------------------------------------------------------------------------------------


class Server:
    """One server process on a free loopback port, for the length of a `with` block."""

    def __init__(self, name: str, args: list[str], env: dict, ready_path: str, cwd: Path = ROOT):
        self.name, self.args, self.env, self.ready_path, self.cwd = name, args, env, ready_path, cwd
        self.port = free_port()
        self.args = [a.replace("{port}", str(self.port)) for a in args]

    def __enter__(self) -> "Server":
        self.process = subprocess.Popen(
            self.args, cwd=self.cwd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.process.stderr.read().decode()[-3000:]}")
            try:
                status, _ = request(self.port, self.ready_path)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.__exit__()
        raise RuntimeError(f"{self.name} was not ready in 120 s")

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def worker_pid(self) -> int:
        """The process that answers: gunicorn's worker (the master's child), or the server itself."""
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    return int(entry.name)
        return self.process.pid

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.worker_pid()}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def gunicorn(app: str, extra: list[str] | None = None) -> list[str]:
    return [PYTHON, "-m", "gunicorn", app, "--bind", "127.0.0.1:{port}", "--workers", "1",
            "--worker-class", "sync", "--timeout", "1800", "--log-level", "warning", *(extra or [])]  # fmt: skip


def request(port: int, path: str, timeout: float = 600) -> tuple[int, bytes]:
    """One GET on a new connection (gunicorn's sync workers close every connection anyway)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Accept-Encoding": "identity"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def stream_lines(port: int, path: str) -> tuple[int, int, float]:
    """GET a streamed export: (status, lines, seconds), reading it all in chunks."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1800)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        lines = 0
        while chunk := response.read(1 << 16):
            lines += chunk.count(b"\n")
        return response.status, lines, time.perf_counter() - started
    finally:
        connection.close()


# --- the shapes ------------------------------------------------------------------------------------


@dataclass
class Shape:
    key: str
    label: str
    urls: dict  # server name → path
    compare: str = "ids"  # how answers are compared: ids in order, fatalities in order, months, one id


def b64_cursor(values: list) -> str:
    """A cursor as our API writes one (core/api/pagination.py): the ordering values of the row before."""
    payload = json.dumps({"v": values}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def search_term(meta: dict, events: int, seed: int) -> tuple[str, int]:
    """The keyword of the notes closest to 0.2% of the events (a rare-ish term), among those that occur
    nowhere else: in no other keyword, no generated name, no fixed words of the notes."""
    names = [n.casefold() for n in corpus.proper_names(seed)]
    fixed = " ".join([*corpus.VERBS.values(), *corpus.MONTHS, *(c[0] for c in corpus.COUNTRIES),
                      *(s for s, _ in corpus.GROUP_SUFFIXES), *corpus.OUTLET_SUFFIXES,
                      "military forces of police forces of protesters rioters civilians labour group unknown "
                      "parties reports mention the and casualty figures could not be confirmed local sources "
                      "differ"]).casefold()  # fmt: skip
    counts = meta["keyword_counts"]
    candidates = [
        word for word in counts
        if " " not in word and word not in fixed and not any(word in name for name in names)
        and not any(word in other for other in corpus.KEYWORDS if other != word)
    ]  # fmt: skip
    target = 0.002 * events
    word = min(candidates, key=lambda w: (abs(counts[w] - target), w))
    return word, counts[word]


def choose_shapes(prepared: Prepared, events: int, seed: int) -> tuple[list[Shape], dict]:
    """Concrete parameters, chosen deterministically from the corpus, and each server's URL per shape."""
    floor = Floor(prepared.floor_database)
    q = floor.dialect.placeholders
    # A mid-frequency country: the median of the countries ranked by events.
    by_country: dict[int, int] = {}
    for path, place, level, n in floor.fetch(
        "SELECT l.path, l.id, l.level, COUNT(*) FROM events_event e JOIN locations_location l "
        "ON l.id = e.location_id WHERE e.deleted_at IS NULL GROUP BY l.id, l.path, l.level"
    ):
        country = place if level == 0 else int(path.strip("/").split("/")[0])
        by_country[country] = by_country.get(country, 0) + n
    ranked = sorted(by_country, key=lambda c: (-by_country[c], c))
    country_id = ranked[len(ranked) // 2]
    ((iso2, country_name),) = floor.fetch(
        q("SELECT iso2, name FROM locations_location WHERE id = %(id)s"), {"id": country_id}
    )
    inside, params = shape_sql(floor.dialect, "country", floor.country(iso2))
    country_rows = floor.fetch(inside, params)
    sample_acled_id = country_rows[0][26]
    # Its busiest year, battles.
    years = floor.fetch(q(
        "SELECT EXTRACT(YEAR FROM e.date_start)::int AS y, COUNT(*) FROM events_event e WHERE e.location_id IN "
        "(SELECT id FROM locations_location WHERE id = %(place)s OR path LIKE %(like)s) GROUP BY y"
        if prepared.vendor == "postgresql" else
        "SELECT CAST(strftime('%Y', e.date_start) AS INTEGER) AS y, COUNT(*) FROM events_event e WHERE "
        "e.location_id IN (SELECT id FROM locations_location WHERE id = %(place)s OR path LIKE %(like)s) GROUP BY y"
    ), {"place": country_id, "like": f"/{country_id}/%"})  # fmt: skip
    year = max(years, key=lambda r: (r[1], r[0]))[0]
    # An actor in about 0.2% of the events, never only associated (so both sides' columns hold it).
    actors = floor.fetch(
        "SELECT ea.actor_id, a.name, COUNT(*) FROM events_eventactor ea JOIN actors_actor a ON a.id = ea.actor_id "
        "GROUP BY ea.actor_id, a.name HAVING SUM(CASE WHEN ea.role LIKE 'associated%%' THEN 1 ELSE 0 END) = 0"
        .replace("%%", "%" if prepared.vendor == "sqlite" else "%%")
    )  # fmt: skip
    actor_id, actor_name, actor_events = min(actors, key=lambda r: (abs(r[2] - 0.002 * events), r[0]))
    # A 1-degree box around the middle of the country's events.
    points = floor.fetch(q(
        "SELECT e.latitude, e.longitude FROM events_event e WHERE e.latitude IS NOT NULL AND e.location_id IN "
        "(SELECT id FROM locations_location WHERE id = %(place)s OR path LIKE %(like)s)"
    ), {"place": country_id, "like": f"/{country_id}/%"})  # fmt: skip
    lat = round(statistics.median(p[0] for p in points), 2)
    lon = round(statistics.median(p[1] for p in points), 2)
    bbox = f"{lon - 0.5:.2f},{lat - 0.5:.2f},{lon + 0.5:.2f},{lat + 0.5:.2f}"
    term, term_events = search_term(prepared.meta, events, seed)
    # The row at the middle of the default order: the cursor of the page that starts there.
    deep_rows = events // 2
    (deep_date, deep_id), = floor.fetch(
        f"SELECT date_start, id FROM events_event WHERE deleted_at IS NULL ORDER BY date_start DESC, id DESC "
        f"LIMIT 1 OFFSET {deep_rows - 1}"
    )  # fmt: skip
    deep_date = deep_date if isinstance(deep_date, str) else deep_date.isoformat()
    (detail_id, detail_acled), = floor.fetch(
        f"SELECT id, acled_event_id FROM events_event WHERE deleted_at IS NULL ORDER BY date_start DESC, id DESC "
        f"LIMIT 1 OFFSET {events // 3}"
    )  # fmt: skip
    page = "page_size=100"
    enc = urllib.parse.quote
    chosen = {
        "country": f"{country_name} ({iso2}, {by_country[country_id]:,} events, rank {len(ranked) // 2 + 1} of "
                   f"{len(ranked)})",
        "year": year, "actor": f"{actor_name} (id {actor_id}, {actor_events:,} events)",
        "bbox": bbox, "term": f"{term} ({term_events:,} events)",
        "deep": f"row {deep_rows:,} (cursor after {deep_date}, id {deep_id})", "detail": f"id {detail_id}",
    }  # fmt: skip
    api = "/api/v1/events/"
    shapes = [
        Shape("newest", "newest 100", {"ours": f"{api}?{page}", "floor": "/newest"}),
        Shape("country", "newest 100 in one country", {"ours": f"{api}?country={iso2}&{page}",
                                                       "floor": f"/country?country={iso2}"}),
        Shape("country_year_type", "country + year + event type", {
            "ours": f"{api}?country={iso2}&date_after={year}-01-01&date_before={year}-12-31&event_type=battles&{page}",
            "floor": f"/country_year_type?country={iso2}&after={year}-01-01&before={year}-12-31&event_type=battles"}),
        Shape("actor", "one actor in either role", {"ours": f"{api}?actor={actor_id}&{page}",
                                                     "floor": f"/actor?actor={actor_id}"}),
        Shape("bbox", "bounding box (1°)", {"ours": f"{api}?bbox={bbox}&{page}", "floor": f"/bbox?bbox={bbox}"}),
        Shape("fatalities", "fatalities ≥ 10, by fatalities", {
            "ours": f"{api}?fatalities_min=10&ordering=-fatalities&{page}", "floor": "/fatalities?min=10"},
            compare="fatalities"),
        Shape("text", "text search", {"ours": f"{api}?q={enc(term)}&{page}", "floor": f"/text?q={enc(term)}"}),
        Shape("deep", f"deep page (cursor, row {deep_rows:,})", {
            "ours": f"{api}?{page}&cursor={b64_cursor([deep_date, deep_id])}",
            "floor": f"/deep?date={deep_date}&id={deep_id}"}),
        Shape("monthly", "monthly counts, one country", {
            "ours": f"/api/v1/stats/events/?country={iso2}&group_by=month", "floor": f"/monthly?country={iso2}"},
            compare="months"),
        Shape("detail", "one event by id", {"ours": f"/api/v1/events/{detail_id}/", "floor": f"/detail?id={detail_id}"},
              compare="one"),
    ]  # fmt: skip
    if prepared.flat is not None:
        add_datasette_urls(shapes, prepared.flat, sample_acled_id, year, actor_name, bbox, term, deep_rows,
                           detail_acled)  # fmt: skip
    return shapes, chosen


def add_datasette_urls(shapes, flat: Path, sample_acled_id, year, actor, bbox, term, deep_rows, detail_acled):
    """The same shapes as a Datasette user asks them of the flat table."""
    from datasette.utils import tilde_encode

    db = sqlite3.connect(flat)
    (country,) = db.execute(
        "SELECT country FROM events WHERE event_id_cnty = ?", (sample_acled_id,)
    ).fetchone()
    # The flat rows are in our default order (the export's), so rowid order breaks date ties as our ids do.
    deep_date, deep_rowid = db.execute(
        "SELECT event_date, rowid FROM events ORDER BY event_date DESC, rowid LIMIT 1 OFFSET ?",
        (deep_rows - 1,),
    ).fetchone()
    (detail_rowid,) = db.execute(
        "SELECT rowid FROM events WHERE event_id_cnty = ?", (detail_acled,)
    ).fetchone()
    db.close()
    minlon, minlat, maxlon, maxlat = bbox.split(",")
    lean = {"_nocount": 1, "_nosuggest": 1, "_nofacet": 1, "_size": 100, "_shape": "objects"}

    def table(**args) -> str:
        return f"/{FLAT_NAME}/events.json?" + urllib.parse.urlencode({**args, **lean})

    newest = {"_sort_desc": "event_date"}
    quoted = actor.replace("'", "''")
    monthly = (
        "select substr(event_date, 1, 7) as month, count(*) as events, sum(fatalities) as fatalities "
        "from events where country = :country group by month order by month"
    )
    urls = {
        "newest": table(**newest),
        "country": table(country=country, **newest),
        "country_year_type": table(country=country, year=year, event_type="Battles", **newest),
        "actor": table(_where=f"actor1 = '{quoted}' or actor2 = '{quoted}'", **newest),
        "bbox": table(latitude__gte=minlat, latitude__lte=maxlat, longitude__gte=minlon, longitude__lte=maxlon,
                      **newest),
        "fatalities": table(fatalities__gte=10, _sort_desc="fatalities"),
        "text": table(_search=term, **newest),
        "deep": table(_next=f"{tilde_encode(deep_date)},{deep_rowid}", **newest),
        "monthly": f"/{FLAT_NAME}.json?" + urllib.parse.urlencode({"sql": monthly, "country": country,
                                                                    "_shape": "objects"}),
        "detail": f"/{FLAT_NAME}/events/{detail_rowid}.json?_shape=objects",
    }  # fmt: skip
    for shape in shapes:
        shape.urls["datasette"] = urls[shape.key]


def answer_key(server: str, shape: Shape, body: bytes) -> list[tuple]:
    """What must agree between servers, in order: each event's sort value and ACLED id (its fatalities
    for the fatalities shape, else its date), the months' counts, the one event's id."""
    data = json.loads(body)
    if server == "datasette":
        rows = data["rows"]
        if shape.compare == "months":
            return [(r["month"], r["events"]) for r in rows]
        sort = "fatalities" if shape.compare == "fatalities" else "event_date"
        return [(r[sort], r["event_id_cnty"]) for r in rows]
    if shape.compare == "months":
        return [(r["key"], r["events"]) for r in data["results"]]
    if shape.compare == "one":
        return [(data["date_start"], data["acled_event_id"])]
    sort = "fatalities_best" if shape.compare == "fatalities" else "date_start"
    return [(r[sort], r["acled_event_id"]) for r in data["results"]]


# --- measuring -----------------------------------------------------------------------------------------


def agree(theirs: list[tuple], ours: list[tuple]) -> str:
    """ "yes"; "ties" when the sort values agree but rows of equal value differ (each server breaks ties
    its own way: Datasette's first page by rowid descending, its later pages ascending); or "NO"."""
    if theirs == ours:
        return "yes"
    return "ties" if [t[0] for t in theirs] == [o[0] for o in ours] else "NO"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def time_shapes(
    servers: dict, shapes: list[Shape], requests: int, warmup: int, rounds: int = 3
) -> tuple[dict, dict]:
    """Per shape and server, the latencies (ms) of `requests` sequential requests after `warmup`, in
    `rounds` runs of consecutive requests per server, the servers taking turns; and whether their answers
    agreed."""
    latencies: dict = {}
    agreement: dict = {}
    for shape in shapes:
        names = [n for n in servers if n in shape.urls]
        keys = {}
        for name in names:
            for _ in range(warmup):
                status, body = request(servers[name].port, shape.urls[name])
                if status != 200:
                    raise RuntimeError(f"{name} answered {status} to {shape.urls[name]}: {body[:500]!r}")
            keys[name] = answer_key(name, shape, body)
        agreement[shape.key] = {name: agree(keys[name], keys["ours"]) for name in names if name != "ours"}
        agreement[shape.key]["count"] = len(keys["ours"])
        samples = {name: [] for name in names}
        runs = [requests // rounds + (r < requests % rounds) for r in range(rounds)]
        for run in runs:
            for name in names:
                for _ in range(run):
                    started = time.perf_counter()
                    status, body = request(servers[name].port, shape.urls[name])
                    samples[name].append((time.perf_counter() - started) * 1000)
                    if status != 200:
                        raise RuntimeError(f"{name} answered {status} to {shape.urls[name]}")
        latencies[shape.key] = samples
        log(
            f"{shape.label}: "
            + ", ".join(f"{n} p50 {statistics.median(s):.1f} ms" for n, s in samples.items())
        )
    return latencies, agreement


def throughput(server: Server, path: str, total: int, threads: int, seconds: float) -> dict:
    """`total` requests (at most) from `threads` client threads, stopping at `seconds`: req/s and errors."""
    lock = threading.Lock()
    state = {"left": total, "done": 0, "errors": 0}
    deadline = time.monotonic() + seconds

    def work():
        while time.monotonic() < deadline:
            with lock:
                if state["left"] == 0:
                    return
                state["left"] -= 1
            try:
                status, _ = request(server.port, path, timeout=120)
            except OSError:
                status = 0
            with lock:
                state["done"] += 1
                state["errors"] += status != 200

    started = time.perf_counter()
    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"requests": state["done"], "errors": state["errors"], "seconds": elapsed,
            "rps": state["done"] / elapsed}  # fmt: skip


# --- reporting -----------------------------------------------------------------------------------------


def fmt_ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.1f}x" if a is not None and b else "n/a"


def code_version() -> str:
    """The commit the servers ran, and whether the work tree had changes on top of it (it is shared)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
    )
    count = len(changed.stdout.splitlines())
    return f"{head.stdout.strip() or 'unknown'}" + (
        f" with {count} changed files in the work tree" if count else ""
    )


def report(
    args,
    prepared: Prepared,
    servers: dict,
    shapes,
    chosen,
    latencies,
    agreement,
    load,
    exports,
    rss,
    command: str,
) -> str:
    names = list(servers)
    ds = "datasette" in names
    meta = prepared.meta
    lines = [
        f"## Comparison at {args.events:,} events ({prepared.vendor}), {datetime.date.today().isoformat()}",
        "",
        f"Command: `{command}`  ",
        f"Code: {code_version()}  ",
        f"Each shape: {args.warmup} warm-up then {args.requests} sequential requests per server, in three "
        f"rounds of consecutive requests, servers in turn; p50 / p95 in ms. Ours: gunicorn, 1 sync worker, "
        f"DEBUG off, persistent connection, throttle cache "
        f"{'Redis' if 'REDIS_URL' in servers['ours'].env else 'in the database'}. Floor: bare WSGI + "
        f"hand-written SQL on our tables, same gunicorn. "
        + ("Datasette 0.65 --immutable, flat table, `_nocount=1&_nosuggest=1&_nofacet=1&_size=100`." if ds else
           "Datasette does not run on PostgreSQL."),
        "",
        "Parameters: " + "; ".join(f"{k} {v}" for k, v in chosen.items()) + ".",
        "",
    ]  # fmt: skip
    header = "| shape | ours p50 | ours p95 | floor p50 | floor p95 |"
    rule = "|---|---:|---:|---:|---:|"
    if ds:
        header += " Datasette p50 | Datasette p95 |"
        rule += "---:|---:|"
    header += " ours / floor |" + (" ours / Datasette |" if ds else "") + " same rows |"
    rule += "---:|" + ("---:|" if ds else "") + "---|"
    lines += [header, rule]
    p50 = {}
    for shape in shapes:
        samples = latencies[shape.key]
        stats = {n: (percentile(s, 0.5), percentile(s, 0.95)) for n, s in samples.items()}
        p50[shape.key] = {n: v[0] for n, v in stats.items()}
        cells = [shape.label]
        for name in names:
            cells += [f"{stats[name][0]:.1f}", f"{stats[name][1]:.1f}"] if name in stats else ["n/a", "n/a"]
        cells.append(fmt_ratio(stats["ours"][0], stats["floor"][0]))
        if ds:
            cells.append(fmt_ratio(stats["ours"][0], stats.get("datasette", (None,))[0]))
        same = agreement[shape.key]
        cells.append(
            ", ".join(f"{n} {verdict}" for n, verdict in same.items() if n != "count") + f" ({same['count']})"
        )
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Throughput, newest 100 in one country, {args.load_requests} requests from {args.threads} client "
        f"threads (at most {args.load_seconds:.0f} s):",
        "",
        "| server | requests | errors | seconds | req/s | / Datasette |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        result = load[name]
        versus = fmt_ratio(result["rps"], load["datasette"]["rps"]) if ds else "n/a"
        lines.append(f"| {name} | {result['requests']} | {result['errors']} | {result['seconds']:.1f} | "
                     f"{result['rps']:.1f} | {versus} |")  # fmt: skip
    lines += ["", "| step | seconds | rows/s | peak RSS (MB) |", "|---|---:|---:|---:|"]
    when = f" (cached, made {meta['made']})" if meta.get("cached") else ""
    lines.append(f"| import: `manage.py import_acled` into an empty database{when} | {meta['import_seconds']:.1f} | "
                 f"{meta['import_rows_per_s']:,.0f} | {meta['import_peak_rss_mb']:,.0f} |")  # fmt: skip
    if "export_acled" in meta:
        e = meta["export_acled"]
        lines.append(f"| export: `export_events --format acled` to a file{when} | {e['seconds']:.1f} | "
                     f"{e['rows_per_s']:,.0f} | {e['peak_rss_mb']:,.0f} |")  # fmt: skip
    for label, e in exports.items():
        lines.append(
            f"| {label} | {e['seconds']:.1f} | {e['rows_per_s']:,.0f} | "
            + (f"{e['peak_rss_mb']:,.0f} |" if "peak_rss_mb" in e else "(the server's) |")
        )
    lines += ["", "Peak RSS of each server process (VmHWM, MB): "
              + ", ".join(f"{n} {v:,.0f}" for n, v in rss.items()) + ".", ""]  # fmt: skip
    lines += targets(p50, latencies, load, ds, prepared.vendor)
    return "\n".join(lines)


def targets(p50: dict, latencies: dict, load: dict, ds: bool, vendor: str) -> list[str]:
    """The performance issue's targets, each met or not in this run."""
    out = ["Targets of the performance issue, in this run:", ""]

    def line(ok: bool, text: str) -> None:
        out.append(f"- {'met' if ok else 'NOT met'}: {text}")

    if ds:
        slower = [k for k, v in p50.items() if "datasette" in v and v["ours"] >= v["datasette"]]
        line(
            not slower,
            "every shape's p50 below Datasette-lean's" + (f" (not: {', '.join(slower)})" if slower else ""),
        )
    cheap = ("newest", "country", "country_year_type", "fatalities", "deep", "detail", "actor")
    far = [
        f"{k} {p50[k]['ours'] / p50[k]['floor']:.1f}x" for k in cheap if p50[k]["ours"] > 4 * p50[k]["floor"]
    ]
    line(
        not far,
        "cheap shapes and the actor shape within 4x of the floor"
        + (f" (not: {', '.join(far)})" if far else ""),
    )
    for key, limit in (("bbox", 30), ("text", 30), ("monthly", 50)):
        line(p50[key]["ours"] < limit, f"{key} p50 {p50[key]['ours']:.2f} ms, under {limit} ms")
    deep, first = p50["deep"]["ours"], p50["newest"]["ours"]
    line(deep <= 1.5 * first, f"deep page {deep:.1f} ms within 1.5x of the first page ({first:.1f} ms)")
    if ds:
        ratio = load["ours"]["rps"] / load["datasette"]["rps"]
        line(ratio >= 3, f"throughput {ratio:.1f}x Datasette-lean's (≥ 3x)")
    wide = [f"{k} {percentile(latencies[k]['ours'], 0.95) / p50[k]['ours']:.1f}x" for k in LIST_SHAPES
            if percentile(latencies[k]["ours"], 0.95) > 2 * p50[k]["ours"]]  # fmt: skip
    line(
        not wide, "p95 within 2x of p50 on every list shape" + (f" (not: {', '.join(wide)})" if wide else "")
    )
    return out


# --- EXPLAIN --------------------------------------------------------------------------------------------


def explain(prepared: Prepared, shapes: list[Shape]) -> str:
    """The plan of the floor's SQL for each shape, and of every SELECT our API ran for the same request
    (captured in-process through Django's test client, bench/explain_api.py)."""
    floor = Floor(prepared.floor_database)
    prefix = "EXPLAIN QUERY PLAN " if prepared.vendor == "sqlite" else "EXPLAIN "
    out = ["## Plans", ""]
    done = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "explain_api.py")], input=json.dumps([s.urls["ours"] for s in shapes]),
        cwd=ROOT, env=api_env(prepared.database_url), capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"explain_api.py failed: {done.stderr[-3000:]}")
    ours = json.loads(done.stdout)
    for shape in shapes:
        out += [f"### {shape.label}", "", "Floor:", "", "```"]
        args = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(shape.urls["floor"]).query))
        sql, params = shape_sql(floor.dialect, shape.key, floor.resolve(shape.key, args))
        out.append(sql)
        out += [" | ".join(str(c) for c in row) for row in floor.fetch(prefix + sql, params)]
        out += ["```", "", f"Ours (`{shape.urls['ours']}`):", ""]
        for query in ours[shape.urls["ours"]]:
            out += ["```", query["sql"], *query["plan"], "```", ""]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=int(os.environ.get("N", "100000")), help="corpus size")
    parser.add_argument("--seed", type=int, default=20261126, help="corpus seed (deterministic)")
    parser.add_argument(
        "--requests", type=int, default=30, help="timed sequential requests per shape and server"
    )
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (answers compared)")
    parser.add_argument("--load-requests", type=int, default=200, help="requests of the throughput test")
    parser.add_argument("--threads", type=int, default=4, help="client threads of the throughput test")
    parser.add_argument("--load-seconds", type=float, default=120, help="the throughput test's time bound")
    parser.add_argument("--no-export", action="store_true", help="skip the export measurements")
    parser.add_argument("--explain", action="store_true", help="also print the plans of floor's and our SQL")
    parser.add_argument("--force", action="store_true", help="allow a PostgreSQL database not named *bench*")
    parser.add_argument("--out", help="where to write the table (default /tmp/bench-compare-….md)")
    args = parser.parse_args()
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        command = f"DATABASE_URL={os.environ['DATABASE_URL']} {command}"
        prepared = prepare_postgresql(os.environ["DATABASE_URL"], args.events, args.seed, args.force)
    else:
        prepared = prepare_sqlite(args.events, args.seed)
    shapes, chosen = choose_shapes(prepared, args.events, args.seed)
    log("parameters: " + "; ".join(f"{k} {v}" for k, v in chosen.items()))
    env = api_env(prepared.database_url)
    floor_env = {**env, "FLOOR_DATABASE": prepared.floor_database}
    plan = {
        "ours": Server("ours", gunicorn("conflict_events.wsgi:application"), env, "/readyz"),
        "floor": Server(
            "floor", gunicorn("floor:application", ["--chdir", str(ROOT / "bench")]), floor_env, "/readyz"
        ),  # fmt: skip
    }
    if prepared.flat is not None:
        plan["datasette"] = Server("datasette", [
            str(BIN / "datasette"), "serve", "--immutable", str(prepared.flat), "--host", "127.0.0.1",
            "--port", "{port}", "--setting", "sql_time_limit_ms", "60000", "--setting", "max_returned_rows",
            "1000"], os.environ.copy(), "/-/versions.json")  # fmt: skip
    servers = {}
    try:
        for name, server in plan.items():
            log(f"starting {name}")
            servers[name] = server.__enter__()
        latencies, agreement = time_shapes(servers, shapes, args.requests, args.warmup)
        country = next(s for s in shapes if s.key == "country")
        load = {}
        for name, server in servers.items():
            load[name] = throughput(
                server, country.urls[name], args.load_requests, args.threads, args.load_seconds
            )
            log(f"throughput {name}: {load[name]['rps']:.1f} req/s ({load[name]['errors']} errors)")
        exports = {}
        if not args.no_export:
            log("exporting: manage.py export_events --format csv")
            exports["export: `export_events --format csv` to /dev/null"] = export_to_file(
                env, "csv", "/dev/null", args.events
            )
            for name, path in (("ours", "/api/v1/events/?format=csv"), ("floor", "/export.csv")):
                log(f"exporting over HTTP from {name}")
                status, lines, seconds = stream_lines(servers[name].port, path)
                if status != 200:
                    raise RuntimeError(f"{name} answered {status} to {path}")
                label = (
                    "export: API `?format=csv`, streamed"
                    if name == "ours"
                    else "floor: events' own columns as CSV over HTTP"
                )
                exports[label] = {"seconds": seconds, "rows_per_s": (lines - (name == "ours")) / seconds}
        rss = {name: server.peak_rss_mb() for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.__exit__()
    table = report(args, prepared, servers, shapes, chosen, latencies, agreement, load, exports, rss, command)
    if args.explain:
        table += "\n\n" + explain(prepared, shapes)
    out = Path(
        args.out
        or f"/tmp/bench-compare-{prepared.vendor}-n{args.events}-{datetime.datetime.now():%Y%m%d-%H%M%S}.md"
    )
    out.write_text(table + "\n")
    print(table)
    log(f"written to {out}")


if __name__ == "__main__":
    main()
