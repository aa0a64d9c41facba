"""Benchmark the ACLED importer and the exports on a generated ACLED-layout file.

Usage:  make bench-import                       (100,000 rows on a fresh SQLite file)
        BENCH_ROWS=1000000 make bench-import    (a million)
        DATABASE_URL=postgres://... make bench-import   (a throwaway PostgreSQL database it may fill)

The file is generated at run time (never committed), deterministic for a given size: skewed countries,
Zipf-distributed actors, thousands of places, dates 1997-2025, long-tailed fatalities with ACLED's zeros,
one to three sources per event. It prints one table: rows/s of reading alone, of the import (a new
database), of a re-import of the same file (everything unchanged), of each export (in a process of its
own, with that process's peak memory), and the peak memory of this process; and two floors in the same
run, each step's time divided by its floor: the database writing the rows the import wrote with no Python
at all, and the events' own columns from SQL to CSV.
"""

import csv
import datetime
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='bench-import-')}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflict_events.settings")
# Production settings: with DEBUG on, Django formats and keeps every statement it runs.
os.environ.update(
    DEBUG="false", SECRET_KEY=os.environ.get("SECRET_KEY", "bench-" + "x" * 50), ALLOWED_HOSTS="localhost"
)

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from core.bulk_sql import BULK_CACHE_KIB  # noqa: E402
from events.formats import EXPORTS  # noqa: E402
from events.formats.acled import ACLED_COLUMNS as COLUMNS  # noqa: E402
from ingest.loader import import_reading  # noqa: E402
from ingest.readers.acled import read_acled  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# An export in a process of its own: Django set up first (not timed), then the stream of every event, newest
# first, read to its end as the floor's rows are (nothing written to disk); prints seconds, bytes and the
# process's own peak memory (VmHWM; a forked child's rusage would start from this process's), and the largest
# peak of its forked readers (their rusage, once ended: pages shared with this process included).
EXPORT_PROCESS = """
import json, re, resource, sys, time, django
django.setup()
from events.formats import EXPORTS
from events.models import Event
started = time.monotonic()
size = sum(len(piece) for piece in EXPORTS[sys.argv[1]].stream(Event.objects.order_by("-date_start", "-id")))
seconds = time.monotonic() - started
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) // 1024
readers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print(json.dumps({"seconds": seconds, "bytes": size, "rss": peak, "readers": readers}))
"""

ROWS = int(os.environ.get("BENCH_ROWS", "100000"))
COUNTRIES = [("Afghanistan", 4, "AFG"), ("Nigeria", 566, "NGA"), ("Syria", 760, "SYR"), ("Yemen", 887, "YEM"),
             ("Democratic Republic of Congo", 180, "COD"), ("Myanmar", 104, "MMR"), ("Mexico", 484, "MEX"),
             ("Ukraine", 804, "UKR"), ("India", 356, "IND"), ("Brazil", 76, "BRA"), ("Sudan", 729, "SDN"),
             ("Somalia", 706, "SOM")]  # fmt: skip
TYPES = [("Battles", "Armed clash", "Political violence"),
         ("Explosions/Remote violence", "Shelling/artillery/missile attack", "Political violence"),
         ("Explosions/Remote violence", "Air/drone strike", "Political violence"),
         ("Violence against civilians", "Attack", "Political violence"),
         ("Protests", "Peaceful protest", "Demonstrations"), ("Riots", "Mob violence", "Political violence"),
         ("Strategic developments", "Arrests", "Strategic developments")]  # fmt: skip
OUTLETS = [f"Outlet {i}" for i in range(400)]
SCALES = ["National", "Subnational", "International", "New media", "Regional", "Local partner-National"]


def generate(path: Path, rows: int) -> None:
    rng = random.Random(rows)
    weights = [1 / (rank + 1) for rank in range(len(COUNTRIES))]
    actor_weights = [1 / (rank + 1) ** 1.1 for rank in range(3000)]
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for n in range(rows):
            name, iso, iso3 = rng.choices(COUNTRIES, weights)[0]
            event_type, sub_type, disorder = rng.choice(TYPES)
            a1, a2 = rng.choices(range(3000), actor_weights, k=2)
            admin1 = rng.randrange(30)
            admin2 = admin1 * 20 + rng.randrange(20)
            day = 729_000 + rng.randrange(10_500)  # 1997-01 to 2025-09 in proleptic ordinals
            date = datetime.date.fromordinal(day)
            fatalities = 0 if rng.random() < 0.55 else int(rng.paretovariate(1.2))
            sources = rng.sample(OUTLETS, rng.choice([1, 1, 2, 3]))
            writer.writerow([
                f"{iso3}{n}", date.isoformat(), date.year, rng.choice([1, 1, 1, 2, 3]), disorder, event_type,
                sub_type, f"Armed group {a1}", "", 2, f"Armed group {a2}" if a2 != a1 else "", "",
                2 if a2 != a1 else 0, 22 if a2 != a1 else 20, "", iso, "", name, f"{name} province {admin1}",
                f"{name} district {admin2}", "", f"{name} town {admin2 * 7 + rng.randrange(7)}",
                round(rng.uniform(-40, 60), 4), round(rng.uniform(-90, 120), 4), rng.choice([1, 1, 2, 3]),
                "; ".join(sources), rng.choice(SCALES),
                f"On {date:%d %B %Y}, armed group {a1} clashed with armed group {a2} near town {admin2}. "
                + "Details follow. " * rng.randrange(1, 8), fatalities, "", 1_700_000_000 + n,
            ])  # fmt: skip


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


