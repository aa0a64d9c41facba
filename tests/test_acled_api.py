"""The ACLED-compatible read API (`/api/acled/read`, `/api/deleted/read`, `/api/actor/read`,
`/api/country/read`): ACLED's layout, parameters and envelope, checked through the Django test client and
through the `acled` client from PyPI, untouched, against a live server."""

import csv
import datetime
import io
import json
import os
import subprocess
import sys
import textwrap

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Max, Min
from django.test.utils import CaptureQueriesContext

from access.models import ApiToken
from actors.models import Actor
from actors.services import actor_save
from events.filtersets import events_inside
from events.formats.acled import ACLED_COLUMNS, SCALE_LABELS, acled_records, acled_row
from events.models import Claim, Event, EventActor, SubEventType
from events.precision import GeoPrecision, date_precision_from_acled, geo_precision_from_acled
from events.services import claim_record, event_delete, event_save
from locations.countries import country_ref
from locations.models import Location
from locations.services import location_save
from sources.models import Report, Source
from sources.services import report_save, source_save
from tests import factories as f

# ACLED records (as ACLED's API gives them) for events beside the article's: several countries, fatalities
# known, none (0 known) and unknown (ACLED's 0), a combined source scale, tags, an event without side B.
RECORDS = [
    {
        "event_id_cnty": "AFG70001", "event_date": "2022-04-10", "time_precision": "1",
        "event_type": "Battles", "sub_event_type": "Armed clash",
        "actor1": "Taliban", "assoc_actor_1": "", "inter1": "1",
        "actor2": "NRF: National Resistance Front", "assoc_actor_2": "Andarab Resistance", "inter2": "2",
        "civilian_targeting": "", "iso": "4", "country": "Afghanistan", "admin1": "Panjshir", "admin2": "Khenj",
        "admin3": "", "location": "Khenj", "latitude": "35.43", "longitude": "69.73", "geo_precision": "2",
        "source": "Pajhwok Afghan News; Amu TV", "source_scale": "National-International",
        "notes": "Clashes in Khenj district.", "fatalities": "12", "tags": "", "timestamp": "1650000000",
    },
    {
        "event_id_cnty": "AFG70002", "event_date": "2022-03-01", "time_precision": "2",
        "event_type": "Protests", "sub_event_type": "Peaceful protest",
        "actor1": "Protesters (Afghanistan)", "assoc_actor_1": "Women (Afghanistan)", "inter1": "6",
        "actor2": "", "assoc_actor_2": "", "inter2": "0", "civilian_targeting": "", "iso": "4",
        "country": "Afghanistan", "admin1": "Kabul", "admin2": "Kabul", "admin3": "", "location": "Kabul",
        "latitude": "34.5167", "longitude": "69.1833", "geo_precision": "1", "source": "Pajhwok Afghan News",
        "source_scale": "National", "notes": "", "fatalities": "0", "tags": "crowd size=no report",
        "timestamp": "1650000001",
    },
    {
        "event_id_cnty": "PAK80001", "event_date": "2022-04-20", "time_precision": "1",
        "event_type": "Violence against civilians", "sub_event_type": "Attack",
        "actor1": "Unidentified Armed Group (Pakistan)", "assoc_actor_1": "", "inter1": "3",
        "actor2": "Civilians (Pakistan)", "assoc_actor_2": "", "inter2": "7",
        "civilian_targeting": "Civilian targeting", "iso": "586", "country": "Pakistan",
        "admin1": "Khyber Pakhtunkhwa", "admin2": "Peshawar", "admin3": "", "location": "Peshawar",
        "latitude": "34.008", "longitude": "71.5785", "geo_precision": "1", "source": "Dawn",
        "source_scale": "National", "notes": "Three civilians killed.", "fatalities": "3",
        "tags": "women targeted: girls", "timestamp": "1650000002",
    },
    {
        "event_id_cnty": "UKR90001", "event_date": "2022-05-01", "time_precision": "3",
        "event_type": "Explosions/Remote violence", "sub_event_type": "Shelling/artillery/missile attack",
        "actor1": "Military Forces of Russia (2000-)", "assoc_actor_1": "", "inter1": "8",
        "actor2": "Civilians (Ukraine)", "assoc_actor_2": "", "inter2": "7", "civilian_targeting": "",
        "iso": "804", "country": "Ukraine", "admin1": "Kharkiv", "admin2": "", "admin3": "", "location": "Kharkiv",
        "latitude": "", "longitude": "", "geo_precision": "3", "source": "Ukrinform",
        "source_scale": "International", "notes": "Shelling.", "fatalities": "5", "tags": "",
        "timestamp": "1650000003",
    },
    {
        "event_id_cnty": "XKX10001", "event_date": "2022-02-02", "time_precision": "1",
        "event_type": "Protests", "sub_event_type": "Peaceful protest",
        "actor1": "Protesters (Kosovo)", "assoc_actor_1": "", "inter1": "6", "actor2": "", "assoc_actor_2": "",
        "inter2": "0", "civilian_targeting": "", "iso": "0", "country": "Kosovo", "admin1": "Pristina",
        "admin2": "", "admin3": "", "location": "Pristina", "latitude": "42.6629", "longitude": "21.1655",
        "geo_precision": "1", "source": "Koha", "source_scale": "National", "notes": "", "fatalities": "0",
        "tags": "", "timestamp": "1650000004",
    },
    {
        "event_id_cnty": "AFG70003", "event_date": "2022-04-11", "time_precision": "1",
        "event_type": "Battles", "sub_event_type": "Armed clash",
        "actor1": "Taliban", "assoc_actor_1": "", "inter1": "1", "actor2": "NRF: National Resistance Front",
        "assoc_actor_2": "", "inter2": "2", "civilian_targeting": "", "iso": "4", "country": "Afghanistan",
        "admin1": "Panjshir", "admin2": "", "admin3": "", "location": "Panjshir", "latitude": "",
        "longitude": "", "geo_precision": "3", "source": "Amu TV", "source_scale": "International",
        "notes": "A duplicate, deleted below.", "fatalities": "1", "tags": "", "timestamp": "1650000005",
    },
]  # fmt: skip


