import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Length, Lower
from django.db.models.lookups import LessThanOrEqual
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from actors.models import Actor
from core.history import HistoricalRecords
from locations.models import Location, coordinate_constraints, country_of
from locations.tree import place_moved
from sources.models import Report

from .precision import DatePrecision, GeoPrecision


def _ordered(low: str, high: str) -> Q:
    """low <= high, or either of them unknown (NULL)."""
    return Q(**{f"{low}__isnull": True}) | Q(**{f"{high}__isnull": True}) | Q(**{f"{low}__lte": F(high)})


def _choice_known(field: str, choices: type[models.Choices]) -> Q:
    return Q(**{f"{field}__in": [choice.value for choice in choices]})


class SlugNaturalKeyManager(models.Manager):
    """Vocabulary rows are referred to by slug in fixtures, since their ids come from a migration."""

    def get_by_natural_key(self, slug: str):
        return self.get(slug=slug)


class EventType(models.Model):
    """A top-level kind of event (ACLED's six event types, extensible)."""

    name = models.CharField(
        max_length=100, help_text="Its name as ACLED spells it, e.g. Battles or Armed clash."
    )
    slug = models.SlugField(max_length=100, unique=True, help_text="Stable identifier, used in filters.")
    description = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = SlugNaturalKeyManager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="event_type_unique_name")]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class SubEventType(models.Model):
    """A kind of event within an event type (ACLED's 25 sub-event types, extensible)."""

    event_type = models.ForeignKey(EventType, on_delete=models.PROTECT, related_name="sub_event_types")
    name = models.CharField(
        max_length=100, help_text="Its name as ACLED spells it, e.g. Battles or Armed clash."
    )
    slug = models.SlugField(max_length=100, unique=True, help_text="Stable identifier, used in filters.")
    description = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = SlugNaturalKeyManager()

    class Meta:
        ordering = ["event_type__name", "name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="sub_event_type_unique_name")]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class Tag(models.Model):
    """A free label curators put on events ("fighting season 2022", "NRF offensive")."""

    name = models.CharField(max_length=100)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="tag_unique_name"),
            models.CheckConstraint(condition=~Q(name=""), name="tag_name_not_blank"),
        ]

    def __str__(self) -> str:
        return self.name


class Verification(models.TextChoices):
    """How far an event is confirmed; derived from its claims (see events.verification)."""

    CONFIRMED = "confirmed", "Confirmed (editor verdict)"
    REFUTED = "refuted", "Refuted (editor verdict)"
    DISPUTED = "disputed", "Disputed"
    CORROBORATED = "corroborated", "Corroborated"
    CLAIMED = "claimed", "Claimed by a party"
    REPORTED = "reported", "Reported"
    UNVERIFIED = "unverified", "Unverified"


UNVERIFIED_REASON = "Unverified: no claim asserts it."


