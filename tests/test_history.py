"""Every change is recorded: who, when, and the values before and after."""

import json

import pytest

from actors.models import Actor
from events.models import Event
from events.services import claim_record
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_an_edit_writes_a_history_row_with_before_and_after():
    event = f.EventFactory(summary="First wording")
    event.summary = "Second wording"
    event.save()
    latest, previous = event.history.all()[:2]
    delta = latest.diff_against(previous)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [
        ("summary", "First wording", "Second wording")
    ]
    assert latest.history_type == "~" and previous.history_type == "+"


def test_a_delete_is_recorded():
    actor = f.ActorFactory(name="Short-lived front")
    pk = actor.pk
    actor.delete()
    assert Actor.history.filter(id=pk).values_list("history_type", flat=True).first() == "-"


def test_a_recorded_claim_is_in_the_claims_history_and_moves_the_event_not_its_history():
    """The claim is the change a person made; the status it moves is derived, so it is no history row of
    the event's, but the event's updated_at moves with it, so sync clients and ETags see the new status."""
    event = f.EventFactory()
    before, stamp = event.history.count(), event.updated_at
    claim = claim_record(event=event, report=f.ReportFactory(), stance="asserts", claimant=None)
    assert claim.history.count() == 1
    event.refresh_from_db()
    assert (event.verification, event.history.count()) == ("reported", before)
    assert event.updated_at > stamp
    assert not hasattr(event.history.first(), "verification")  # derived columns are not snapshotted


@pytest.mark.usefixtures("seed")
def test_an_admin_edit_records_the_user(staff_client):
    from django.urls import reverse

    from tests.test_admin import _change_form_data

    actor = Actor.objects.get(name="Khalid Amiry")
    data = _change_form_data(staff_client, actor)
    data["role"] = "commander of the Panjshir offensive"
    response = staff_client.post(reverse("admin:actors_actor_change", args=[actor.pk]), data)
    assert response.status_code == 302
    row = actor.history.first()
    assert row.history_user == staff_client.user
    assert row.role == "commander of the Panjshir offensive"
    page = staff_client.get(reverse("admin:actors_actor_history", args=[actor.pk]))
    assert page.status_code == 200
    assert page.context["page_obj"][0].history_user == staff_client.user
    assert "Role" in page.content.decode()  # the changed field is listed


def test_tag_changes_are_part_of_the_event_history():
    event = f.EventFactory()
    tag = Event.tags.field.related_model.objects.create(name="offensive")
    event.tags.add(tag)
    event.summary = "Retagged"
    event.save()
    assert list(event.history.first().tags.values_list("tag__name", flat=True)) == ["offensive"]


def test_every_curated_model_keeps_history():
    from django.apps import apps

    for app in ("locations", "actors", "sources", "events"):
        for model in apps.get_app_config(app).get_models():
            if model.__name__.startswith("Historical") or model._meta.auto_created:
                continue
            assert hasattr(model, "history"), f"{model.__name__} keeps no history"


# --- who: names for staff, roles for everyone else ---------------------------------------------------------


@pytest.mark.django_db
def test_readers_see_roles_and_staff_see_names(django_user_model, staff_client):
    from django.test import Client

    from access.groups import REVIEWERS
    from tests.test_api_writes import client_for

    reviewer = client_for(django_user_model, REVIEWERS)
    event = f.EventFactory()
    verdict = {"verdict": "confirmed", "reason": "Seen by our reporter."}
    assert reviewer.post(f"/api/v1/events/{event.pk}/verdict/", verdict, format="json").status_code == 200
    editor = client_for(django_user_model, "editors")
    assert editor.delete(f"/api/v1/events/{event.pk}/").status_code == 204
    assert reviewer.post(f"/api/v1/events/{event.pk}/restore/").status_code == 200

    anonymous = Client()
    for reader, who, verdict_by in (
        (anonymous, {"a reviewer", "an editor"}, "a reviewer"),
        (reviewer, {"a reviewer", "an editor"}, "a reviewer"),
        (staff_client, {REVIEWERS, "editors"}, REVIEWERS),
    ):
        history = reader.get(f"/api/v1/events/{event.pk}/history/").json()
        assert {entry["by"] for entry in history} - {None} == who
        set_by = [
            c["new"] for e in history for c in e["changes"] if c["field"] == "verdict_by_id" and c["new"]
        ]
        assert set_by == [verdict_by]  # the column naming a user is shown like `by`, never as an id
        text = json.dumps(history)
        if reader is not staff_client:
            assert REVIEWERS not in text.replace("a reviewer", "") and "curator" not in text

    assert editor.delete(f"/api/v1/events/{event.pk}/").status_code == 204
    feed = anonymous.get("/api/v1/events/deleted/").json()["results"]
    assert [(row["id"], row["deleted_by"]) for row in feed] == [(event.pk, "an editor")]
    assert staff_client.get("/api/v1/events/deleted/").json()["results"][0]["deleted_by"] == "editors"
    # A deleted event's history is not public any more (the admin keeps it).
    assert anonymous.get(f"/api/v1/events/{event.pk}/history/").status_code == 404


@pytest.mark.django_db
def test_ids_are_ascii_digits_only(client):
    event = f.EventFactory()
    assert client.get(f"/api/v1/events/{event.pk}/").status_code == 200
    for path in ("/api/v1/events/١/", "/api/v1/events/١/history/", "/api/v1/events/１/"):
        assert client.get(path).status_code == 404, path
