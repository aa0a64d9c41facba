"""A JSON page's rows as the database writes them (`events.formats.json_rows`) equal `event_json`, byte for byte.

`event_json` defines an event's JSON over the record `rows.py` loads (a test elsewhere holds it to DRF's
rendering of the declared serializer). Here both are rendered over events of every kind the model allows
(see test_export_projection), plus text and numbers that test the writing of JSON itself: every escape,
floats whose shortest spelling needs 17 digits or an exponent, a verdict with its time, subject statuses.
"""

import datetime
import json

import orjson
import pytest
from django.db import connection

from events.formats.json import event_json
from events.formats.json_rows import event_json_fragments
from events.formats.rows import event_records
from events.models import Event, EventActor, Tag
from tests import factories as f
from tests.test_export_projection import QUERYSETS, every_kind_of_event

pytestmark = pytest.mark.django_db

AWKWARD_TEXT = (
    "quote \" backslash \\ slash / \x00\x01\x08\t\n\x0b\x0c\r\x1f\x7f é 中文 \u2028\u2029 😀 %s %% '"
)


def awkward_events() -> None:
    verdict_at = datetime.datetime(2025, 3, 4, 5, 6, 7, 891, tzinfo=datetime.UTC)
    event = f.EventFactory(
        latitude=1e-05, longitude=-0.30000000000000004, summary=AWKWARD_TEXT.replace("\x00", ""),
        notes="", acled_event_id='A"1\\', fatalities_low=0, fatalities_best=3, fatalities_high=2**31 - 1,
    )  # fmt: skip
    Event.objects.filter(pk=event.pk).update(
        verdict="confirmed", verdict_reason="Seen.\n", verdict_at=verdict_at, casualties_verification="claimed",
        casualties_reason="One side says so.", control_verification="", attribution_reason='"x"',
    )  # fmt: skip
    f.EventFactory(latitude=-0.0, longitude=179.99999999999997, summary="whole", notes="1e16")
    actor = f.ActorFactory(name='The "Quoted" \\ Front', acronym="Q%sF")
    other = f.EventFactory(latitude=None, longitude=None)
    EventActor.objects.create(event=other, actor=actor, role="side_a")
    other.tags.set([Tag.objects.create(name='tag "one"'), Tag.objects.create(name="tag\ttwo")])


def reference(queryset) -> bytes:
    return orjson.dumps([event_json(record) for chunk in event_records(queryset) for record in chunk])


def computed(queryset) -> bytes:
    ids = list(queryset.values_list("id", flat=True))
    return orjson.dumps(event_json_fragments(ids, connection.alias))


def test_the_database_writes_event_json_byte_for_byte(tmp_path):
    every_kind_of_event(tmp_path)
    awkward_events()
    assert Event.objects.count() >= 23
    for label, queryset in QUERYSETS.items():
        expected = reference(queryset())
        assert computed(queryset()) == expected, label
    # The awkward values reached the output as they are stored.
    rows = json.loads(computed(Event.objects.order_by("id")))
    assert any(row["summary"] == AWKWARD_TEXT.replace("\x00", "") for row in rows)
    assert any(row["latitude"] == 1e-05 and row["longitude"] == -0.30000000000000004 for row in rows)
    assert any(row["verification"]["verdict_at"] == "2025-03-04T05:06:07.000891Z" for row in rows)


def test_a_json_page_is_the_records_json_and_its_indented_form_the_same_document(client, tmp_path):
    every_kind_of_event(tmp_path)
    awkward_events()
    newest = Event.objects.order_by("-date_start", "-id")
    body = client.get("/api/v1/events/?page_size=1000").content
    assert body.index(b'"results":') > 0
    assert body.endswith(b'"results":' + reference(newest) + b"}")
    indented = client.get("/api/v1/events/?page_size=1000", HTTP_ACCEPT="application/json; indent=2")
    assert indented.status_code == 200 and b'\n  "results": [' in indented.content
    assert json.loads(indented.content) == json.loads(body)
