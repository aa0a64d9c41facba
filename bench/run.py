"""Benchmark the event list: our API vs. a peer (offset paging) vs. the floor (raw SQL), in one run.

Usage:  make bench                     (100,000 events on a fresh SQLite file)
        BENCH_EVENTS=500000 make bench  (more)
        DATABASE_URL=postgres://... make bench   (a throwaway PostgreSQL database it may fill)

It builds a synthetic corpus at run time (never committed), then times each case several times in-process
with Django's test client and prints the median and the ratio to the floor. Machines here are shared and
noisy: read the ratios, not the milliseconds.
"""

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflict_events.settings")

import django

django.setup()

import datetime  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.pagination import LimitOffsetPagination  # noqa: E402

from actors.models import Actor  # noqa: E402
from conflict_events.urls import urlpatterns  # noqa: E402
from events.api.views import EventViewSet  # noqa: E402
from events.models import Claim, Event, EventActor, SubEventType  # noqa: E402
from locations.models import Location  # noqa: E402
from sources.models import Report, Source  # noqa: E402

EVENTS = int(os.environ.get("BENCH_EVENTS", "100000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "7"))
PAGE = 100
BATCH = 5000


class OffsetEventViewSet(EventViewSet):
    """The peer: the same endpoint with DRF's offset paging, as most APIs page."""

    pagination_class = LimitOffsetPagination
    extra_query_params = ("limit", "offset")


urlpatterns = [*urlpatterns, path("bench/offset/", OffsetEventViewSet.as_view({"get": "list"}))]


def build_corpus(rng: random.Random) -> None:
    call_command("migrate", verbosity=0)
    country = Location.objects.create(name="Benchland", level=0, iso2="BL", iso3="BLD", path="/")
    provinces = Location.objects.bulk_create(
        Location(name=f"Province {i}", level=1, parent=country, path=f"/{country.pk}/", pcode=f"BL{i:02d}")
        for i in range(30)
    )
    districts = Location.objects.bulk_create(
        Location(
            name=f"District {p.pk}-{j}", level=2, parent=p, path=f"/{country.pk}/{p.pk}/", pcode=f"{p.pcode}{j:02d}",
            latitude=rng.uniform(30, 38), longitude=rng.uniform(60, 72),
        )
        for p in provinces for j in range(10)
    )  # fmt: skip
    actors = Actor.objects.bulk_create(Actor(name=f"Group {i}", kind="rebel_group") for i in range(200))
    sources = Source.objects.bulk_create(
        Source(name=f"Outlet {i}", kind="newspaper", scale="national") for i in range(50)
    )
    reports = Report.objects.bulk_create(
        Report(source=rng.choice(sources), title=f"Report {i}", published_on=datetime.date(2020, 1, 1))
        for i in range(5000)
    )
    sub_types = list(SubEventType.objects.all())
    start = datetime.date(2015, 1, 1)
    statuses = ["claimed", "reported", "disputed", "corroborated", "unverified"]
    for offset in range(0, EVENTS, BATCH):
        batch = []
        for _ in range(min(BATCH, EVENTS - offset)):
            sub = rng.choice(sub_types)
            day = start + datetime.timedelta(days=rng.randrange(3650))
            best = rng.choice([None, 0, 1, 2, 5, 10, 40])
            place = rng.choice(districts)
            batch.append(Event(
                date_start=day, date_end=day, event_type_id=sub.event_type_id, sub_event_type=sub,
                location=place, country_id=place.country_pk, geo_precision=3, fatalities_best=best,
                summary="Synthetic event", verification=rng.choice(statuses),
            ))  # fmt: skip
        created = Event.objects.bulk_create(batch)
        roles = []
        claims = []
        for event in created:
            a, b = rng.sample(actors, 2)
            roles += [
                EventActor(event=event, actor=a, role="side_a"),
                EventActor(event=event, actor=b, role="side_b"),
            ]
            claims.append(Claim(event=event, report=rng.choice(reports), claimant=a, stance="asserts"))
        EventActor.objects.bulk_create(roles)
        Claim.objects.bulk_create(claims)
        print(f"  corpus: {offset + len(batch):,}/{EVENTS:,} events", file=sys.stderr, flush=True)
    # Fresh statistics, as a database that has lived a while would have them.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(fn) -> float:
    samples = []
    for _ in range(REPEAT):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def get(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return b"".join(response.streaming_content) if response.streaming else response.content


def floor_page(where: str = "", params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM events_event {where} ORDER BY date_start DESC, id DESC LIMIT {PAGE}", params
        )
        cursor.fetchall()


def floor_export() -> None:
    import csv
    import io

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM events_event WHERE date_end >= %s ORDER BY date_start DESC, id DESC",
            ["2024-01-01"],
        )
        csv.writer(io.StringIO()).writerows(cursor.fetchall())


def main() -> None:
    rng = random.Random(20220506)
    began = time.perf_counter()
    build_corpus(rng)
    print(f"  corpus built in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    client = Client()
    deep = EVENTS // 2
    # The row at the middle of the default order, to start a keyset page there as a client would arrive.
    middle = Event.objects.order_by("-date_start", "-id").values("date_start", "id")[deep]
    from core.api.pagination import KeysetPagination, OrderKey

    pager = KeysetPagination()
    pager.keys = [OrderKey("date_start", True, datetime.date), OrderKey("id", True, int)]
    cursor = pager.encode_cursor(type("Row", (), middle)(), backwards=False)
    api = "/api/v1/events/"
    cases = [
        ("page 1", lambda: get(client, f"{api}?page_size={PAGE}"), lambda: get(client, f"/bench/offset/?limit={PAGE}"),
         lambda: floor_page()),
        (f"page at row {deep:,}", lambda: get(client, f"{api}?page_size={PAGE}&cursor={cursor}"),
         lambda: get(client, f"/bench/offset/?limit={PAGE}&offset={deep}"),
         lambda: floor_page("WHERE date_start <= %s AND (date_start < %s OR (date_start = %s AND id < %s))",
                            [middle["date_start"]] * 3 + [middle["id"]])),
        ("filtered: country + dates + status", lambda: get(
            client, f"{api}?page_size={PAGE}&country=BL&date_after=2019-01-01&date_before=2019-12-31"
                    "&verification=disputed"), None,
         lambda: floor_page("WHERE date_end >= %s AND date_start <= %s AND verification = %s",
                            ["2019-01-01", "2019-12-31", "disputed"])),
    ]  # fmt: skip
    rows = []
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        for name, ours, peer, floor in cases:
            floor_ms = timed(floor)
            ours_ms = timed(ours)
            peer_ms = timed(peer) if peer else None
            rows.append((name, ours_ms, peer_ms, floor_ms))
        export_ms = timed(lambda: get(client, f"{api}?format=csv&date_after=2024-01-01"))
        export_floor_ms = timed(floor_export)
        exported = Event.objects.filter(date_end__gte="2024-01-01").count()
    print(f"\n{EVENTS:,} events on {connection.vendor}; median of {REPEAT} runs; page size {PAGE}\n")
    print(
        "| case | ours (ms) | peer: offset paging (ms) | floor: raw SQL (ms) | ours / floor | peer / ours |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, ours_ms, peer_ms, floor_ms in rows:
        peer_text = f"{peer_ms:.1f}" if peer_ms is not None else "n/a"
        peer_ratio = f"{peer_ms / ours_ms:.1f}x" if peer_ms is not None else "n/a"
        print(
            f"| {name} | {ours_ms:.1f} | {peer_text} | {floor_ms:.2f} | {ours_ms / floor_ms:.0f}x | {peer_ratio} |"
        )
    print(
        f"\nCSV export of {exported:,} events: {export_ms:.0f} ms ({exported / export_ms * 1000:,.0f} events/s); "
        f"floor (raw SQL rows to CSV, no joins): {export_floor_ms:.0f} ms; "
        f"ours / floor {export_ms / export_floor_ms:.1f}x"
    )


if __name__ == "__main__":
    main()
