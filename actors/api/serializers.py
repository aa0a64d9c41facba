from rest_framework import serializers

from actors.models import Actor
from core.api.fields import NamesField
from locations.api.serializers import LocationBriefSerializer


class ActorBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Actor
        fields = ["id", "name", "acronym", "kind"]


class ActorSerializer(serializers.ModelSerializer):
    country = LocationBriefSerializer(
        read_only=True, allow_null=True, help_text="The country it belongs to, if any."
    )
    affiliation = ActorBriefSerializer(
        read_only=True, allow_null=True, help_text="The organisation it belongs to, if any."
    )
    aliases = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="name", help_text="Other names it is known by."
    )
    acled_inter_code = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="ACLED 'inter' code 1-8; null for organisations and people.",
    )

    class Meta:
        model = Actor
        fields = [
            "id",
            "name",
            "acronym",
            "kind",
            "acled_inter_code",
            "country",
            "affiliation",
            "role",
            "aliases",
            "notes",
            "created_at",
            "updated_at",
        ]


class ActorWriteSerializer(serializers.ModelSerializer):
    aliases = NamesField(
        required=False,
        help_text="Other names it is known by; when given, replaces the list.",
    )

    class Meta:
        model = Actor
        fields = ["name", "acronym", "kind", "country", "affiliation", "role", "notes", "aliases"]