INTER_KINDS = {code: kind for kind, code in Actor.ACLED_INTER_CODES.items()}
SCALES = {label.casefold(): code for code, label in SCALE_LABELS.items()}


def _place(name: str, level: int, parent: Location | None, **codes) -> Location:
    found = Location.objects.filter(name__iexact=name, level=level, parent=parent).first()
    return found or location_save(location=Location(name=name, level=level, parent=parent, **codes))


def _actor(name: str, inter: str) -> Actor:
    found = Actor.objects.filter(name=name).first()
    return found or actor_save(actor=Actor(name=name, kind=INTER_KINDS[int(inter)]))


def save_acled_record(record: dict) -> Event:
    """One ACLED record as an event, through the services: its places, actors, sources (one asserting report
    each) and tags. ACLED's fatalities 0 is stored as none known for certain (low 0, best unknown)."""
    ref = country_ref(name=record["country"])
    place = _place(ref.name, Location.Level.COUNTRY, None, iso2=ref.iso2, iso3=ref.iso3)
    for level, column in enumerate(("admin1", "admin2", "admin3"), start=1):
        if record[column]:
            place = _place(record[column], level, place)
    if record["location"].casefold() != place.name.casefold():
        place = _place(record["location"], Location.Level.PLACE, place)
    sub_type = SubEventType.objects.get(name__iexact=record["sub_event_type"])
    day = datetime.date.fromisoformat(record["event_date"])
    fatalities = int(record["fatalities"])
    event = Event(
        date_start=day, date_end=day, date_precision=date_precision_from_acled(record["time_precision"]),
        sub_event_type=sub_type, event_type=sub_type.event_type, location=place,
        geo_precision=geo_precision_from_acled(record["geo_precision"]),
        latitude=float(record["latitude"]) if record["latitude"] else None,
        longitude=float(record["longitude"]) if record["longitude"] else None,
        fatalities_low=0 if fatalities == 0 else None, fatalities_best=fatalities or None,
        civilian_targeting=bool(record["civilian_targeting"]), summary=record["notes"] or sub_type.name,
        notes=record["notes"], acled_event_id=record["event_id_cnty"],
    )  # fmt: skip
    roles = []
    for column, role, inter in (
        ("actor1", EventActor.Role.SIDE_A, "inter1"),
        ("assoc_actor_1", EventActor.Role.ASSOCIATED_A, "inter1"),
        ("actor2", EventActor.Role.SIDE_B, "inter2"),
        ("assoc_actor_2", EventActor.Role.ASSOCIATED_B, "inter2"),
    ):
        roles += [(_actor(name, record[inter]), role) for name in record[column].split("; ") if name]
    tags = [tag for tag in record["tags"].split("; ") if tag]
    event_save(event=event, actors=roles, tags=tags)
    scale = SCALES[record["source_scale"].split("-")[0].casefold()]
    for name in record["source"].split("; "):
        source = Source.objects.filter(name=name).first() or source_save(
            source=Source(name=name, kind=Source.Kind.OTHER, scale=scale)
        )
        report = report_save(report=Report(source=source, title=f"{record['event_id_cnty']} in {name}"))
        claim_record(event=event, report=report, stance=Claim.Stance.ASSERTS)
    return event


def load_world() -> dict:
    """The article's events, the ACLED records above, an event with none killed, one known only to its
    country, and one tombstone."""
    call_command("load_seed", verbosity=0)
    for record in RECORDS:
        save_acled_record(record)
    panjshir = Location.objects.get(name="Panjshir", level=Location.Level.ADMIN1)
    none_killed = f.EventFactory(
        location=panjshir,
        date_start=datetime.date(2022, 1, 15),
        fatalities_low=0,
        fatalities_best=0,
        fatalities_high=0,
        acled_event_id="AFG70004",
    )
    f.EventActorFactory(event=none_killed, actor=Actor.objects.get(name="Taliban"))
    # Known only to the country: no admin areas, no actors, no sources.
    f.EventFactory(
        location=Location.objects.get(iso3="UKR"),
        geo_precision=GeoPrecision.COUNTRY,
        date_start=datetime.date(2022, 3, 15),
    )
    deleted = Event.objects.get(acled_event_id="AFG70003")
    event_delete(event=deleted)
    return {"none_killed": none_killed, "deleted": deleted}


@pytest.fixture
def world(db):
    return load_world()


def event_id(event) -> str:
    return event.acled_event_id or f"CE{event.pk}"


def ids_of(events) -> list[str]:
    return [event_id(e) for e in events]


