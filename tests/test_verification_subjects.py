"""Verification per subject: a denial of losses disputes the casualty figures, not that the clash happened.

Occurrence, attribution, casualties and territorial control are each judged on their own claims; the
event's status comes from what speaks to whether it happened. Scenarios go through the API as a curator's
script would; the combinations go through the services.
"""

import datetime

import pytest

from access.groups import EDITORS
from events.models import Claim, Event, SubEventType
from events.services import claim_record, event_save
from tests import factories as f
from tests.test_api_writes import client_for

pytestmark = pytest.mark.django_db

DAY = datetime.date(2022, 9, 5)


@pytest.fixture
def editor(django_user_model):
    return client_for(django_user_model, EDITORS)


@pytest.fixture
def world():
    """A clash between A and B, A's spokesman, B's commander, a national newspaper and a wire service."""
    a, b = f.ActorFactory(name="Front A"), f.ActorFactory(name="Movement B")
    world = {
        "a": a,
        "b": b,
        "outsider": f.ActorFactory(name="Monitors"),
        "spokesman": f.PersonFactory(name="Spokesman of A", affiliation=a),
        "commander": f.PersonFactory(name="Commander of B", affiliation=b),
        "paper": f.ReportFactory(source=f.SourceFactory(name="National Daily"), published_on=DAY),
        "wire": f.ReportFactory(source=f.SourceFactory(name="Wire Service"), published_on=DAY),
        "event": f.EventFactory(),
    }
    event_save(event=world["event"], fields=[], actors=[(a, "side_a"), (b, "side_b")])
    return world


def _claim(world, who, stance, subject, report="paper", **extra):
    voice = {"claimant": world[who]} if who in ("a", "b", "outsider") else {}
    if who == "spokesman":
        voice = {"claimant": world["a"], "speaker": world["spokesman"]}
    if who == "commander":
        voice = {"claimant": world["b"], "speaker": world["commander"]}
    claim_record(event=world["event"], report=world[report], stance=stance, subject=subject, **voice, **extra)


def _event(world) -> Event:
    return Event.all_objects.get(pk=world["event"].pk)


# --- the follow-up report --------------------------------------------------------------------------------


def test_a_denial_of_losses_disputes_the_casualties_not_the_clash(world, editor, client):
    """A's spokesman, in a national newspaper, says the clash happened, with more than a dozen of B's
    fighters and six of A's own killed; B's commander denies B's losses."""
    event, a, b = world["event"], world["a"], world["b"]
    base = {"event": event.pk, "report": world["paper"].pk}
    spokesman = {"claimant": a.pk, "speaker": world["spokesman"].pk}
    for body in (
        {**spokesman, "stance": "asserts", "subject": "occurrence", "quote": "We clashed with B."},
        {**spokesman, "stance": "asserts", "subject": "casualties", "casualties_of": "side_b",
         "claimed_fatalities_low": 13, "quote": "More than a dozen of their fighters were killed."},
        {**spokesman, "stance": "asserts", "subject": "casualties", "casualties_of": "side_a",
         "claimed_fatalities_low": 6, "claimed_fatalities_high": 6, "quote": "Six of ours were killed."},
        {"claimant": b.pk, "speaker": world["commander"].pk, "stance": "denies", "subject": "casualties",
         "casualties_of": "side_b", "quote": "We lost no one."},
    ):  # fmt: skip
        response = editor.post("/api/v1/claims/", {**base, **body}, format="json")
        assert response.status_code == 201, response.json()

    shown = client.get(f"/api/v1/events/{event.pk}/").json()
    verification = shown["verification"]
    assert verification["status"] == "claimed"  # nobody denied the clash
    headline, _, rest = verification["reason"].partition(" Casualties")
    assert headline.startswith("Claimed: asserted only by a party to the event, Front A (via Spokesman of A)")
    assert "National Daily on 2022-09-05" in headline and "no independent report confirms it" in headline
    assert "denied" not in headline and "Commander" not in headline

    casualties = verification["subjects"]["casualties"]
    assert casualties["status"] == "disputed"
    assert casualties["reason"] == (
        "Casualties disputed: Front A (via Spokesman of A) in National Daily on 2022-09-05 claims at least 13 "
        "killed among Movement B and 6 killed among Front A; Movement B (via Commander of B) in National "
        "Daily on 2022-09-05 denies losses among Movement B."
    )
    assert verification["reason"].endswith(casualties["reason"])
    assert verification["subjects"]["attribution"] == {"status": None, "reason": ""}
    assert verification["subjects"]["territorial_control"] == {"status": None, "reason": ""}
    # Stored as said, per side, not summed; the event shows the claimed range beside the curated figures.
    claims = shown["claims"]
    figures = [
        (c["casualties_of"], c["claimed_fatalities_low"]) for c in claims if c["subject"] == "casualties"
    ]
    assert sorted(figures, key=str) == [("side_a", 6), ("side_b", 13), ("side_b", None)]
    assert (shown["claimed_fatalities_low"], shown["claimed_fatalities_high"]) == (19, None)
    assert (shown["fatalities_low"], shown["fatalities_best"], shown["fatalities_high"]) == (None, None, None)

    listed = client.get("/api/v1/events/", {"casualties_verification": "disputed"}).json()["results"]
    assert [e["id"] for e in listed] == [event.pk]
    assert client.get("/api/v1/events/", {"verification": "disputed"}).json()["results"] == []


