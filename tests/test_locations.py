import pytest
from django.core.exceptions import ValidationError

from locations.models import Location
from locations.services import location_save

pytestmark = pytest.mark.django_db


def place(name, level, parent=None):
    return location_save(location=Location(name=name, level=level, parent=parent))


@pytest.fixture
def tree():
    country = place("Afghanistan", 0)
    panjshir = place("Panjshir", 1, country)
    baghlan = place("Baghlan", 1, country)
    khenj = place("Khenj", 2, panjshir)
    village = place("Some village", 4, khenj)
    return country, panjshir, baghlan, khenj, village


def test_paths_hold_the_ancestors(tree):
    country, panjshir, _, khenj, village = tree
    assert village.path == f"/{country.pk}/{panjshir.pk}/{khenj.pk}/"
    assert village.ancestor_ids == [country.pk, panjshir.pk, khenj.pk]


def test_within_returns_the_place_and_everything_inside(tree):
    country, panjshir, baghlan, khenj, village = tree
    assert set(Location.objects.within(panjshir)) == {panjshir, khenj, village}
    assert set(Location.objects.within(country)) == set(tree)
    assert set(Location.objects.within(baghlan)) == {baghlan}


def test_moving_a_place_moves_its_subtree(tree):
    country, panjshir, baghlan, khenj, village = tree
    khenj.parent = baghlan
    location_save(location=khenj)
    village.refresh_from_db()
    assert village.path == f"/{country.pk}/{baghlan.pk}/{khenj.pk}/"
    assert set(Location.objects.within(panjshir)) == {panjshir}
    assert set(Location.objects.within(baghlan)) == {baghlan, khenj, village}


def test_a_place_cannot_move_inside_its_own_subtree(tree):
    _, panjshir, _, khenj, _ = tree
    panjshir.level = 3
    panjshir.parent = khenj
    with pytest.raises(ValidationError) as refused:
        location_save(location=panjshir)
    assert "parent" in refused.value.message_dict
    panjshir.refresh_from_db()
    assert panjshir.level == 1


def test_codes_are_normalised(tree):
    country = tree[0]
    country.iso2, country.iso3 = "af", "afg"
    location_save(location=country)
    assert (country.iso2, country.iso3) == ("AF", "AFG")
