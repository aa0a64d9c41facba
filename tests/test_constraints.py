"""Every invariant is refused twice: by the database (raw save) and by full_clean (admin, API, services)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from actors.models import ActorAlias
from events.models import Claim, Event, EventActor, EventType, SubEventType, Tag
from events.precision import DatePrecision
from locations.models import Location, LocationAlias
from sources.models import ReportDerivation
from tests import factories as f

DAY = datetime.date(2022, 5, 6)


def with_attrs(obj, **attrs):
    for name, value in attrs.items():
        setattr(obj, name, value)
    return obj


def event(**attrs):
    return with_attrs(f.EventFactory.build(location=f.LocationFactory()), **attrs)


def claim(**attrs):
    return with_attrs(
        f.ClaimFactory.build(event=f.EventFactory(), report=f.ReportFactory(), claimant=None), **attrs
    )


def location(**attrs):
    return with_attrs(f.LocationFactory.build(parent=f.CountryFactory()), **attrs)


def duplicate_location():
    province = f.LocationFactory(name="Panjshir")
    return Location(name="PANJSHIR", level=1, parent=province.parent, path=province.path)


def self_affiliated_actor():
    actor = f.ActorFactory()
    actor.affiliation = actor
    return actor


def self_derived_report():
    report = f.ReportFactory()
    return ReportDerivation(report=report, derived_from=report)


def duplicate_derivation():
    link = f.ReportDerivationFactory()
    return ReportDerivation(report=link.report, derived_from=link.derived_from)


def duplicate_event_actor():
    role = f.EventActorFactory()
    return EventActor(event=role.event, actor=role.actor, role=EventActor.Role.SIDE_B)


def duplicate_report_url():
    f.ReportFactory(url="https://example.org/a")
    return f.ReportFactory.build(source=f.SourceFactory(), url="https://example.org/a")


def duplicate_acled_id():
    f.EventFactory(acled_event_id="AFG1")
    return event(acled_event_id="AFG1")


NORMALISED_BY_CLEAN = {"place with a blank P-code": "pcode", "blank ACLED id": "acled_event_id"}

CASES = {
    "location latitude above 90": lambda: location(latitude=91, longitude=0),
    "location longitude below -180": lambda: location(latitude=0, longitude=-181),
    "location with half a coordinate": lambda: location(latitude=34.0, longitude=None),
    "province without a parent": lambda: Location(name="Orphan", level=1, path="/"),
    "country with a parent": lambda: Location(name="Sub", level=0, parent=f.CountryFactory(), path="/"),
    "province with an ISO code": lambda: location(iso2="AF"),
    "country with a one-letter ISO code": lambda: Location(name="X", level=0, iso2="A", path="/"),
    "country with a two-letter alpha-3": lambda: Location(name="Y", level=0, iso3="AF", path="/"),
    "place with a blank P-code": lambda: location(pcode=""),
    "same place twice under one parent": duplicate_location,
    "duplicate P-code": lambda: (f.LocationFactory(pcode="AF08"), location(pcode="AF08"))[1],
    "duplicate location alias": lambda: (
        (loc := f.LocationFactory()),
        LocationAlias.objects.create(location=loc, name="Panjsher"),
        LocationAlias(location=loc, name="panjsher"),
    )[2],
    "blank location alias": lambda: LocationAlias(location=f.LocationFactory(), name=""),
    "duplicate actor name": lambda: (f.ActorFactory(name="Taliban"), f.ActorFactory.build(name="taliban"))[1],
    "blank actor name": lambda: f.ActorFactory.build(name=""),
    "actor affiliated to itself": self_affiliated_actor,
    "actor of unknown kind": lambda: f.ActorFactory.build(kind="wizard"),
    "duplicate actor alias": lambda: (
        (actor := f.ActorFactory()),
        ActorAlias.objects.create(actor=actor, name="NRF"),
        ActorAlias(actor=actor, name="nrf"),
    )[2],
    "blank actor alias": lambda: ActorAlias(actor=f.ActorFactory(), name=""),
    "duplicate source name": lambda: (f.SourceFactory(name="VOA"), f.SourceFactory.build(name="voa"))[1],
    "blank source name": lambda: f.SourceFactory.build(name=""),
    "source of unknown kind": lambda: f.SourceFactory.build(kind="pamphlet"),
    "source of unknown scale": lambda: f.SourceFactory.build(scale="galactic"),
    "report without a title": lambda: f.ReportFactory.build(source=f.SourceFactory(), title=""),
    "two reports with one URL": duplicate_report_url,
    "report derived from itself": self_derived_report,
    "derivation recorded twice": duplicate_derivation,
    "derivation of unknown kind": lambda: with_attrs(
        f.ReportDerivationFactory.build(report=f.ReportFactory(), derived_from=f.ReportFactory()),
        relation="copies",
    ),
    "duplicate event type": lambda: EventType(name="battles", slug="battles-2"),
    "duplicate sub-event type": lambda: SubEventType(
        name="ARMED CLASH", slug="armed-clash-2", event_type=EventType.objects.get(slug="battles")
    ),
    "duplicate tag": lambda: (Tag.objects.create(name="Offensive"), Tag(name="offensive"))[1],
    "blank tag": lambda: Tag(name=""),
    "event ending before it starts": lambda: event(
        date_precision=DatePrecision.WEEK, date_end=DAY - datetime.timedelta(days=1)
    ),
    "exact-day event spanning two days": lambda: event(date_end=DAY + datetime.timedelta(days=1)),
    "event of unknown date precision": lambda: event(date_precision=9),
    "event of unknown geo precision": lambda: event(geo_precision=9),
    "fatalities low above best": lambda: event(fatalities_low=5, fatalities_best=2),
    "fatalities best above high": lambda: event(fatalities_best=5, fatalities_high=2),
    "fatalities low above high": lambda: event(fatalities_low=5, fatalities_high=2),
    "negative fatalities": lambda: event(fatalities_best=-1),
    "event latitude out of range": lambda: event(latitude=-91, longitude=0),
    "event longitude out of range": lambda: event(latitude=0, longitude=181),
    "event with half a coordinate": lambda: event(latitude=None, longitude=70),
    "event without a summary": lambda: event(summary=""),
    "event with unknown verification": lambda: event(verification="rumoured"),
    "event with unknown verdict": lambda: event(verdict="maybe", verdict_reason="because"),
    "verdict without a reason": lambda: event(verdict="confirmed", verdict_reason=""),
    "blank ACLED id": lambda: event(acled_event_id=""),
    "duplicate ACLED id": duplicate_acled_id,
    "duplicate UCDP id": lambda: (f.EventFactory(ucdp_ged_id=42), event(ucdp_ged_id=42))[1],
    "actor twice in one event": duplicate_event_actor,
    "event actor with unknown role": lambda: EventActor(
        event=f.EventFactory(), actor=f.ActorFactory(), role="referee"
    ),
    "claim of unknown stance": lambda: claim(stance="hints"),
    "claim of unknown subject": lambda: claim(subject="weather"),
    "claimed fatalities low above high": lambda: claim(claimed_fatalities_low=9, claimed_fatalities_high=1),
    "claim quoting a whole article": lambda: claim(quote="x" * (Claim.QUOTE_MAX_LENGTH + 1)),
    "claim counting the dead of an unknown side": lambda: claim(subject="casualties", casualties_of="side_c"),
    "claim about occurrence saying whose dead": lambda: claim(subject="occurrence", casualties_of="side_a"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES)
def test_the_database_refuses(case):
    obj = CASES[case]()
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        # Raw save, as a bulk loader or a bug elsewhere would do it: no clean() in the way.
        obj.save()
    if case in EXPECTED_CONSTRAINT:
        # The right constraint fired, not some other one by accident (both backends name it).
        assert any(name in str(refused.value) for name in _names_in_errors(EXPECTED_CONSTRAINT[case]))


def _names_in_errors(constraint_name: str) -> list[str]:
    """How each backend names a constraint in its error: by name, or (SQLite, field unique) by columns."""
    from django.apps import apps

    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if constraint.name == constraint_name:
                table = model._meta.db_table
                columns = [model._meta.get_field(f).column for f in getattr(constraint, "fields", ())]
                return [constraint_name] + ([", ".join(f"{table}.{c}" for c in columns)] if columns else [])
    raise AssertionError(f"unknown constraint {constraint_name}")


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES)
def test_full_clean_refuses_with_a_message(case):
    obj = CASES[case]()
    if case in NORMALISED_BY_CLEAN:
        # A blank optional code is not an error to the user: clean() stores it as NULL instead.
        field = NORMALISED_BY_CLEAN[case]
        obj.full_clean()
        assert getattr(obj, field) is None
        return
    with pytest.raises(ValidationError) as refused:
        obj.full_clean()
    assert refused.value.messages, "a refusal must say why"


@pytest.mark.django_db
def test_a_valid_event_passes_both_layers():
    obj = event()
    obj.full_clean()
    obj.save()
    assert Event.objects.filter(pk=obj.pk).exists()


@pytest.mark.django_db
def test_clean_refuses_a_sub_event_type_of_another_type():
    obj = event(event_type=EventType.objects.get(slug="protests"))
    with pytest.raises(ValidationError) as refused:
        obj.full_clean()
    assert "sub_event_type" in refused.value.message_dict


@pytest.mark.django_db
def test_clean_refuses_a_speaker_who_is_not_a_person():
    obj = claim(speaker=f.ActorFactory())
    with pytest.raises(ValidationError) as refused:
        obj.full_clean()
    assert "speaker" in refused.value.message_dict


@pytest.mark.django_db
def test_clean_refuses_an_affiliation_cycle():
    group, unit = f.ActorFactory(), f.ActorFactory()
    unit.affiliation = group
    unit.save()
    group.affiliation = unit
    with pytest.raises(ValidationError) as refused:
        group.full_clean()
    assert "affiliation" in refused.value.message_dict


@pytest.mark.django_db
def test_clean_refuses_a_district_under_a_district():
    district = f.LocationFactory(level=Location.Level.ADMIN2, parent=f.LocationFactory())
    child = Location(name="Inner", level=Location.Level.ADMIN2, parent=district)
    with pytest.raises(ValidationError) as refused:
        child.full_clean()
    assert "parent" in refused.value.message_dict


@pytest.mark.django_db
def test_actor_country_must_be_a_country():
    actor = f.ActorFactory.build(country=f.LocationFactory())
    with pytest.raises(ValidationError) as refused:
        actor.full_clean()
    assert "country" in refused.value.message_dict


@pytest.mark.django_db
def test_claim_defaults_claimed_on_to_the_report_date():
    obj = claim(claimed_on=None)
    obj.full_clean()
    assert obj.claimed_on == obj.report.published_on


CONSTRAINT_CASES = {
    "location_latitude_in_range": {"location latitude above 90"},
    "location_longitude_in_range": {"location longitude below -180"},
    "location_coordinates_paired": {"location with half a coordinate"},
    "location_only_countries_are_roots": {"province without a parent", "country with a parent"},
    "location_iso_codes_only_on_countries": {"province with an ISO code"},
    "location_iso2_two_letters": {"country with a one-letter ISO code"},
    "location_iso3_three_letters": {"country with a two-letter alpha-3"},
    "location_pcode_null_not_blank": {"place with a blank P-code"},
    "location_unique_name_per_parent_and_level": {"same place twice under one parent"},
    "location_alias_unique_per_location": {"duplicate location alias"},
    "location_alias_not_blank": {"blank location alias"},
    "actor_unique_name": {"duplicate actor name"},
    "actor_name_not_blank": {"blank actor name"},
    "actor_not_affiliated_to_itself": {"actor affiliated to itself"},
    "actor_kind_known": {"actor of unknown kind"},
    "actor_alias_unique_per_actor": {"duplicate actor alias"},
    "actor_alias_not_blank": {"blank actor alias"},
    "source_unique_name": {"duplicate source name"},
    "source_name_not_blank": {"blank source name"},
    "source_kind_known": {"source of unknown kind"},
    "source_scale_known": {"source of unknown scale"},
    "report_title_not_blank": {"report without a title"},
    "report_unique_url": {"two reports with one URL"},
    "report_derivation_unique": {"derivation recorded twice"},
    "report_not_derived_from_itself": {"report derived from itself"},
    "report_derivation_relation_known": {"derivation of unknown kind"},
    "event_type_unique_name": {"duplicate event type"},
    "sub_event_type_unique_name": {"duplicate sub-event type"},
    "tag_unique_name": {"duplicate tag"},
    "tag_name_not_blank": {"blank tag"},
    "event_date_end_after_start": {"event ending before it starts"},
    "event_exact_day_is_one_day": {"exact-day event spanning two days"},
    "event_date_precision_known": {"event of unknown date precision"},
    "event_geo_precision_known": {"event of unknown geo precision"},
    "event_fatalities_low_le_best": {"fatalities low above best"},
    "event_fatalities_best_le_high": {"fatalities best above high"},
    "event_fatalities_low_le_high": {"fatalities low above high"},
    "event_latitude_in_range": {"event latitude out of range"},
    "event_longitude_in_range": {"event longitude out of range"},
    "event_coordinates_paired": {"event with half a coordinate"},
    "event_summary_not_blank": {"event without a summary"},
    "event_verification_known": {"event with unknown verification"},
    "event_verdict_known": {"event with unknown verdict"},
    "event_verdict_needs_reason": {"verdict without a reason"},
    "event_acled_id_null_not_blank": {"blank ACLED id"},
    "event_actor_once_per_event": {"actor twice in one event"},
    "event_actor_role_known": {"event actor with unknown role"},
    "claim_stance_known": {"claim of unknown stance"},
    "claim_subject_known": {"claim of unknown subject"},
    "claim_fatalities_low_le_high": {"claimed fatalities low above high"},
    "claim_quote_short": {"claim quoting a whole article"},
    "claim_casualties_of_known": {"claim counting the dead of an unknown side"},
    "claim_casualties_of_only_for_casualties": {"claim about occurrence saying whose dead"},
}

EXPECTED_CONSTRAINT = {case: name for name, cases in CONSTRAINT_CASES.items() for case in cases}


def test_every_model_constraint_has_a_case():
    """A constraint added later without a case here fails this test."""
    from django.apps import apps

    declared = {
        c.name
        for app in ("locations", "actors", "sources", "events")
        for model in apps.get_app_config(app).get_models()
        for c in model._meta.constraints
    }
    assert declared == set(CONSTRAINT_CASES)
    assert set(EXPECTED_CONSTRAINT) <= set(CASES)