IMPORT_TABLES = [
    "locations_location", "locations_historicallocation", "actors_actor", "actors_historicalactor",
    "sources_source", "sources_historicalsource", "sources_report", "sources_historicalreport",
    "events_event", "events_historicalevent", "events_eventactor", "events_historicaleventactor",
    "events_event_tags", "events_claim", "events_historicalclaim",
]  # fmt: skip


def import_floor() -> float:
    """Seconds the database takes to write the rows the import wrote, with the same tables and indexes and
    no Python at all: every imported table copied by INSERT … SELECT into an empty twin, in one
    transaction (rolled back). No import can be faster than this."""
    from django.db import connection

    started = None
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            twin = Path(tempfile.mkdtemp(prefix="bench-floor-")) / "twin.sqlite3"
            source = connection.settings_dict["NAME"]
            schema = cursor.execute(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
            import sqlite3

            db = sqlite3.connect(twin, isolation_level=None)
            # The same page cache as the import's (core.bulk_sql.larger_cache).
            db.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
            for (sql,) in schema:
                try:
                    db.execute(sql)
                except sqlite3.OperationalError as exc:
                    # A virtual table (the text index) creates its own shadow tables, listed after it.
                    if "already exists" not in str(exc):
                        raise
            db.execute(f"ATTACH DATABASE '{source}' AS src")
            started = time.monotonic()
            db.execute("BEGIN")
            for table in IMPORT_TABLES:
                db.execute(f'INSERT INTO main."{table}" SELECT * FROM src."{table}"')
            db.execute("COMMIT")
            return time.monotonic() - started
        cursor.execute("CREATE SCHEMA floor")
        for table in IMPORT_TABLES:
            cursor.execute(f'CREATE TABLE floor."{table}" (LIKE public."{table}" INCLUDING ALL)')
        started = time.monotonic()
        for table in IMPORT_TABLES:
            cursor.execute(f'INSERT INTO floor."{table}" SELECT * FROM public."{table}"')
        seconds = time.monotonic() - started
        cursor.execute("DROP SCHEMA floor CASCADE")
        return seconds


def export_floor(rows: int) -> float:
    """Seconds to write the events' own columns, with their place's name, to CSV straight from SQL: no
    roles, sources or formatting. No export of richer rows can be faster than this."""
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.*, l.name FROM events_event e JOIN locations_location l ON l.id = e.location_id"
            " ORDER BY e.date_start DESC, e.id DESC"
        )
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        while chunk := cursor.fetchmany(2000):
            writer.writerows(chunk)
            buffer.seek(0)
            buffer.truncate()
    return time.monotonic() - started


def main() -> None:
    call_command("migrate", verbosity=0)
    workdir = Path(tempfile.mkdtemp(prefix="bench-import-file-"))
    path = workdir / "acled.csv"
    started = time.monotonic()
    generate(path, ROWS)
    print(
        f"generated {ROWS:,} rows ({path.stat().st_size / 1e6:.0f} MB) in {time.monotonic() - started:.0f} s"
    )

    results = []
    started = time.monotonic()
    read = sum(1 for _ in read_acled(path).rows)
    results.append(("read the file (no writes)", read, time.monotonic() - started))
    for label in ("import into an empty database", "re-import (all unchanged)"):
        report = import_reading(read_acled(path))
        assert not report.refused, report.refused[:3]
        results.append((f"{label}: {report.created:,} created, {report.unchanged:,} unchanged", report.rows,
                        report.seconds))  # fmt: skip
        if len(results) == 2:
            results.append(("floor: the database writing the same rows, no Python", ROWS, import_floor()))
    # Each export runs in a process of its own (EXPORT_PROCESS), so that its peak memory is its own: flat
    # memory is the same hundred-odd MB whatever the number of events.
    django.db.connections.close_all()
    for name in EXPORTS:
        done = subprocess.run(
            [sys.executable, "-c", EXPORT_PROCESS, name], env=dict(os.environ), cwd=ROOT,
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        measured = json.loads(done.stdout)
        memory = f"peak RSS {measured['rss']}, readers {measured['readers']} MB"
        label = f"export {name} ({measured['bytes'] / 1e6:.0f} MB, {memory})"
        results.append((label, ROWS, measured["seconds"]))
    results.append(("floor: events' own columns from SQL to CSV", ROWS, export_floor(ROWS)))

    print(f"\nDatabase: {django.db.connection.vendor}; rows: {ROWS:,}; peak RSS {peak_rss_mb():,.0f} MB\n")
    floors = {"import": results[2][2], "export": results[-1][2]}
    print(f"| {'step':<62} | {'seconds':>8} | {'rows/s':>9} | {'/ floor':>8} |")
    print(f"|{'-' * 64}|{'-' * 10}|{'-' * 11}|{'-' * 10}|")
    for label, rows, seconds in results:
        kind = "import" if label.startswith("import") else "export" if label.startswith("export") else None
        ratio = f"{seconds / floors[kind]:.1f}x" if kind else ""
        print(f"| {label:<62} | {seconds:>8.1f} | {rows / seconds:>9,.0f} | {ratio:>8} |")


if __name__ == "__main__":
    main()
