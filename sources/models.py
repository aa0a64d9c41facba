from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from actors.models import Actor
from core.history import HistoricalRecords
from locations.models import Location


class SourceKind(models.TextChoices):
    NEWSPAPER = "newspaper", "Newspaper"
    WIRE = "wire", "News agency / wire"
    BROADCASTER = "broadcaster", "Broadcaster"
    THINK_TANK = "think_tank", "Think tank / research institute"
    SOCIAL_MEDIA = "social_media", "Social-media account or platform"
    OFFICIAL_STATEMENT = "official_statement", "Official statement channel"
    NGO = "ngo", "NGO / international organisation"
    OTHER = "other", "Other"


class SourceScale(models.TextChoices):
    LOCAL = "local", "Local"
    NATIONAL = "national", "National"
    REGIONAL = "regional", "Regional"
    INTERNATIONAL = "international", "International"
    NEW_MEDIA = "new_media", "New media"
    OTHER = "other", "Other or not stated"


class Source(models.Model):
    """An outlet or channel that publishes reports: a newspaper, wire, broadcaster, think tank or account."""

    Kind = SourceKind

    Scale = SourceScale

    name = models.CharField(max_length=200, help_text="The outlet's or channel's name.")
    kind = models.CharField(
        max_length=24, choices=Kind.choices, help_text="What kind of outlet or channel it is."
    )
    scale = models.CharField(max_length=16, choices=Scale.choices, help_text="How far its reporting reaches.")
    url = models.URLField(blank=True, help_text="Its home page or account address.")
    country = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The country it is based in, if known.",
    )
    operated_by = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="channels",
        help_text="The actor whose account or channel this is, if any: its posts speak for that actor.",
    )
    notes = models.TextField(blank=True, help_text="Curators' notes.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="source_unique_name"),
            models.CheckConstraint(condition=~Q(name=""), name="source_name_not_blank"),
            models.CheckConstraint(
                condition=Q(kind__in=[c.value for c in SourceKind]), name="source_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(scale__in=[c.value for c in SourceScale]), name="source_scale_known"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.country_id is not None and self.country.level != Location.Level.COUNTRY:
            raise ValidationError({"country": f"{self.country.name} is not a country."})


def possessive(name: str) -> str:
    """ "AFP's", "Reuters'": a name as the owner of what follows."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def report_phrase(source_name: str, published_on=None, title: str = "") -> str:
    """How a sentence names a report: "AFP's report of 2022-05-05"; an undated one by its title.

    Verification reasons and derivation links both use it, so a report reads the same everywhere.
    """
    if published_on is not None:
        return f"{possessive(source_name)} report of {published_on.isoformat()}"
    return f'{possessive(source_name)} undated report "{title}"'


class Report(models.Model):
    """One publication by a source: an article, interview, post, statement or study."""

    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        related_name="reports",
        help_text="The outlet or channel that published it.",
    )
    title = models.CharField(max_length=500, help_text="Its headline or title.")
    url = models.URLField(max_length=1000, blank=True, help_text="Where it can be read; empty when unknown.")
    author = models.CharField(max_length=300, blank=True, help_text="Byline, if any.")
    published_on = models.DateField(
        null=True, blank=True, db_index=True, help_text="Publication date; empty when unknown."
    )
    derived_from = models.ManyToManyField(
        "self",
        through="ReportDerivation",
        symmetrical=False,
        blank=True,
        related_name="derivatives",
        help_text="Reports this one republishes, quotes or derives from; they are not independent of it.",
    )
    notes = models.TextField(blank=True, help_text="Curators' notes.")
    import_key = models.CharField(
        max_length=300,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="Set on reports an importer made (e.g. 'acled:AFG12345:Reuters'): a re-import finds them.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_on", "title"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="report_title_not_blank"),
            # The same URL twice is the same report entered twice.
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="report_unique_url"),
        ]

    def __str__(self) -> str:
        date = self.published_on.isoformat() if self.published_on else "undated"
        return f"{self.source.name}, {date}: {self.title}"

    def phrase(self) -> str:
        """The report as a sentence names it (see `report_phrase`)."""
        return report_phrase(self.source.name, self.published_on, self.title)


class ReportDerivationRelation(models.TextChoices):
    REPUBLISHES = "republishes", "Republishes (syndicated or wire copy)"
    QUOTES = "quotes", "Quotes or cites"
    DERIVES = "derives", "Derives from"


# Each relation as the verb of a sentence whose subject is the derived report.
RELATION_VERBS = {
    ReportDerivationRelation.REPUBLISHES: "republishes",
    ReportDerivationRelation.QUOTES: "quotes",
    ReportDerivationRelation.DERIVES: "derives from",
}


class ReportDerivation(models.Model):
    """A link saying one report republishes, quotes or derives from another (syndication, wire copy)."""

    Relation = ReportDerivationRelation

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="derivations")
    derived_from = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="derivation_sources")
    relation = models.CharField(
        max_length=16,
        choices=Relation.choices,
        default=Relation.DERIVES,
        help_text="How it depends on the other.",
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "derived_from"], name="report_derivation_unique"),
            models.CheckConstraint(
                condition=~Q(report=F("derived_from")), name="report_not_derived_from_itself"
            ),
            models.CheckConstraint(
                condition=Q(relation__in=[c.value for c in ReportDerivationRelation]),
                name="report_derivation_relation_known",
            ),
        ]

    def __str__(self) -> str:
        """ "TRT World's report of 2022-05-06 republishes AFP's report of 2022-05-05"."""
        return f"{self.report.phrase()} {RELATION_VERBS[self.relation]} {self.derived_from.phrase()}"
