"""Views that read across events: control of places over time, claimants' track records, statistics."""

from django.db.models import Case, Count, F, Q, When
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from actors.api.serializers import ActorBriefSerializer
from actors.models import Actor
from core.api.filters import FORMAT_PARAM, StrictFilterBackend, reject_unknown
from locations.api.serializers import LocationBriefSerializer
from locations.models import Location

from ..claimants import claimant_label, claims_made_by
from ..filtersets import EventStatsFilterSet
from ..models import SUBJECT_PREFIXES, Claim, Event, EventActor, Verification
from ..selectors import location_control_changes
from ..stats import FIGURE_SETS, GROUPS, event_stats
from .serializers import EventBriefSerializer, EventClaimSerializer


class ControlChangeSerializer(serializers.Serializer):
    event = EventBriefSerializer(help_text="The event in which control is claimed to have changed.")
    location = LocationBriefSerializer(source="event.location", help_text="The place.")
    date_start = serializers.DateField(source="event.date_start", help_text="From when (earliest).")
    date_end = serializers.DateField(source="event.date_end", help_text="From when (latest).")
    gained_by = ActorBriefSerializer(many=True, help_text="Who is claimed to have taken control (side A).")
    lost_by = ActorBriefSerializer(many=True, help_text="Who is claimed to have lost it (side B).")
    asserted_by = serializers.ListField(child=serializers.CharField(), help_text="Who asserts the change.")
    denied_by = serializers.ListField(child=serializers.CharField(), help_text="Who denies it.")
    unconfirmed_by = serializers.ListField(
        child=serializers.CharField(), help_text="Who could not confirm it."
    )
    verification = serializers.ChoiceField(
        source="event.control_verification",
        choices=Verification.choices,
        help_text="How far the change of control is verified, judged on the control claims alone.",
    )
    reason = serializers.CharField(source="event.control_reason", help_text="Why, in words.")
    claims = EventClaimSerializer(many=True, help_text="The territorial-control claims, in time order.")


class LocationControlView(GenericAPIView):
    """Who is claimed to control a place over time, by whom, and how far each change is verified."""

    serializer_class = ControlChangeSerializer
    queryset = Location.objects.all()
    pagination_class = None

    @extend_schema(
        operation_id="locations_control",
        summary="Claimed changes of control of a place, oldest first",
        parameters=[
            OpenApiParameter("id", int, OpenApiParameter.PATH, description="The location's id."),
            OpenApiParameter(
                "within", bool, description="Include every place inside this one (default false)."
            ),
        ],
        responses=ControlChangeSerializer(many=True),
    )
    def get(self, request, pk: int):
        reject_unknown(request, {"within", FORMAT_PARAM})
        within = request.query_params.get("within", "false").lower()
        if within not in ("true", "false", "1", "0"):
            raise ValidationError({"within": ["Use true or false."]})
        location = get_object_or_404(Location, pk=pk)
        changes = []
        for event in location_control_changes(location, within=within in ("true", "1")):
            roles = list(event.event_actors.all())
            claims = event.control_claims

            def who(stance, claims=claims):
                return list(dict.fromkeys(claimant_label(c) for c in claims if c.stance in stance))

            changes.append({
                "event": event,
                "gained_by": [r.actor for r in roles if r.role == EventActor.Role.SIDE_A],
                "lost_by": [r.actor for r in roles if r.role == EventActor.Role.SIDE_B],
                "asserted_by": who({Claim.Stance.ASSERTS, Claim.Stance.CONFIRMS}),
                "denied_by": who({Claim.Stance.DENIES}),
                "unconfirmed_by": who({Claim.Stance.CANNOT_CONFIRM}),
                "claims": claims,
            })  # fmt: skip
        return Response(ControlChangeSerializer(changes, many=True).data)


