from dataclasses import replace

import django_filters
from django import forms
from django.db import connections
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.utils import extend_schema_field

from actors.models import Actor, ActorAlias
from actors.selectors import acronym_is, actors_named
from core.api.filters import (
    FilterSet,
    IdsFilter,
    IdsOrNamesFilter,
    IntegerFilter,
    IsoDateFilter,
    SlugsFilter,
    ordering_filter,
    updated_since_filter,
)
from core.api.pagination import keyset_condition
from core.db.prepared import TextQuery
from core.text_index import name_contains
from locations.filters import CountryFilter
from locations.geo import BBOX_PATTERN, NEAR_PATTERN, BBoxField, NearField, filter_near, in_bbox
from locations.models import Location, LocationAlias
from locations.selectors import locations_named
from sources.models import Report, Source

from .claimants import claims_made_by
from .models import Claim, Event, EventActor, EventType, SubEventType, Verification
from .precision import DatePrecision, GeoPrecision
from .search import matching

TYPE_FILTERS = ("event_type", "sub_event_type")
DATE_FILTERS = ("date_after", "date_before")
BY_ID_OR_NAME = "An id, or a name, acronym or alias in any case if only one actor has it."
EVENT_ORDERING = ["date_start", "date_end", "updated_at", "created_at", "fatalities"]


@extend_schema_field({"type": "string", "pattern": BBOX_PATTERN})
class BBoxFilter(django_filters.Filter):
    field_class = BBoxField


@extend_schema_field({"type": "string", "pattern": NEAR_PATTERN})
class NearFilter(django_filters.Filter):
    field_class = NearField


class EventFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        for low, high in (("date_after", "date_before"), ("fatalities_min", "fatalities_max")):
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(
                    high, f"{high} ({data[high]}) is before {low} ({data[low]}): the range is empty."
                )
        return data


def actors_filter(method: str, help_text: str) -> IdsOrNamesFilter:
    """A filter by actors, each given by id or by a name only one actor has."""
    return IdsOrNamesFilter(
        queryset=Actor.objects.all(), method=method, names=actors_named, noun="actor", help_text=help_text
    )


def events_inside(location: Location) -> Q:
    """Events at the place or anywhere inside it, by materialised path (no tree walk).

    The places are found first, in a subquery over the gazetteer (a few thousand rows at most), so that the
    events are read by `location_id` through their (location, date) index, instead of joining every event to
    its place to test its path.
    """
    return Q(location_id__in=Location.objects.within(location).values("pk"))


def events_with_actor(actors, role: str | None = None) -> Q:
    """Events the actors take part in: their roles, read by actor, as a subquery (a correlated EXISTS would
    test every event in date order until a page is full, thousands of probes for a rare actor)."""
    roles = EventActor.objects.filter(actor__in_ids=[actor.pk for actor in actors])
    if role is not None:
        roles = roles.filter(role=role)
    return Q(pk__in=roles.values("event_id"))


# The filters by one actor, and the role each asks for (None: any).
ACTOR_ROLE_FILTERS = {"actor": None, "actor1": EventActor.Role.SIDE_A, "actor2": EventActor.Role.SIDE_B}


def one_actors_page(events, actor, role: str | None, keys, cursor, limit: int):
    """`events` narrowed to the candidates of a page of one actor's events (in `role`, or any) in date order
    (keys date_start then id): the first `limit` of those live events after the cursor, read in order from
    the role index (actor, event_date, event), where the event's date sits beside each role. Without it a
    page read every event of the actor to sort them by date (6 ms for an actor with 2,000 events; this reads
    its page's entries). None where the keys are another ordering."""
    if [key.name for key in keys] != ["date_start", "id"]:
        return None
    role_keys = [replace(keys[0], name="event_date"), replace(keys[1], name="event_id")]
    backwards = bool(cursor and cursor.backwards)
    roles = EventActor.objects.filter(actor=actor, event__deleted_at__isnull=True)
    if role is not None:
        roles = roles.filter(role=role)
    if cursor:
        roles = roles.filter(keyset_condition(role_keys, cursor.values, backwards))
    order = [f"{'-' if key.descending != backwards else ''}{key.name}" for key in role_keys]
    return events.filter(pk__in=roles.order_by(*order).values("event_id")[:limit])


