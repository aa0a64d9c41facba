"""What a person exploring the API meets: the browsable API's filter form, name-or-id filters with errors that
say what is accepted, operation descriptions in the schema, a favicon."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.plumbing import get_doc

from actors.models import ActorAlias
from core.api.viewsets import ResourceViewSet
from tests import factories as f

pytestmark = pytest.mark.django_db

LISTS = ["events", "claims", "actors", "locations", "sources", "reports"]


@pytest.mark.parametrize("resource", LISTS)
def test_the_browsable_filter_form_labels_every_box_with_its_parameter(client, resource):
    response = client.get(f"/api/v1/{resource}/", HTTP_ACCEPT="text/html")
    html = response.content.decode()
    labels = [label.strip().removesuffix(":") for label in re.findall(r"<label[^>]*>([^<]*)</label>", html)]
    declared = response.renderer_context["view"].filterset_class.base_filters
    assert "[invalid name]" not in html
    assert labels == list(declared)


def test_the_ordering_box_starts_at_the_default_so_submitting_the_form_keeps_the_order(client):
    html = client.get("/api/v1/events/", HTTP_ACCEPT="text/html").content.decode()
    box = re.search(r'<select name="ordering"[^>]*>(.*?)</select>', html, re.S).group(1)
    first = re.search(r'<option value="([^"]*)"', box).group(1)
    assert first == "-date_start"


def test_id_filters_are_text_boxes_not_a_list_of_every_row(client):
    f.ActorFactory.create_batch(3)
    html = client.get("/api/v1/events/", HTTP_ACCEPT="text/html").content.decode()
    assert not re.search(r'<select[^>]*name="actor"', html)
    assert re.search(r'<input[^>]*name="actor"', html)


def _ids(response):
    assert response.status_code == 200, response.content
    return sorted(e["id"] for e in response.json()["results"])


def test_an_actor_filter_takes_a_name_acronym_or_alias_in_any_case(client):
    taliban = f.ActorFactory(name="Taliban")
    ActorAlias.objects.create(actor=taliban, name="Taleban")
    front = f.ActorFactory(name="National Resistance Front", acronym="NRF")
    theirs = f.EventActorFactory(actor=taliban).event
    ours = f.EventActorFactory(actor=front, role="side_b").event
    for value in ("Taliban", "taleban", str(taliban.pk)):
        assert _ids(client.get("/api/v1/events/", {"actor": value})) == [theirs.pk], value
    assert _ids(client.get("/api/v1/events/", {"actor2": "nrf"})) == [ours.pk]
    assert _ids(client.get("/api/v1/events/", {"actor": ["Taliban", "NRF"]})) == sorted([theirs.pk, ours.pk])


def test_a_name_that_matches_no_actor_says_what_is_accepted(client):
    response = client.get("/api/v1/events/", {"actor": "Nobody"})
    assert response.status_code == 400
    assert "No actor has the name 'Nobody': give an id, or a name or alias" in response.json()["actor"][0]


def test_a_name_that_matches_several_places_lists_them_with_their_ids(client):
    province = f.LocationFactory(name="Kabul")
    city = f.LocationFactory(name="kabul", level=3, parent=province)
    response = client.get("/api/v1/events/", {"location": "KABUL"})
    assert response.status_code == 400
    message = response.json()["location"][0]
    assert f"(id {province.pk})" in message and f"(id {city.pk})" in message and "Give the id" in message
    inside = f.EventFactory(location=city)
    assert _ids(client.get("/api/v1/events/", {"location": str(province.pk)})) == [inside.pk]


def test_every_operation_says_what_it_does_and_none_shows_a_developer_docstring():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    internal = get_doc(ResourceViewSet)
    missing, leaked = [], []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            description = operation.get("description", "")
            if not description.strip():
                missing.append(f"{method} {path}")
            if internal and internal[:40] in description or "Subclasses set" in description:
                leaked.append(f"{method} {path}")
    assert missing == [] and leaked == []


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