def read(client, path="/api/acled/read", expect=200, **params):
    response = client.get(path, params)
    assert response.status_code == expect, response.content
    return response.json()


def data_ids(client, **params) -> list[str]:
    return [row["event_id_cnty"] for row in read(client, **params)["data"]]


def newest_first(events) -> list[str]:
    return ids_of(events.order_by("-date_start", "-id"))


# --- the envelope and the rows ---------------------------------------------------------------------------


def test_the_envelope_and_rows_are_acleds(client, world):
    body = read(client)
    assert list(body) == ["status", "success", "last_update", "count", "messages", "data", "filename"]
    assert body["status"] == 200 and body["success"] is True and body["messages"] == []
    newest = Event.all_objects.aggregate(newest=Max("updated_at"))["newest"]
    assert body["last_update"] == int(newest.timestamp())
    assert body["filename"] == f"acled_{datetime.datetime.now(datetime.UTC).date().isoformat()}"
    assert body["count"] == len(body["data"]) == Event.objects.count()
    assert [row["event_id_cnty"] for row in body["data"]] == newest_first(Event.objects.all())
    expected = [
        acled_row(r) for chunk in acled_records(Event.objects.order_by("-date_start", "-id")) for r in chunk
    ]
    assert body["data"] == json.loads(json.dumps(expected))
    numbers = {"year", "time_precision", "inter1", "inter2", "interaction", "iso", "geo_precision", "fatalities",
               "timestamp", "latitude", "longitude"}  # fmt: skip
    for row in body["data"]:
        assert list(row) == ACLED_COLUMNS
        for column, value in row.items():
            if column in numbers:
                assert value is None or isinstance(value, int | float), (column, value)
                assert value != ""
            else:
                assert isinstance(value, str), (column, value)
        assert isinstance(row["year"], int) and isinstance(row["fatalities"], int)
    kharkiv = next(row for row in body["data"] if row["event_id_cnty"] == "UKR90001")
    assert kharkiv["latitude"] is None and kharkiv["iso"] == 804 and kharkiv["country"] == "Ukraine"
    kosovo = next(row for row in body["data"] if row["event_id_cnty"] == "XKX10001")
    assert kosovo["iso"] is None and kosovo["country"] == "Kosovo"


# --- filters: each operator, any-of values, BETWEEN; a filter agrees with the column it names -------------


def members(text: str) -> list[str]:
    return [part.casefold() for part in text.split("; ") if part]


def scales(text: str) -> set[str]:
    return {part.casefold() for part in text.split("-") if part}