# --- each subject, each combination ---------------------------------------------------------------------

OTHER_SUBJECTS = ["attribution", "casualties", "territorial_control"]
COLUMN = {"attribution": "attribution", "casualties": "casualties", "territorial_control": "control"}
# (claims as (who, stance, report)) → (subject's status, event's status)
COMBINATIONS = [
    ([], ("", "unverified")),
    ([("a", "asserts", "paper")], ("claimed", "claimed")),
    ([("spokesman", "confirms", "paper")], ("claimed", "claimed")),
    ([("a", "asserts", "paper"), ("commander", "denies", "paper")], ("disputed", "claimed")),
    ([("a", "asserts", "paper"), ("a", "denies", "wire")], ("claimed", "claimed")),  # one voice: no dispute
    ([("outsider", "asserts", "paper")], ("reported", "reported")),
    ([("outsider", "asserts", "paper"), ("a", "asserts", "wire")], ("corroborated", "corroborated")),
    ([("outsider", "asserts", "paper"), ("outsider", "asserts", "paper")], ("reported", "reported")),
    ([("b", "denies", "paper")], ("unverified", "unverified")),
    ([("outsider", "cannot_confirm", "wire")], ("unverified", "unverified")),
    ([("a", "asserts", "paper"), ("outsider", "cannot_confirm", "wire")], ("claimed", "claimed")),
]


@pytest.mark.parametrize("subject", OTHER_SUBJECTS)
@pytest.mark.parametrize(
    "claims,expected", COMBINATIONS, ids=lambda v: str(v) if isinstance(v, tuple) else None
)
def test_each_subject_is_judged_on_its_own_claims(world, subject, claims, expected):
    for who, stance, report in claims:
        _claim(world, who, stance, subject, report)
    event = _event(world)
    assert (getattr(event, f"{COLUMN[subject]}_verification"), event.verification) == expected
    reason = getattr(event, f"{COLUMN[subject]}_reason")
    label = {
        "attribution": "Attribution",
        "casualties": "Casualties",
        "territorial_control": "Territorial control",
    }
    if claims:
        assert reason.startswith(f"{label[subject]} {expected[0]}")
        assert reason in event.verification_reason
    else:
        assert reason == ""
    if expected[0] == "disputed":
        assert "denied by" not in event.verification_reason.split(label[subject])[0]


@pytest.mark.parametrize("subject", ["occurrence", *OTHER_SUBJECTS])
def test_only_denials_of_occurrence_dispute_the_event(world, subject):
    _claim(world, "a", "asserts", "occurrence")
    _claim(world, "commander", "denies", subject)
    assert _event(world).verification == ("disputed" if subject == "occurrence" else "claimed")


@pytest.mark.parametrize(
    "slug,status", [("non-state-actor-overtakes-territory", "disputed"), ("armed-clash", "claimed")]
)
def test_a_denied_takeover_is_a_disputed_event_but_a_denied_gain_in_a_clash_is_not(world, slug, status):
    event = world["event"]
    event.sub_event_type = SubEventType.objects.get(slug=slug)
    event_save(event=event, fields=["sub_event_type"])
    _claim(world, "spokesman", "asserts", "territorial_control")
    _claim(world, "b", "denies", "territorial_control")
    event = _event(world)
    assert (event.verification, event.control_verification) == (status, "disputed")


def test_a_verdict_on_a_takeover_is_its_control_status(world):
    event = world["event"]
    event.sub_event_type = SubEventType.objects.get(slug="non-state-actor-overtakes-territory")
    event_save(event=event, fields=["sub_event_type"])
    _claim(world, "spokesman", "asserts", "territorial_control")
    event = _event(world)
    event.verdict, event.verdict_reason = "refuted", "Seen on the ground by our reporter."
    event_save(event=event, fields=["verdict", "verdict_reason"])
    event = _event(world)
    assert (event.verification, event.control_verification) == ("refuted", "refuted")
    assert event.control_reason.startswith("Editor verdict: refuted.")


