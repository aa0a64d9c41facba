from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from core.history import HistoricalRecords
from locations.models import Location


class ActorKind(models.TextChoices):
    STATE_FORCES = "state_forces", "State forces"
    REBEL_GROUP = "rebel_group", "Rebel group"
    POLITICAL_MILITIA = "political_militia", "Political militia"
    IDENTITY_MILITIA = "identity_militia", "Identity militia"
    RIOTERS = "rioters", "Rioters"
    PROTESTERS = "protesters", "Protesters"
    CIVILIANS = "civilians", "Civilians"
    EXTERNAL_OTHER = "external_other", "External/other forces"
    ORGANISATION = "organisation", "Political or other organisation"
    PERSON = "person", "Person"


class Actor(models.Model):
    """A party to, or a voice about, conflict events: an armed group, state force, organisation or person."""

    Kind = ActorKind

    # ACLED's "inter" codes; organisations and people have none of their own.
    ACLED_INTER_CODES = {
        Kind.STATE_FORCES: 1,
        Kind.REBEL_GROUP: 2,
        Kind.POLITICAL_MILITIA: 3,
        Kind.IDENTITY_MILITIA: 4,
        Kind.RIOTERS: 5,
        Kind.PROTESTERS: 6,
        Kind.CIVILIANS: 7,
        Kind.EXTERNAL_OTHER: 8,
    }

    name = models.CharField(max_length=200, help_text="The actor's name as used in the data.")
    acronym = models.CharField(max_length=40, blank=True, help_text="Short form, e.g. NRF.")
    kind = models.CharField(
        max_length=24,
        choices=Kind.choices,
        help_text="ACLED's actor categories (inter codes 1-8), a political or other organisation, or a person.",
    )
    country = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The country the actor belongs to or operates from, if it has one.",
    )
    affiliation = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        help_text="The organisation a person or sub-unit belongs to (Ali Nazary → NRF).",
    )
    role = models.CharField(
        max_length=200,
        blank=True,
        help_text="Role or title within the affiliation, e.g. 'head of foreign relations'.",
    )
    notes = models.TextField(blank=True, help_text="Curators' notes.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="actor_unique_name"),
            models.CheckConstraint(condition=~Q(name=""), name="actor_name_not_blank"),
            models.CheckConstraint(condition=~Q(affiliation=F("pk")), name="actor_not_affiliated_to_itself"),
            models.CheckConstraint(
                condition=Q(kind__in=[choice.value for choice in ActorKind]), name="actor_kind_known"
            ),
        ]
        # Searches match an acronym in any case (actors.selectors.acronym_is). Only actors that have one: most
        # have none, and with every empty acronym under one key SQLite's statistics judged the index useless.
        indexes = [models.Index(Lower("acronym"), name="actor_acronym_lower", condition=~Q(acronym=""))]

    def __str__(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    @property
    def acled_inter_code(self) -> int | None:
        return self.ACLED_INTER_CODES.get(self.kind)

    def clean(self) -> None:
        errors = {}
        if self.country_id is not None and self.country.level != Location.Level.COUNTRY:
            errors["country"] = f"{self.country.name} is not a country."
        if self.affiliation_id is not None:
            # Walk up the (short) affiliation chain: a cycle would make "belongs to" meaningless.
            seen = {self.pk}
            current = self.affiliation
            while current is not None:
                if current.pk in seen:
                    errors["affiliation"] = (
                        "An actor cannot be affiliated to itself, directly or through others."
                    )
                    break
                seen.add(current.pk)
                current = current.affiliation
        if errors:
            raise ValidationError(errors)


class ActorAlias(models.Model):
    """Another name an actor is known by (a former name, a transliteration, a nickname)."""

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "actor aliases"
        constraints = [
            models.UniqueConstraint(Lower("name"), "actor", name="actor_alias_unique_per_actor"),
            models.CheckConstraint(condition=~Q(name=""), name="actor_alias_not_blank"),
        ]

    def __str__(self) -> str:
        return self.name