FILTERS = [
    ({"event_date": "2022-05-06"}, lambda r: r["event_date"] == "2022-05-06"),
    ({"event_date": "2022-04-10", "event_date_where": ">"}, lambda r: r["event_date"] > "2022-04-10"),
    ({"event_date": "2022-04-10", "event_date_where": ">="}, lambda r: r["event_date"] >= "2022-04-10"),
    ({"event_date": "2022-04-10", "event_date_where": "<"}, lambda r: r["event_date"] < "2022-04-10"),
    ({"event_date": "2022-04-10", "event_date_where": "<="}, lambda r: r["event_date"] <= "2022-04-10"),
    ({"event_date": "2022-03-01|2022-04-20", "event_date_where": "between"},
     lambda r: "2022-03-01" <= r["event_date"] <= "2022-04-20"),
    ({"event_date": "2022-03-01|2021-08-15"}, lambda r: r["event_date"] in ("2022-03-01", "2021-08-15")),
    ({"year": "2021"}, lambda r: r["year"] == 2021),
    ({"year": "2022", "year_where": "<"}, lambda r: r["year"] < 2022),
    ({"time_precision": "2", "time_precision_where": ">="}, lambda r: r["time_precision"] >= 2),
    ({"time_precision": "1"}, lambda r: r["time_precision"] == 1),
    ({"disorder_type": "political violence"}, lambda r: r["disorder_type"] == "Political violence"),
    ({"disorder_type": "%demonstrations%"}, lambda r: "demonstrations" in r["disorder_type"].lower()),
    ({"event_type": "battles"}, lambda r: r["event_type"] == "Battles"),
    ({"event_type": "%violence%"}, lambda r: "violence" in r["event_type"].lower()),
    ({"event_type": "%violence%", "event_type_where": "="}, lambda r: False),
    ({"sub_event_type": "armed clash|attack"}, lambda r: r["sub_event_type"] in ("Armed clash", "Attack")),
    ({"sub_event_type": "_rmed%"}, lambda r: r["sub_event_type"].lower().startswith("armed")),
    ({"actor1": "taliban"}, lambda r: "taliban" in members(r["actor1"])),
    ({"actor1": "%protesters%"}, lambda r: any("protesters" in a for a in members(r["actor1"]))),
    ({"actor2": ""}, lambda r: r["actor2"] == ""),
    ({"actor2": "%front"}, lambda r: any(a.endswith("front") for a in members(r["actor2"]))),
    ({"assoc_actor_1": "Women (Afghanistan)"}, lambda r: "women (afghanistan)" in members(r["assoc_actor_1"])),
    ({"assoc_actor_2": "Andarab Resistance"}, lambda r: "andarab resistance" in members(r["assoc_actor_2"])),
    ({"inter1": "1"}, lambda r: r["inter1"] == 1),
    ({"inter1": "6|8"}, lambda r: r["inter1"] in (6, 8)),
    ({"inter2": "0"}, lambda r: r["inter2"] == 0),
    ({"inter2": "2", "inter2_where": ">="}, lambda r: r["inter2"] is not None and r["inter2"] >= 2),
    ({"interaction": "12"}, lambda r: r["interaction"] == 12),
    ({"interaction": "37|60"}, lambda r: r["interaction"] in (37, 60)),
    ({"interaction": "20|40", "interaction_where": "BETWEEN"},
     lambda r: r["interaction"] is not None and 20 <= r["interaction"] <= 40),
    ({"civilian_targeting": "Civilian targeting"}, lambda r: r["civilian_targeting"] == "Civilian targeting"),
    ({"civilian_targeting": ""}, lambda r: r["civilian_targeting"] == ""),
    ({"iso": "4"}, lambda r: r["iso"] == 4),
    ({"iso": "500", "iso_where": ">"}, lambda r: r["iso"] is not None and r["iso"] > 500),
    ({"country": "afghanistan"}, lambda r: r["country"] == "Afghanistan"),
    ({"country": "Pakistan|Ukraine"}, lambda r: r["country"] in ("Pakistan", "Ukraine")),
    ({"country": "%stan", "country_where": "LIKE"}, lambda r: r["country"].endswith("stan")),
    ({"country": "KOSOVO|France"}, lambda r: r["country"] == "Kosovo"),  # France: known, no events here
    ({"country": "Islamic Republic of Pakistan"}, lambda r: r["country"] == "Pakistan"),  # ISO's official name
    ({"admin1": "Panjshir"}, lambda r: r["admin1"] == "Panjshir"),
    ({"admin1": ""}, lambda r: r["admin1"] == ""),
    ({"admin1": "k%"}, lambda r: r["admin1"].lower().startswith("k")),
    ({"admin2": "khenj"}, lambda r: r["admin2"] == "Khenj"),
    ({"location": "Kabul"}, lambda r: r["location"] == "Kabul"),
    ({"latitude": "34.5167"}, lambda r: r["latitude"] == 34.5167),
    ({"latitude": "35", "latitude_where": ">"}, lambda r: r["latitude"] is not None and r["latitude"] > 35),
    ({"longitude": "69|70", "longitude_where": "between"},
     lambda r: r["longitude"] is not None and 69 <= r["longitude"] <= 70),
    ({"geo_precision": "3"}, lambda r: r["geo_precision"] == 3),
    ({"geo_precision": "1|2"}, lambda r: r["geo_precision"] in (1, 2)),
    ({"source": "Amu TV"}, lambda r: "amu tv" in members(r["source"])),
    ({"source": ""}, lambda r: r["source"] == ""),
    ({"source": "%news%"}, lambda r: any("news" in s for s in members(r["source"]))),
    ({"source_scale": "international"}, lambda r: "international" in scales(r["source_scale"])),
    ({"source_scale": "National-New media"}, lambda r: {"national", "new media"} <= scales(r["source_scale"])),
    ({"notes": "%district%"}, lambda r: "district" in r["notes"].lower()),
    ({"fatalities": "0"}, lambda r: r["fatalities"] == 0),
    ({"fatalities": "2", "fatalities_where": ">"}, lambda r: r["fatalities"] > 2),
    ({"fatalities": "1|12"}, lambda r: r["fatalities"] in (1, 12)),
    ({"tags": "crowd size=no report"}, lambda r: "crowd size=no report" in members(r["tags"])),
    ({"tags": "%GIRLS%"}, lambda r: any("girls" in t for t in members(r["tags"]))),
    ({"tags": ""}, lambda r: r["tags"] == ""),
    ({"event_id_cnty": "afg70001"}, lambda r: r["event_id_cnty"] == "AFG70001"),
    ({"event_id_cnty": "AFG%"}, lambda r: r["event_id_cnty"].startswith("AFG")),
    ({"event_id_cnty": "CE%|PAK80001"}, lambda r: r["event_id_cnty"][:2] == "CE" or r["event_id_cnty"] == "PAK80001"),
    ({"actor1": "Taliban", "fatalities": "0", "fatalities_where": ">"},
     lambda r: "taliban" in members(r["actor1"]) and r["fatalities"] > 0),
]  # fmt: skip


@pytest.fixture
def all_rows(client, world):
    return read(client)["data"]


@pytest.mark.parametrize(("params", "predicate"), FILTERS, ids=[json.dumps(p) for p, _ in FILTERS])
def test_a_filter_selects_the_rows_whose_column_matches(client, all_rows, params, predicate):
    expected = [row["event_id_cnty"] for row in all_rows if predicate(row)]
    assert data_ids(client, **params) == expected


def test_filters_mean_what_the_database_says(client, world):
    afghanistan = Location.objects.get(iso3="AFG")
    assert data_ids(client, country="Afghanistan") == newest_first(
        Event.objects.filter(events_inside(afghanistan))
    )
    assert data_ids(client, iso="4") == data_ids(client, country="Afghanistan")
    # ACLED's 0 is "none or unknown": both kinds of event, and only those.
    zero = Event.objects.filter(fatalities_best__isnull=True) | Event.objects.filter(fatalities_best=0)
    assert data_ids(client, fatalities="0") == newest_first(zero)
    assert world["none_killed"].acled_event_id in data_ids(client, fatalities="0")
    assert "AFG70002" in data_ids(client, fatalities="0")  # ACLED's 0, read as unknown
    panjshir = Location.objects.get(name="Panjshir", level=1)
    assert data_ids(client, admin1="Panjshir") == newest_first(Event.objects.filter(events_inside(panjshir)))
    # A place's other names find it too ("Hissa-e-Awal" is Khenj).
    khenj = Location.objects.get(name="Khenj", level=Location.Level.ADMIN2)
    alias = khenj.aliases.first().name
    assert data_ids(client, admin2=alias) == newest_first(Event.objects.filter(events_inside(khenj)))
    assert data_ids(client, event_id_cnty=f"CE{Event.objects.filter(acled_event_id=None).first().pk}") == [
        f"CE{Event.objects.filter(acled_event_id=None).first().pk}"
    ]