# --- casualties: whose dead, which figures ----------------------------------------------------------------


@pytest.mark.parametrize(
    "asserted_of,denied_of,status",
    [
        ("side_b", "side_b", "disputed"),
        ("side_a", "side_b", "claimed"),  # B denies its own losses; nobody claimed any
        ("side_a", "", "disputed"),  # a denial that says nothing of whose dead denies them all
        ("civilians", "civilians", "disputed"),
        ("", "side_a", "claimed"),
    ],
)
def test_a_casualty_denial_disputes_only_claims_about_the_same_dead(world, asserted_of, denied_of, status):
    _claim(world, "spokesman", "asserts", "casualties", casualties_of=asserted_of, claimed_fatalities_low=3)
    _claim(world, "commander", "denies", "casualties", casualties_of=denied_of)
    assert _event(world).casualties_verification == status


@pytest.mark.parametrize(
    "a_figures,b_figures,status",
    [((13, None), (2, 2), "disputed"), ((10, 20), (15, 30), "claimed"), ((5, 5), (5, 5), "claimed")],
)
def test_figures_that_cannot_both_be_true_dispute_each_other(world, a_figures, b_figures, status):
    for who, (low, high) in (("a", a_figures), ("b", b_figures)):
        _claim(world, who, "asserts", "casualties", casualties_of="side_b",
               claimed_fatalities_low=low, claimed_fatalities_high=high)  # fmt: skip
    event = _event(world)
    assert event.casualties_verification == status
    if status == "disputed":
        assert "cannot both be true" in event.casualties_reason


def test_the_claimed_range_takes_each_voices_latest_figure_per_side(world):
    _claim(world, "a", "asserts", "casualties", casualties_of="side_b", claimed_fatalities_low=10,
           claimed_fatalities_high=10)  # fmt: skip
    _claim(world, "a", "asserts", "casualties", "wire", casualties_of="side_b", claimed_fatalities_low=12,
           claimed_fatalities_high=12)  # fmt: skip
    _claim(world, "a", "asserts", "casualties", casualties_of="side_a", claimed_fatalities_low=1,
           claimed_fatalities_high=1)  # fmt: skip
    _claim(world, "outsider", "asserts", "casualties", claimed_fatalities_low=4, claimed_fatalities_high=9)
    _claim(world, "b", "denies", "casualties", claimed_fatalities_low=0, claimed_fatalities_high=0)
    event = _event(world)
    # A's latest: 12 of B's and 1 of its own = 13; the monitors: 4 to 9; a denial adds no figure.
    assert (event.claimed_fatalities_low, event.claimed_fatalities_high) == (4, 13)


def test_casualties_of_is_only_for_claims_about_casualties(world, editor):
    body = {"event": world["event"].pk, "report": world["paper"].pk, "claimant": world["a"].pk,
            "stance": "asserts", "subject": "occurrence", "casualties_of": "side_a"}  # fmt: skip
    response = editor.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 400
    assert "casualties_of" in response.json()
    assert not Claim.objects.exists()


# --- statistics: either figures, never mixed -------------------------------------------------------------


def test_stats_sum_curated_or_claimed_figures_never_both(world, client):
    other = f.EventFactory(fatalities_low=1, fatalities_best=2, fatalities_high=3)
    _claim(world, "a", "asserts", "casualties", casualties_of="side_b", claimed_fatalities_low=13)
    _claim(world, "b", "asserts", "casualties", casualties_of="side_b", claimed_fatalities_low=0,
           claimed_fatalities_high=2)  # fmt: skip
    curated = client.get("/api/v1/stats/events/", {"group_by": "year"}).json()
    claimed = client.get("/api/v1/stats/events/", {"group_by": "year", "figures": "claimed"}).json()
    assert (curated["figures"], claimed["figures"]) == ("curated", "claimed")
    assert curated["total"]["fatalities"] == {"low": 1, "best": 2, "high": 3}
    # The clash's claimed range is 0 (B) to open (A says at least 13): low 0, high unknown; no best.
    assert claimed["total"]["fatalities"] == {"low": 0, "best": None, "high": None}
    assert (curated["total"]["fatalities_unknown"], claimed["total"]["fatalities_unknown"]) == (1, 1)
    assert other.pk != world["event"].pk
    bad = client.get("/api/v1/stats/events/", {"figures": "both"})
    assert bad.status_code == 400 and "figures" in bad.json()
