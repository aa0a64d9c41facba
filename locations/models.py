from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Length, Lower
from django.db.models.lookups import Exact

from core.history import HistoricalRecords

LATITUDE_RANGE = Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90)
LONGITUDE_RANGE = Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180)
# A point needs both halves; half a coordinate is a data-entry slip, not a location.
COORDINATES_PAIRED = Q(latitude__isnull=True, longitude__isnull=True) | Q(
    latitude__isnull=False, longitude__isnull=False
)


def coordinate_errors(latitude: float | None, longitude: float | None) -> dict[str, str]:
    """Field errors for coordinates out of range (the check constraints say the same, but not by field)."""
    errors = {}
    for name, value, limit in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if value is not None and not -limit <= value <= limit:
            errors[name] = (
                f"{name.capitalize()} must be from -{limit} to {limit} (decimal degrees); got {value}."
            )
    return errors


def coordinate_constraints(prefix: str) -> list[models.CheckConstraint]:
    """The range and pairing checks every model with an optional latitude/longitude carries."""
    return [
        models.CheckConstraint(condition=LATITUDE_RANGE, name=f"{prefix}_latitude_in_range"),
        models.CheckConstraint(condition=LONGITUDE_RANGE, name=f"{prefix}_longitude_in_range"),
        models.CheckConstraint(condition=COORDINATES_PAIRED, name=f"{prefix}_coordinates_paired"),
    ]


def country_of(pk: int | None, path: str) -> int | None:
    """The id of the country a place is in, from its id and materialised path ("/1/8/": country 1; "/": the
    place is itself a country)."""
    first = path[1 : path.find("/", 1)] if len(path) > 1 else ""
    return int(first) if first else pk


class LocationQuerySet(models.QuerySet):
    def within(self, location: "Location") -> "LocationQuerySet":
        """The location and everything inside it, by materialised path: one indexed prefix scan."""
        return self.filter(Q(pk=location.pk) | Q(path__prefix=location.descendant_path_prefix))

    def countries(self) -> "LocationQuerySet":
        return self.filter(level=Location.Level.COUNTRY)

    def with_point(self) -> "LocationQuerySet":
        """Annotate `point_latitude`/`point_longitude`: own coordinates, else the nearest ancestor's.

        The tree is at most five levels deep (country to place), so four parent hops cover it.
        """
        hops = [
            "",
            "parent__",
            "parent__parent__",
            "parent__parent__parent__",
            "parent__parent__parent__parent__",
        ]
        return self.alias(
            point_latitude=Coalesce(*[f"{hop}latitude" for hop in hops]),
            point_longitude=Coalesce(*[f"{hop}longitude" for hop in hops]),
        )