def test_timestamp_is_when_the_event_last_changed_in_whole_seconds(client, world):
    moment = datetime.datetime(2021, 3, 1, 12, 0, 0, 700000, tzinfo=datetime.UTC)  # before the rest
    Event.objects.filter(acled_event_id="PAK80001").update(updated_at=moment)
    Event.objects.filter(acled_event_id="UKR90001").update(updated_at=moment + datetime.timedelta(seconds=1))
    seconds = int(moment.timestamp())
    assert data_ids(client, timestamp=seconds, timestamp_where="=") == ["PAK80001"]
    assert data_ids(client, timestamp=seconds, timestamp_where="<=") == ["PAK80001"]
    assert data_ids(client, timestamp=seconds + 1, timestamp_where="<") == ["PAK80001"]
    assert data_ids(client, timestamp=f"{seconds}|{seconds + 1}", timestamp_where="BETWEEN") == [
        "UKR90001",
        "PAK80001",
    ]
    later = data_ids(client, timestamp=seconds + 2)  # default >=: the events changed since
    assert "PAK80001" not in later and "UKR90001" not in later and len(later) == Event.objects.count() - 2
    assert data_ids(client, timestamp="2021-03-02") == later  # a date is its midnight, UTC


# --- columns, formats, layouts, paging --------------------------------------------------------------------


def test_fields_choose_and_order_the_columns(client, world):
    body = read(client, fields="fatalities|event_id_cnty|country", country="Pakistan")
    assert body["data"] == [{"fatalities": 3, "event_id_cnty": "PAK80001", "country": "Pakistan"}]
    assert list(body["data"][0]) == ["fatalities", "event_id_cnty", "country"]
    error = read(client, expect=400, fields="event_id_cnty|casualties")["error"][0]["message"]
    assert "casualties" in error and "fatalities" in error  # names the bad one, lists the good ones


def parse_csv(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_has_the_same_columns_and_values(client, world):
    rows = read(client)["data"]
    response = client.get("/api/acled/read", {"_format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="acled_')
    table = parse_csv(response)
    assert [row["event_id_cnty"] for row in table] == [row["event_id_cnty"] for row in rows]
    for line, row in zip(table, rows, strict=True):
        assert list(line) == ACLED_COLUMNS
        assert line == {k: "" if v is None else str(v) for k, v in row.items()}
    some = parse_csv(
        client.get("/api/acled/read", {"_format": "CSV", "fields": "event_date|actor1", "limit": 2})
    )
    assert some == [{"event_date": r["event_date"], "actor1": r["actor1"]} for r in rows[:2]]


def test_every_row_at_once_is_for_csv_only(client, world):
    everything = parse_csv(client.get("/api/acled/read", {"_format": "csv", "limit": 0}))
    assert [row["event_id_cnty"] for row in everything] == newest_first(Event.objects.all())
    message = read(client, expect=400, limit=0)["error"][0]["message"]
    assert "limit" in message and "csv" in message
    assert "xml" in read(client, expect=400, _format="xml")["error"][0]["message"]


def test_pages_follow_each_other_newest_first(client, world):
    everything = data_ids(client)
    pages, page = [], 1
    while batch := data_ids(client, limit=4, page=page):
        pages += batch
        assert len(batch) == 4 or page == len(everything) // 4 + 1
        page += 1
    assert pages == everything == newest_first(Event.objects.all())
    beyond = read(client, limit=4, page=99)
    assert beyond["count"] == 0 and beyond["data"] == [] and beyond["success"] is True
    assert data_ids(client, limit=1) == everything[:1]
    assert len(data_ids(client, limit=5000)) == len(everything)


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"limit": "5001"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"page": "0"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"page": "99999999999999999999"}, "page"),
        ({"limit": "0", "page": "2", "_format": "csv"}, "page"),
        ({"event_date": "06/05/2022"}, "event_date"),
        ({"event_date": "2022-02-30"}, "event_date"),
        ({"event_date": "2022-05-06|2022-01-01", "event_date_where": "BETWEEN"}, "event_date"),
        ({"event_date": "2022-05-06", "event_date_where": "BETWEEN"}, "event_date"),
        ({"event_date": "2022-05-06", "event_date_where": "LIKE"}, "event_date_where"),
        ({"event_date_where": ">"}, "event_date_where"),
        ({"year": "0"}, "year"),
        ({"year": "twenty"}, "year"),
        ({"fatalities": "99999999999999999999"}, "fatalities"),
        ({"fatalities": "1.5"}, "fatalities"),
        ({"latitude": "nan"}, "latitude"),
        ({"timestamp": "99999999999999"}, "timestamp"),
        ({"actor1": "Taliban", "actor1_where": ">"}, "actor1_where"),
        ({"actor1": "Taliban", "actor1_where": "NOT LIKE"}, "actor1_where"),
        ({"country": "Afganistan"}, "country"),
        ({"export_type": "triadic"}, "export_type"),
        ({"country": "Afghanistan", "Country": "Pakistan"}, "Country"),
        ({"actor1": "a\x00b"}, "actor1"),
    ],
)
def test_a_bad_value_is_refused_naming_the_parameter(client, world, params, named):
    body = read(client, expect=400, **params)
    assert body["status"] == 400 and body["success"] is False and body["count"] == 0
    assert isinstance(body["error"], list) and body["error"][0]["status"] == 400
    assert named in body["error"][0]["message"]


