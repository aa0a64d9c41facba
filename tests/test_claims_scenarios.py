"""The seed article and its aftermath, replayed through the API: verification, control, track records, stats."""

import random

import pytest
from django.contrib.auth.models import Group

from access.groups import EDITORS, REVIEWERS
from events.models import Event
from tests.test_api_writes import client_for

pytestmark = pytest.mark.usefixtures("seed")

TAKEOVERS = [1, 2, 3]
FIGHTING = 5


@pytest.fixture
def editor(django_user_model):
    return client_for(django_user_model, EDITORS)


@pytest.fixture
def reviewer(django_user_model):
    return client_for(django_user_model, REVIEWERS)


def status(client, event_id):
    return client.get(f"/api/v1/events/{event_id}/").json()["verification"]


def add_wire_story(editor) -> int:
    wire = editor.post("/api/v1/sources/", {"name": "Wire Agency", "kind": "wire", "scale": "international"},
                       format="json").json()  # fmt: skip
    story = editor.post("/api/v1/reports/", {"source": wire["id"], "title": "Heavy fighting in Panjshir",
                                             "published_on": "2022-05-07"}, format="json").json()  # fmt: skip
    body = {
        "event": FIGHTING,
        "report": story["id"],
        "stance": "confirms",
        "quote": "Heavy fighting in Panjshir.",
    }
    claim = editor.post("/api/v1/claims/", body, format="json")
    assert claim.status_code == 201, claim.content
    return story["id"]


def test_the_takeovers_are_disputed_naming_the_assertion_and_the_denial(client):
    for event_id in TAKEOVERS:
        verification = status(client, event_id)
        assert verification["status"] == "disputed"
        assert "asserted by National Resistance Front (via Ali Nazary)" in verification["reason"]
        assert "denied by Taliban" in verification["reason"]
        assert "The New York Sun could not confirm it." in verification["reason"]


def test_an_independent_wire_report_corroborates_the_fighting_but_not_the_takeovers(editor, client):
    assert status(client, FIGHTING)["status"] == "claimed"
    add_wire_story(editor)
    fighting = status(client, FIGHTING)
    assert fighting["status"] == "corroborated"
    assert fighting["independent_reports"] == 2
    assert "Wire Agency is not a party to the event" in fighting["reason"]
    assert [status(client, e)["status"] for e in TAKEOVERS] == ["disputed"] * 3


def test_the_same_wire_story_republished_does_not_count_twice(editor, client):
    story = add_wire_story(editor)
    outlet = editor.post("/api/v1/sources/", {"name": "Daily Reprint", "kind": "newspaper", "scale": "national"},
                         format="json").json()  # fmt: skip
    copy = editor.post("/api/v1/reports/", {"source": outlet["id"], "title": "Heavy fighting in Panjshir (wire)",
                                            "derived_from": [{"report": story, "relation": "republishes"}]},
                       format="json").json()  # fmt: skip
    editor.post(
        "/api/v1/claims/", {"event": FIGHTING, "report": copy["id"], "stance": "confirms"}, format="json"
    )
    assert status(client, FIGHTING)["independent_reports"] == 2
    # Remove the syndication link and the copy counts as an independent report after all.
    editor.patch(f"/api/v1/reports/{copy['id']}/", {"derived_from": []}, format="json")
    assert status(client, FIGHTING)["independent_reports"] == 3


def test_an_editor_verdict_needs_a_reason_and_a_reviewer(editor, reviewer, client):
    refused = reviewer.post(f"/api/v1/events/{TAKEOVERS[0]}/verdict/", {"verdict": "refuted", "reason": ""},
                            format="json")  # fmt: skip
    assert refused.status_code == 400
    assert "verdict_reason" in refused.json()
    assert status(client, TAKEOVERS[0])["status"] == "disputed"
    assert editor.post(f"/api/v1/events/{TAKEOVERS[0]}/verdict/", {"verdict": "refuted", "reason": "x"},
                       format="json").status_code == 403  # fmt: skip
    done = reviewer.post(
        f"/api/v1/events/{TAKEOVERS[0]}/verdict/",
        {"verdict": "refuted", "reason": "Local sources saw no change of control."},
        format="json",
    )
    assert done.status_code == 200
    assert done.json()["verification"]["status"] == "refuted"
    assert "Local sources saw no change of control." in done.json()["verification"]["reason"]
    cleared = reviewer.post(f"/api/v1/events/{TAKEOVERS[0]}/verdict/", {"verdict": None}, format="json")
    assert cleared.json()["verification"]["status"] == "disputed"


def test_panjshir_control_shows_the_claimed_takeovers_as_disputed(client):
    changes = client.get("/api/v1/locations/3/control/?within=true").json()
    assert [c["event"]["id"] for c in changes] == TAKEOVERS
    for change in changes:
        assert change["date_start"] == "2022-05-06"
        assert [a["name"] for a in change["gained_by"]] == ["National Resistance Front"]
        assert [a["name"] for a in change["lost_by"]] == ["Taliban"]
        assert change["asserted_by"] == ["National Resistance Front (via Ali Nazary)"]
        assert change["denied_by"] == ["Taliban"]
        assert change["unconfirmed_by"] == ["The New York Sun"]
        assert change["verification"] == "disputed"
    assert client.get("/api/v1/locations/3/control/").json() == []  # the province itself, without inside
    assert [c["event"]["id"] for c in client.get("/api/v1/locations/9/control/").json()] == [1]
    assert [c["gained_by"][0]["name"] for c in client.get("/api/v1/locations/2/control/").json()] == [
        "Taliban"
    ]
    assert client.get("/api/v1/locations/3/control/?within=maybe").status_code == 400
    assert client.get("/api/v1/locations/999/control/").status_code == 404