class Location(models.Model):
    """A place in the gazetteer tree: a country, an administrative area or a named locality."""

    class Level(models.IntegerChoices):
        COUNTRY = 0, "country"
        ADMIN1 = 1, "admin1 (province)"
        ADMIN2 = 2, "admin2 (district)"
        ADMIN3 = 3, "admin3"
        PLACE = 4, "place"

    name = models.CharField(max_length=200, help_text="The place's name as the gazetteer spells it.")
    level = models.PositiveSmallIntegerField(
        choices=Level.choices,
        help_text="0 country, 1 admin1 (province), 2 admin2 (district), 3 admin3, 4 place.",
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The enclosing area; empty for a country.",
    )
    # Ids of the ancestors, root first ("/1/8/" for a district of province 8 in country 1), kept by
    # locations.tree whatever saves the place; "everything inside X" is one prefix match, never a tree walk.
    path = models.CharField(max_length=255, default="/", editable=False, db_index=True)
    pcode = models.CharField(
        "P-code",
        max_length=32,
        null=True,
        blank=True,
        unique=True,
        help_text="Humanitarian P-code (e.g. AGCHO 'AF0804'); empty when none is published.",
    )
    iso2 = models.CharField(
        "ISO 3166-1 alpha-2", max_length=2, null=True, blank=True, unique=True, help_text="Countries only."
    )
    iso3 = models.CharField(
        "ISO 3166-1 alpha-3", max_length=3, null=True, blank=True, unique=True, help_text="Countries only."
    )
    latitude = models.FloatField(
        null=True, blank=True, help_text="WGS 84 decimal degrees; empty when no public source gives one."
    )
    longitude = models.FloatField(
        null=True, blank=True, help_text="WGS 84 decimal degrees; empty when unknown."
    )
    coordinate_source = models.CharField(
        max_length=300, blank=True, help_text="Where the coordinates come from, and how approximate they are."
    )
    notes = models.TextField(blank=True, help_text="Curators' notes.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = HistoricalRecords()
    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["path", "name"]
        constraints = [
            *coordinate_constraints("location"),
            models.CheckConstraint(
                condition=Q(level=0, parent__isnull=True)
                | Q(level__gt=0, level__lte=4, parent__isnull=False),
                name="location_only_countries_are_roots",
            ),
            models.CheckConstraint(
                condition=Q(level=0) | Q(iso2__isnull=True, iso3__isnull=True),
                name="location_iso_codes_only_on_countries",
            ),
            models.CheckConstraint(
                condition=Q(iso2__isnull=True) | Q(Exact(Length("iso2"), 2)), name="location_iso2_two_letters"
            ),
            models.CheckConstraint(
                condition=Q(iso3__isnull=True) | Q(Exact(Length("iso3"), 3)),
                name="location_iso3_three_letters",
            ),
            models.CheckConstraint(condition=~Q(pcode=""), name="location_pcode_null_not_blank"),
            models.UniqueConstraint(
                Lower("name"), "parent", "level", name="location_unique_name_per_parent_and_level"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def descendant_path_prefix(self) -> str:
        return f"{self.path}{self.pk}/"

    @property
    def country_pk(self) -> int | None:
        """The id of the country the place is in: the first of its path, or its own for a country."""
        return country_of(self.pk, self.path)

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def clean(self) -> None:
        errors = {}
        # Empty optional codes are stored as NULL so that uniqueness ignores them.
        self.pcode = (self.pcode or "").strip().upper() or None
        self.iso2 = (self.iso2 or "").strip().upper() or None
        self.iso3 = (self.iso3 or "").strip().upper() or None
        if self.level == self.Level.COUNTRY:
            if self.parent_id is not None:
                errors["parent"] = "A country has no parent."
        elif self.parent_id is None:
            errors["parent"] = "Every location below country level needs a parent."
        else:
            parent = self.parent
            if self.level is not None and parent.level >= self.level:
                errors["parent"] = (
                    f"The parent must be at a higher level than {self.get_level_display()}; "
                    f"{parent.name} is {parent.get_level_display()}."
                )
            elif self.pk is not None and (parent.pk == self.pk or f"/{self.pk}/" in parent.path):
                errors["parent"] = "A location cannot be inside itself."
        if self.level != self.Level.COUNTRY and (self.iso2 or self.iso3):
            errors["iso2"] = "ISO 3166-1 codes belong to countries only."
        for name, size, example in (("iso2", 2, "AF"), ("iso3", 3, "AFG")):
            code = getattr(self, name)
            if code and not (len(code) == size and code.isascii() and code.isalpha()):
                errors.setdefault(name, f"An ISO 3166-1 alpha-{size} code is {size} letters, e.g. {example}.")
        errors.update(coordinate_errors(self.latitude, self.longitude))
        if errors:
            raise ValidationError(errors)


class LocationAlias(models.Model):
    """Another spelling or name of a place ("Hisa Awal" and "Hissa-e-Awal" for Khenj)."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "location aliases"
        constraints = [
            models.UniqueConstraint(Lower("name"), "location", name="location_alias_unique_per_location"),
            models.CheckConstraint(condition=~Q(name=""), name="location_alias_not_blank"),
        ]

    def __str__(self) -> str:
        return self.name