def test_a_parameter_given_twice_is_refused(client, world):
    response = client.get("/api/acled/read?country=Afghanistan&country=Pakistan")
    assert response.status_code == 400 and "a|b" in response.json()["error"][0]["message"]


def test_an_unknown_parameter_is_refused_in_acleds_envelope(client, world):
    body = read(client, expect=400, country="Afghanistan", fatalites="3")
    assert body == {"status": 400, "success": False, "count": 0, "error": [body["error"][0]]}
    message = body["error"][0]["message"]
    assert "fatalites" in message and "fatalities" in message and "_where" in message and "limit" in message


def test_a_filter_on_a_column_this_system_does_not_keep_is_refused_with_the_reason(client, world):
    for params in ({"region": "Caucasus and Central Asia"}, {"region": "7", "region_where": "="}):
        message = read(client, expect=400, **params)["error"][0]["message"]
        assert message.startswith("region") and "not kept" in message


def test_monadic_gives_a_row_per_side(client, world):
    dyadic = {row["event_id_cnty"]: row for row in read(client)["data"]}
    monadic = read(client, export_type="monadic")["data"]
    assert len(monadic) == sum(1 + bool(row["actor1"] and row["actor2"]) for row in dyadic.values())
    pakistan = [row for row in monadic if row["event_id_cnty"] == "PAK80001"]
    assert [(r["actor1"], r["inter1"], r["actor2"], r["inter2"]) for r in pakistan] == [
        ("Unidentified Armed Group (Pakistan)", 3, "", None),
        ("Civilians (Pakistan)", 7, "", None),
    ]
    assert all(r["interaction"] == 37 and r["fatalities"] == 3 for r in pakistan)
    kabul = [row for row in monadic if row["event_id_cnty"] == "AFG70002"]
    assert [(r["actor1"], r["assoc_actor_1"], r["inter1"]) for r in kabul] == [
        ("Protesters (Afghanistan)", "Women (Afghanistan)", 6)
    ]
    assert all(list(row) == ACLED_COLUMNS for row in monadic)
    # Filters and paging select events: a page of 2 events holds their 4 rows.
    assert len(read(client, export_type="monadic", actor2="Civilians%", limit=2)["data"]) == 4
    table = parse_csv(client.get("/api/acled/read", {"export_type": "monadic", "_format": "csv", "limit": 0}))
    assert len(table) == len(monadic)


# --- credentials --------------------------------------------------------------------------------------------


@pytest.fixture
def token(django_user_model):
    user = django_user_model.objects.create_user("analyst", "analyst@example.org", "pw-for-tests-only")
    return ApiToken.objects.issue(user=user, name="acled client")


def test_acled_credentials_are_accepted_and_a_token_authenticates(client, world, token):
    record, key = token
    everything = data_ids(client)
    assert data_ids(client, key=key, email="tests@example.org") == everything
    record.refresh_from_db()
    assert record.last_used_at is not None  # the key was one of ours: the request was the analyst's
    # An ACLED key (or any other) is ignored: reads are open.
    assert data_ids(client, key="not-one-of-ours", email="tests@example.org", terms="accept") == everything
    for header in (f"Token {key}", f"Bearer {key}"):
        assert client.get("/api/acled/read", HTTP_AUTHORIZATION=header).status_code == 200
    refused = client.get("/api/acled/read", HTTP_AUTHORIZATION="Bearer wrong")
    assert refused.status_code == 401
    assert refused.json()["success"] is False and refused.json()["error"][0]["status"] == 401


def test_only_get_is_allowed(client, world):
    response = client.post("/api/acled/read", {})
    assert response.status_code == 405 and response.json()["error"][0]["status"] == 405


# --- a fixed number of queries a page -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {
            "country": "Afghanistan",
            "actor1": "%a%",
            "inter2": "1|2",
            "admin1": "P%",
            "disorder_type": "%violence%",
        },
        {"source": "%", "tags": "", "fatalities": "0", "fatalities_where": ">=", "export_type": "monadic"},
    ],
)
def test_a_page_costs_the_same_queries_whatever_its_size(client, world, filters):
    f.EventFactory.create_batch(12, location=Location.objects.get(name="Khenj", level=2))
    counts = []
    for limit in (1, 5, 30):
        with CaptureQueriesContext(connection) as queries:
            body = read(client, limit=limit, **filters)
        counts.append(len(queries))
        assert body["count"] <= limit * 2
    assert counts[0] == counts[1] == counts[2], counts
    assert counts[0] <= 12


# --- deleted events, actors, countries -----------------------------------------------------------------------


