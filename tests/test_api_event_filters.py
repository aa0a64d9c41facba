"""Every event filter, with a match and a miss: on the article's seed data, then on factory data."""

import datetime

import pytest
from django.utils import timezone

from events.models import Event
from tests import factories as f

# The seed fixture's events, by what they are (fixture primary keys are stable data).
HISA, ABSHAR, ABDULLAH, SIEGE, FIGHTING, OFFENSIVE, TALA, ANDARAB, WORSAJ, KABUL = range(1, 11)
TAKEOVERS = {HISA, ABSHAR, ABDULLAH}
PANJSHIR_EVENTS = TAKEOVERS | {SIEGE, FIGHTING, OFFENSIVE}
MAY_2022 = PANJSHIR_EVENTS | {TALA, ANDARAB, WORSAJ}
ALL = MAY_2022 | {KABUL}
# Seed ids: Afghanistan 1, Kabul 2, Panjshir 3, Baghlan 4, Khenj 9; NRF 2, Taliban 1, Nazary 3, Amiry 4;
# Sun 1, Nazary's Twitter 2, VOA 3.

SEED_CASES = [
    ("date_after=2022-05-06", MAY_2022),
    ("date_after=2022-05-07", set()),
    ("date_before=2022-05-05", {OFFENSIVE, KABUL}),
    ("date_before=2021-08-14", set()),
    ("date_after=2022-05-05&date_before=2022-05-05", {OFFENSIVE}),
    ("country=AF", ALL),
    ("country=afg", ALL),
    ("location=3", PANJSHIR_EVENTS),
    ("location=4", {TALA, ANDARAB}),
    ("location=9", {HISA}),
    ("location=2", {KABUL}),
    ("pcode=AF08", PANJSHIR_EVENTS),
    ("pcode=af0804", {HISA}),
    ("pcode=AF09", {TALA, ANDARAB}),
    ("pcode=AF0801", set()),
    ("bbox=70.1,36.0,70.2,36.2", {WORSAJ}),
    ("bbox=69.9,35.3,70.1,35.5", PANJSHIR_EVENTS),
    ("bbox=-30,0,-20,10", set()),
    ("near=36.1,70.15,10", {WORSAJ}),
    ("near=35.4,70.0,5", PANJSHIR_EVENTS),
    ("near=34.53,69.17,1", {KABUL}),
    ("near=0,0,100", set()),
    ("actor=2", MAY_2022),
    ("actor=1", ALL),
    ("actor=4", {OFFENSIVE}),
    ("actor=5", set()),
    ("actor=4&actor=5", {OFFENSIVE}),
    ("actor1=1", {KABUL}),
    ("actor1=2", MAY_2022),
    ("actor2=1", MAY_2022),
    ("actor2=2", set()),
    ("claimant=1", TAKEOVERS),
    ("claimant=3", MAY_2022),
    ("claimant=4", set()),
    ("source=2", {OFFENSIVE}),
    ("source=1", ALL),
    ("source=3", set()),
    ("event_type=battles", MAY_2022),
    ("event_type=strategic-developments", {KABUL}),
    ("event_type=protests", set()),
    ("sub_event_type=non-state-actor-overtakes-territory", TAKEOVERS),
    ("sub_event_type=armed-clash&sub_event_type=other", ALL - TAKEOVERS),
    ("sub_event_type=air-drone-strike", set()),
    ("verification=disputed", TAKEOVERS),
    ("verification=disputed&verification=reported", TAKEOVERS | {KABUL}),
    ("verification=corroborated", set()),
    ("control_verification=disputed", TAKEOVERS),
    ("control_verification=reported", {KABUL}),
    ("casualties_verification=claimed", {TALA, ANDARAB}),
    ("casualties_verification=disputed", set()),
    ("attribution_verification=claimed", set()),
    ("fatalities_min=0", set()),  # every seed fatality figure is unknown, and unknown is not 0
    ("fatalities_max=1000", set()),
    ("geo_precision=3", {TALA, ANDARAB, WORSAJ}),
    ("geo_precision=4", PANJSHIR_EVENTS | {KABUL}),
    ("geo_precision=1", set()),
    ("date_precision=2", {OFFENSIVE}),
    ("date_precision=5", set()),
    ("q=Hisa Awal", {HISA}),
    ("q=hissa-e-awal", {HISA}),
    ("q=Kabol", {KABUL}),
    ("q=Amiry", {OFFENSIVE}),
    ("q=NRF", MAY_2022),
    ("q=Mordor", set()),
    ("updated_since=2022-05-07T00:00:00Z", ALL),
    ("updated_since=2030-01-01T00:00:00Z", set()),
    ("country=AF&verification=claimed&location=4", {TALA, ANDARAB}),
]


def ids(client, query: str) -> set[int]:
    response = client.get(f"/api/v1/events/?page_size=1000&{query}")
    assert response.status_code == 200, response.content
    return {event["id"] for event in response.json()["results"]}


@pytest.mark.usefixtures("seed")
@pytest.mark.parametrize("query, expected", SEED_CASES, ids=[q for q, _ in SEED_CASES])
def test_filter_on_the_seed_data(client, query, expected):
    assert ids(client, query) == expected


