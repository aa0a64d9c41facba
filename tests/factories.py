"""factory_boy factories: valid objects by default, so a test states only what it is about."""

import datetime

import factory

from actors.models import Actor
from events.models import Claim, Event, EventActor, SubEventType
from events.precision import GeoPrecision
from locations.models import Location
from sources.models import Report, ReportDerivation, Source


class CountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Country {n}")
    level = Location.Level.COUNTRY
    path = "/"


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Province {n}")
    level = Location.Level.ADMIN1
    parent = factory.SubFactory(CountryFactory)
    path = factory.LazyAttribute(lambda o: f"{o.parent.path}{o.parent.pk}/")


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor

    name = factory.Sequence(lambda n: f"Armed group {n}")
    kind = Actor.Kind.REBEL_GROUP


class PersonFactory(ActorFactory):
    name = factory.Sequence(lambda n: f"Spokesperson {n}")
    kind = Actor.Kind.PERSON


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    name = factory.Sequence(lambda n: f"Outlet {n}")
    kind = Source.Kind.NEWSPAPER
    scale = Source.Scale.INTERNATIONAL


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    source = factory.SubFactory(SourceFactory)
    title = factory.Sequence(lambda n: f"Report {n}")
    published_on = datetime.date(2022, 5, 6)


class ReportDerivationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportDerivation

    report = factory.SubFactory(ReportFactory)
    derived_from = factory.SubFactory(ReportFactory)
    relation = ReportDerivation.Relation.REPUBLISHES


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    date_start = datetime.date(2022, 5, 6)
    date_end = factory.SelfAttribute("date_start")
    sub_event_type = factory.LazyFunction(lambda: SubEventType.objects.get(slug="armed-clash"))
    event_type = factory.SelfAttribute("sub_event_type.event_type")
    location = factory.SubFactory(LocationFactory)
    geo_precision = GeoPrecision.ADMIN1
    summary = factory.Sequence(lambda n: f"Clash number {n}")


class EventActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventActor

    event = factory.SubFactory(EventFactory)
    actor = factory.SubFactory(ActorFactory)
    role = EventActor.Role.SIDE_A


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    event = factory.SubFactory(EventFactory)
    report = factory.SubFactory(ReportFactory)
    claimant = factory.SubFactory(ActorFactory)
    stance = Claim.Stance.ASSERTS
