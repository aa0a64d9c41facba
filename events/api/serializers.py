from rest_framework import serializers

from actors.api.serializers import ActorBriefSerializer
from actors.models import Actor
from core.api.fields import NamesField
from locations.api.serializers import COORDINATE_RANGES, LocationPointMixin, LocationWithAncestorsSerializer
from sources.api.serializers import ReportBriefSerializer

from ..formats.json import event_detail_json, event_json
from ..formats.rows import claim_record_of, record_of
from ..models import Claim, Event, EventActor, EventType, SubEventType, Verdict, Verification


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A choice stored as '' when absent, shown as null: clients get an enum or nothing, never ''. Written,
    null (or '') is stored as ''."""

    def to_representation(self, value):
        return None if value == "" else super().to_representation(value)

    def validate_empty_values(self, data):
        if data is None or data == "":
            return True, ""
        return super().validate_empty_values(data)


def _casualties_of(**kwargs) -> BlankAsNullChoiceField:
    return BlankAsNullChoiceField(
        choices=[(value, label) for value, label in Claim.CasualtiesOf.choices if value],
        allow_null=True,
        help_text="Whose dead a casualty claim counts; null: not said (everyone). One claim per side, as the "
        "source gives them.",
        **kwargs,
    )


class EventTypeBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = EventType
        fields = ["slug", "name"]


class SubEventTypeBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubEventType
        fields = ["slug", "name"]


class EventActorSerializer(serializers.ModelSerializer):
    actor = ActorBriefSerializer(read_only=True, help_text="Who took part.")

    class Meta:
        model = EventActor
        fields = ["actor", "role"]


def _subject_serializer(name: str, prefix: str, what: str) -> type[serializers.Serializer]:
    """The status and reason of the claims about one subject (the columns `{prefix}_verification/_reason`)."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "__doc__": f"How far the claims about {what} are confirmed; null status: no claim is about it.",
            "status": BlankAsNullChoiceField(
                source=f"{prefix}_verification",
                choices=Verification.choices,
                allow_null=True,
                read_only=True,
                help_text=f"Status of the claims about {what}, on the same scale; null when there are none.",
            ),
            "reason": serializers.CharField(
                source=f"{prefix}_reason", read_only=True, help_text="Why, in words; empty when no claim."
            ),
        },
    )


class SubjectsVerificationSerializer(serializers.Serializer):
    """Each subject other than occurrence, judged on its own claims (a denial of losses disputes the
    casualties, not the event)."""

    attribution = _subject_serializer("AttributionVerificationSerializer", "attribution", "who did it")(
        source="*", read_only=True, help_text="Who did it."
    )
    casualties = _subject_serializer("CasualtiesVerificationSerializer", "casualties", "casualties")(
        source="*", read_only=True, help_text="Casualties."
    )
    territorial_control = _subject_serializer(
        "TerritorialControlVerificationSerializer", "control", "territorial control"
    )(source="*", read_only=True, help_text="Territorial control.")


class VerificationSerializer(serializers.ModelSerializer):
    """Derived from the claims (never typed in), with the reason in words.

    `status` is the event's: whether it happened, from the claims about its occurrence (and assertions
    about anything else, which imply it); `subjects` judges attribution, casualties and territorial control
    each on its own claims. `reason` says all of it.
    """

    status = serializers.ChoiceField(
        source="verification",
        choices=Verification.choices,
        read_only=True,
        help_text="How far it is confirmed.",
    )
    reason = serializers.CharField(
        source="verification_reason", read_only=True, help_text="Why, in words built from the claims."
    )
    verdict = BlankAsNullChoiceField(
        choices=Verdict.choices, read_only=True, allow_null=True, help_text="An editor's verdict, if any."
    )
    subjects = SubjectsVerificationSerializer(
        source="*", read_only=True, help_text="Attribution, casualties and control, each on its own claims."
    )

    class Meta:
        model = Event
        fields = [
            "status", "reason", "independent_reports", "verdict", "verdict_reason", "verdict_at", "subjects",
        ]  # fmt: skip
        read_only_fields = fields


class EventBriefSerializer(serializers.ModelSerializer):
    verification = serializers.ChoiceField(
        choices=Verification.choices, read_only=True, help_text="How far it is confirmed."
    )

    class Meta:
        model = Event
        fields = ["id", "date_start", "date_end", "summary", "verification"]