class OutcomesSerializer(serializers.Serializer):
    confirmed = serializers.IntegerField(help_text="…now confirmed by an editor or corroborated.")
    refuted = serializers.IntegerField(help_text="…refuted by an editor.")
    disputed = serializers.IntegerField(help_text="…now disputed.")
    unresolved = serializers.IntegerField(help_text="…still claimed, reported or unverified.")


class ClaimOutcomesSerializer(OutcomesSerializer):
    """Claims, each counted by the current status of what it is about: a claim about casualties by the
    event's casualty status, about control by its control status, about occurrence by the event's status."""

    total = serializers.IntegerField(help_text="Claims it made (as claimant, as the person speaking, or on "
                                     "its own channels).")  # fmt: skip
    asserted = serializers.IntegerField(help_text="Of its claims, those asserting or confirming.")
    denied = serializers.IntegerField(help_text="Of its claims, those denying.")


class EventOutcomesSerializer(OutcomesSerializer):
    """Events it made any claim about, each counted once, by the event's status."""

    total = serializers.IntegerField(help_text="Distinct events it made claims about.")


class TrackRecordSerializer(serializers.Serializer):
    actor = ActorBriefSerializer(help_text="The claimant.")
    claims = ClaimOutcomesSerializer(help_text="Its claims, by the status of what each is about.")
    events = EventOutcomesSerializer(help_text="The events its claims are about, each once, by their status.")


TRACK_OUTCOMES = {
    "confirmed": [Verification.CONFIRMED, Verification.CORROBORATED],
    "refuted": [Verification.REFUTED],
    "disputed": [Verification.DISPUTED],
    "unresolved": [Verification.CLAIMED, Verification.REPORTED, Verification.UNVERIFIED],
}
# The status that judges a claim: its subject's, or the event's for a claim about occurrence.
CLAIM_OUTCOME = Case(
    *(
        When(subject=subject, then=F(f"event__{prefix}_verification"))
        for subject, prefix in SUBJECT_PREFIXES.items()
    ),
    default=F("event__verification"),
)


class ActorTrackRecordView(GenericAPIView):
    """How an actor's claims have fared, counted as claims and as events, each by its current status."""

    serializer_class = TrackRecordSerializer
    queryset = Actor.objects.all()
    pagination_class = None

    @extend_schema(
        operation_id="actors_track_record",
        summary="How the actor's claims have fared",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The actor's id.")],
    )
    def get(self, request, pk: int):
        reject_unknown(request, {FORMAT_PARAM})
        actor = get_object_or_404(Actor, pk=pk)
        claims = Claim.objects.filter(claims_made_by([actor.pk]), event__deleted_at__isnull=True)
        claim_counts = claims.annotate(outcome=CLAIM_OUTCOME).aggregate(
            total=Count("id"),
            asserted=Count("id", filter=Q(stance__in=[Claim.Stance.ASSERTS, Claim.Stance.CONFIRMS])),
            denied=Count("id", filter=Q(stance=Claim.Stance.DENIES)),
            **{
                name: Count("id", filter=Q(outcome__in=statuses)) for name, statuses in TRACK_OUTCOMES.items()
            },
        )
        event_counts = Event.objects.filter(pk__in=claims.values("event_id")).aggregate(
            total=Count("id"),
            **{name: Count("id", filter=Q(verification__in=s)) for name, s in TRACK_OUTCOMES.items()},
        )
        return Response(
            TrackRecordSerializer({"actor": actor, "claims": claim_counts, "events": event_counts}).data
        )


class FiguresSerializer(serializers.Serializer):
    low = serializers.IntegerField(
        allow_null=True, help_text="Sum of the known low estimates; null if none known."
    )
    best = serializers.IntegerField(
        allow_null=True, help_text="Sum of the known best estimates; null if none known."
    )
    high = serializers.IntegerField(
        allow_null=True, help_text="Sum of the known high estimates; null if none known."
    )


