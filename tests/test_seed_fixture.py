"""The demo data loads, holds what the article reports, and its derived values are current."""

import csv
from pathlib import Path

import pytest

from actors.models import Actor
from events.models import EVENT_DERIVED_FIELDS, Claim, Event, Verification
from events.verification import event_verification
from locations.models import Location
from sources.models import Report

GAZETTEER = Path(__file__).resolve().parents[2] / "shared" / "gazetteer.csv"
TAKEOVER_PLACES = ["Khenj", "Abshar", "Abdullah Khel"]

pytestmark = pytest.mark.usefixtures("seed")


def claims_on(place: str):
    return Claim.objects.filter(
        event__location__name=place, event__sub_event_type__slug="non-state-actor-overtakes-territory"
    ).select_related("claimant", "speaker", "report__source")


@pytest.mark.parametrize("place", TAKEOVER_PLACES)
def test_each_takeover_is_asserted_by_nrf_through_nazary_in_the_sun(place):
    asserted = claims_on(place).get(stance=Claim.Stance.ASSERTS)
    assert asserted.claimant.acronym == "NRF"
    assert asserted.speaker.name == "Ali Nazary"
    assert asserted.report.source.name == "The New York Sun"
    assert asserted.report.published_on.isoformat() == "2022-05-06"
    assert "liberated three districts" in asserted.quote


@pytest.mark.parametrize("place", TAKEOVER_PLACES)
def test_each_takeover_is_denied_by_the_taliban_and_unconfirmed_by_the_sun(place):
    denied = claims_on(place).get(stance=Claim.Stance.DENIES)
    assert denied.claimant.name == "Taliban"
    assert "Twitter" in denied.quote
    unconfirmed = claims_on(place).get(stance=Claim.Stance.CANNOT_CONFIRM)
    assert unconfirmed.claimant is None  # the outlet speaks in its own voice
    assert unconfirmed.report.source.name == "The New York Sun"


@pytest.mark.parametrize("place", TAKEOVER_PLACES)
def test_each_takeover_is_disputed(place):
    event = Event.objects.get(location__name=place)
    assert event.verification == Verification.DISPUTED
    assert "National Resistance Front" in event.verification_reason
    assert "denied by Taliban" in event.verification_reason


@pytest.mark.parametrize(
    "summary_words, place",
    [
        ("besieged in the district centres", "Panjshir"),
        ("intense fighting", "Panjshir"),
        ("offensive in Panjshir under commander Khalid Amiry", "Panjshir"),
        ("Tala wa Barfak", "Tala wa Barfak"),
        ("Andarab", "Andarab"),
        ("Worsaj", "Warsaj"),
        ("take over Kabul", "Kabul"),
    ],
)
def test_the_other_events_of_the_article_are_there(summary_words, place):
    assert Event.objects.filter(summary__contains=summary_words, location__name=place).count() == 1


def test_the_offensive_comes_from_nazarys_tweet_and_names_its_commander():
    event = Event.objects.get(summary__contains="offensive")
    claim = event.claims.get(stance=Claim.Stance.ASSERTS)
    assert claim.report.source.operated_by.name == "Ali Nazary"
    assert "Khalid Amiry" in claim.quote
    assert event.actors.filter(name="Khalid Amiry").exists()
    assert (event.date_start.isoformat(), event.date_end.isoformat()) == ("2022-05-05", "2022-05-06")


def test_the_lost_commander_is_a_casualty_claim_without_an_invented_number():
    claims = Claim.objects.filter(subject=Claim.Subject.CASUALTIES)
    assert {c.event.location.name for c in claims} == {"Tala wa Barfak", "Andarab"}
    assert all("lost a commander" in c.quote for c in claims)
    assert all(c.claimed_fatalities_low is None and c.claimed_fatalities_high is None for c in claims)


def test_no_fatality_figure_is_invented():
    assert not Event.objects.filter(fatalities_low__isnull=False).exists()
    assert not Event.objects.filter(fatalities_best__isnull=False).exists()
    assert not Event.objects.filter(fatalities_high__isnull=False).exists()


def test_every_claim_points_at_a_report_and_quotes_a_single_sentence_at_most():
    for claim in Claim.objects.all():
        assert claim.report_id is not None
        assert 0 < len(claim.quote) <= 300


def test_everyone_the_article_cites_is_there():
    assert set(Actor.objects.values_list("name", flat=True)) >= {
        "National Resistance Front",
        "Ali Nazary",
        "Khalid Amiry",
        "Taliban",
        "Afghanistan Freedom Front",
        "Afghanistan Islamic National & Liberation Movement",
    }
    sources = set(Report.objects.values_list("source__name", flat=True))
    assert sources >= {
        "The New York Sun",
        "Fox News",
        "New Lines Institute",
        "Institute for the Study of War",
        "Voice of America",
    }


@pytest.mark.skipif(not GAZETTEER.exists(), reason="the shared gazetteer is not beside this checkout")
def test_places_match_the_gazetteer_and_unknown_coordinates_stay_empty():
    rows = list(csv.DictReader(GAZETTEER.open(encoding="utf-8")))
    assert Location.objects.count() == len(rows)
    for row in rows:
        place = Location.objects.get(name=row["name"])
        assert place.level == int(row["admin_level"])
        assert (place.parent.name if place.parent else "") == row["parent"]
        if row["lat"]:
            assert (place.latitude, place.longitude) == (float(row["lat"]), float(row["lon"]))
        else:
            assert place.latitude is None and place.longitude is None
        if row["admin_level"] != "0":
            assert (place.pcode or "") == row["pcode"]
        aliases = {a.lower() for a in place.aliases.values_list("name", flat=True)} | {place.name.lower()}
        assert {v.lower() for v in row["variants"].split(";") if v} <= aliases


def test_hisa_awal_is_found_under_its_other_names():
    assert Location.objects.get(aliases__name="Hisa Awal").name == "Khenj"
    assert Location.objects.get(aliases__name="Worsaj").name == "Warsaj"


def test_materialised_paths_are_consistent():
    for place in Location.objects.all():
        expected = f"{place.parent.path}{place.parent_id}/" if place.parent_id else "/"
        assert place.path == expected, place.name


def test_stored_verification_matches_the_rules():
    """If this fails after a rule or wording change, regenerate the fixture's derived fields."""
    for event in Event.objects.all():
        stored = {name: getattr(event, name) for name in EVENT_DERIVED_FIELDS}
        assert stored == event_verification(event).fields(), event.summary
