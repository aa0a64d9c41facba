import pytest

from events.precision import (
    DatePrecision,
    GeoPrecision,
    date_precision_from_acled,
    date_precision_from_ucdp,
    date_precision_to_acled,
    date_precision_to_ucdp,
    geo_precision_from_acled,
    geo_precision_from_ucdp,
    geo_precision_to_acled,
    geo_precision_to_ucdp,
)


@pytest.mark.parametrize("code", [1, 2, 3])
def test_acled_codes_survive_a_round_trip(code):
    assert date_precision_to_acled(date_precision_from_acled(code)) == code
    assert geo_precision_to_acled(geo_precision_from_acled(code)) == code


@pytest.mark.parametrize("precision", list(DatePrecision))
def test_ucdp_date_codes_survive_a_round_trip(precision):
    assert date_precision_from_ucdp(date_precision_to_ucdp(precision)) == precision


@pytest.mark.parametrize("precision", list(GeoPrecision))
def test_ucdp_place_codes_survive_a_round_trip(precision):
    assert geo_precision_from_ucdp(geo_precision_to_ucdp(precision)) == precision


def test_coarser_codes_map_to_coarser_acled_codes():
    assert [geo_precision_to_acled(p) for p in GeoPrecision] == [1, 2, 2, 3, 3, 3, 3]
    assert [date_precision_to_acled(p) for p in DatePrecision] == [1, 2, 2, 3, 3]


@pytest.mark.parametrize(
    "convert", [date_precision_from_acled, geo_precision_from_acled, geo_precision_from_ucdp]
)
@pytest.mark.parametrize("bad", [0, 8, "x", None])
def test_unknown_codes_are_refused_with_the_allowed_values(convert, bad):
    with pytest.raises(ValueError, match="expected one of"):
        convert(bad)