class StatsRowSerializer(serializers.Serializer):
    key = serializers.CharField(
        allow_null=True, help_text="The group's key (slug, id, period); null: not known."
    )
    label = serializers.CharField(allow_null=True, help_text="The group's name.")
    events = serializers.IntegerField(help_text="Matching events in the group.")
    fatalities_unknown = serializers.IntegerField(
        help_text="Of those, events without a figure: no best estimate (curated), no claimed figure (claimed)."
    )
    fatalities = FiguresSerializer(help_text="Fatality sums over all the group's events.")
    fatalities_confirmed_or_corroborated = FiguresSerializer(
        help_text="Fatality sums over events confirmed by an editor or corroborated."
    )
    fatalities_claimed_only = FiguresSerializer(
        help_text="Fatality sums over events asserted only by parties."
    )


def _text(value):
    return None if value is None else str(value)


def _whole(value):
    return None if value is None else int(value)


def _figures_json(figures: dict) -> dict:
    return {
        "low": _whole(figures.get("low")),
        "best": _whole(figures.get("best")),
        "high": _whole(figures.get("high")),
    }


def stats_row_json(row: dict) -> dict:
    """A row of `event_stats` as StatsRowSerializer declares it (what DRF's fields would write)."""
    return {
        "key": _text(row.get("key")),
        "label": _text(row.get("label")),
        "events": int(row["events"]),
        "fatalities_unknown": int(row["fatalities_unknown"]),
        "fatalities": _figures_json(row["fatalities"]),
        "fatalities_confirmed_or_corroborated": _figures_json(row["fatalities_confirmed_or_corroborated"]),
        "fatalities_claimed_only": _figures_json(row["fatalities_claimed_only"]),
    }


class StatsSerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=GROUPS, help_text="How the events are grouped.")
    figures = serializers.ChoiceField(
        choices=list(FIGURE_SETS),
        help_text="Which fatality figures are summed: curated (the events' own) or claimed (the ranges "
        "asserted in claims; no best). Never both.",
    )
    total = StatsRowSerializer(help_text="All matching events together.")
    results = StatsRowSerializer(many=True, help_text="One row per group.")

    def to_representation(self, instance):
        # The declared fields, written directly: DRF's generic walk of a few hundred rows of nested figures was
        # half of the request. A test holds this to the generic rendering.
        return {
            "group_by": instance["group_by"],
            "figures": instance["figures"],
            "total": stats_row_json(instance["total"]),
            "results": [stats_row_json(row) for row in instance["results"]],
        }


class EventStatsView(GenericAPIView):
    """Counts and fatality sums of the events matching every event filter, grouped."""

    serializer_class = StatsSerializer
    queryset = Event.objects.all()
    filterset_class = EventStatsFilterSet
    filter_backends = [StrictFilterBackend]
    extra_query_params = ("group_by", "figures")
    pagination_class = None
    action = "stats"

    @extend_schema(
        operation_id="stats_events",
        summary="Event counts and fatalities, grouped, with every event filter",
        parameters=[
            OpenApiParameter("group_by", str, enum=GROUPS, description="How to group (default month)."),
            OpenApiParameter(
                "figures",
                str,
                enum=list(FIGURE_SETS),
                description="Which fatality figures to sum: curated (default) or claimed.",
            ),
            OpenApiParameter("ordering", exclude=True),  # statistics are ordered by group
        ],
        filters=True,
    )
    def get(self, request):
        group_by = request.query_params.get("group_by", "month")
        if group_by not in GROUPS:
            raise ValidationError(
                {"group_by": [f"Unknown grouping {group_by!r}. Allowed: {', '.join(GROUPS)}."]}
            )
        if "ordering" in request.query_params:
            raise ValidationError(
                {"ordering": ["Statistics are ordered by group; ordering applies to lists."]}
            )
        figures = request.query_params.get("figures", "curated")
        if figures not in FIGURE_SETS:
            raise ValidationError(
                {"figures": [f"Unknown figures {figures!r}. Allowed: {', '.join(FIGURE_SETS)}."]}
            )
        events = self.filter_queryset(self.get_queryset())
        return Response(StatsSerializer(event_stats(events, group_by, figures)).data)
