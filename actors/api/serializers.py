from rest_framework import serializers

from actors.models import Actor
from locations.api.serializers import LocationBriefSerializer


class ActorBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Actor
        fields = ["id", "name", "acronym", "kind"]


class ActorSerializer(serializers.ModelSerializer):
    country = LocationBriefSerializer(read_only=True)
    affiliation = ActorBriefSerializer(read_only=True)
    aliases = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
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
