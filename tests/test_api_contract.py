"""Bad input, query counts, paging, exports and docs: the parts of the contract every endpoint shares."""

import csv
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Event
from tests import factories as f

RESOURCES = ["events", "actors", "locations", "sources", "reports", "claims"]

BAD_INPUT = [
    ("/api/v1/events/?colour=red", 400, "colour", "Unknown parameter. Allowed: actor"),
    ("/api/v1/events/?date_after=2022-13-01", 400, "date_after", "Enter a date as YYYY-MM-DD"),
    ("/api/v1/events/?date_before=yesterday", 400, "date_before", "Enter a date as YYYY-MM-DD"),
    ("/api/v1/events/?bbox=1,2,3", 400, "bbox", "4 comma-separated numbers"),
    ("/api/v1/events/?bbox=10,10,5,5", 400, "bbox", "minlat (10.0) is above maxlat (5.0): the box is empty"),
    (
        "/api/v1/events/?bbox=0,-95,1,1",
        400,
        "bbox",
        "minlat must be a decimal number from -90 to 90, got '-95'",
    ),
    ("/api/v1/events/?near=35,70", 400, "near", "3 comma-separated numbers"),
    ("/api/v1/events/?near=35,70,-4", 400, "near", "km must be a decimal number of kilometres, 0 or more"),
    ("/api/v1/events/?near=a,b,c", 400, "near", "lat must be a decimal number from -90 to 90, got 'a'"),
    (
        "/api/v1/events/?date_after=2022-05-07&date_before=2022-05-01",
        400,
        "date_before",
        "the range is empty",
    ),
    ("/api/v1/events/?fatalities_min=10&fatalities_max=2", 400, "fatalities_max", "the range is empty"),
    ("/api/v1/events/?fatalities_min=-1", 400, "fatalities_min", "greater than or equal to 0"),
    ("/api/v1/events/?fatalities_min=many", 400, "fatalities_min", "whole number"),
    ("/api/v1/events/?page_size=100000", 400, "page_size", "from 1 to 1000"),
    ("/api/v1/events/?page_size=0", 400, "page_size", "from 1 to 1000"),
    ("/api/v1/events/?page_size=ten", 400, "page_size", "from 1 to 1000"),
    ("/api/v1/events/?cursor=not-a-cursor", 400, "cursor", "Invalid cursor"),
    ("/api/v1/events/?country=ZZ", 400, "country", "Unknown country 'ZZ'"),
    ("/api/v1/events/?country=Afghanistan", 400, "country", "ISO 3166-1"),
    ("/api/v1/events/?actor=abc", 400, "actor", "No actor has the name 'abc': give an id"),
    ("/api/v1/events/?actor=999999", 400, "actor", "999999"),
    ("/api/v1/events/?location=999999", 400, "location", "Select a valid choice"),
    ("/api/v1/events/?event_type=sieges", 400, "event_type", "sieges"),
    ("/api/v1/events/?verification=rumour", 400, "verification", "Allowed: confirmed, refuted"),
    ("/api/v1/events/?geo_precision=9", 400, "geo_precision", "Allowed: 1, 2, 3"),
    ("/api/v1/events/?ordering=summary", 400, "ordering", "Allowed: -date_start, date_start, date_end"),
    ("/api/v1/events/?updated_since=last-week", 400, "updated_since", "Enter a valid date/time"),
    ("/api/v1/events/?format=csv&cursor=abc", 400, "cursor", "paging applies to JSON only"),
    ("/api/v1/events/?format=csv&nonsense=1", 400, "nonsense", "Unknown parameter"),
    ("/api/v1/events/1/?country=AF&extra=1", 400, "extra", "Unknown parameter"),
    ("/api/v1/actors/?kind=wizard", 400, "kind", "Allowed: state_forces"),
    ("/api/v1/locations/?level=7", 400, "level", "Allowed: 0, 1, 2, 3, 4"),
    ("/api/v1/claims/?stance=hints", 400, "stance", "Allowed: asserts"),
    ("/api/v1/reports/?published_after=May", 400, "published_after", "Enter a date as YYYY-MM-DD"),
    ("/api/v1/events/abc/", 404, "detail", "Not found"),
    ("/api/v1/events/99999/", 404, "detail", "No Event matches"),
    ("/api/v1/events/1/?format=csv", 400, "format", "Unknown format 'csv'. Allowed here: json"),
]