# Up to this many places or actors whose names match `q` are given to the events' query as a list of ids;
# more (a text of one or two letters) as the subquery that found them.
LISTED_MATCHES = 500


def actors_named_in(text: str, vendor: str):
    """The actors whose name or an alias contains `text`, or whose acronym is `text`, in any case (names
    as substrings through their trigram indexes on SQLite, core/text_index.py). The aliases as one list,
    read once (`IN`), not probed for every actor (`EXISTS`): at 30,000 places the probes cost more than the
    rest of a search."""
    return Actor.objects.filter(
        name_contains(Actor, text, vendor)
        | acronym_is(text)
        | Q(pk__in=ActorAlias.objects.filter(name_contains(ActorAlias, text, vendor)).values("actor_id"))
    ).order_by()


def places_named_in(text: str, vendor: str):
    """The places whose name or an alias contains `text`, in any case (as above)."""
    aliases = LocationAlias.objects.filter(name_contains(LocationAlias, text, vendor)).values("location_id")
    return Location.objects.filter(name_contains(Location, text, vendor) | Q(pk__in=aliases)).order_by()


def _first_matches(named_in) -> TextQuery:
    """`named_in`'s first LISTED_MATCHES + 1 ids for a text, compiled once (core.db.prepared.TextQuery)."""
    return TextQuery(lambda text, vendor: named_in(text, vendor).values_list("pk")[: LISTED_MATCHES + 1])


ACTOR_MATCHES, PLACE_MATCHES = _first_matches(actors_named_in), _first_matches(places_named_in)


def _matched(first_matches: TextQuery, named_in, text: str, alias: str):
    """What the places or actors named in `text` are, for an `__in` lookup: their ids (up to
    LISTED_MATCHES), the subquery that finds them when there are more, None when there are none."""
    ids = [pk for (pk,) in first_matches.rows(text, alias)]
    if not ids:
        return None
    return ids if len(ids) <= LISTED_MATCHES else named_in(text, connections[alias].vendor).values("pk")


