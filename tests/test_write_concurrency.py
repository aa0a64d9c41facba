"""Concurrent writers cannot leave a stale status: the owner re-derives under a row lock (PostgreSQL)."""

import random
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from events.models import Event, EventActor
from events.verification import events_rederive
from tests import factories as f

WRITERS = 8
STEPS = 15


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_claims_posted_and_deleted_at_once_leave_every_status_right(django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip(
            "row locks (SELECT ... FOR NO KEY UPDATE) are what this test exercises; run it on PostgreSQL"
        )
    events = [f.EventFactory() for _ in range(2)]
    side_a, side_b = f.ActorFactory(name="Front"), f.ActorFactory(name="Government")
    for event in events:
        EventActor.objects.create(event=event, actor=side_a, role="side_a")
        EventActor.objects.create(event=event, actor=side_b, role="side_b")
    reports = [f.ReportFactory() for _ in range(4)]
    user = django_user_model.objects.create_superuser("racer", "racer@example.org", "pw-for-tests-only")
    barrier = threading.Barrier(WRITERS)
    statuses: list[int] = []

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        client = APIClient()
        client.force_authenticate(user)
        mine: list[int] = []
        try:
            barrier.wait()
            for _ in range(STEPS):
                if mine and rng.random() < 0.3:
                    response = client.delete(f"/api/v1/claims/{mine.pop(rng.randrange(len(mine)))}/")
                else:
                    body = {
                        "event": rng.choice(events).pk,
                        "report": rng.choice(reports).pk,
                        "claimant": rng.choice([side_a.pk, side_b.pk, None]),
                        "stance": rng.choice(["asserts", "denies", "confirms", "cannot_confirm"]),
                    }
                    response = client.post("/api/v1/claims/", body, format="json")
                    if response.status_code == 201:
                        mine.append(response.json()["id"])
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(statuses) == WRITERS * STEPS
    assert all(status < 500 for status in statuses), statuses
    assert sorted(set(statuses)) <= [201, 204]
    # Every stored status, reason and count equals a from-scratch recomputation.
    assert events_rederive(Event.all_objects.values_list("pk", flat=True)) == 0