class Verdict(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    REFUTED = "refuted", "Refuted"


# One history row per change that a person made: the event services write it once per save, after the
# roles and tags (so it carries them). Derived columns are left out: they follow from the claims, whose
# own history says who changed what, and a snapshot of them would pin a status change on a later edit.
# Subjects other than occurrence each have a status and a reason of their own, in columns named by prefix.
SUBJECT_PREFIXES = {
    "attribution": "attribution",
    "casualties": "casualties",
    "territorial_control": "control",
}
EVENT_DERIVED_FIELDS = [
    "verification", "verification_reason", "independent_reports",
    *(f"{prefix}_{part}" for prefix in SUBJECT_PREFIXES.values() for part in ("verification", "reason")),
    "claimed_fatalities_low", "claimed_fatalities_high",
]  # fmt: skip
EVENT_HISTORY = HistoricalRecords(m2m_fields=["tags"], excluded_fields=[*EVENT_DERIVED_FIELDS, "country"])


class EventQuerySet(models.QuerySet):
    def live(self) -> "EventQuerySet":
        return self.filter(deleted_at__isnull=True)

    def deleted(self) -> "EventQuerySet":
        return self.filter(deleted_at__isnull=False)

    def for_detail(self) -> "EventQuerySet":
        """One event with what its record reads in the same query, and its claims with their report,
        source, claimant and speaker (lists and exports read records instead: events.formats.rows)."""
        return self.select_related("event_type", "sub_event_type", "location").prefetch_related(
            models.Prefetch(
                "claims",
                queryset=Claim.objects.select_related("report__source", "claimant", "speaker").order_by(
                    "claimed_on", "id"
                ),
            )
        )


class LiveEventManager(models.Manager.from_queryset(EventQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


def fatalities_sort():
    """The key of `ordering=fatalities`: the best estimate, unknowns as -1 so that they sort below zero and
    keyset paging never meets a NULL. -1 is written into the SQL, not passed as a parameter, so that the
    query's expression is the index's (`event_fatalities_sort_id`); the type is signed, or Django would read
    a cursor's `< -1` as out of a positive field's range and drop the condition."""
    return Coalesce(
        "fatalities_best",
        RawSQL("-1", (), output_field=models.IntegerField()),
        output_field=models.IntegerField(),
    )


def claims_version_of(claims: Iterable[tuple[int, datetime.datetime]]) -> str:
    """What an event's ETag adds for the claims its detail lists, from their (id, last change) pairs: their
    number, the sum of their ids and the latest change (`Event.etag_extra`, and `rows.claims_version` for
    claim records)."""
    claims = list(claims)
    latest = max((updated_at for _, updated_at in claims), default=None)
    return f"{len(claims)}:{sum(pk for pk, _ in claims)}:{latest.isoformat() if latest else ''}"


class Event(models.Model):
    """Something we believe happened at a place and time, with the claims that support or dispute it."""

    # Indexed through the composite indexes of Meta (date_start, location, sub_event_type, updated_at lead
    # one each) or by partial indexes (columns that are null on almost every event): a single-column copy
    # would be one more B-tree for every write to maintain and no query to read.
    date_start = models.DateField(help_text="The earliest day it may have happened.")
    date_end = models.DateField(db_index=True, help_text="The latest day it may have happened.")
    date_precision = models.PositiveSmallIntegerField(
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text="How precisely the date is known, on UCDP's date_prec scale 1-5 (1 = exact day).",
    )
    event_type = models.ForeignKey(
        EventType,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="events",
        help_text="ACLED event type (or a curator's extension).",
    )
    sub_event_type = models.ForeignKey(
        SubEventType,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="events",
        help_text="ACLED sub-event type; it belongs to the event type.",
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="events",
        help_text="The most precise place known.",
    )
    # Derived: the country the place is in (the place itself for a country), written with the place by the
    # write paths and when a place moves to another country (`country_of`, `_events_follow_their_place`).
    # A page of one country's events reads it from its own index in date order (neither database reads one
    # in order from the ranges of a country's thousands of places at once).
    country = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="+",
        null=True,
        editable=False,
        help_text="The country of the place (derived).",
    )
    geo_precision = models.PositiveSmallIntegerField(
        choices=GeoPrecision.choices,
        help_text="How precisely the place is known, on UCDP's where_prec scale 1-7 (1 = exact place).",
    )
    latitude = models.FloatField(
        null=True, blank=True, help_text="The event's own point, when more precise than its location's."
    )
    longitude = models.FloatField(null=True, blank=True, help_text="The event's own longitude, if known.")
    actors = models.ManyToManyField(Actor, through="EventActor", related_name="events", blank=True)
    # Unknown is NULL, never 0: 0 means "no one was killed".
    fatalities_low = models.PositiveIntegerField(
        null=True, blank=True, help_text="Lowest credible number killed; empty when unknown (0 means none)."
    )
    fatalities_best = models.PositiveIntegerField(
        null=True, blank=True, help_text="Best estimate of the number killed; empty when unknown."
    )
    fatalities_high = models.PositiveIntegerField(
        null=True, blank=True, help_text="Highest credible number killed; empty when unknown."
    )
    civilian_targeting = models.BooleanField(default=False, help_text="Whether civilians were the target.")
    summary = models.CharField(max_length=500, help_text="One line: what happened, as far as is known.")
    notes = models.TextField(blank=True, help_text="Curators' notes: sources of doubt, choices made.")
    tags = models.ManyToManyField(Tag, related_name="events", blank=True, help_text="Curators' labels.")
    acled_event_id = models.CharField(
        "ACLED event_id_cnty",
        max_length=32,
        null=True,
        blank=True,
        unique=True,
        help_text="The same event's id in ACLED, if it has one.",
    )
    ucdp_ged_id = models.PositiveBigIntegerField(
        "UCDP GED id",
        null=True,
        blank=True,
        unique=True,
        help_text="The same event's id in UCDP GED, if it has one.",
    )

    # Derived from the claims by events.verification (its one owner, at commit); never typed in.
    verification = models.CharField(
        max_length=16,
        choices=Verification.choices,
        default=Verification.UNVERIFIED,
        editable=False,
        db_index=True,
    )
    verification_reason = models.TextField(editable=False, blank=True, default=UNVERIFIED_REASON)
    independent_reports = models.PositiveSmallIntegerField(
        default=0,
        editable=False,
        help_text="Asserting reports independent of each other (different sources, no republication).",
    )
    # Each other subject of the claims, judged on its own claims (empty: no claim is about it).
    attribution_verification = models.CharField(
        max_length=16,
        choices=Verification.choices,
        blank=True,
        editable=False,
        help_text="Status of the claims about who did it; empty when there are none.",
    )
    attribution_reason = models.TextField(editable=False, blank=True, help_text="Why, in words.")
    casualties_verification = models.CharField(
        max_length=16,
        choices=Verification.choices,
        blank=True,
        editable=False,
        help_text="Status of the claims about casualties; empty when there are none.",
    )
    casualties_reason = models.TextField(editable=False, blank=True, help_text="Why, in words.")
    control_verification = models.CharField(
        max_length=16,
        choices=Verification.choices,
        blank=True,
        editable=False,
        help_text="Status of the claims about territorial control; empty when there are none.",
    )
    control_reason = models.TextField(editable=False, blank=True, help_text="Why, in words.")
    # The range of the figures asserted in claims, beside the curated figures above, never mixed with them.
    claimed_fatalities_low = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="Smallest total killed that any claimant asserts; empty when no claim gives a figure.",
    )
    claimed_fatalities_high = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="Largest total killed that any claimant asserts; empty when none is given or one is open "
        "('at least N').",
    )
    # An editor's verdict overrides the derivation, and must say why.
    verdict = models.CharField(
        max_length=16,
        choices=Verdict.choices,
        blank=True,
        help_text="An editor's verdict, overriding the derived status.",
    )
    verdict_reason = models.TextField(
        blank=True, help_text="Why the editor decided so; required with a verdict."
    )
    verdict_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_index=False,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    verdict_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the verdict was set."
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # A deleted event is a tombstone: out of every list, reported by the deleted feed, restorable.
    deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When it was deleted; null while live.",
    )
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_index=False,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    history = EVENT_HISTORY
    # `objects` sees live events only; `all_objects` (the default manager, used for validation and the
    # admin) sees tombstones too, so that uniqueness checks and restores still find them.
    all_objects = EventQuerySet.as_manager()
    objects = LiveEventManager()

    class Meta:
        ordering = ["-date_start", "-id"]
        default_manager_name = "all_objects"
        base_manager_name = "all_objects"
        permissions = [("set_verdict", "Can set an editor verdict (confirmed / refuted) on an event")]
        indexes = [
            # Keyset paging walks (ordering field, id); both directions use the same B-tree. The date index
            # also holds the place and the deletion mark, so a page's ids never need the table. (The place was
            # added for a country's page, which walked this index testing each event's place; that page now
            # reads event_country_date.)
            models.Index(fields=["date_start", "id", "location", "deleted_at"], name="event_date_start_id"),
            models.Index(fields=["updated_at", "id"], name="event_updated_at_id"),
            # A page of one country's live events, newest first: on SQLite 0.03 instead of 1.1 ms for a country
            # with 2% of a million events, where the date index was walked testing each event's place.
            models.Index(
                fields=["country", "date_start", "id"],
                name="event_country_date",
                condition=Q(deleted_at__isnull=True),
            ),
            # By place and date, and everything the curated statistics read (event_stats): a country's
            # monthly counts are read from this index alone, 12 instead of 47 ms at a million events, where
            # each of the country's events was read from the table at random.
            models.Index(
                fields=[
                    "location",
                    "date_start",
                    "deleted_at",
                    "verification",
                    "fatalities_low",
                    "fatalities_best",
                    "fatalities_high",
                ],
                name="event_location_date",
            ),
            models.Index(fields=["sub_event_type", "date_start"], name="event_subtype_date"),
            # A type's events newest first: a country's battles in a year read 12 instead of 40 ms at a million
            # events, where the place index read all of the country's year, to be sorted.
            models.Index(fields=["event_type", "date_start"], name="event_type_date"),
            # Ordering by fatalities (unknowns below zero) and `fatalities_min`, read from the top.
            models.Index(fatalities_sort(), F("id"), name="event_fatalities_sort_id"),
            # bbox: a latitude band, then longitude inside the index.
            models.Index(fields=["latitude", "longitude"], name="event_latitude_longitude"),
            models.Index(
                fields=["deleted_at"], name="event_deleted_at", condition=Q(deleted_at__isnull=False)
            ),
            models.Index(
                fields=["deleted_by"], name="event_deleted_by", condition=Q(deleted_by__isnull=False)
            ),
            models.Index(
                fields=["verdict_by"], name="event_verdict_by", condition=Q(verdict_by__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_end__gte=F("date_start")), name="event_date_end_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(date_precision=DatePrecision.DAY) | Q(date_end=F("date_start")),
                name="event_exact_day_is_one_day",
            ),
            models.CheckConstraint(
                condition=_choice_known("date_precision", DatePrecision), name="event_date_precision_known"
            ),
            models.CheckConstraint(
                condition=_choice_known("geo_precision", GeoPrecision), name="event_geo_precision_known"
            ),
            models.CheckConstraint(
                condition=_ordered("fatalities_low", "fatalities_best"), name="event_fatalities_low_le_best"
            ),
            models.CheckConstraint(
                condition=_ordered("fatalities_best", "fatalities_high"), name="event_fatalities_best_le_high"
            ),
            models.CheckConstraint(
                condition=_ordered("fatalities_low", "fatalities_high"), name="event_fatalities_low_le_high"
            ),
            *coordinate_constraints("event"),
            models.CheckConstraint(condition=~Q(summary=""), name="event_summary_not_blank"),
            models.CheckConstraint(
                condition=_choice_known("verification", Verification), name="event_verification_known"
            ),
            models.CheckConstraint(
                condition=Q(verdict="") | _choice_known("verdict", Verdict), name="event_verdict_known"
            ),
            models.CheckConstraint(
                condition=Q(verdict="") | ~Q(verdict_reason=""), name="event_verdict_needs_reason"
            ),
            models.CheckConstraint(condition=~Q(acled_event_id=""), name="event_acled_id_null_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.date_start.isoformat()} {self.summary[:80]}"

    @property
    def etag_extra(self) -> str:
        """The claims the event's detail lists (ids and last change), so that its ETag moves with them: a
        claim edited without moving the status does not touch the event row. Reads the prefetched claims."""
        return claims_version_of((c.pk, c.updated_at) for c in self.claims.all())

    def clean(self) -> None:
        errors = {}
        self.acled_event_id = (self.acled_event_id or "").strip() or None
        if self.date_start and self.date_end and self.date_end < self.date_start:
            errors["date_end"] = "The end date cannot be before the start date."
        elif self.date_precision == DatePrecision.DAY and self.date_start != self.date_end:
            errors["date_precision"] = "An exact-day date needs the same start and end date."
        if self.sub_event_type_id is not None:
            sub_type = self.sub_event_type
            if self.event_type_id is None:
                self.event_type_id = sub_type.event_type_id
            elif sub_type.event_type_id != self.event_type_id:
                errors["sub_event_type"] = f"'{sub_type.name}' is not a kind of '{self.event_type.name}'."
        for low, high in (("low", "best"), ("best", "high"), ("low", "high")):
            low_value = getattr(self, f"fatalities_{low}")
            high_value = getattr(self, f"fatalities_{high}")
            if low_value is not None and high_value is not None and low_value > high_value:
                errors.setdefault(
                    f"fatalities_{high}", f"Fatalities {high} cannot be below fatalities {low}."
                )
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude" if self.longitude is None else "latitude"] = (
                "Give both latitude and longitude, or neither."
            )
        if self.verdict and not self.verdict_reason.strip():
            errors["verdict_reason"] = "An editor verdict needs a written reason."
        if not self.verdict and self.verdict_reason.strip():
            errors["verdict"] = "A verdict reason was given without a verdict."
        if errors:
            raise ValidationError(errors)


class EventActorRole(models.TextChoices):
    SIDE_A = "side_a", "Side A (actor1)"
    SIDE_B = "side_b", "Side B (actor2)"
    ASSOCIATED_A = "associated_a", "Associated with side A (assoc_actor_1)"
    ASSOCIATED_B = "associated_b", "Associated with side B (assoc_actor_2)"


class EventActor(models.Model):
    """An actor's part in an event: side A or B (ACLED actor1/actor2) or associated with a side."""

    Role = EventActorRole

    # Lookups by event use the (event, role, id, actor) index of Meta: it lists an event's actors in a role
    # in the order recorded without a sort (a JSON page's actors), and an export reads a chunk's actors
    # from it alone. Lookups by actor use the (actor, event_date, event) index: "events with this actor"
    # reads the event ids from the index alone, and a page of one actor's events in date order reads its
    # page's worth of entries in order, not every event of the actor to sort them by date.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="event_actors", db_index=False)
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="event_roles", db_index=False)
    role = models.CharField(max_length=16, choices=Role.choices, help_text="The actor's part in the event.")
    # Derived: always the event's date_start, written with the role and again when the event's date changes
    # (events.services: event_save, the bulk path; a fixture's role is given its event's date as loaded).
    event_date = models.DateField(editable=False, help_text="The event's date_start, copied for the index.")

    history = HistoricalRecords(excluded_fields=["event_date"])

    class Meta:
        ordering = ["role", "id"]
        indexes = [
            models.Index(fields=["event", "role", "id", "actor"], name="event_actor_event_role_actor"),
            models.Index(fields=["actor", "event_date", "event"], name="event_actor_actor_date"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "actor"], name="event_actor_once_per_event"),
            models.CheckConstraint(
                condition=_choice_known("role", EventActorRole), name="event_actor_role_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor} as {self.get_role_display()}"


@receiver(pre_save, sender=Event)
def _event_in_its_country(sender, instance: Event, using: str, update_fields=None, **kwargs) -> None:
    """An event saved without the services (a fixture as loaded, a plain save) is given its place's country
    when it is saved whole (in part: `_event_moved_in_part`); `events.services.event_save` sets it itself,
    with the place."""
    if update_fields is None and instance.location_id is not None:
        instance.country_id = _place_country(instance, using)


@receiver(post_save, sender=Event)
def _event_moved_in_part(
    sender, instance: Event, using: str, update_fields=None, raw=False, **kwargs
) -> None:
    """A save of some fields that names the place and not its country (`save(update_fields=["location"])`,
    outside the services): the country follows, by one UPDATE of the row."""
    if raw or not update_fields or "location" not in update_fields or "country" in update_fields:
        return
    instance.country_id = _place_country(instance, using)
    Event.all_objects.db_manager(using).filter(pk=instance.pk).update(country=instance.country_id)


def _place_country(event: Event, using: str) -> int | None:
    """The country of the event's place: from the place in hand, else from its path (None: no such place,
    and the database refuses the reference)."""
    if Event.location.is_cached(event) and event.location.pk == event.location_id:
        return event.location.country_pk
    path = Location.objects.db_manager(using).filter(pk=event.location_id).values_list("path", flat=True)
    path = path.first()
    return None if path is None else country_of(event.location_id, path)


@receiver(place_moved)
def _events_follow_their_place(sender, location: Location, prefix: str, **kwargs) -> None:
    """A place moved (into another country, perhaps): its events' and its subtree's events' country follows,
    in one UPDATE of those whose country it changes."""
    inside = Location.objects.filter(Q(pk=location.pk) | Q(path__startswith=prefix)).values("pk")
    country = location.country_pk
    Event.all_objects.filter(location__in=inside).exclude(country=country).update(country=country)


@receiver(pre_save, sender=EventActor)
def _role_dated(sender, instance: EventActor, using: str, **kwargs) -> None:
    """A role saved without its event's date (a fixture as loaded, a role made by hand) is given it."""
    if instance.event_date is None and instance.event_id is not None:
        if EventActor.event.is_cached(instance):  # an inline's role: its event is in hand
            instance.event_date = instance.event.date_start
            return
        events = Event.all_objects.db_manager(using).filter(pk=instance.event_id)
        instance.event_date = events.values_list("date_start", flat=True).get()


CLAIM_QUOTE_MAX_LENGTH = 1000


class ClaimStance(models.TextChoices):
    ASSERTS = "asserts", "Asserts"
    DENIES = "denies", "Denies"
    CANNOT_CONFIRM = "cannot_confirm", "Cannot confirm"
    CONFIRMS = "confirms", "Confirms"


class ClaimSubject(models.TextChoices):
    OCCURRENCE = "occurrence", "That it happened"
    TERRITORIAL_CONTROL = "territorial_control", "Territorial control"
    CASUALTIES = "casualties", "Casualties"
    ATTRIBUTION = "attribution", "Who did it"


class ClaimCasualtiesOf(models.TextChoices):
    """Whose dead a casualty claim counts: a side of the event, civilians, or not said (everyone)."""

    ALL = "", "Not said (all)"
    SIDE_A = "side_a", "Side A"
    SIDE_B = "side_b", "Side B"
    CIVILIANS = "civilians", "Civilians"


class Claim(models.Model):
    """What one party or outlet said about an event, in one report: asserted, denied, confirmed or not."""

    Stance = ClaimStance

    Subject = ClaimSubject

    CasualtiesOf = ClaimCasualtiesOf

    QUOTE_MAX_LENGTH = CLAIM_QUOTE_MAX_LENGTH

    # Lookups by event use the (event, report) index of Meta: an export reads a chunk's reports from it alone.
    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="claims",
        db_index=False,
        help_text="The event the claim is about.",
    )
    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, related_name="claims", help_text="The report the claim was made in."
    )
    claimant = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims_made",
        help_text="Who makes the claim. Empty: the report's source speaks in its own voice.",
    )
    speaker = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims_spoken",
        help_text="The person who spoke for the claimant (a spokesperson), if named.",
    )
    stance = models.CharField(
        max_length=16,
        choices=Stance.choices,
        help_text="asserts, denies, confirms, or cannot_confirm (shown, never counted as an assertion).",
    )
    subject = models.CharField(
        max_length=24,
        choices=Subject.choices,
        default=Subject.OCCURRENCE,
        help_text="What the claim is about.",
    )
    quote = models.TextField(
        blank=True, help_text=f"The sentence that carries the claim, at most {QUOTE_MAX_LENGTH} characters."
    )
    claimed_fatalities_low = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Lowest number killed that the claim gives; empty when it gives none.",
    )
    claimed_fatalities_high = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Highest number killed that the claim gives; empty when it gives none.",
    )
    casualties_of = models.CharField(
        max_length=16,
        choices=CasualtiesOf.choices,
        blank=True,
        default=CasualtiesOf.ALL,
        help_text="Whose dead a casualty claim counts (side_a, side_b, civilians; empty: not said). One "
        "claim per side, as the source gives them: 'six of ours and a dozen of theirs' is two claims.",
    )
    claimed_on = models.DateField(
        null=True, blank=True, help_text="When the claim was made; defaults to the report's publication date."
    )
    notes = models.TextField(blank=True, help_text="Curators' notes on the claim.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["claimed_on", "id"]
        indexes = [models.Index(fields=["event", "report"], name="claim_event_report")]
        constraints = [
            models.CheckConstraint(condition=_choice_known("stance", ClaimStance), name="claim_stance_known"),
            models.CheckConstraint(
                condition=_choice_known("subject", ClaimSubject), name="claim_subject_known"
            ),
            models.CheckConstraint(
                condition=_ordered("claimed_fatalities_low", "claimed_fatalities_high"),
                name="claim_fatalities_low_le_high",
            ),
            models.CheckConstraint(
                condition=Q(LessThanOrEqual(Length("quote"), CLAIM_QUOTE_MAX_LENGTH)),
                name="claim_quote_short",
            ),
            models.CheckConstraint(
                condition=_choice_known("casualties_of", ClaimCasualtiesOf), name="claim_casualties_of_known"
            ),
            models.CheckConstraint(
                condition=Q(casualties_of="") | Q(subject=ClaimSubject.CASUALTIES),
                name="claim_casualties_of_only_for_casualties",
                violation_error_message="Only a claim about casualties says whose dead it counts.",
            ),
        ]

    def __str__(self) -> str:
        who = self.claimant.name if self.claimant_id else "the source"
        return f"{who} {self.get_stance_display().lower()} (event {self.event_id})"

    def clean(self) -> None:
        errors = {}
        if self.speaker_id is not None and self.speaker.kind != Actor.Kind.PERSON:
            errors["speaker"] = f"{self.speaker.name} is not a person; the speaker must be one."
        if (
            self.claimed_fatalities_low is not None
            and self.claimed_fatalities_high is not None
            and self.claimed_fatalities_low > self.claimed_fatalities_high
        ):
            errors["claimed_fatalities_high"] = "The high figure cannot be below the low figure."
        if len(self.quote) > self.QUOTE_MAX_LENGTH:
            errors["quote"] = f"Quote one sentence, at most {self.QUOTE_MAX_LENGTH} characters."
        if self.casualties_of and self.subject != ClaimSubject.CASUALTIES:
            errors["casualties_of"] = "Only a claim about casualties says whose dead it counts."
        if errors:
            raise ValidationError(errors)
        if self.claimed_on is None and self.report_id is not None:
            self.claimed_on = self.report.published_on


class EventReview(models.Model):
    """When a reviewer last looked at an event, and the status it had then: what the review queue compares.

    An event returns to the queue when its derived status moves away from the one seen here, or when a claim
    is added or changed after `reviewed_at` (events.review_queue). Written only by events.services.reviews.
    """

    event = models.OneToOneField(Event, on_delete=models.CASCADE, primary_key=True, related_name="review")
    reviewed_at = models.DateTimeField(help_text="When a reviewer last looked at the event.")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_index=False,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who looked at it last.",
    )
    verification = models.CharField(
        max_length=16, choices=Verification.choices, help_text="The event's status when it was reviewed."
    )

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"event {self.event_id} reviewed {self.reviewed_at:%Y-%m-%d %H:%M} ({self.verification})"