def test_deleted_events_are_listed_with_when_they_were_deleted(client, world):
    body = read(client, "/api/deleted/read")
    deleted = world["deleted"]
    deleted.refresh_from_db()
    assert body["data"] == [
        {"event_id_cnty": "AFG70003", "deleted_timestamp": int(deleted.deleted_at.timestamp())}
    ]
    assert "AFG70003" not in data_ids(client)
    moment = int(deleted.deleted_at.timestamp())
    assert read(client, "/api/deleted/read", deleted_timestamp=moment)["count"] == 1
    assert read(client, "/api/deleted/read", deleted_timestamp=moment + 1)["count"] == 0
    assert read(client, "/api/deleted/read", event_id_cnty="afg%")["count"] == 1
    assert read(client, "/api/deleted/read", event_id_cnty="PAK%")["count"] == 0
    csv_rows = parse_csv(client.get("/api/deleted/read", {"_format": "csv"}))
    assert csv_rows == [{"event_id_cnty": "AFG70003", "deleted_timestamp": str(moment)}]
    assert "actor1" in read(client, "/api/deleted/read", expect=400, actor1="x")["error"][0]["message"]


def test_actors_are_counted_over_live_events(client, world):
    expected = {
        name: {
            "first_event_date": first.isoformat(),
            "last_event_date": last.isoformat(),
            "event_count": count,
        }
        for name, first, last, count in EventActor.objects.filter(event__deleted_at=None)
        .values("actor__name")
        .annotate(first=Min("event__date_start"), last=Max("event__date_start"), count=Count("id"))
        .values_list("actor__name", "first", "last", "count")
    }
    body = read(client, "/api/actor/read")
    assert {
        row["actor_name"]: {k: v for k, v in row.items() if k != "actor_name"} for row in body["data"]
    } == expected
    taliban = read(client, "/api/actor/read", actor_name="taliban")["data"]
    assert taliban == [{"actor_name": "Taliban", **expected["Taliban"]}]
    # The deleted clash does not count.
    assert taliban[0]["event_count"] == EventActor.objects.filter(actor__name="Taliban").count() - 1
    busy = read(client, "/api/actor/read", event_count="2")["data"]  # default >=
    assert {row["actor_name"] for row in busy} == {
        name for name, row in expected.items() if row["event_count"] >= 2
    }
    early = read(client, "/api/actor/read", first_event_date="2022-04-01", first_event_date_where="<")["data"]
    assert {row["actor_name"] for row in early} == {
        name for name, row in expected.items() if row["first_event_date"] < "2022-04-01"
    }
    assert read(client, "/api/actor/read", limit=2, page=2)["data"] == body["data"][2:4]


def test_countries_roll_events_up_through_the_gazetteer(client, world):
    body = read(client, "/api/country/read")
    by_name = {row["country"]: row for row in body["data"]}
    assert set(by_name) == {"Afghanistan", "Pakistan", "Ukraine", "Kosovo"}
    afghanistan = Event.objects.filter(events_inside(Location.objects.get(iso3="AFG")))
    dates = afghanistan.aggregate(first=Min("date_start"), last=Max("date_start"))
    assert by_name["Afghanistan"] == {
        "country": "Afghanistan", "iso": 4, "iso3": "AFG", "first_event_date": dates["first"].isoformat(),
        "last_event_date": dates["last"].isoformat(), "event_count": afghanistan.count(),
    }  # fmt: skip
    assert by_name["Kosovo"]["iso"] is None and by_name["Kosovo"]["iso3"] == "XKX"
    assert by_name["Ukraine"]["event_count"] == 2
    assert sum(row["event_count"] for row in body["data"]) == Event.objects.count()
    assert read(client, "/api/country/read", iso="586")["data"] == [by_name["Pakistan"]]
    assert read(client, "/api/country/read", iso3="ukr")["data"] == [by_name["Ukraine"]]
    assert read(client, "/api/country/read", country="%stan")["count"] == 2
    assert read(client, "/api/country/read", event_count="3", event_count_where="<")["count"] == 3
    assert "country" in read(client, "/api/country/read", expect=400, country="Narnia")["error"][0]["message"]


# --- no input makes a 500 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/acled/read", "/api/deleted/read", "/api/actor/read", "/api/country/read"]
)
@pytest.mark.parametrize(
    "query",
    [
        "limit=5000&page=1000000",
        "fields=",
        "fields=%7C%7C",
        "_format=",
        "event_id_cnty=%25%25%25&event_id_cnty_where=like",
        "actor_name=%5C&country=%25%5C%25",
        "event_count=-5&event_count_where=%3C%3D",
        "first_event_date=0001-01-01|9999-12-31&first_event_date_where=between",
        "deleted_timestamp=0&deleted_timestamp_where=%3E",
        "deleted_timestamp=253402300798&deleted_timestamp_where=%3C%3D",
        "iso=2147483647&iso_where=%3E",
        "key=%00&email=%00",
        "key=" + "k" * 5000,
        "format=json",
        "country=%00",
        "notes=(%5B.*&tags=%25(%25&admin3=%25%5D%25",
        "latitude=1e308&latitude_where=%3E",
        "year=9999&timestamp=9999-12-31&timestamp_where=%3C%3D",
    ],
)
def test_no_input_makes_a_server_error(client, world, path, query):
    response = client.get(f"{path}?{query}")
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert response.json()["error"][0]["message"]


# --- the `acled` client from PyPI, untouched, against a live server -----------------------------------------