def test_every_event_filter_has_seed_cases():
    from events.filtersets import EventFilterSet

    tested = {part.split("=")[0] for query, _ in SEED_CASES for part in query.split("&")}
    assert tested >= set(EventFilterSet.base_filters) - {"ordering"}


@pytest.mark.django_db
class TestFiltersOnFactoryData:
    def test_fatalities_range_uses_the_best_estimate(self, client):
        low = f.EventFactory(fatalities_low=0, fatalities_best=2, fatalities_high=5)
        high = f.EventFactory(fatalities_best=40)
        f.EventFactory()  # unknown
        assert ids(client, "fatalities_min=2") == {low.pk, high.pk}
        assert ids(client, "fatalities_min=3") == {high.pk}
        assert ids(client, "fatalities_max=2") == {low.pk}
        assert ids(client, "fatalities_min=3&fatalities_max=39") == set()

    def test_country_leaves_out_other_countries(self, client):
        kenya = f.CountryFactory(name="Kenya", iso2="KE", iso3="KEN")
        here = f.EventFactory(location=f.LocationFactory(parent=kenya))
        f.EventFactory()
        assert ids(client, "country=KE") == {here.pk}
        assert ids(client, "country=KEN") == {here.pk}

    def test_own_coordinates_win_over_the_places(self, client):
        place = f.LocationFactory(latitude=10.0, longitude=10.0)
        at_place = f.EventFactory(location=place)
        moved = f.EventFactory(location=place, latitude=20.0, longitude=20.0)
        assert ids(client, "bbox=9,9,11,11") == {at_place.pk}
        assert ids(client, "bbox=19,19,21,21") == {moved.pk}
        assert ids(client, "near=20.0,20.1,15") == {moved.pk}
        assert ids(client, "near=20.0,20.2,15") == set()  # about 21 km away

    def test_a_place_without_coordinates_uses_its_nearest_enclosing_area(self, client):
        province = f.LocationFactory(latitude=5.0, longitude=5.0)
        district = f.LocationFactory(level=2, parent=province)
        village = f.LocationFactory(level=4, parent=district)
        event = f.EventFactory(location=village)
        assert ids(client, "near=5,5,1") == {event.pk}
        point = client.get(f"/api/v1/events/{event.pk}/").json()
        assert (point["point_latitude"], point["coordinates_from"]) == (5.0, "enclosing_area")

    def test_updated_since_sees_only_later_changes(self, client):
        old, new = f.EventFactory(), f.EventFactory()
        cut = timezone.now()
        new.summary = "Edited"
        new.save()
        assert ids(client, f"updated_since={cut.isoformat().replace('+00:00', 'Z')}") == {new.pk}
        assert old.pk in ids(client, "updated_since=2000-01-01T00:00:00Z")

    def test_date_overlap_counts_ranges_that_straddle_the_bounds(self, client):
        week = f.EventFactory(
            date_start=datetime.date(2022, 5, 1), date_end=datetime.date(2022, 5, 7), date_precision=3
        )
        assert ids(client, "date_after=2022-05-07&date_before=2022-05-07") == {week.pk}
        assert ids(client, "date_after=2022-05-08") == set()
        assert ids(client, "date_before=2022-04-30") == set()

    def test_q_matches_actor_aliases(self, client):
        from actors.models import ActorAlias

        group = f.ActorFactory(name="Front")
        ActorAlias.objects.create(actor=group, name="The Lions")
        event = f.EventActorFactory(actor=group).event
        f.EventFactory()
        assert ids(client, "q=lions") == {event.pk}
        assert ids(client, "q=tigers") == set()

    def test_q_matches_place_names_and_aliases(self, client):
        from locations.models import LocationAlias

        town = f.LocationFactory(level=4, name="Qala-i-Naw")
        LocationAlias.objects.create(location=town, name="Kala Nau")
        other = f.LocationFactory(level=4, name="Herat")
        at_town, at_other = f.EventFactory(location=town), f.EventFactory(location=other)
        assert ids(client, "q=nau") == ids(client, "q=QALA") == {at_town.pk}
        assert ids(client, "q=herat") == {at_other.pk}
        assert ids(client, "q=kabul") == set()

    @pytest.mark.parametrize("listed", [500, 1])
    def test_q_finds_places_and_actors_by_list_or_by_subquery(self, client, monkeypatch, listed):
        from events import filtersets

        monkeypatch.setattr(filtersets, "LISTED_MATCHES", listed)  # 1: two matches are too many to list
        towns = [f.LocationFactory(level=4, name=name) for name in ("Upper Dara", "Lower Dara")]
        groups = [f.ActorFactory(name=name) for name in ("Kestrel Front", "Kestrel Brigade")]
        at_towns = {f.EventFactory(location=town).pk for town in towns}
        with_groups = {f.EventActorFactory(actor=group).event.pk for group in groups}
        f.EventFactory()
        assert ids(client, "q=dara") == at_towns
        assert ids(client, "q=kestrel") == with_groups

    def test_ordering_by_fatalities_puts_unknown_last_when_descending(self, client):
        known = f.EventFactory(fatalities_best=3)
        unknown = f.EventFactory()
        zero = f.EventFactory(fatalities_best=0)
        response = client.get("/api/v1/events/?ordering=-fatalities")
        assert [e["id"] for e in response.json()["results"]] == [known.pk, zero.pk, unknown.pk]
        assert Event.objects.count() == 3
