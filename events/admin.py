from django.contrib import admin
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from core.admin import DeferredWritesAdminMixin
from core.deferred import deferred
from locations.models import Location
from sources.models import Report

from .models import Claim, Event, EventActor, EventType, SubEventType, Tag, Verification
from .services import claim_delete, claim_save, event_delete, event_restore, event_save

VERIFICATION_COLOURS = {
    Verification.CONFIRMED: "#1a7f37",
    Verification.CORROBORATED: "#2da44e",
    Verification.REPORTED: "#0969da",
    Verification.CLAIMED: "#9a6700",
    Verification.DISPUTED: "#cf222e",
    Verification.REFUTED: "#82071e",
    Verification.UNVERIFIED: "#57606a",
}

VERDICT_FIELDS = ("verdict", "verdict_reason")
EVENT_COLUMNS = {f.name for f in Event._meta.concrete_fields}


def verification_badge(event: Event) -> str:
    return format_html(
        '<span title="{}" style="color:#fff;background:{};padding:1px 6px;border-radius:8px">{}</span>',
        event.verification_reason,
        VERIFICATION_COLOURS.get(event.verification, "#57606a"),
        event.verification,
    )


class CountryFilter(admin.SimpleListFilter):
    """Events anywhere inside a country, by the gazetteer's materialised path."""

    title = "country"
    parameter_name = "country"

    def lookups(self, request, model_admin):
        return [(str(c.pk), c.name) for c in Location.objects.countries().only("pk", "name")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        country = Location.objects.filter(pk=self.value()).first()
        if country is None:
            return queryset.none()
        return queryset.filter(location__in=Location.objects.within(country))


class TombstoneFilter(admin.SimpleListFilter):
    """Live events by default; deleted ones (tombstones) on request, to inspect or restore them."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("deleted", "Deleted"), ("all", "All")]

    def choices(self, changelist):
        for value, label in [(None, "Live"), *self.lookup_choices]:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: value} if value else {}, [] if value else [self.parameter_name]
                ),
                "display": label,
            }

    def queryset(self, request, queryset):
        if self.value() == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "all":
            return queryset
        return queryset.filter(deleted_at__isnull=True)


class ReportSelectMixin:
    """Autocomplete widgets print a report with its source; fetch both in one query."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "report":
            kwargs["queryset"] = Report.objects.select_related("source")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class EventActorInline(admin.TabularInline):
    model = EventActor
    extra = 0
    autocomplete_fields = ("actor",)


class ClaimInline(ReportSelectMixin, admin.StackedInline):
    model = Claim
    extra = 0
    autocomplete_fields = ("report", "claimant", "speaker")
    fields = (
        ("claimant", "speaker", "stance", "subject"),
        ("report", "claimed_on"),
        "quote",
        ("casualties_of", "claimed_fatalities_low", "claimed_fatalities_high"),
        "notes",
    )


@admin.register(Event)
class EventAdmin(DeferredWritesAdminMixin, SimpleHistoryAdmin):
    # Status first: a curator scanning the list sees at a glance what is disputed or only claimed.
    list_display = (
        "id",
        "verification_status",
        "dates",
        "summary",
        "sub_event_type",
        "location",
        "independent_reports",
        "fatalities_best",
    )
    list_display_links = ("id", "summary")
    list_select_related = ("sub_event_type", "location")
    list_filter = (
        TombstoneFilter,
        "event_type",
        CountryFilter,
        "date_start",
        "verification",
        "casualties_verification",
        "control_verification",
        "geo_precision",
        "date_precision",
        "civilian_targeting",
    )
    search_fields = (
        "summary",
        "notes",
        "location__name",
        "location__aliases__name",
        "actors__name",
        "actors__acronym",
        "actors__aliases__name",
        "acled_event_id",
    )
    date_hierarchy = "date_start"
    autocomplete_fields = ("location", "event_type", "sub_event_type", "tags")
    inlines = [EventActorInline, ClaimInline]
    readonly_fields = (
        "verification_status",
        "verification_reason",
        "independent_reports",
        "attribution_verification",
        "casualties_verification",
        "control_verification",
        "claimed_fatalities_low",
        "claimed_fatalities_high",
        "verdict_by",
        "verdict_at",
        "created_at",
        "updated_at",
        "deleted_at",
        "deleted_by",
    )
    fieldsets = (
        (None, {"fields": ("summary", ("event_type", "sub_event_type"), "tags", "notes")}),
        # Right under the summary: what the claims below add up to, and why.
        (
            "Verification (derived from the claims below)",
            {
                "fields": (
                    ("verification_status", "independent_reports"),
                    "verification_reason",
                    ("attribution_verification", "casualties_verification", "control_verification"),
                    "verdict",
                    "verdict_reason",
                    ("verdict_by", "verdict_at"),
                )
            },
        ),
        ("When", {"fields": (("date_start", "date_end", "date_precision"),)}),
        ("Where", {"fields": ("location", "geo_precision", ("latitude", "longitude"))}),
        (
            "Fatalities (leave empty when unknown)",
            {
                "fields": (
                    ("fatalities_low", "fatalities_best", "fatalities_high"),
                    ("claimed_fatalities_low", "claimed_fatalities_high"),
                    "civilian_targeting",
                ),
            },
        ),
        ("Identifiers", {"fields": (("acled_event_id", "ucdp_ged_id"), ("created_at", "updated_at"))}),
        ("Deletion", {"fields": (("deleted_at", "deleted_by"),)}),
    )

    actions = ["restore_events"]

    @admin.action(description="Restore the selected deleted events", permissions=["change"])
    def restore_events(self, request, queryset):
        restored = 0
        with deferred():
            for event in queryset.filter(deleted_at__isnull=False):
                event_restore(event=event)
                restored += 1
        self.message_user(request, f"{restored} event(s) restored.")

    def delete_model(self, request, obj):
        # Deleting leaves a tombstone: sync clients see it in the deleted feed, and it can be restored.
        event_delete(event=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        with deferred():
            for event in queryset.filter(deleted_at__isnull=True):
                event_delete(event=event, user=request.user)

    @admin.display(description="date", ordering="date_start")
    def dates(self, obj: Event) -> str:
        text = obj.date_start.isoformat()
        if obj.date_end != obj.date_start:
            text += f" – {obj.date_end.isoformat()}"
        return format_html('<span style="white-space:nowrap">{}</span>', text)

    @admin.display(description="verification", ordering="verification")
    def verification_status(self, obj: Event) -> str:
        return verification_badge(obj)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not request.user.has_perm("events.set_verdict"):
            fields = (*fields, *VERDICT_FIELDS)
        return fields

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "summary":
            field.widget.attrs["style"] = "width: 60em"
        return field

    def save_model(self, request, obj, form, change):
        # One service writes the event, its tags and its history row, and stamps a changed verdict.
        fields = [name for name in form.changed_data if name in EVENT_COLUMNS] if change else None
        tags = [tag.name for tag in form.cleaned_data["tags"]] if "tags" in form.changed_data else None
        event_save(event=obj, fields=fields, tags=tags, user=request.user)

    def save_related(self, request, form, formsets, change):
        # Tags were written by event_save; the inlines (roles, claims) save row by row, each marking the
        # event, which is re-derived once when the page's work is done (DeferredWritesAdminMixin).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(Claim)
class ClaimAdmin(DeferredWritesAdminMixin, ReportSelectMixin, SimpleHistoryAdmin):
    list_display = ("id", "event", "claimant", "speaker", "stance", "subject", "report", "claimed_on")
    list_select_related = ("event", "claimant", "speaker", "report__source")
    list_filter = ("stance", "subject", "report__source")
    search_fields = ("quote", "claimant__name", "speaker__name", "report__title", "event__summary")
    autocomplete_fields = ("event", "report", "claimant", "speaker")

    def save_model(self, request, obj, form, change):
        claim_save(claim=obj)

    def delete_model(self, request, obj):
        claim_delete(claim=obj)

    def delete_queryset(self, request, queryset):
        with deferred():
            for claim in queryset:
                claim_delete(claim=claim)


class SubEventTypeInline(admin.TabularInline):
    model = SubEventType
    extra = 0
    prepopulated_fields = {"slug": ("name",)}


@admin.register(EventType)
class EventTypeAdmin(SimpleHistoryAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [SubEventTypeInline]


@admin.register(SubEventType)
class SubEventTypeAdmin(SimpleHistoryAdmin):
    list_display = ("name", "event_type", "slug")
    list_select_related = ("event_type",)
    list_filter = ("event_type",)
    search_fields = ("name", "event_type__name")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Tag)
class TagAdmin(SimpleHistoryAdmin):
    search_fields = ("name",)


admin.site.site_header = "Conflict Events"
admin.site.site_title = "Conflict Events admin"
admin.site.index_title = "Data entry"
