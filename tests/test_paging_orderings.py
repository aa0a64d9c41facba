"""Walking the cursor visits every row exactly once, for every ordering every list offers, both ways, with
unknown (null) values among the rows: nothing skipped, nothing repeated, no endless loop."""

import datetime
import random

import pytest

from events.models import Event
from tests import factories as f

pytestmark = pytest.mark.django_db

RESOURCES = {
    "events": ["date_start", "date_end", "updated_at", "created_at", "fatalities"],
    "claims": ["claimed_on", "updated_at"],
}


@pytest.fixture
def rows():
    rng = random.Random(7)
    events = []
    for n in range(23):
        best = None if n % 3 == 0 else rng.choice([0, 0, 1, 5, 5, 12])
        day = datetime.date(2022, 5, 1) + datetime.timedelta(days=rng.randrange(4))
        events.append(f.EventFactory(date_start=day, date_end=day, fatalities_best=best))
    report = f.ReportFactory(published_on=None)
    for n, event in enumerate(events[:13]):
        f.ClaimFactory(
            event=event, report=report, claimed_on=None if n % 2 else datetime.date(2022, 5, n + 1)
        )
    return events


def _walk(client, resource: str, ordering: str) -> list[int]:
    seen, params = [], {"ordering": ordering, "page_size": 4}
    for _ in range(100):  # more pages than rows: a loop that never ends fails here
        page = client.get(f"/api/v1/{resource}/", params)
        assert page.status_code == 200, page.json()
        body = page.json()
        seen += [row["id"] for row in body["results"]]
        if body["next_cursor"] is None:
            return seen
        params = {**params, "cursor": body["next_cursor"]}
    pytest.fail(f"{resource} ordered by {ordering}: the cursor never reached the end")


@pytest.mark.parametrize(
    "resource,ordering",
    [(r, sign + name) for r, names in RESOURCES.items() for name in names for sign in ("", "-")],
)
def test_the_cursor_visits_every_row_once(client, rows, resource, ordering):
    seen = _walk(client, resource, ordering)
    model = Event if resource == "events" else rows[0].claims.model
    assert sorted(seen) == sorted(model.objects.values_list("pk", flat=True)), ordering
    assert len(seen) == len(set(seen))
