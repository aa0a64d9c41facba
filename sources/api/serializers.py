from rest_framework import serializers

from actors.api.serializers import ActorBriefSerializer
from locations.api.serializers import LocationBriefSerializer
from sources.models import Report, ReportDerivation, Source


class SourceBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "name", "kind"]


class SourceSerializer(serializers.ModelSerializer):
    country = LocationBriefSerializer(
        read_only=True, allow_null=True, help_text="The country it is based in, if known."
    )
    operated_by = ActorBriefSerializer(
        read_only=True,
        allow_null=True,
        help_text="The actor whose channel this is: its posts speak for that actor.",
    )

    class Meta:
        model = Source
        fields = [
            "id",
            "name",
            "kind",
            "scale",
            "url",
            "country",
            "operated_by",
            "notes",
            "created_at",
            "updated_at",
        ]


class ReportBriefSerializer(serializers.ModelSerializer):
    source = SourceBriefSerializer(read_only=True, help_text="The outlet or channel that published it.")

    class Meta:
        model = Report
        fields = ["id", "title", "source", "published_on", "url"]


class ReportLinkSerializer(serializers.ModelSerializer):
    report = serializers.PrimaryKeyRelatedField(
        source="derived_from", read_only=True, help_text="Id of the report depended on."
    )

    class Meta:
        model = ReportDerivation
        fields = ["report", "relation"]


class ReportSerializer(serializers.ModelSerializer):
    source = SourceBriefSerializer(read_only=True, help_text="The outlet or channel that published it.")
    derived_from = ReportLinkSerializer(
        source="derivations",
        many=True,
        read_only=True,
        help_text="Reports this one republishes, quotes or derives from.",
    )

    class Meta:
        model = Report
        fields = [
            "id",
            "title",
            "source",
            "url",
            "author",
            "published_on",
            "derived_from",
            "notes",
            "created_at",
            "updated_at",
        ]


class SourceWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["name", "kind", "scale", "url", "country", "operated_by", "notes"]


class ReportLinkWriteSerializer(serializers.Serializer):
    """A derivation link as written; read back from the report's derivation rows."""

    def to_representation(self, derivation):
        return {"report": derivation.derived_from_id, "relation": derivation.relation}

    report = serializers.PrimaryKeyRelatedField(
        queryset=Report.objects.all(), help_text="Id of the report depended on."
    )
    relation = serializers.ChoiceField(
        choices=ReportDerivation.Relation.choices, default=ReportDerivation.Relation.DERIVES, help_text="How."
    )


class ReportWriteSerializer(serializers.ModelSerializer):
    derived_from = ReportLinkWriteSerializer(
        source="derivations",
        many=True,
        required=False,
        help_text="Reports it republishes, quotes or derives from; replaces the list.",
    )

    class Meta:
        model = Report
        fields = ["source", "title", "url", "author", "published_on", "notes", "derived_from"]
