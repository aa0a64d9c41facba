"""Inputs a fuzzer or a hostile client sends: each answered with a clear 400 (never a 500, never a silent
guess), and outputs that must not turn against their readers (spreadsheet formulas in CSV)."""

import base64
import csv
import datetime
import io

import pytest
from django.core.management import call_command

from access.groups import EDITORS
from events.models import Event
from tests import factories as f
from tests.test_api_writes import client_for

pytestmark = pytest.mark.django_db


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "raw",
    [
        b'{"v":["2022-01-01",Infinity]}',
        b'{"v":[1e400,1]}',
        b'{"v":[NaN,1]}',
        b'{"v":[true,1]}',
        b"[",
        b"\xff\xfe",
    ],
)
def test_a_forged_cursor_is_a_400(client, raw):
    for ordering in ("-date_start", "fatalities"):
        response = client.get("/api/v1/events/", {"ordering": ordering, "cursor": _cursor(raw)})
        assert response.status_code == 400 and "cursor" in response.json()


def test_a_body_nested_too_deeply_is_a_400(django_user_model):
    editor = client_for(django_user_model, EDITORS)
    response = editor.post("/api/v1/sources/", "[" * 50_000 + "]" * 50_000, content_type="application/json")
    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize(
    "params,field,message",
    [
        ({"updated_since": "2022-01-01T00:00:00+24:00"}, "updated_since", "valid date/time"),
        ({"near": "10,20,1e3"}, "near", "km must be a decimal number"),
        ({"near": "91,20,5"}, "near", "lat must be a decimal number from -90 to 90"),
        ({"near": "nan,20,5"}, "near", "lat must be"),
        ({"bbox": "0,0,181,1"}, "bbox", "maxlon must be a decimal number from -180 to 180"),
        ({"bbox": "0,2,1,1"}, "bbox", "the box is empty"),
        ({"bbox": "0,0,1"}, "bbox", "4 comma-separated numbers, got 3"),
        ({"date_after": "2022-02-30"}, "date_after", "YYYY-MM-DD"),
        ({"date_after": "6/5/2022"}, "date_after", "YYYY-MM-DD"),
        ({"date_before": "05/06/2022"}, "date_before", "YYYY-MM-DD"),
        ({"country": ["AF", "IR"]}, "country", "takes one value"),
        ({"country": ""}, "country", "Empty value"),
        ({"q": ["a", "b"]}, "q", "takes one value"),
        ({"format": "xml"}, "format", "Allowed here: acled, csv, geojson, json, ucdp"),
    ],
)
def test_ambiguous_or_impossible_parameters_are_refused_by_name(client, params, field, message):
    response = client.get("/api/v1/events/", params)
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()[field])


def test_accepted_forms_still_work(client):
    f.EventFactory()
    for params in (
        {"updated_since": "2022-01-01T00:00:00+15:59"},
        {"near": "-90,180.0,12.5"},
        {"bbox": "-180,-90,180,90"},
        {"date_after": "2022-05-06"},
        {"verification": ["claimed", "reported"]},  # a filter that takes several values, repeated
    ):
        assert client.get("/api/v1/events/", params).status_code == 200, params


def test_any_utc_offset_rfc_3339_allows_means_the_same_instant(client):
    """PostgreSQL stores no offset of ±16:00 or more, so the time goes to the database in UTC."""
    event = f.EventFactory()
    changed = event.updated_at.astimezone(datetime.UTC)
    for offset in ("+16:00", "-23:00", "+23:59"):
        hours, minutes = int(offset[1:3]), int(offset[4:])
        shift = datetime.timedelta(hours=hours, minutes=minutes) * (1 if offset[0] == "+" else -1)
        for delta, expected in ((-1, [event.pk]), (1, [])):
            local = (changed + datetime.timedelta(seconds=delta) + shift).replace(tzinfo=None)
            since = local.isoformat(timespec="microseconds") + offset
            found = client.get("/api/v1/events/", {"updated_since": since})
            assert found.status_code == 200, found.content
            assert [e["id"] for e in found.json()["results"]] == expected, since


def test_a_box_whose_west_edge_is_east_of_its_east_edge_crosses_the_antimeridian(client):
    east = f.EventFactory(latitude=-17.0, longitude=179.5)
    west = f.EventFactory(latitude=-17.0, longitude=-179.5)
    f.EventFactory(latitude=-17.0, longitude=0.0)
    crossing = client.get("/api/v1/events/", {"bbox": "179,-18,-179,-16"}).json()["results"]
    assert {e["id"] for e in crossing} == {east.pk, west.pk}
    ordinary = client.get("/api/v1/events/", {"bbox": "179,-18,180,-16"}).json()["results"]
    assert [e["id"] for e in ordinary] == [east.pk]


def test_near_takes_any_distance_from_zero_to_the_whole_earth(client):
    here = f.EventFactory(latitude=10.0, longitude=20.0)
    antipode = f.EventFactory(latitude=-10.0, longitude=-160.0)
    exactly = client.get("/api/v1/events/", {"near": "10,20,0"}).json()["results"]
    assert [e["id"] for e in exactly] == [here.pk]
    everywhere = client.get("/api/v1/events/", {"near": "10,20,50000"}).json()["results"]
    assert {e["id"] for e in everywhere} == {here.pk, antipode.pk}