@pytest.mark.usefixtures("seed")
@pytest.mark.parametrize("path, status, key, message", BAD_INPUT, ids=[p for p, *_ in BAD_INPUT])
def test_bad_input_is_refused_clearly(client, path, status, key, message):
    response = client.get(path)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert key in body, body
    text = body[key] if isinstance(body[key], str) else " ".join(body[key])
    assert message in text, text


# The queries a page of each list costs: (rows + related rows, each prefetched once, + lineage). Locked.
LIST_QUERIES = {
    "events": 2,  # the page's ids and keys; its rows as JSON, written by the database (json_rows.py)
    "actors": 2,  # actors with country and affiliation; aliases
    "locations": 3,  # places with parent; aliases; ancestors
    "sources": 1,  # sources with country and operator
    "reports": 2,  # reports with source; derivation links
    "claims": 1,  # claims with event, report, source, claimant and speaker
}


@pytest.mark.usefixtures("seed")
@pytest.mark.parametrize("resource", RESOURCES)
def test_list_query_counts_are_fixed_whatever_the_page_size(client, resource, django_assert_num_queries):
    for page_size in (1, 5, 1000):
        with django_assert_num_queries(LIST_QUERIES[resource]):
            response = client.get(f"/api/v1/{resource}/?page_size={page_size}")
        assert response.status_code == 200
        assert len(response.json()["results"]) >= min(page_size, 6)


@pytest.mark.usefixtures("seed")
def test_event_detail_query_count(client, django_assert_num_queries):
    with django_assert_num_queries(5):  # event; claims with reports and speakers; roles; tags; ancestors
        response = client.get("/api/v1/events/1/")
    assert len(response.json()["claims"]) == 3


@pytest.mark.django_db
def test_deep_pages_cost_what_the_first_costs(client):
    events = f.EventFactory.create_batch(30)
    for event in events[::3]:
        f.EventActorFactory(event=event)
    url, seen, counts = "/api/v1/events/?page_size=4&ordering=date_start", [], []
    while url:
        with CaptureQueriesContext(connection) as queries:
            body = client.get(url).json()
        counts.append(len(queries))
        seen += [e["id"] for e in body["results"]]
        url = body["next"]
    assert seen == sorted(e.pk for e in events)  # same day: ties broken by id, nothing skipped or repeated
    assert set(counts) == {2}


@pytest.mark.django_db
def test_previous_links_walk_back_exactly(client):
    events = [f.EventFactory(fatalities_best=n % 4) for n in range(9)]
    first = client.get("/api/v1/events/?page_size=2&ordering=-fatalities").json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    back = client.get(third["previous"]).json()
    assert back["results"] == second["results"]
    assert client.get(back["previous"]).json()["results"] == first["results"]
    assert first["previous"] is None
    assert len(events) == 9


