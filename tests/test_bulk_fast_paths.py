"""The bulk path's shortcuts say exactly what the slow ways say.

- Validation: `core.integrity.full_clean_for_write` passes a value the field would take as it is without
  Django's per-field machinery; it must refuse what `Model.full_clean` refuses, with the same messages, and
  leave the same values. The bulk writer validates only what a row sets (the defaults once): its refusals
  must be those of an `Event` built and validated the old way.
- Derivation: events the bulk writer creates are derived in memory before they are written; the stored
  state must equal a recomputation from the database, voices with operators and affiliations included, and
  a change another transaction makes meanwhile to what the derivation assumed is caught at the flush.
"""

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actors.models import Actor
from core.deferred import deferred
from core.integrity import field_takes_as_is, full_clean_for_write
from events.models import Event, SubEventType, Verification
from events.services.bulk import (
    ActorRef,
    ClaimRow,
    CountryRef,
    EventRow,
    EventsBulkWriter,
    events_bulk_write,
)
from events.verification import events_rederive, flush
from sources.models import Source
from tests import factories as f

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, 1, 2, 3, 5, 7, -1, 32767, 32768, 2147483647, 2147483648]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "x" * 499, "x" * 500, "x" * 501, "asserts", "side_a", "reported"]),
    st.dates(),
    st.datetimes(timezones=st.just(datetime.UTC)),
    st.datetimes(),
    st.just(Verification.REPORTED),
    st.lists(st.integers(), max_size=2),
)


def _checked_fields():
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.fields
        if field_takes_as_is(field) is not None
    ]


@pytest.mark.parametrize(("model", "field"), _checked_fields(), ids=lambda x: getattr(x, "name", str(x)))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=VALUES)
def test_a_value_passed_as_it_is_is_one_the_field_would_leave_unchanged(model, field, value):
    if not field_takes_as_is(field)(value):
        return  # "not sure": the field's own clean() decides
    if field.blank and value in field.empty_values:
        return  # full_clean skips blank values of blank fields
    cleaned = field.clean(value, model())  # raises if the shortcut was wrong
    assert type(cleaned) is type(value) and (cleaned is value or cleaned == value)  # nan is not nan's equal


EVENT_VALUES = {
    "date_start": st.one_of(st.dates(), st.none(), st.just("2020-01-01")),
    "date_end": st.one_of(st.dates(), st.none()),
    "date_precision": st.one_of(st.integers(-1, 7), st.none(), st.just("1")),
    "geo_precision": st.one_of(st.integers(-1, 9), st.none()),
    "latitude": st.one_of(st.none(), st.floats(-100, 100), st.integers(-5, 5)),
    "longitude": st.one_of(st.none(), st.floats(-200, 200)),
    "fatalities_low": st.one_of(st.none(), st.integers(-3, 50)),
    "fatalities_best": st.one_of(st.none(), st.integers(-3, 50)),
    "fatalities_high": st.one_of(st.none(), st.integers(-3, 50), st.just(2**40)),
    "civilian_targeting": st.one_of(st.booleans(), st.none(), st.just(1)),
    "summary": st.one_of(st.text(max_size=8), st.just("x" * 501), st.just("a\x00b")),
    "notes": st.one_of(st.text(max_size=8), st.none()),
    "acled_event_id": st.one_of(st.none(), st.just(""), st.just(" AFG1 "), st.text(max_size=40)),
    "ucdp_ged_id": st.one_of(st.none(), st.integers(-2, 10)),
    "verdict": st.sampled_from(["", "confirmed", "maybe"]),
    "verdict_reason": st.sampled_from(["", "Seen on video."]),
}
event_fields = st.fixed_dictionaries({}, optional=EVENT_VALUES)


def _event_values(event: Event) -> dict:
    return {f.attname: getattr(event, f.attname) for f in Event._meta.concrete_fields}


@pytest.mark.django_db
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=event_fields)
def test_the_fast_full_clean_refuses_and_leaves_what_full_clean_does(values):
    sub_type = SubEventType.objects.select_related("event_type").get(slug="armed-clash")
    events = []
    for _ in range(2):
        event = Event(**values)
        event.sub_event_type, event.event_type = sub_type, sub_type.event_type
        events.append(event)
    outcomes = []
    for event, check in (
        (
            events[0],
            lambda e: e.full_clean(exclude={"location"}, validate_unique=False, validate_constraints=False),
        ),
        (events[1], lambda e: full_clean_for_write(e, {"location", "sub_event_type", "event_type"})),
    ):
        try:
            check(event)
            outcomes.append(None)
        except ValidationError as exc:
            outcomes.append(exc.message_dict)
    assert outcomes[0] == outcomes[1]
    assert _event_values(events[0]) == _event_values(events[1])