def test_track_records_count_claims_and_events_apart(reviewer, client):
    nrf = client.get("/api/v1/actors/2/track_record/").json()
    claims, events = nrf["claims"], nrf["events"]
    # 11 claims: 3 about the takeovers (disputed), 6 that fighting happened and 2 that the Taliban lost a
    # commander (only claimed: unresolved); about 9 events, 3 of them disputed.
    assert (claims["total"], claims["disputed"], claims["unresolved"], claims["confirmed"], claims["refuted"]) == (
        11, 3, 8, 0, 0,
    )  # fmt: skip
    assert (events["total"], events["disputed"], events["unresolved"]) == (9, 3, 6)
    assert (
        client.get("/api/v1/actors/3/track_record/").json()["claims"]["total"] == 11
    )  # Nazary spoke every one
    taliban = client.get("/api/v1/actors/1/track_record/").json()
    assert (taliban["claims"]["total"], taliban["claims"]["denied"], taliban["claims"]["disputed"]) == (
        3,
        3,
        3,
    )
    assert (taliban["events"]["total"], taliban["events"]["disputed"]) == (3, 3)
    reviewer.post("/api/v1/events/1/verdict/", {"verdict": "refuted", "reason": "Checked on the ground."},
                  format="json")  # fmt: skip
    nrf = client.get("/api/v1/actors/2/track_record/").json()
    assert (nrf["claims"]["disputed"], nrf["claims"]["refuted"]) == (2, 1)
    assert (nrf["events"]["disputed"], nrf["events"]["refuted"]) == (2, 1)


def test_two_claims_by_one_party_about_one_event_are_two_claims_and_one_event(editor, client):
    created = editor.post("/api/v1/claims/", {
        "event": 4, "report": 1, "claimant": 2, "stance": "asserts", "subject": "occurrence",
        "quote": "The fighting went on.",
    }, format="json")  # fmt: skip
    assert created.status_code == 201, created.json()
    nrf = client.get("/api/v1/actors/2/track_record/").json()
    assert (nrf["claims"]["total"], nrf["events"]["total"]) == (12, 9)


GROUPINGS = [
    "month",
    "year",
    "event_type",
    "sub_event_type",
    "country",
    "admin1",
    "admin2",
    "actor",
    "verification",
]
FILTERS = [
    "",
    "country=AF",
    "verification=claimed",
    "pcode=AF08",
    "date_before=2021-12-31",
    "q=NRF",
    "actor=1",
]


@pytest.mark.parametrize("group_by", GROUPINGS)
@pytest.mark.parametrize("query", FILTERS)
def test_stats_totals_equal_the_sums_of_the_matching_lists(client, group_by, query):
    rng = random.Random(f"{group_by}{query}")
    for pk in Event.objects.values_list("pk", flat=True):  # some known figures, some unknown
        best = rng.choice([None, 0, 2, 7])
        if best is not None:
            Event.objects.filter(pk=pk).update(
                fatalities_low=best, fatalities_best=best, fatalities_high=best + 3
            )
    listed = client.get(f"/api/v1/events/?page_size=1000&{query}").json()["results"]
    stats = client.get(f"/api/v1/stats/events/?group_by={group_by}&{query}").json()
    total = stats["total"]
    assert total["events"] == len(listed)
    known = [e["fatalities_best"] for e in listed if e["fatalities_best"] is not None]
    assert total["fatalities"]["best"] == (sum(known) if known else None)
    assert total["fatalities_unknown"] == len(listed) - len(known)
    claimed = [e["fatalities_best"] for e in listed if e["verification"]["status"] == "claimed"
               and e["fatalities_best"] is not None]  # fmt: skip
    assert total["fatalities_claimed_only"]["best"] == (sum(claimed) if claimed else None)
    if group_by != "actor":  # an event counts once per actor, so actor groups may add up to more
        assert sum(row["events"] for row in stats["results"]) == len(listed)
        assert sum(row["fatalities"]["best"] or 0 for row in stats["results"]) == sum(known)


def test_stats_group_by_place_rolls_districts_up(client):
    rows = {
        r["label"]: r["events"] for r in client.get("/api/v1/stats/events/?group_by=admin1").json()["results"]
    }
    assert rows == {"Panjshir": 6, "Baghlan": 2, "Takhar": 1, "Kabul": 1}
    rows = {
        r["label"]: r["events"] for r in client.get("/api/v1/stats/events/?group_by=admin2").json()["results"]
    }
    # Events known only at province level (or at a locality with no district) have no admin2.
    assert rows == {"Khenj": 1, "Abshar": 1, "Tala wa Barfak": 1, "Andarab": 1, "Warsaj": 1, None: 5}


def test_stats_refuse_bad_input(client):
    assert client.get("/api/v1/stats/events/?group_by=decade").status_code == 400
    assert client.get("/api/v1/stats/events/?colour=red").status_code == 400
    assert client.get("/api/v1/stats/events/?date_after=soon").status_code == 400


def test_reviewers_group_exists_with_verdict_permission():
    assert Group.objects.get(name=REVIEWERS).permissions.filter(codename="set_verdict").exists()