class EventSerializer(LocationPointMixin, serializers.ModelSerializer):
    event_type = EventTypeBriefSerializer(read_only=True, help_text="ACLED event type.")
    sub_event_type = SubEventTypeBriefSerializer(read_only=True, help_text="ACLED sub-event type.")
    location = LocationWithAncestorsSerializer(
        read_only=True, help_text="The most precise place known, with its enclosing areas."
    )
    coordinates_from = serializers.ChoiceField(
        source="point.origin",
        choices=["event", "location", "enclosing_area"],
        read_only=True,
        allow_null=True,
        help_text="Where the point comes from: the event's own coordinates, its place, or the nearest enclosing "
        "area with coordinates (then geo_precision says how coarse); null when none is known.",
    )
    actors = EventActorSerializer(
        source="event_actors", many=True, read_only=True, help_text="Who took part, and on which side."
    )
    tags = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="name", help_text="Curators' labels."
    )
    verification = VerificationSerializer(
        source="*", read_only=True, help_text="How far it is confirmed, derived from its claims, and why."
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "date_start",
            "date_end",
            "date_precision",
            "event_type",
            "sub_event_type",
            "location",
            "geo_precision",
            "latitude",
            "longitude",
            "point_latitude",
            "point_longitude",
            "coordinates_from",
            "actors",
            "fatalities_low",
            "fatalities_best",
            "fatalities_high",
            "claimed_fatalities_low",
            "claimed_fatalities_high",
            "civilian_targeting",
            "summary",
            "notes",
            "tags",
            "acled_event_id",
            "ucdp_ged_id",
            "verification",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, instance):
        # Lists pass records (events.formats.rows); detail views and writes pass an instance.
        return event_json(instance if isinstance(instance, dict) else record_of(instance))


class EventClaimSerializer(serializers.ModelSerializer):
    """A claim as listed on its event: who said what, where."""

    claimant = ActorBriefSerializer(
        read_only=True,
        allow_null=True,
        help_text="Who makes the claim; null when the report's source speaks itself.",
    )
    speaker = ActorBriefSerializer(
        read_only=True, allow_null=True, help_text="The person who spoke for the claimant, if named."
    )
    report = ReportBriefSerializer(read_only=True, help_text="The report the claim was made in.")
    casualties_of = _casualties_of(read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "claimed_on",
            "claimant",
            "speaker",
            "stance",
            "subject",
            "casualties_of",
            "quote",
            "claimed_fatalities_low",
            "claimed_fatalities_high",
            "report",
            "notes",
        ]


class EventDetailSerializer(EventSerializer):
    claims = EventClaimSerializer(
        many=True, read_only=True, help_text="Every claim about the event, in time order."
    )

    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "claims"]

    def to_representation(self, instance):
        # An instance with its claims prefetched (Event.objects.for_detail()); the JSON detail view renders
        # records directly (EventViewSet.retrieve).
        claims = [claim_record_of(claim) for claim in instance.claims.all()]
        return event_detail_json(record_of(instance), claims)


class ClaimSerializer(EventClaimSerializer):
    event = EventBriefSerializer(read_only=True, help_text="The event the claim is about.")

    class Meta(EventClaimSerializer.Meta):
        fields = ["id", "event", *EventClaimSerializer.Meta.fields[1:], "created_at", "updated_at"]


class EventActorWriteSerializer(serializers.Serializer):
    actor = serializers.PrimaryKeyRelatedField(queryset=Actor.objects.all(), help_text="Id of the actor.")
    role = serializers.ChoiceField(choices=EventActor.Role.choices, help_text="Its part in the event.")


class EventWriteSerializer(serializers.ModelSerializer):
    event_type = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=EventType.objects.all(),
        required=False,
        help_text="Event type slug; taken from the sub-event type when left out.",
    )
    sub_event_type = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=SubEventType.objects.select_related("event_type"),
        help_text="Sub-event type slug, e.g. armed-clash.",
    )
    # Read back from the event's roles and tag names (the browsable API pre-fills its form with them).
    actors = EventActorWriteSerializer(
        source="event_actors", many=True, required=False, help_text="Who took part; replaces the list."
    )
    tags = NamesField(
        child=serializers.CharField(max_length=100), required=False, help_text="Labels; replaces the list."
    )

    class Meta:
        model = Event
        fields = [
            "date_start",
            "date_end",
            "date_precision",
            "event_type",
            "sub_event_type",
            "location",
            "geo_precision",
            "latitude",
            "longitude",
            "actors",
            "fatalities_low",
            "fatalities_best",
            "fatalities_high",
            "civilian_targeting",
            "summary",
            "notes",
            "tags",
            "acled_event_id",
            "ucdp_ged_id",
        ]
        extra_kwargs = COORDINATE_RANGES


class ClaimWriteSerializer(serializers.ModelSerializer):
    event = serializers.PrimaryKeyRelatedField(
        queryset=Event.objects.all(), help_text="The event it is about."
    )
    casualties_of = _casualties_of(required=False)

    class Meta:
        model = Claim
        fields = [
            "event",
            "report",
            "claimant",
            "speaker",
            "stance",
            "subject",
            "casualties_of",
            "quote",
            "claimed_fatalities_low",
            "claimed_fatalities_high",
            "claimed_on",
            "notes",
        ]


class VerdictSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=Verdict.choices, allow_null=True, help_text="confirmed or refuted; null clears the verdict."
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why; required with a verdict."
    )