def test_an_explicit_format_wins_over_accept(client):
    f.EventFactory()
    response = client.get("/api/v1/events/", {"format": "csv"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_near_finds_points_across_the_antimeridian(client):
    east = f.EventFactory(latitude=-17.0, longitude=179.95, summary="east of the line")
    west = f.EventFactory(latitude=-17.0, longitude=-179.95, summary="west of the line")
    f.EventFactory(latitude=-17.0, longitude=170.0, summary="far away")
    for lon in ("179.99", "-179.99"):
        found = client.get("/api/v1/events/", {"near": f"-17,{lon},30"}).json()["results"]
        assert {e["id"] for e in found} == {east.pk, west.pk}, lon


FORMULAS = ['=HYPERLINK("http://example.org")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB"]


def test_csv_cells_that_spreadsheets_would_run_are_neutralised_and_json_is_exact(client):
    events = [f.EventFactory(summary=f"Clash {n}", notes=text) for n, text in enumerate(FORMULAS)]
    f.EventFactory(summary="west", latitude=10.0, longitude=-12.5)
    rows = list(
        csv.DictReader(
            io.StringIO(b"".join(client.get("/api/v1/events/?format=csv").streaming_content).decode())
        )
    )
    notes = {int(r["id"]): r["notes"] for r in rows}
    for event, text in zip(events, FORMULAS, strict=True):
        assert notes[event.pk] == "'" + text
    assert any(r["longitude"] == "-12.5" for r in rows)  # numbers are not text: left as they are
    shown = {e["id"]: e["notes"] for e in client.get("/api/v1/events/").json()["results"]}
    assert [shown[e.pk] for e in events] == FORMULAS


def test_an_acled_export_with_neutralised_cells_imports_back_exactly(client, tmp_path):
    call_command("load_seed", verbosity=0)
    event = Event.objects.get(pk=5)
    event.notes = "=cmd|' /C calc'!A0"
    event.save()
    export = b"".join(client.get("/api/v1/events/?format=acled").streaming_content)
    assert b"'=cmd" in export
    path = tmp_path / "acled.csv"
    path.write_bytes(export)
    Event.all_objects.all().delete()
    call_command("import_acled", str(path), verbosity=0)
    assert Event.objects.get(acled_event_id="CE5").notes == "=cmd|' /C calc'!A0"
    assert Event.objects.get(acled_event_id="CE5").date_start == datetime.date(2022, 5, 6)


def test_an_events_etag_moves_when_a_claim_it_lists_changes(client, django_user_model):
    editor = client_for(django_user_model, EDITORS)
    claim = f.ClaimFactory(quote="First words.")
    etag = client.get(f"/api/v1/events/{claim.event_id}/")["ETag"]
    assert client.get(f"/api/v1/events/{claim.event_id}/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    changed = editor.patch(f"/api/v1/claims/{claim.pk}/", {"quote": "Other words."}, format="json")
    assert changed.status_code == 200
    again = client.get(f"/api/v1/events/{claim.event_id}/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and again.json()["claims"][0]["quote"] == "Other words."
    # And a write guarded by the old tag is refused: the event as read is gone.
    stale = editor.patch(
        f"/api/v1/events/{claim.event_id}/", {"notes": "x"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412


@pytest.mark.parametrize("resource", ["events", "claims", "actors", "reports", "sources", "locations"])
def test_the_browsable_api_renders_for_users_who_may_write(client, django_user_model, resource):
    """Its form is pre-filled from the write serializer: an event's roles and tags read back as written."""
    call_command("load_seed", verbosity=0)
    client.force_login(django_user_model.objects.create_superuser("staff", "staff@example.org", "pw"))
    for path in (f"/api/v1/{resource}/", f"/api/v1/{resource}/1/"):
        page = client.get(path, HTTP_ACCEPT="text/html")
        assert page.status_code == 200, path
    if resource == "events":
        assert "&quot;role&quot;: &quot;side_a&quot;" in page.content.decode()


@pytest.mark.parametrize(
    "path", ["/api/v1/events/?actor=99999999999999999999999", "/api/v1/events/?location=1" + "0" * 30]
)
def test_numbers_too_large_to_store_are_a_400(client, path):
    response = client.get(path)
    assert response.status_code == 400, response.content


def test_a_body_with_an_id_too_large_to_store_is_a_400(django_user_model):
    editor = client_for(django_user_model, EDITORS)
    body = {"name": "Daily", "kind": "newspaper", "scale": "national", "country": 10**30}
    response = editor.post("/api/v1/sources/", body, format="json")
    assert response.status_code == 400, response.content


def test_a_nul_character_anywhere_is_a_400_naming_where(client, django_user_model):
    """PostgreSQL stores no NUL; a slug or name lookup with one failed there with a 500."""
    editor = client_for(django_user_model, EDITORS)
    body = {"sub_event_type": "armed\x00clash", "summary": "x", "tags": ["ok", "b\x00d"]}
    response = editor.post("/api/v1/events/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"sub_event_type": ["Null characters are not allowed."],
                               "tags.1": ["Null characters are not allowed."]}  # fmt: skip
    for params in ({"actor": "Tali\x00ban"}, {"event_type": "battles\x00"}):
        response = client.get("/api/v1/events/", params)
        assert response.status_code == 400 and list(response.json()) == list(params)


def test_the_deleted_feed_takes_any_utc_offset(client):
    for since in ("9870-07-29T06:28:52.14-21:15", "2022-01-01T00:00:00+16:00"):
        assert client.get("/api/v1/events/deleted/", {"since": since}).status_code == 200, since
    assert client.get("/api/v1/events/deleted/", {"since": "2022-02-30T00:00:00Z"}).status_code == 400