CLIENT_SCRIPT = textwrap.dedent(
    """
    import json, socket

    # This server is the only host the client may reach: any other connection fails loudly.
    LOCAL = {"127.0.0.1", "::1", "localhost"}
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(sock, address):
        if address[0] not in LOCAL:
            raise OSError(f"network use outside this machine refused: {address!r}")
        return real_connect(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOCAL:
            raise OSError(f"network use outside this machine refused: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.getaddrinfo = connect, getaddrinfo

    from acled import AcledClient
    from acled.exceptions import ClientError

    client = AcledClient()
    out = {"auth": type(client._acled_data_client.auth).__name__}
    events, page = [], 1
    while True:
        batch = client.get_data(
            country="Afghanistan", event_date="2022-01-01|2022-04-30", limit=2, page=page,
            query_params={"event_date_where": "BETWEEN"},
        )
        events += batch
        if len(batch) < 2:
            break
        page += 1
    out["pages"] = page
    out["events"] = [
        {"id": e["event_id_cnty"], "date": e["event_date"].isoformat(), "year": e["year"],
         "fatalities": e["fatalities"], "timestamp": int(e["timestamp"].timestamp()), "latitude": e["latitude"],
         "longitude": e["longitude"], "time_precision": e["time_precision"], "actor1": e["actor1"],
         "country": e["country"]}
        for e in events
    ]
    out["killed"] = [e["event_id_cnty"] for e in client.get_data(fatalities=0, query_params={"fatalities_where": ">"})]
    out["deleted"] = client.get_deleted_data(limit=10)
    def dated(row):
        return {**row, **{k: row[k].isoformat() for k in ("first_event_date", "last_event_date")}}

    out["actors"] = [dated(a) for a in client.get_actor_data(limit=500)]
    out["countries"] = [dated(c) for c in client.get_country_data(limit=500)]
    try:
        client.get_data(query_params={"bogus": "1"})
    except ClientError as exc:
        out["refused"] = str(exc)
    print(json.dumps(out))
    """
)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_acled_client_from_pypi_reads_this_server(live_server, django_user_model):
    world = load_world()
    user = django_user_model.objects.create_user("acled-client", "tests@example.org", "pw-for-tests-only")
    record, key = ApiToken.objects.issue(user=user, name="acled client")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACLED_")}
    env.update(
        ACLED_API_HOST=f"{live_server.url}/api",
        ACLED_API_KEY=key,
        ACLED_EMAIL="tests@example.org",
        ACLED_MAX_RETRIES="0",
    )
    result = subprocess.run(
        [sys.executable, "-c", CLIENT_SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.splitlines()[-1])  # the client logs to stdout before it
    assert out["auth"] == "LegacyKeyEmailAuth"  # key and email as query parameters: no login at acleddata.com

    afghanistan = Event.objects.filter(
        events_inside(Location.objects.get(iso3="AFG")),
        date_start__range=(datetime.date(2022, 1, 1), datetime.date(2022, 4, 30)),
    ).order_by("-date_start", "-id")
    assert [e["id"] for e in out["events"]] == ids_of(afghanistan) == ["AFG70001", "AFG70002", "AFG70004"]
    assert out["pages"] == 2
    for row, event in zip(out["events"], afghanistan, strict=True):
        assert row["date"] == event.date_start.isoformat() and row["year"] == event.date_start.year
        assert row["fatalities"] == (event.fatalities_best or 0)
        assert row["timestamp"] == int(event.updated_at.timestamp())
        assert row["country"] == "Afghanistan"
    first = out["events"][0]
    assert (first["latitude"], first["longitude"], first["fatalities"], first["actor1"]) == (
        35.43,
        69.73,
        12,
        "Taliban",
    )
    assert out["events"][1]["time_precision"] == 2 and out["events"][1]["fatalities"] == 0
    assert out["killed"] == ids_of(Event.objects.filter(fatalities_best__gt=0).order_by("-date_start", "-id"))

    deleted = world["deleted"]
    deleted.refresh_from_db()
    assert out["deleted"] == [
        {"event_id_cnty": "AFG70003", "deleted_timestamp": int(deleted.deleted_at.timestamp())}
    ]
    counts = dict(
        EventActor.objects.filter(event__deleted_at=None)
        .values("actor__name")
        .annotate(n=Count("id"))
        .values_list("actor__name", "n")
    )
    assert {a["actor_name"]: a["event_count"] for a in out["actors"]} == counts
    taliban = next(a for a in out["actors"] if a["actor_name"] == "Taliban")
    dates = Event.objects.filter(event_actors__actor__name="Taliban").aggregate(
        first=Min("date_start"), last=Max("date_start")
    )
    assert (taliban["first_event_date"], taliban["last_event_date"]) == (
        dates["first"].isoformat(),
        dates["last"].isoformat(),
    )
    countries = {c["country"]: c for c in out["countries"]}
    assert (
        countries["Afghanistan"]["event_count"]
        == Event.objects.filter(events_inside(Location.objects.get(iso3="AFG"))).count()
    )
    assert countries["Afghanistan"]["iso"] == 4 and countries["Kosovo"]["iso"] is None
    assert sum(c["event_count"] for c in out["countries"]) == Event.objects.count()
    assert "400" in out["refused"]
    record.refresh_from_db()
    assert record.last_used_at is not None  # every request carried our token as ACLED's key
