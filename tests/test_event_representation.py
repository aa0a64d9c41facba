"""The hand-built event rendering equals DRF's generic rendering of the declared serializer, always."""

import datetime

import pytest
from django.utils import timezone
from rest_framework import serializers

from events.api.serializers import EventDetailSerializer, EventSerializer
from events.formats.rows import record_of
from events.models import Event
from events.services import event_save, event_set_verdict
from locations.selectors import locations_attach_lineage
from tests import factories as f


def events_attach_points(events) -> None:
    """What DRF's generic walk reads beyond the model: the place's lineage and the event's point."""
    locations_attach_lineage(event.location for event in events)
    for event in events:
        event.point = record_of(event)["point"]


def generic(serializer_class, event):
    """What DRF renders from the declared fields, without the fast path."""
    serializer = serializer_class(event)
    return serializers.ModelSerializer.to_representation(serializer, event)


@pytest.mark.usefixtures("seed")
def test_fast_and_generic_renderings_agree(django_user_model):
    own_point = f.EventFactory(latitude=34.5, longitude=69.2, fatalities_low=0, fatalities_best=3, fatalities_high=9,
                               acled_event_id="AFG123", ucdp_ged_id=77, civilian_targeting=True,
                               date_end=datetime.date(2022, 5, 9), date_precision=2)  # fmt: skip
    event_save(event=own_point, fields=[], actors=[(f.ActorFactory(acronym="XY"), "associated_b")])
    event_set_verdict(event=Event.objects.get(pk=1), verdict="refuted", reason="Checked.",
                      user=django_user_model.objects.create_user("reviewer"))  # fmt: skip
    Event.objects.filter(pk=2).update(updated_at=timezone.now())
    events = list(Event.objects.for_detail())
    events_attach_points(events)
    assert len(events) == 11
    for event in events:
        assert EventSerializer(event).data == generic(EventSerializer, event), event.pk
        assert EventDetailSerializer(event).data == generic(EventDetailSerializer, event), event.pk


@pytest.mark.usefixtures("seed")
def test_the_json_detail_is_the_serializers_rendering_byte_for_byte(client, django_user_model):
    """The detail view renders records (no instance, no serializer); its body and ETag are what the
    serializer and `etag_of` make of the instance, whatever the claims hold."""
    from core.api.conditional import etag_of
    from core.api.renderers import FastJSONRenderer

    event = Event.objects.get(pk=1)
    f.ClaimFactory(event=event, claimant=None, speaker=f.ActorFactory(acronym=""), claimed_on=None,
                   subject="casualties", casualties_of="civilians", claimed_fatalities_low=2,
                   report=f.ReportFactory(published_on=None, url="https://example.org/r"),
                   quote="They said so.", notes="Checked twice.")  # fmt: skip
    f.ClaimFactory(event=f.EventFactory(), claimant=None, speaker=None)
    for event in Event.objects.for_detail():
        response = client.get(f"/api/v1/events/{event.pk}/")
        assert response.status_code == 200
        assert response.content == FastJSONRenderer().render(EventDetailSerializer(event).data), event.pk
        assert response["ETag"] == etag_of(event), event.pk
    # With filters the detail is read through them (a miss is a 404), and the body is the same.
    body = client.get("/api/v1/events/1/").content
    assert client.get("/api/v1/events/1/?date_after=1900-01-01&format=json").content == body
    assert client.get("/api/v1/events/1/?date_after=2100-01-01").status_code == 404
    # The strict parameters hold without filters too.
    assert client.get("/api/v1/events/1/?format=").json() == {
        "format": ["Empty value: give one, or leave the parameter out."]
    }
    assert client.get("/api/v1/events/1/?format=json&format=json").json() == {
        "format": ["Given 2 times; it takes one value."]
    }


@pytest.mark.usefixtures("seed")
def test_statistics_are_the_serializers_rendering():
    from core.api.renderers import FastJSONRenderer
    from events.api.analysis import StatsSerializer
    from events.stats import FIGURE_SETS, GROUPS, event_stats

    f.EventActorFactory(event=Event.objects.get(pk=2))  # an actor group, and an event in two of them
    for group_by in GROUPS:
        for figures in FIGURE_SETS:
            stats = event_stats(Event.objects.all(), group_by, figures)
            assert stats["results"], group_by
            generic_rendering = serializers.Serializer.to_representation(StatsSerializer(stats), stats)
            rendered = FastJSONRenderer().render(StatsSerializer(stats).data)
            assert rendered == FastJSONRenderer().render(generic_rendering), (group_by, figures)
