"""Incremental sync and concurrent writers: the two ways data goes wrong silently."""

import random
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from access.groups import EDITORS
from events.models import Event
from tests import factories as f
from tests.test_api_writes import NEW_EVENT, client_for


def all_pages(client, url: str) -> list[dict]:
    rows = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        url = body["next"]
    return rows


def sync_pass(client, mirror: dict, since: str | None) -> str | None:
    """What a client does: upsert everything changed since its mark, drop everything deleted since."""
    query = f"&updated_since={since}" if since else ""
    changed = all_pages(client, f"/api/v1/events/?ordering=updated_at&page_size=7{query}")
    deleted = all_pages(client, "/api/v1/events/deleted/?page_size=7" + (f"&since={since}" if since else ""))
    for row in changed:
        mirror[row["id"]] = row
    for tombstone in deleted:
        mirror.pop(tombstone["id"], None)
    marks = [row["updated_at"] for row in changed] + [t["deleted_at"] for t in deleted]
    # The mark is inclusive (updated_since is >=): rows stamped at it are fetched again, harmlessly.
    return max(marks, default=since)


def random_change(rng: random.Random, editor: APIClient) -> str:
    live = list(Event.objects.values_list("pk", flat=True))
    deleted = list(Event.all_objects.deleted().values_list("pk", flat=True))
    kind = rng.choice(["create", "edit", "edit", "claim", "delete", "restore"])
    if kind == "create" or not live:
        body = {
            **NEW_EVENT,
            "summary": f"Event {rng.random():.6f}",
            "fatalities_best": rng.choice([None, 0, 3]),
        }
        assert editor.post("/api/v1/events/", body, format="json").status_code == 201
    elif kind == "edit":
        change = rng.choice([
            {"summary": f"Edited {rng.random():.6f}"},
            {"fatalities_low": 1, "fatalities_best": 2, "fatalities_high": rng.randint(2, 9)},
            {"actors": [{"actor": rng.choice([1, 2, 5, 6]), "role": "side_a"}]},
            {"tags": rng.sample(["a", "b", "fighting season 2022"], 2)},
        ])  # fmt: skip
        assert editor.patch(f"/api/v1/events/{rng.choice(live)}/", change, format="json").status_code == 200
    elif kind == "claim":
        body = {"event": rng.choice(live), "report": rng.choice([3, 4, 5]), "stance": "confirms"}
        assert editor.post("/api/v1/claims/", body, format="json").status_code == 201
    elif kind == "delete":
        assert editor.delete(f"/api/v1/events/{rng.choice(live)}/").status_code == 204
    elif deleted:
        assert editor.post(f"/api/v1/events/{rng.choice(deleted)}/restore/").status_code == 200
    return kind


@pytest.mark.usefixtures("seed")
@pytest.mark.parametrize("seed_value", [1, 2, 3])
def test_one_sync_pass_makes_the_mirror_equal_the_server(django_user_model, seed_value):
    rng = random.Random(seed_value)
    editor = client_for(django_user_model, EDITORS)
    reader = APIClient()
    mirror: dict[int, dict] = {}
    mark = sync_pass(reader, mirror, None)
    kinds = [random_change(rng, editor) for _ in range(40)]
    assert {"create", "edit", "delete"} <= set(kinds)
    sync_pass(reader, mirror, mark)
    server = {row["id"]: row for row in all_pages(reader, "/api/v1/events/?page_size=50")}
    assert mirror == server


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_with_if_match_lose_no_update(django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT ... FOR UPDATE) are what this test exercises; run it on PostgreSQL")
    event = f.EventFactory(notes="start")
    writers = 6
    clients = [client_for(django_user_model, f"writer{i}") for i in range(writers)]
    for user in django_user_model.objects.filter(username__startswith="writer"):
        user.is_superuser = True
        user.save()
    url = f"/api/v1/events/{event.pk}/"
    winners = []
    for version in range(3):
        etag = clients[0].get(url)["ETag"]
        barrier = threading.Barrier(writers)
        results = {}

        def write(i, etag=etag, barrier=barrier, results=results, version=version):
            try:
                barrier.wait()
                response = clients[i].patch(
                    url, {"notes": f"v{version} by {i}"}, format="json", HTTP_IF_MATCH=etag
                )
                results[i] = response.status_code
            finally:
                connection.close()

        threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results.values()) == [200] + [412] * (writers - 1)
        [winner] = [i for i, code in results.items() if code == 200]
        assert Event.objects.get(pk=event.pk).notes == f"v{version} by {winner}"
        winners.append(f"v{version} by {winner}")
    notes = [row.notes for row in Event.all_objects.get(pk=event.pk).history.order_by("history_date")]
    # Only the winners' notes were ever stored: no refused write landed, even briefly.
    assert list(dict.fromkeys(notes)) == ["start", *winners]