@pytest.mark.django_db
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=event_fields)
def test_the_bulk_writer_refuses_what_an_event_validated_the_old_way_refuses(values):
    """The writer builds a new event from the model's defaults, checked once, and cleans what the row sets;
    the old way built an Event and ran full_clean on all of it."""
    fields = {"acled_event_id": "AFG1", "date_start": datetime.date(2020, 1, 1),
              "date_end": datetime.date(2020, 1, 1), "geo_precision": 1, "summary": "A clash", **values}  # fmt: skip
    latitude, longitude = fields.pop("latitude", None), fields.pop("longitude", None)
    row = EventRow(line=2, fields=fields, sub_event_type="armed-clash", country=CountryRef("Nowhere"),
                   latitude=latitude, longitude=longitude)  # fmt: skip
    sub_type = SubEventType.objects.select_related("event_type").get(slug="armed-clash")
    old = Event()
    for name, value in fields.items():
        setattr(old, name, value)
    old.sub_event_type, old.event_type = sub_type, sub_type.event_type
    old.latitude, old.longitude = latitude, longitude
    try:
        old.full_clean(exclude={"location"}, validate_unique=False, validate_constraints=False)
        expected = []
    except ValidationError as exc:
        expected = [(2, exc.message_dict)]
    assert EventsBulkWriter().check([row]) == expected


# --- derivation in memory --------------------------------------------------------------------------------


LAND = CountryRef("Memoryland", iso3="MML")


def _row(n: int, claims: list[ClaimRow], actors=("Front", "Army")) -> EventRow:
    day = datetime.date(2021, 3, 1) + datetime.timedelta(days=n)
    return EventRow(
        line=n + 1,
        fields={"acled_event_id": f"MML{n}", "date_start": day, "date_end": day, "date_precision": 1,
                "geo_precision": 1, "summary": f"Event {n}"},
        sub_event_type="armed-clash" if n % 3 else "non-state-actor-overtakes-territory",
        country=LAND,
        places=("North", f"Town {n % 4}"),
        actors=[(ActorRef(name, "rebel_group"), role) for name, role in zip(actors, ["side_a", "side_b"],
                                                                           strict=False)],
        claims=claims,
    )  # fmt: skip


def _stored_equals_recomputed() -> bool:
    return events_rederive(Event.all_objects.values_list("pk", flat=True)) == 0


@pytest.mark.django_db
def test_new_events_derived_in_memory_equal_a_recomputation_with_every_kind_of_voice():
    front = f.ActorFactory(name="Front")
    spokesperson = f.PersonFactory(name="Front spokesperson", affiliation=front)
    f.SourceFactory(name="Front channel", operated_by=spokesperson)
    f.SourceFactory(name="Army press office", operated_by=f.ActorFactory(name="Army"))
    dated = datetime.date(2021, 3, 9)
    rows = []
    for n in range(30):
        claims = [
            ClaimRow(source="Wire", report_key=f"m:{n}:wire", report_title="Wire story",
                     published_on=dated if n % 2 else None),
            ClaimRow(source="Front channel", report_key=f"m:{n}:front", report_title="Statement",
                     stance="asserts" if n % 4 else "denies", published_on=dated - datetime.timedelta(days=n % 3)),
            ClaimRow(source="Army press office", report_key=f"m:{n}:army", report_title="Communique",
                     subject="casualties", casualties_of="side_a", claimed_fatalities_low=n % 5,
                     claimed_fatalities_high=n % 5 + (n % 2) * 3, stance="asserts" if n % 5 else "denies"),
            ClaimRow(source="Local radio", report_key=f"m:{n}:radio", report_title="Radio",
                     claimant=ActorRef("Front", "rebel_group"), subject="territorial_control",
                     stance=["asserts", "denies", "cannot_confirm", "confirms"][n % 4]),
        ][: 1 + n % 4]  # fmt: skip
        rows.append(_row(n, claims, actors=("Front", "Army", "Front")[: 1 + n % 3]))
    result = events_bulk_write(rows, batch_size=7)
    assert result.created == 30
    assert Event.objects.exclude(verification="unverified").exists()
    assert _stored_equals_recomputed()


@pytest.mark.django_db
def test_a_change_to_what_a_derivation_in_memory_assumed_is_caught_at_the_flush():
    """Another transaction makes a source's operator a party while an import runs (here, a raw UPDATE
    between the writer's derivation and the flush): the events it voices are re-derived from the database."""
    army = f.ActorFactory(name="Army")
    source = f.SourceFactory(name="Army gazette")
    with deferred():
        events_bulk_write([_row(1, [ClaimRow(source="Army gazette", report_key="m:1:g", report_title="G")])])
        Source.objects.filter(pk=source.pk).update(operated_by=army)  # no signal: nothing marked
        Actor.objects.filter(pk=army.pk).update(notes="unrelated")
    event = Event.objects.get(acled_event_id="MML1")
    assert event.verification == "claimed"  # the army is a party: its own gazette only claims it
    assert _stored_equals_recomputed()


@pytest.mark.django_db
def test_a_new_event_citing_a_report_already_here_is_derived_from_the_database():
    wire = f.ReportFactory(import_key="m:shared")
    f.ClaimFactory(report=wire)
    rows = [_row(2, [ClaimRow(source=wire.source.name, report_key="m:shared", report_title="Shared")])]
    assert events_bulk_write(rows).created == 1
    flush()
    assert _stored_equals_recomputed()
