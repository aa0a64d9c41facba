"""Query budgets of the write paths, locked exactly; each budget names its queries.

What is counted is data statements: transaction control (BEGIN, COMMIT, SAVEPOINT, RELEASE) is left out,
since SQLite logs it and PostgreSQL does not, and a test transaction adds savepoints production has not.
The counts are therefore the same on both databases and in or out of a test transaction.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from events.models import Event
from events.verification import flush
from sources.models import Report
from tests import factories as f

pytestmark = pytest.mark.django_db

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


@pytest.fixture
def api(django_user_model):
    user = django_user_model.objects.create_superuser("budget", "budget@example.org", "pw-for-tests-only")
    client = APIClient()
    client.force_authenticate(user)
    return client


def count(call) -> tuple[int, object]:
    flush()  # the factories' own marks: re-derived now, not within the measured request
    with CaptureQueriesContext(connection) as captured:
        response = call()
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]
    return len(statements), response


def test_creating_an_event_with_two_roles_and_a_tag_costs_at_most_25_queries(api):
    location = f.LocationFactory()
    side_a, side_b = f.ActorFactory(), f.ActorFactory()
    body = {
        "date_start": "2022-05-07",
        "date_end": "2022-05-07",
        "date_precision": 1,
        "sub_event_type": "armed-clash",
        "location": location.pk,
        "geo_precision": 4,
        "summary": "Clash reported in the valley",
        "actors": [{"actor": side_a.pk, "role": "side_a"}, {"actor": side_b.pk, "role": "side_b"}],
        "tags": ["offensive"],
    }
    queries, response = count(lambda: api.post("/api/v1/events/", body, format="json"))
    assert response.status_code == 201, response.content
    # location, sub-event type with its type, two actors (validation: 4); INSERT event; roles and their
    # history (2); tag lookup, new tag and its history (3); tag link; event history row, its tag snapshot
    # read and written (3); re-derivation: lock, claims, roles (3; a new event's status is the default,
    # so no UPDATE); answer: event, roles, tags, lineage, claims (5)
    assert queries == 4 + 1 + 2 + 3 + 1 + 3 + 3 + 5 <= 25
    event = Event.objects.get(pk=response.json()["id"])
    assert event.history.count() == 1 and event.history.first().tags.count() == 1


def test_patching_one_field_costs_at_most_10_queries(api):
    event = f.EventFactory()
    queries, response = count(
        lambda: api.patch(f"/api/v1/events/{event.pk}/", {"notes": "Checked."}, format="json")
    )
    assert response.status_code == 200, response.content
    # the row, locked, with its types and place; UPDATE; history row and its tag snapshot (2); answer:
    # event, roles, tags, lineage, claims (5). Notes cannot move the status: nothing is re-derived.
    assert queries == 1 + 1 + 2 + 5 <= 10


def test_recording_a_claim_costs_at_most_12_queries(api):
    event = f.EventFactory()
    report, claimant, speaker = f.ReportFactory(), f.ActorFactory(), f.PersonFactory()
    body = {"event": event.pk, "report": report.pk, "claimant": claimant.pk, "speaker": speaker.pk,
            "stance": "asserts", "quote": "We took the district."}  # fmt: skip
    queries, response = count(lambda: api.post("/api/v1/claims/", body, format="json"))
    assert response.status_code == 201, response.content
    # event, report, claimant, speaker (validation: 4); INSERT claim and its history (2); re-derivation:
    # lock, claims, their voices, roles, UPDATE (5); answer (1)
    assert queries == 4 + 2 + 5 + 1 <= 12
    event.refresh_from_db()
    assert event.verification == "reported"


@pytest.mark.parametrize("links", [1, 10])
def test_a_report_costs_a_constant_per_derivation(api, links):
    """Each link costs the same; the events citing the reports are re-derived once, in one set."""
    originals = [f.ReportFactory() for _ in range(links)]
    for original in originals:
        f.ClaimFactory(report=original, claimant=None)
    source = f.SourceFactory()
    body = {"source": source.pk, "title": "Syndicated copy",
            "derived_from": [{"report": r.pk, "relation": "republishes"} for r in originals]}  # fmt: skip
    queries, response = count(lambda: api.post("/api/v1/reports/", body, format="json"))
    assert response.status_code == 201, response.content
    # Once: source (validation); INSERT report and its history (2); the links' closure (1); the events
    # citing the reports (1); re-derivation: lock, claims, roles (3); answer: report, its links (2).
    # Per link: the linked report (validation), INSERT link and its history (3).
    # Independence is only weighed between two or more asserting reports: then a closure walk (2) and the
    # sources of the reports it reached (1).
    assert queries == 10 + 3 * links + (3 if links > 1 else 0)
    assert Report.objects.get(pk=response.json()["id"]).derivations.count() == links


def test_moving_an_event_to_another_day_costs_one_statement_more_for_its_roles(api):
    event = f.EventFactory()
    f.EventActorFactory(event=event)
    body = {"date_start": "2021-01-02", "date_end": "2021-01-02"}
    queries, response = count(lambda: api.patch(f"/api/v1/events/{event.pk}/", body, format="json"))
    assert response.status_code == 200, response.content
    # as one field above, plus the roles' copy of the date (1 UPDATE: the actor index's order)
    assert queries == 1 + 1 + 1 + 2 + 5 <= 11
    event.refresh_from_db()
    assert set(event.event_actors.values_list("event_date", flat=True)) == {event.date_start}


def test_moving_an_event_to_another_country_costs_what_any_field_does(api):
    event = f.EventFactory()
    elsewhere = f.LocationFactory(parent=f.CountryFactory(name="Elsewhere", iso2="EW", iso3="EWH"))
    queries, response = count(
        lambda: api.patch(f"/api/v1/events/{event.pk}/", {"location": elsewhere.pk}, format="json")
    )
    assert response.status_code == 200, response.content
    # the row, locked; the place (validation); UPDATE, its country in the same statement; history row and
    # its tag snapshot (2); answer: event, claims, roles, tags, lineage (5)
    assert queries == 1 + 1 + 1 + 2 + 5 <= 10
    event.refresh_from_db()
    assert event.country_id == elsewhere.parent_id


def test_moving_a_place_to_another_country_costs_one_statement_for_its_events(api):
    event = f.EventFactory()
    f.EventFactory.create_batch(3, location=event.location)
    elsewhere = f.CountryFactory(name="Elsewhere", iso2="EW", iso3="EWH")
    province = event.location
    queries, response = count(
        lambda: api.patch(f"/api/v1/locations/{province.pk}/", {"parent": elsewhere.pk}, format="json")
    )
    assert response.status_code == 200, response.content
    # the row, locked; the parent (validation); UPDATE and its history row (2); the subtree's paths (1);
    # its events' country, all of them (1); answer: the place, its aliases, its lineage (3)
    assert queries == 1 + 1 + 2 + 1 + 1 + 3 <= 9
    assert set(Event.objects.filter(location=province).values_list("country_id", flat=True)) == {elsewhere.pk}