@pytest.mark.django_db
def test_rows_added_while_paging_are_neither_skipped_nor_repeated(client):
    first_batch = f.EventFactory.create_batch(4)
    page = client.get("/api/v1/events/?page_size=2&ordering=id").json()
    late = f.EventFactory()
    ids = [e["id"] for e in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        ids += [e["id"] for e in page["results"]]
    assert ids == [e.pk for e in first_batch] + [late.pk]


@pytest.mark.usefixtures("seed")
def test_csv_export_streams_every_match_with_unknowns_empty(client):
    response = client.get("/api/v1/events/?format=csv&verification=disputed&ordering=id")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [int(r["id"]) for r in rows] == [1, 2, 3]
    assert rows[0]["admin1"] == "Panjshir" and rows[0]["admin2"] == "Khenj" and rows[0]["iso3"] == "AFG"
    assert rows[0]["actor1"] == "National Resistance Front" and rows[0]["actor2"] == "Taliban"
    assert rows[0]["fatalities_best"] == ""  # unknown, not 0
    assert rows[1]["coordinates_from"] == "enclosing_area"


@pytest.mark.usefixtures("seed")
def test_csv_is_negotiated_by_accept_header_too(client):
    response = client.get("/api/v1/events/?location=2", HTTP_ACCEPT="text/csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"The Taliban take over Kabul" in b"".join(response.streaming_content)


@pytest.mark.usefixtures("seed")
def test_geojson_export_is_a_feature_collection(client):
    response = client.get("/api/v1/events/?format=geojson&pcode=AF18")
    assert response["Content-Type"] == "application/geo+json"
    collection = json.loads(b"".join(response.streaming_content))
    assert collection["type"] == "FeatureCollection"
    [feature] = collection["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [70.158583, 36.104684]}
    assert feature["properties"]["location"] == "Warsaj"
    assert feature["properties"]["verification"] == "claimed"


@pytest.mark.django_db
def test_an_event_with_no_known_point_has_null_geometry(client):
    f.EventFactory()  # its province has no coordinates, nor has its country
    collection = json.loads(b"".join(client.get("/api/v1/events/?format=geojson").streaming_content))
    assert collection["features"][0]["geometry"] is None


@pytest.mark.django_db
def test_exports_cost_a_fixed_number_of_queries_per_chunk(client, monkeypatch):
    from events.formats import projection

    monkeypatch.setattr(projection, "CHUNK_SIZE", 5)
    f.EventFactory.create_batch(12)
    for query in ("format=csv", "format=geojson", "format=acled", "format=ucdp&ordering=id"):
        with CaptureQueriesContext(connection) as queries:
            body = b"".join(client.get(f"/api/v1/events/?{query}").streaming_content)
        assert body.count(b'"Feature"' if "geojson" in query else b"\n") == (12 if "geojson" in query else 13)
        # One streamed query for the matching ids, in order; then one per chunk of 5 (three chunks) that
        # reads the rows whole: actors, tags, places and sources are joined in, however many there are.
        assert len(queries) == 1 + 3, query


def test_schema_is_served_and_names_every_filter(client, db):
    schema = client.get("/api/schema/?format=json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/events/"]["get"]["parameters"]}
    from events.filtersets import EventFilterSet

    for name in [*EventFilterSet.base_filters, "cursor", "page_size", "format"]:
        assert name in parameters, name
        assert parameters[name].get("description"), f"{name} has no description"
        assert parameters[name]["schema"], name


def test_every_schema_field_and_parameter_has_a_type_and_a_description(client, db):
    schema = client.get("/api/schema/?format=json").json()
    undescribed = [
        f"{name}.{prop}"
        for name, component in schema["components"]["schemas"].items()
        for prop, spec in component.get("properties", {}).items()
        if not spec.get("description")
        or not ({"type", "$ref", "allOf", "oneOf", "anyOf", "enum", "items"} & set(spec))
    ]
    assert undescribed == []
    parameters = [
        (path, p["name"])
        for path, operations in schema["paths"].items()
        for operation in operations.values()
        for p in operation.get("parameters", [])
        if not p.get("description") or "type" not in p["schema"]
    ]
    assert parameters == []
    operation_ids = [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]
    actions = (
        "list",
        "retrieve",
        "create",
        "update",
        "partial_update",
        "destroy",
        "history_list",
        "deleted_list",
    )
    assert sorted(operation_ids) == sorted(
        [f"{r}_{a}" for r in RESOURCES for a in actions]
        + ["events_restore", "events_verdict", "locations_control", "actors_track_record"]
        + ["stats_events"]
        + ["acled_read", "deleted_read", "actor_read", "country_read"]  # ACLED-compatible, at /api/
    )


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_load_their_assets_from_this_server(client, path, db):
    html = client.get(path).content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    linked = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert linked and all(url.startswith("/") and not url.startswith("//") for url in linked), linked


@pytest.mark.usefixtures("seed")
def test_anonymous_users_cannot_write(client):
    assert client.post("/api/v1/events/", {"summary": "x"}).status_code == 401
    assert client.delete("/api/v1/events/1/").status_code == 401
    assert Event.objects.filter(pk=1).exists()
