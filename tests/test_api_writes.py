"""Writes: who may make them, the same rules as the admin, ETags, tombstones, history and tokens."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from access.groups import EDITORS, REVIEWERS
from access.models import ApiToken, hash_token
from events.models import Claim, Event, EventActor, EventType
from tests import factories as f

pytestmark = pytest.mark.usefixtures("seed")

NEW_EVENT = {
    "date_start": "2022-05-07",
    "date_end": "2022-05-07",
    "date_precision": 1,
    "sub_event_type": "armed-clash",
    "location": 3,
    "geo_precision": 4,
    "summary": "Clash reported in Panjshir",
    "actors": [{"actor": 2, "role": "side_a"}, {"actor": 1, "role": "side_b"}],
    "tags": ["fighting season 2022"],
}

# One valid body per resource, for creating; the permission table and the round trips use them.
CREATE = {
    "events": NEW_EVENT,
    "actors": {"name": "Panjshir Resistance Council", "kind": "organisation", "aliases": ["PRC"]},
    "locations": {"name": "Bazarak town", "level": 4, "parent": 6},
    "sources": {"name": "Tolo News", "kind": "broadcaster", "scale": "national"},
    "reports": {"source": 3, "title": "VOA follow-up", "derived_from": [{"report": 1, "relation": "quotes"}]},
    "claims": {"event": 5, "report": 3, "stance": "confirms", "quote": "Fighting was reported in Panjshir."},
}
# The row each resource's update and delete act on: one nobody else refers to.
TARGET = {
    "events": lambda: 9,
    "actors": lambda: 6,  # a resistance group VOA names, in no event
    "locations": lambda: 21,  # Farkhar, where no event is
    "sources": lambda: f.SourceFactory().pk,  # every seed source has reports
    "reports": lambda: 4,
    "claims": lambda: 24,
}
PATCH = {
    "events": {"notes": "Checked again."},
    "actors": {"role": "a new role"},
    "locations": {"notes": "Checked."},
    "sources": {"scale": "international"},
    "reports": {"author": "Someone"},
    "claims": {"notes": "Checked."},
}


def client_for(django_user_model, who: str) -> APIClient:
    client = APIClient()
    if who == "anonymous":
        return client
    user = django_user_model.objects.create_user(
        who, password="pw-for-tests-only", is_superuser=who == "superuser"
    )
    if who in (EDITORS, REVIEWERS):
        user.groups.add(Group.objects.get(name=who))
    _, key = ApiToken.objects.issue(user=user, name="tests")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


WHO = ["anonymous", "no-permissions", EDITORS, REVIEWERS, "superuser"]
ALLOWED = {"anonymous": False, "no-permissions": False, EDITORS: True, REVIEWERS: True, "superuser": True}
DENIED_STATUS = {"anonymous": 401, "no-permissions": 403}


@pytest.mark.parametrize("resource", list(CREATE))
@pytest.mark.parametrize("who", WHO)
def test_permission_table(django_user_model, who, resource):
    client = client_for(django_user_model, who)
    url = f"/api/v1/{resource}/"
    target = f"{url}{TARGET[resource]()}/"
    responses = {
        "create": client.post(url, CREATE[resource], format="json"),
        "update": client.patch(target, PATCH[resource], format="json"),
        "delete": client.delete(target),
    }
    for operation, response in responses.items():
        if ALLOWED[who]:
            assert response.status_code == {"create": 201, "update": 200, "delete": 204}[operation], (
                operation,
                response.content,
            )
        else:
            assert response.status_code == DENIED_STATUS[who], (operation, response.status_code)
    assert client.get(url).status_code == 200  # everyone reads


def test_only_reviewers_and_superusers_may_set_verdicts():
    editors = Group.objects.get(name=EDITORS).permissions.values_list("codename", flat=True)
    reviewers = Group.objects.get(name=REVIEWERS).permissions.values_list("codename", flat=True)
    assert "set_verdict" not in editors
    assert "set_verdict" in reviewers
    assert set(editors) < set(reviewers)


@pytest.fixture
def editor(django_user_model):
    return client_for(django_user_model, EDITORS)


def test_a_created_event_reads_back_whole_and_gets_its_status(editor):
    response = editor.post("/api/v1/events/", NEW_EVENT, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["event_type"]["slug"] == "battles"  # taken from the sub-type
    assert [(a["actor"]["id"], a["role"]) for a in body["actors"]] == [(2, "side_a"), (1, "side_b")]
    assert body["tags"] == ["fighting season 2022"]
    assert body["verification"]["status"] == "unverified"
    assert response["ETag"]
    claim = editor.post(
        "/api/v1/claims/", {"event": body["id"], "report": 3, "stance": "asserts", "quote": "Heavy fighting."},
        format="json",
    )  # fmt: skip
    assert claim.status_code == 201, claim.content
    assert editor.get(f"/api/v1/events/{body['id']}/").json()["verification"]["status"] == "reported"


def test_writes_record_who_made_them(editor):
    editor.patch("/api/v1/actors/4/", {"role": "commander in Panjshir"}, format="json")
    latest = editor.get("/api/v1/actors/4/history/").json()[0]
    assert latest["by"] == "an editor"  # a role, never a name, for non-staff readers
    assert {"field": "role", "old": "commander", "new": "commander in Panjshir"} in latest["changes"]


# Payloads the field parsers accept but the model's rules refuse; the admin must refuse them the same way.
INVALID_EVENTS = [
    ({"fatalities_low": 5, "fatalities_best": 2}, "fatalities_best"),
    ({"date_end": "2022-05-01"}, "date_end"),
    ({"date_end": "2022-05-09"}, "date_precision"),
    ({"latitude": 35.0}, "longitude"),
    ({"event_type": "protests"}, "sub_event_type"),
]


@pytest.mark.parametrize("change, field", INVALID_EVENTS, ids=[f for _, f in INVALID_EVENTS])
def test_the_admin_and_the_api_refuse_the_same_payloads_alike(editor, staff_client, change, field):
    from tests.test_admin import _change_form_data

    api = editor.patch("/api/v1/events/5/", change, format="json")
    assert api.status_code == 400
    api_errors = api.json()

    data = _change_form_data(staff_client, Event.objects.get(pk=5))
    for name, value in change.items():
        # The admin form takes the event type by id where the API takes its slug.
        data[name] = str(EventType.objects.get(slug=value).pk) if name == "event_type" else str(value)
    admin = staff_client.post(reverse("admin:events_event_change", args=[5]), data)
    assert admin.status_code == 200
    admin_errors = admin.context["adminform"].form.errors

    assert field in api_errors and field in admin_errors
    assert api_errors[field] == list(admin_errors[field])
    assert Event.objects.get(pk=5).notes == "Reported as under way on the evening of 6 May 2022."


def test_a_claim_by_a_non_person_speaker_is_refused_by_both(editor, staff_client):
    api = editor.post(
        "/api/v1/claims/", {"event": 5, "report": 1, "stance": "asserts", "speaker": 2}, format="json"
    )
    assert api.status_code == 400
    assert api.json()["speaker"] == ["National Resistance Front is not a person; the speaker must be one."]
    admin = staff_client.post(reverse("admin:events_claim_add"), {"event": 5, "report": 1, "stance": "asserts",
                                                                  "subject": "occurrence", "speaker": 2})  # fmt: skip
    assert admin.status_code == 200
    assert list(admin.context["adminform"].form.errors["speaker"]) == api.json()["speaker"]


def test_a_bad_nested_write_leaves_nothing_half_written(editor):
    before = (Event.objects.count(), EventActor.objects.count())
    body = {**NEW_EVENT, "actors": [{"actor": 2, "role": "side_a"}, {"actor": 2, "role": "side_b"}]}
    response = editor.post("/api/v1/events/", body, format="json")
    assert response.status_code == 400
    assert (Event.objects.count(), EventActor.objects.count()) == before


class TestConditionalRequests:
    def test_a_stale_if_match_is_refused_and_changes_nothing(self, editor):
        etag = editor.get("/api/v1/events/5/")["ETag"]
        assert (
            editor.patch(
                "/api/v1/events/5/", {"notes": "first"}, format="json", HTTP_IF_MATCH=etag
            ).status_code
            == 200
        )
        stale = editor.patch("/api/v1/events/5/", {"notes": "second"}, format="json", HTTP_IF_MATCH=etag)
        assert stale.status_code == 412
        assert Event.objects.get(pk=5).notes == "first"
        assert editor.delete("/api/v1/events/5/", HTTP_IF_MATCH=etag).status_code == 412
        assert Event.objects.filter(pk=5).exists()

    def test_the_current_etag_is_accepted(self, editor):
        etag = editor.get("/api/v1/sources/4/")["ETag"]
        response = editor.patch(
            "/api/v1/sources/4/", {"scale": "international"}, format="json", HTTP_IF_MATCH=etag
        )
        assert response.status_code == 200
        assert response["ETag"] != etag

    def test_conditional_get_answers_304_until_the_row_changes(self, client, editor):
        etag = client.get("/api/v1/actors/2/")["ETag"]
        assert client.get("/api/v1/actors/2/", HTTP_IF_NONE_MATCH=etag).status_code == 304
        editor.patch("/api/v1/actors/2/", {"notes": "changed"}, format="json")
        assert client.get("/api/v1/actors/2/", HTTP_IF_NONE_MATCH=etag).status_code == 200


class TestTombstones:
    def test_a_deleted_event_leaves_every_list_and_is_in_the_deleted_feed(self, editor, client):
        assert editor.delete("/api/v1/events/9/").status_code == 204
        assert 9 not in [e["id"] for e in client.get("/api/v1/events/?page_size=100").json()["results"]]
        assert client.get("/api/v1/events/9/").status_code == 404
        assert not any(
            c["event"]["id"] == 9 for c in client.get("/api/v1/claims/?page_size=100").json()["results"]
        )
        [tombstone] = client.get("/api/v1/events/deleted/?since=2020-01-01T00:00:00Z").json()["results"]
        assert tombstone["id"] == 9 and tombstone["deleted_by"] == "an editor" and tombstone["deleted_at"]
        assert set(tombstone) == {"id", "deleted_at", "deleted_by", "acled_event_id", "ucdp_ged_id"}
        assert client.get("/api/v1/events/deleted/?since=2999-01-01T00:00:00Z").json()["results"] == []
        assert Event.all_objects.get(pk=9).claims.count() == 2  # nothing is lost

    def test_a_restored_event_comes_back_with_its_history(self, editor, client):
        editor.delete("/api/v1/events/9/")
        response = editor.post("/api/v1/events/9/restore/")
        assert response.status_code == 200
        assert response.json()["verification"]["status"] == "claimed"
        assert client.get("/api/v1/events/deleted/").json()["results"] == []
        entries = client.get("/api/v1/events/9/history/").json()
        deletions = [
            c for e in entries if e["change"] == "changed" for c in e["changes"] if c["field"] == "deleted_at"
        ]
        assert [c["new"] is None for c in deletions] == [True, False]  # newest first: restored, then deleted

    def test_the_admin_deletes_to_a_tombstone_and_restores(self, staff_client):
        response = staff_client.post(reverse("admin:events_event_delete", args=[8]), {"post": "yes"})
        assert response.status_code == 302
        assert Event.all_objects.get(pk=8).deleted_at is not None
        listing = staff_client.get(reverse("admin:events_event_changelist") + "?state=deleted")
        assert listing.context["cl"].result_count == 1
        staff_client.post(
            reverse("admin:events_event_changelist") + "?state=deleted",
            {"action": "restore_events", "_selected_action": ["8"]},
        )
        assert Event.objects.filter(pk=8).exists()

    def test_other_resources_report_deletions_from_their_history(self, editor, client):
        source = f.SourceFactory()
        assert editor.delete(f"/api/v1/sources/{source.pk}/").status_code == 204
        [tombstone] = client.get("/api/v1/sources/deleted/").json()["results"]
        assert (tombstone["id"], tombstone["deleted_by"]) == (source.pk, "an editor")

    def test_deleting_what_others_refer_to_is_a_409_that_says_why(self, editor):
        response = editor.delete("/api/v1/sources/1/")
        assert response.status_code == 409
        assert "reports" in response.json()["detail"]

    def test_a_bad_since_is_a_400(self, client):
        response = client.get("/api/v1/events/deleted/?since=yesterday")
        assert response.status_code == 400 and "since" in response.json()


def test_history_lists_every_change_with_before_and_after(editor, client):
    editor.patch("/api/v1/events/5/", {"fatalities_low": 1, "fatalities_high": 3}, format="json")
    entries = client.get("/api/v1/events/5/history/").json()
    latest = entries[0]
    assert latest["change"] == "changed" and latest["by"] == "an editor"
    assert {"field": "fatalities_low", "old": None, "new": 1} in latest["changes"]
    assert {"field": "fatalities_high", "old": None, "new": 3} in latest["changes"]
    assert entries[-1]["change"] == "created"
    assert client.get("/api/v1/events/99999/history/").status_code == 404


class TestTokens:
    def test_the_command_prints_a_token_that_works_and_is_stored_hashed(self, django_user_model):
        user = django_user_model.objects.create_user("script")
        user.groups.add(Group.objects.get(name=EDITORS))
        out = io.StringIO()
        call_command("create_api_token", "script", "--name", "newsroom", stdout=out)
        key = out.getvalue().strip()
        token = ApiToken.objects.get(user=user)
        assert token.key_hash == hash_token(key) and key not in (token.key_hash, token.prefix)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.patch("/api/v1/sources/4/", {"notes": "x"}, format="json").status_code == 200
        client.credentials(HTTP_AUTHORIZATION=f"Token {key[:-1]}x")
        assert client.patch("/api/v1/sources/4/", {"notes": "y"}, format="json").status_code == 401

    def test_the_command_refuses_an_unknown_user(self):
        from django.core.management.base import CommandError

        with pytest.raises(CommandError, match="No user named 'ghost'"):
            call_command("create_api_token", "ghost")

    def test_the_admin_issues_a_token_and_shows_it_once(self, staff_client):
        response = staff_client.post(
            reverse("admin:access_apitoken_add"),
            {"user": staff_client.user.pk, "name": "sdk"},
            follow=True,
        )
        [message] = [str(m) for m in response.context["messages"] if "The new token is" in str(m)]
        key = message.split("The new token is ")[1].split(" ")[0]
        assert ApiToken.objects.get(key_hash=hash_token(key)).user == staff_client.user


@pytest.mark.parametrize("forwarded", [False, True], ids=["plain", "new X-Forwarded-For each time"])
def test_anonymous_clients_are_throttled(client, forwarded):
    """A client cannot escape the limit by inventing an X-Forwarded-For per request: forwarded headers are
    trusted only from TRUSTED_PROXIES proxies (none by default)."""
    from rest_framework.throttling import AnonRateThrottle

    # A day's window, so that the four requests do not straddle a window's end (the estimate would drop).
    AnonRateThrottle.THROTTLE_RATES = {**AnonRateThrottle.THROTTLE_RATES, "anon": "3/day"}
    try:
        codes = [
            client.get(
                "/api/v1/sources/", **({"HTTP_X_FORWARDED_FOR": f"10.0.0.{n}"} if forwarded else {})
            ).status_code
            for n in range(4)
        ]
    finally:
        from rest_framework.settings import api_settings

        AnonRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert codes == [200, 200, 200, 429]


def test_a_body_over_the_limit_is_refused_before_it_is_read(editor, settings):
    settings.API_MAX_BODY_BYTES = 100
    response = editor.post(
        "/api/v1/sources/", {"name": "x" * 200, "kind": "wire", "scale": "local"}, format="json"
    )
    assert response.status_code == 413
    assert "limit is 100" in response.json()["detail"]


def test_claims_on_a_deleted_event_cannot_be_added(editor):
    editor.delete("/api/v1/events/9/")
    response = editor.post("/api/v1/claims/", {"event": 9, "report": 1, "stance": "asserts"}, format="json")
    assert response.status_code == 400 and "event" in response.json()
    assert Claim.objects.filter(event_id=9).count() == 2


@pytest.mark.parametrize("resource, pk", [("locations", 9), ("actors", 2)])
def test_alias_lists_are_replaced_and_validated(editor, client, resource, pk):
    response = editor.patch(
        f"/api/v1/{resource}/{pk}/", {"aliases": ["Hisa Awal", "New Spelling"]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert sorted(client.get(f"/api/v1/{resource}/{pk}/").json()["aliases"]) == ["Hisa Awal", "New Spelling"]
    refused = editor.patch(f"/api/v1/{resource}/{pk}/", {"aliases": ["Ok", " "]}, format="json")
    assert refused.status_code == 400
    assert sorted(client.get(f"/api/v1/{resource}/{pk}/").json()["aliases"]) == ["Hisa Awal", "New Spelling"]
