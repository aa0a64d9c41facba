"""The value ranges the schema states are exactly what the server takes: a value the schema allows is never
refused, so generated clients and fuzzers can trust it (and the server's own checks use the same patterns)."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.api.schema import INT64, NOT_ONLY_WHITESPACE, WEB_URL, _parameters
from locations.geo import BBOX_PATTERN, NEAR_PATTERN, BBoxField, NearField

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_not_blank_pattern_is_what_the_server_trims():
    """DRF strips with str.strip(); JSON Schema's \\s is another set, so the class is spelled out: check it
    against every code point."""
    pattern = re.compile(NOT_ONLY_WHITESPACE)
    differ = [hex(c) for c in range(0x110000) if bool(pattern.search(chr(c))) != bool(chr(c).strip())]
    assert differ == []


@FAST
@given(st.from_regex(WEB_URL, fullmatch=True))
def test_every_url_the_schema_allows_is_one_django_takes(url):
    URLValidator()(url)


@pytest.mark.parametrize(
    "url", ["urn:isbn:0451450523", "a:b", "http://a", "mailto:x@example.org", "http://1.2.3.256"]
)
def test_urls_django_refuses_are_outside_the_pattern(url):
    with pytest.raises(ValidationError):
        URLValidator()(url)
    assert not re.search(WEB_URL, url)


@FAST
@given(st.from_regex(BBOX_PATTERN, fullmatch=True))
def test_every_bbox_the_schema_allows_is_read_or_refused_only_for_an_empty_box(value):
    from django import forms

    numbers = [float(part) for part in value.split(",")]
    if numbers[1] > numbers[3]:
        with pytest.raises(forms.ValidationError, match="the box is empty"):
            BBoxField().clean(value)
    else:
        assert BBoxField().clean(value) is not None


@FAST
@given(st.from_regex(NEAR_PATTERN, fullmatch=True))
def test_every_near_the_schema_allows_is_read(value):
    near = NearField().clean(value)
    assert -90 <= near.lat <= 90 and -180 <= near.lon <= 180 and near.km >= 0


@pytest.mark.parametrize("value", ["1e3,0,5", "0,0,-1", "NaN,0,1", "0,181,1", "90.5,0,1", " 1,2,3", "1,2"])
def test_near_values_outside_the_pattern_are_refused(value):
    from django import forms

    assert not re.search(NEAR_PATTERN, value)
    with pytest.raises(forms.ValidationError):
        NearField().clean(value)


def test_every_integer_parameter_and_request_field_fits_in_64_bits(schema):
    unbounded = []
    for parameter in _parameters(schema):
        node = parameter.get("schema", {})
        node = node.get("items", node)
        inside = INT64[0] <= node.get("minimum", -(2**70)) and node.get("maximum", 2**70) <= INT64[1]
        if node.get("type") == "integer" and "enum" not in node and not inside:
            unbounded.append(parameter["name"])
    for name, component in schema["components"]["schemas"].items():
        for field, prop in component.get("properties", {}).items():
            bounded = "minimum" in prop and "maximum" in prop
            if (
                name.endswith("Request")
                and prop.get("type") == "integer"
                and "enum" not in prop
                and not bounded
            ):
                unbounded.append(f"{name}.{field}")
    assert unbounded == []


@pytest.mark.django_db
def test_an_id_beyond_64_bits_in_any_list_filter_is_a_clear_400(client):
    for path, name in (
        ("/api/v1/claims/", "report"),
        ("/api/v1/events/", "actor"),
        ("/api/v1/sources/", "operated_by"),
    ):
        response = client.get(path, {name: str(2**64)})
        assert response.status_code == 400, (path, response.content)


@pytest.mark.django_db
def test_coordinates_and_codes_out_of_range_are_refused_by_field(django_user_model):
    from access.groups import EDITORS
    from tests.test_api_writes import client_for

    editor = client_for(django_user_model, EDITORS)
    for body, field in (
        ({"name": "Nowhere", "level": 0, "latitude": 91, "longitude": 0}, "latitude"),
        ({"name": "Nowhere", "level": 0, "latitude": 0, "longitude": -180.5}, "longitude"),
        ({"name": "Nowhere", "level": 0, "iso3": "AF"}, "iso3"),
        ({"name": "Nowhere", "level": 0, "iso2": "A1"}, "iso2"),
        ({"name": "   ", "level": 0}, "name"),
    ):
        response = editor.post("/api/v1/locations/", body, format="json")
        assert response.status_code == 400 and list(response.json()) == [field], (body, response.content)
