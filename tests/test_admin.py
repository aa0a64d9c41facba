"""Every admin page a curator uses renders, without a query per row."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import Claim, Event, EventType, SubEventType, Tag
from tests import factories as f

pytestmark = pytest.mark.usefixtures("seed")

MODELS = [
    m for m in admin.site._registry if m._meta.app_label in {"locations", "actors", "sources", "events"}
]
# The most a page may cost: enough for the page itself, its filters and autocomplete widgets.
MAX_QUERIES = 40


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries)


MORE_ROWS = {
    "event": lambda: [
        f.ClaimFactory(event=f.EventFactory()).event.tags.add(Tag.objects.first()) for _ in range(5)
    ],
    "claim": lambda: f.ClaimFactory.create_batch(5, speaker=f.PersonFactory()),
    "actor": lambda: f.ActorFactory.create_batch(5, affiliation=f.ActorFactory(), country=f.CountryFactory()),
    "location": lambda: f.LocationFactory.create_batch(5),
    "source": lambda: f.SourceFactory.create_batch(
        5, operated_by=f.ActorFactory(), country=f.CountryFactory()
    ),
    "report": lambda: f.ReportFactory.create_batch(5),
    "eventtype": lambda: [EventType.objects.create(name=f"Type {i}", slug=f"type-{i}") for i in range(5)],
    "subeventtype": lambda: [
        SubEventType.objects.create(name=f"Sub {i}", slug=f"sub-{i}", event_type=EventType.objects.first())
        for i in range(5)
    ],
    "tag": lambda: [Tag.objects.create(name=f"tag {i}") for i in range(5)],
}


def test_every_registered_model_has_more_rows_to_try():
    assert {m._meta.model_name for m in MODELS} == set(MORE_ROWS)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_costs_the_same_whatever_the_number_of_rows(staff_client, model):
    before = count_queries(staff_client, url(model, "changelist"))
    MORE_ROWS[model._meta.model_name]()
    after = count_queries(staff_client, url(model, "changelist"))
    assert before == after <= MAX_QUERIES


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_add_page_renders(staff_client, model):
    assert count_queries(staff_client, url(model, "add")) <= MAX_QUERIES


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_change_and_history_pages_render(staff_client, model):
    obj = model.objects.order_by("pk").first()
    assert count_queries(staff_client, url(model, "change", obj.pk)) <= MAX_QUERIES
    assert count_queries(staff_client, url(model, "history", obj.pk)) <= MAX_QUERIES


def test_the_event_changelist_shows_verification_at_a_glance(staff_client):
    response = staff_client.get(url(Event, "changelist"))
    content = response.content.decode()
    assert content.count(">disputed</span>") == 3
    assert content.count(">claimed</span>") == 6


@pytest.mark.parametrize(
    "query, expected",
    [
        ("verification__exact=disputed", 3),
        ("verification__exact=reported", 1),
        ("event_type__id__exact={battles}", 9),
        ("country={afghanistan}", 10),
        ("geo_precision__exact=3", 3),
        ("date_precision__exact=2", 1),
        ("q=Hisa+Awal", 1),
        ("q=Kabol", 1),
        ("q=Khalid+Amiry", 1),
        ("q=Kabul", 1),
        ("q=Mordor", 0),
    ],
)
def test_event_list_filters_and_search(staff_client, query, expected):
    from locations.models import Location

    query = query.format(
        battles=EventType.objects.get(slug="battles").pk,
        afghanistan=Location.objects.get(iso3="AFG").pk,
    )
    response = staff_client.get(url(Event, "changelist") + "?" + query)
    assert response.status_code == 200
    assert response.context["cl"].result_count == expected


def test_autocomplete_finds_places_by_alias(staff_client):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {"term": "Hisa Awal", "app_label": "events", "model_name": "event", "field_name": "location"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["Khenj"]


def test_saving_an_event_with_a_new_claim_in_the_admin_re_derives_its_status(staff_client):
    event = Event.objects.get(summary__contains="intense fighting")
    assert event.verification == "claimed"
    wire = f.ReportFactory(source=f.SourceFactory(name="Wire service", kind="wire"))
    data = _change_form_data(staff_client, event)
    n = int(data["claims-TOTAL_FORMS"])
    data.update(
        {
            "claims-TOTAL_FORMS": str(n + 1),
            f"claims-{n}-event": str(event.pk),
            f"claims-{n}-report": str(wire.pk),
            f"claims-{n}-stance": "confirms",
            f"claims-{n}-subject": "occurrence",
            f"claims-{n}-quote": "Heavy fighting was reported across Panjshir.",
        }
    )
    response = staff_client.post(url(Event, "change", event.pk), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    event.refresh_from_db()
    assert event.verification == "corroborated"
    assert Claim.objects.filter(event=event, report=wire).exists()


def test_the_admin_refuses_what_the_model_refuses(staff_client):
    event = Event.objects.get(summary__contains="intense fighting")
    data = _change_form_data(staff_client, event)
    data.update({"fatalities_low": "5", "fatalities_best": "2"})
    response = staff_client.post(url(Event, "change", event.pk), data)
    assert response.status_code == 200
    assert "fatalities_best" in response.context["adminform"].form.errors
    event.refresh_from_db()
    assert event.fatalities_low is None


def _change_form_data(client, obj):
    """The change form's current values, as the browser would post them back."""
    response = client.get(url(type(obj), "change", obj.pk))
    data = {}
    for form in [response.context["adminform"].form] + [
        fs.formset for fs in response.context["inline_admin_formsets"]
    ]:
        if hasattr(form, "management_form"):
            for name, value in form.management_form.initial.items():
                data[f"{form.prefix}-{name}"] = value
            for sub in form.forms:
                data.update(_form_values(sub))
        else:
            data.update(_form_values(form))
    return data


def _form_values(form):
    values = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        key = form.add_prefix(name)
        if isinstance(value, list | tuple):
            values[key] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                values[key] = "on"
        else:
            values[key] = str(value)
    return values
