from rest_framework import serializers

from core.api.fields import NamesField
from locations.models import Location


class LocationBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = ["id", "name", "level", "pcode"]


class LocationPointMixin(serializers.Serializer):
    """The place's point: its own coordinates, else the nearest enclosing area's (see `coordinates_from`)."""

    point_latitude = serializers.FloatField(
        source="point.latitude",
        read_only=True,
        allow_null=True,
        help_text="Latitude to map it at; null if unknown.",
    )
    point_longitude = serializers.FloatField(
        source="point.longitude",
        read_only=True,
        allow_null=True,
        help_text="Longitude to map it at; null if unknown.",
    )
    coordinates_from = serializers.ChoiceField(
        source="point.origin",
        choices=["location", "enclosing_area"],
        read_only=True,
        allow_null=True,
        help_text="Where the point comes from: the place itself, or the nearest enclosing area; null if unknown.",
    )


class LocationWithAncestorsSerializer(LocationBriefSerializer):
    ancestors = LocationBriefSerializer(
        many=True, read_only=True, help_text="Enclosing areas, country first."
    )

    class Meta(LocationBriefSerializer.Meta):
        fields = [*LocationBriefSerializer.Meta.fields, "ancestors"]


class LocationSerializer(LocationPointMixin, serializers.ModelSerializer):
    parent = LocationBriefSerializer(
        read_only=True, allow_null=True, help_text="The enclosing area; null for a country."
    )
    ancestors = LocationBriefSerializer(
        many=True, read_only=True, help_text="Enclosing areas, country first."
    )
    aliases = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="name", help_text="Other names and spellings of the place."
    )

    class Meta:
        model = Location
        fields = [
            "id",
            "name",
            "level",
            "parent",
            "ancestors",
            "pcode",
            "iso2",
            "iso3",
            "latitude",
            "longitude",
            "point_latitude",
            "point_longitude",
            "coordinates_from",
            "coordinate_source",
            "aliases",
            "notes",
            "created_at",
            "updated_at",
        ]


def iso_code_field(size: int, example: str) -> serializers.RegexField:
    """An ISO 3166-1 alpha-2 or alpha-3 code as written: letters only, exactly `size` of them, or empty."""
    return serializers.RegexField(
        rf"^([A-Za-z]{{{size}}})?$",
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"ISO 3166-1 alpha-{size} code ({size} letters); countries only.",
        error_messages={"invalid": f"An ISO 3166-1 alpha-{size} code is {size} letters, e.g. {example}."},
    )


# Stated in the schema and checked field by field (the database's check constraints are the backstop).
COORDINATE_RANGES = {
    "latitude": {"min_value": -90, "max_value": 90},
    "longitude": {"min_value": -180, "max_value": 180},
}


class LocationWriteSerializer(serializers.ModelSerializer):
    aliases = NamesField(
        required=False,
        help_text="Other names and spellings; when given, replaces the list.",
    )
    iso2 = iso_code_field(2, "AF")
    iso3 = iso_code_field(3, "AFG")

    class Meta:
        model = Location
        fields = [
            "name",
            "level",
            "parent",
            "pcode",
            "iso2",
            "iso3",
            "latitude",
            "longitude",
            "coordinate_source",
            "notes",
            "aliases",
        ]
        extra_kwargs = COORDINATE_RANGES