class EventFilterSet(FilterSet):
    date_after = IsoDateFilter(
        field_name="date_end",
        lookup_expr="gte",
        help_text="Events whose date range ends on or after this date (YYYY-MM-DD): ranges that overlap.",
    )
    date_before = IsoDateFilter(
        field_name="date_start",
        lookup_expr="lte",
        help_text="Events whose date range starts on or before this date (YYYY-MM-DD): ranges that overlap.",
    )
    country = CountryFilter(
        method="filter_country", help_text="ISO 3166-1 alpha-2 or alpha-3 code (AF or AFG): events inside it."
    )
    location = IdsOrNamesFilter(
        queryset=Location.objects.all(),
        method="filter_location",
        names=locations_named,
        noun="place",
        describe=lambda place: f"{place.name}, {place.get_level_display()}",
        help_text="Location id, or a place's name or alias if only one place has it: events at that place or "
        "anywhere inside it (repeatable: any of).",
    )
    pcode = django_filters.CharFilter(
        method="filter_pcode",
        help_text="P-code prefix (AF08 = Panjshir): events in every place whose P-code starts so, and inside it.",
    )
    bbox = BBoxFilter(
        method="filter_bbox",
        help_text="minlon,minlat,maxlon,maxlat in decimal degrees: events whose point (their own, else their "
        "place's) is inside; a minlon above maxlon crosses the antimeridian.",
    )
    near = NearFilter(
        method="filter_near",
        help_text="lat,lon,km in decimal degrees and kilometres: events whose point is within km kilometres "
        "(great-circle distance).",
    )
    actor = actors_filter("filter_actor", f"Actor in any role (repeatable: any of). {BY_ID_OR_NAME}")
    actor1 = actors_filter("filter_actor1", f"Actor on side A (ACLED actor1). {BY_ID_OR_NAME}")
    actor2 = actors_filter("filter_actor2", f"Actor on side B (ACLED actor2). {BY_ID_OR_NAME}")
    claimant = actors_filter(
        "filter_claimant",
        "Actor: events with a claim made by this actor, a person speaking for it or its own channel. "
        + BY_ID_OR_NAME,
    )
    source = IdsFilter(
        queryset=Source.objects.all(),
        method="filter_source",
        help_text="Source id: events with a claim in its reports.",
    )
    event_type = SlugsFilter(
        queryset=EventType.objects.all(),
        related="event_type",
        help_text="Event type slug, e.g. battles.",
    )
    sub_event_type = SlugsFilter(
        queryset=SubEventType.objects.all(),
        related="sub_event_type",
        help_text="Sub-event type slug, e.g. armed-clash.",
    )
    verification = django_filters.MultipleChoiceFilter(
        distinct=False, choices=Verification.choices, help_text="Verification status (repeatable: any of)."
    )
    attribution_verification = django_filters.MultipleChoiceFilter(
        distinct=False,
        choices=Verification.choices,
        help_text="Status of the claims about who did it (any of).",
    )
    casualties_verification = django_filters.MultipleChoiceFilter(
        distinct=False,
        choices=Verification.choices,
        help_text="Status of the claims about casualties (any of), e.g. disputed.",
    )
    control_verification = django_filters.MultipleChoiceFilter(
        distinct=False,
        choices=Verification.choices,
        help_text="Status of the claims about territorial control (any of).",
    )
    fatalities_min = IntegerFilter(
        field_name="fatalities_best",
        lookup_expr="gte",
        min_value=0,
        help_text="Best fatality estimate at least this; events with unknown fatalities are left out.",
    )
    fatalities_max = IntegerFilter(
        field_name="fatalities_best",
        lookup_expr="lte",
        min_value=0,
        help_text="Best fatality estimate at most this; events with unknown fatalities are left out.",
    )
    geo_precision = django_filters.TypedMultipleChoiceFilter(
        distinct=False,
        choices=GeoPrecision.choices,
        coerce=int,
        help_text="Geo precision code, UCDP where_prec scale 1-7.",
    )
    date_precision = django_filters.TypedMultipleChoiceFilter(
        distinct=False,
        choices=DatePrecision.choices,
        coerce=int,
        help_text="Date precision code, UCDP date_prec scale 1-5.",
    )
    q = django_filters.CharFilter(
        method="filter_q",
        help_text="Words in the summary or notes (every word, each as a word or its start, in any case), or "
        "text in the place's names and aliases or the actors' names and aliases.",
    )
    updated_since = updated_since_filter()
    ordering = ordering_filter(EVENT_ORDERING, default="-date_start")

    class Meta:
        model = Event
        fields = []
        form = EventFilterForm

    # Lists read a page in date order; statistics read every match (EventStatsFilterSet).
    pages_in_date_order = True

    def filter_country(self, queryset, name, country):
        if not self.walks_the_date_index(name):
            return queryset.filter(events_inside(country))
        # A page in date order cannot be read from many places' (place, date) ranges at once: SQLite read
        # every event of the country, then sorted them (a country holds a large share of the events), or
        # walked the date index testing each event's place (1.1 ms for a page of a country with 2% of a
        # million events); PostgreSQL joined a type's events of a year to the country's places (120 ms).
        # Each event carries its place's country (Event.country, derived), whose (country, date, id) index
        # holds the page in order: 0.03 ms on SQLite; 20 ms for that year's battles on PostgreSQL.
        return queryset.filter(country=country.pk)

    def walks_the_date_index(self, name: str) -> bool:
        """Whether a page filtered by `name` (the country) is best read in date order, from the country's
        (country, date, id) index: when the country is its only filter, or its others are an event type or
        sub-type (and dates). With any other filter the place index reads the few events that match, to be
        sorted: walking the date index for a country's battles in one year tested event after event in vain
        (147 against 3 ms at 100,000 events, before the type's index)."""
        if not self.pages_in_date_order:
            return False
        given = {key for key in self.data if key in self.base_filters and self.data.get(key) != ""}
        ordering = self.data.get("ordering") or "-date_start"
        others = given - {name, "ordering"}
        by_type = bool(others & set(TYPE_FILTERS)) and others <= {*TYPE_FILTERS, *DATE_FILTERS}
        return ordering in ("-date_start", "date_start") and (not others or by_type)

    def filter_location(self, queryset, name, locations):
        condition = Q(pk__in=[])
        for location in locations:
            condition |= events_inside(location)
        return queryset.filter(condition) if locations else queryset

    def filter_pcode(self, queryset, name, value):
        matches = list(Location.objects.filter(pcode__startswith=value.strip().upper()).only("pk", "path"))
        condition = Q(pk__in=[])
        for place in matches:
            condition |= events_inside(place)
        return queryset.filter(condition)

    def filter_bbox(self, queryset, name, box):
        places = Location.objects.with_point().filter(in_bbox("point_latitude", "point_longitude", box))
        return queryset.filter(
            Q(latitude__isnull=False) & in_bbox("latitude", "longitude", box)
            | Q(latitude__isnull=True, location__in=places.values("pk"))
        )

    def filter_near(self, queryset, name, near):
        places = filter_near(Location.objects.with_point(), "point_latitude", "point_longitude", near, "km")
        own = filter_near(Event.objects.filter(latitude__isnull=False), "latitude", "longitude", near, "km")
        return queryset.filter(
            Q(pk__in=own.values("pk")) | Q(latitude__isnull=True, location__in=places.values("pk"))
        )

    def filter_actor(self, queryset, name, actors):
        return queryset.filter(events_with_actor(actors)) if actors else queryset

    def filter_actor1(self, queryset, name, actors):
        return queryset.filter(events_with_actor(actors, EventActor.Role.SIDE_A)) if actors else queryset

    def filter_actor2(self, queryset, name, actors):
        return queryset.filter(events_with_actor(actors, EventActor.Role.SIDE_B)) if actors else queryset

    def filter_claimant(self, queryset, name, actors):
        if not actors:
            return queryset
        claims = Claim.objects.filter(claims_made_by(a.pk for a in actors), event=OuterRef("pk"))
        return queryset.filter(Exists(claims))

    def filter_source(self, queryset, name, sources):
        if not sources:
            return queryset
        return queryset.filter(Exists(Claim.objects.filter(event=OuterRef("pk"), report__source__in=sources)))

    def filter_q(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        vendor = connections[queryset.db].vendor
        # The summary and notes through the text index (every word, as a word or its start); a text with
        # no words at all (punctuation) as a substring.
        indexed = matching(text, vendor)
        in_text = indexed if indexed is not None else Q(summary__icontains=text) | Q(notes__icontains=text)
        # The places and actors that match are read first (one short scan each), and only a branch that found
        # some joins the text condition. Written as one OR of subqueries, the planner cannot tell how many
        # events they give (PostgreSQL guessed half the actors match) and read every event with a common word
        # before the first page: 1.2 s for a word in every event at 100,000 events, 2 ms as the text alone.
        condition = in_text
        if (place_ids := _matched(PLACE_MATCHES, places_named_in, text, queryset.db)) is not None:
            condition |= Q(location_id__in=place_ids)
        if (actor_ids := _matched(ACTOR_MATCHES, actors_named_in, text, queryset.db)) is not None:
            condition |= Q(pk__in=EventActor.objects.filter(actor__in=actor_ids).values("event_id"))
        return queryset.filter(condition)


class EventStatsFilterSet(EventFilterSet):
    """The event filters, for a view that reads every matching event (no page, no order): a country's
    events are best read by place."""

    pages_in_date_order = False


CLAIM_ORDERING = ["claimed_on", "updated_at"]


class ClaimFilterSet(FilterSet):
    event = django_filters.ModelMultipleChoiceFilter(
        queryset=Event.objects.all(), help_text="Event id (any of)."
    )
    report = django_filters.ModelMultipleChoiceFilter(
        queryset=Report.objects.all(), help_text="Report id (any of)."
    )
    source = IdsFilter(
        queryset=Source.objects.all(),
        field_name="report__source",
        help_text="Source id of the report (any of).",
    )
    claimant = IdsFilter(queryset=Actor.objects.all(), help_text="Claimant actor id (any of).")
    speaker = django_filters.ModelMultipleChoiceFilter(
        queryset=Actor.objects.all(), help_text="Speaking person's actor id (any of)."
    )
    stance = django_filters.MultipleChoiceFilter(choices=Claim.Stance.choices, help_text="Stance (any of).")
    subject = django_filters.MultipleChoiceFilter(
        choices=Claim.Subject.choices, help_text="What is claimed (any of)."
    )
    claimed_after = IsoDateFilter(
        field_name="claimed_on", lookup_expr="gte", help_text="Claimed on or after this date."
    )
    claimed_before = IsoDateFilter(
        field_name="claimed_on", lookup_expr="lte", help_text="Claimed on or before this date."
    )
    updated_since = updated_since_filter()
    ordering = ordering_filter(CLAIM_ORDERING, default="claimed_on")

    class Meta:
        model = Claim
        fields = []
