from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from core.admin import DeferredWritesAdminMixin
from core.deferred import deferred
from locations.models import Location
from sources.models import Report, Source

from . import admin_entry
from .duplicates import possible_duplicates
from .inference import fill_inferred
from .models import Claim, Event, EventActor, EventType, SubEventType, Tag, Verdict, Verification
from .precision import DatePrecision, GeoPrecision
from .review_queue import needing_review, review_reason
from .services import claim_delete, claim_save, event_delete, event_restore, event_save
from .services.reviews import events_review

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
# The view that answers the admin's autocomplete widgets (a claim's speaker among people: actors/admin.py).
AUTOCOMPLETE_VIEWS = {"autocomplete"}
SAVE_ANYWAY_HELP = "Tick after checking the warnings above, to save as it is."


def verification_badge(event: Event) -> str:
    return format_html(
        '<span class="status-badge" title="{}" style="background:{}">{}</span>',
        event.verification_reason,
        VERIFICATION_COLOURS.get(event.verification, "#57606a"),
        event.verification,
    )


def is_autocomplete(request) -> bool:
    """Whether the request comes from an autocomplete widget (as opposed to the list's search box)."""
    return getattr(request.resolver_match, "url_name", None) in AUTOCOMPLETE_VIEWS


def event_link(event: Event) -> str:
    url = reverse("admin:events_event_change", args=[event.pk])
    return format_html('<a href="{}" target="_blank">#{} {}</a>', url, event.pk, event)


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


class ProvinceFilter(CountryFilter):
    """Events anywhere inside a province (admin1); the provinces of the chosen country when one is."""

    title = "province"
    parameter_name = "province"

    def lookups(self, request, model_admin):
        provinces = Location.objects.filter(level=Location.Level.ADMIN1).only("pk", "name")
        country = request.GET.get(CountryFilter.parameter_name, "")
        if country.isdigit():
            provinces = provinces.filter(parent_id=int(country))
        return [(str(p.pk), p.name) for p in provinces.order_by("name")]


class SourceFilter(admin.SimpleListFilter):
    """Events with a claim in a report of this source."""

    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in Source.objects.values_list("pk", "name")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if not self.value().isdigit():
            return queryset.none()
        claims = Claim.objects.filter(event=OuterRef("pk"), report__source_id=int(self.value()))
        return queryset.filter(Exists(claims))


class ReviewQueueFilter(admin.SimpleListFilter):
    """The review queue (events.review_queue): status changed, or new claims, since a reviewer looked."""

    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("needed", "Needs review")]

    def queryset(self, request, queryset):
        if self.value() == "needed":
            return needing_review(queryset)
        return queryset


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
    """Autocomplete widgets print a report with its source; fetch both in one query. A claim's event is a
    live one (a deleted event takes no new claims). A speaker is picked among people by the actors' admin
    (`PERSON_FIELDS`)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "report":
            kwargs["queryset"] = Report.objects.select_related("source")
        elif db_field.name == "event":
            kwargs["queryset"] = Event.objects.all()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class WarningsForm(forms.ModelForm):
    """A form that may warn before it saves: `warnings` (HTML) are shown above the fields, and the form is
    refused until the curator ticks "save anyway" (shown only while there are warnings)."""

    save_anyway = forms.BooleanField(required=False, label="Save anyway", help_text=SAVE_ANYWAY_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        if not self.cleaned_data.get("save_anyway"):
            self.add_error("save_anyway", "Check the warnings above, then tick this box to save anyway.")


class EventAdminForm(WarningsForm):
    """The event form: what can be worked out is (events.inference), and possible duplicates are listed."""

    date_precision = forms.TypedChoiceField(
        choices=[("", "— from the dates —"), *DatePrecision.choices],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Empty: worked out from the dates (one day: exact day; two to six: within 2–6 days; …).",
    )
    geo_precision = forms.TypedChoiceField(
        choices=[("", "— from the place —"), *GeoPrecision.choices],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Empty: worked out from the place's level (or its nearest area with a known point).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, help_text in (
            ("event_type", "Empty: the sub-event type's."),
            ("date_end", "Empty: the start date."),
        ):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = help_text

    def clean(self):
        data = super().clean()
        for name in fill_inferred(data):
            # Also on the instance: a field left out of the POST would otherwise keep the model's default.
            setattr(self.instance, name, data[name])
        if not self.instance.pk or {
            "event_type",
            "sub_event_type",
            "location",
            "date_start",
            "date_end",
        } & set(self.changed_data):
            self.duplicates = possible_duplicates(
                event_type_id=getattr(data.get("event_type"), "pk", None),
                location=data.get("location"),
                date_start=data.get("date_start"),
                date_end=data.get("date_end"),
                exclude_pk=self.instance.pk,
            )
            if self.duplicates:
                self.warn(
                    format_html(
                        "Possible duplicates (same type, overlapping dates, same or nearby place):<ul>{}</ul>",
                        format_html_join(
                            "", "<li>{} — {}</li>", ((event_link(d.event), d.why) for d in self.duplicates)
                        ),
                    )
                )
        return data


class ClaimAdminForm(WarningsForm):
    """A claim form that warns when the event has no actors: a claim on it can only read "reported"."""

    def clean(self):
        data = super().clean()
        event = data.get("event")
        if event is not None and not event.event_actors.exists():
            self.warn(
                format_html(
                    "{} has no actors: verification cannot tell a party's claim from an outside one, so its "
                    "status will read “reported”. Add its sides on the event first, or save anyway.",
                    event_link(event),
                )
            )
        return data


class ClaimInlineFormSet(forms.BaseInlineFormSet):
    """The event page's claims: warns when claims are entered on an event that has (and gets) no actors."""

    def clean(self):
        super().clean()
        claims = [f for f in self.forms if f.has_changed() and not self._should_delete_form(f)]
        if not claims or self.data.get("save_anyway"):
            return
        # The roles are another formset of the same page: read what it submits (prefix event_actors).
        total = self.data.get("event_actors-TOTAL_FORMS", "0")
        roles = [
            i
            for i in range(int(total) if total.isdigit() else 0)
            if self.data.get(f"event_actors-{i}-actor") and not self.data.get(f"event_actors-{i}-DELETE")
        ]
        if not roles:
            raise forms.ValidationError(
                "This event has no actors: verification cannot tell a party's claim from an outside one, so "
                "its status will read “reported”. Add its sides above, or tick “Save anyway”."
            )


class EventActorInline(admin.TabularInline):
    model = EventActor
    extra = 0
    autocomplete_fields = ("actor",)


class ClaimInline(ReportSelectMixin, admin.StackedInline):
    model = Claim
    formset = ClaimInlineFormSet
    extra = 0
    autocomplete_fields = ("report", "claimant", "speaker")
    fields = (
        ("claimant", "speaker", "stance", "subject"),
        ("report", "claimed_on", "casualties_of", "claimed_fatalities_low", "claimed_fatalities_high"),
        ("quote", "notes"),
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is None:
            return field
        if db_field.name in ("quote", "notes"):
            field.widget.attrs.update(rows=2, cols=60 if db_field.name == "quote" else 30)
        # A claim takes a few lines, not a screen: help texts become tooltips, and the add/change/view
        # buttons beside each choice (reachable from the claim's own page) are left out.
        field.widget.attrs["title"], field.help_text = field.help_text, ""
        if isinstance(field.widget, RelatedFieldWidgetWrapper):
            field.widget.can_add_related = field.widget.can_change_related = False
            field.widget.can_delete_related = field.widget.can_view_related = False
        return field


class ReviewActionForm(ActionForm):
    verdict_reason = forms.CharField(
        required=False,
        label="Reason",
        widget=forms.TextInput(attrs={"size": 40, "placeholder": "why (needed with a verdict)"}),
    )


@admin.register(Event)
class EventAdmin(DeferredWritesAdminMixin, SimpleHistoryAdmin):
    form = EventAdminForm
    action_form = ReviewActionForm
    change_form_template = "admin/events/event/change_form.html"
    # Status first: a curator scanning the list sees at a glance what is disputed or only claimed.
    list_display = (
        "id",
        "verification_status",
        "dates",
        "summary",
        "sub_event_type",
        "location",
        "reports",
        "killed",
    )
    list_display_links = ("id", "summary")
    list_select_related = ("sub_event_type", "location", "review")
    list_filter = (
        ReviewQueueFilter,
        TombstoneFilter,
        "verification",
        "sub_event_type",
        CountryFilter,
        ProvinceFilter,
        SourceFilter,
        "event_type",
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
    # The fields a curator fills for every event first, then what the claims add up to; the rest folds away.
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "summary",
                    ("sub_event_type", "event_type"),
                    ("date_start", "date_end", "date_precision"),
                    ("location", "geo_precision"),
                    "tags",
                )
            },
        ),
        (
            "Verification (derived from the claims below)",
            {
                "fields": (
                    ("verification_status", "independent_reports"),
                    "verification_reason",
                    ("attribution_verification", "casualties_verification", "control_verification"),
                    ("verdict", "verdict_reason"),
                    ("verdict_by", "verdict_at"),
                )
            },
        ),
        (
            "Fatalities, coordinates and notes",
            {
                "classes": ["collapse"],
                "fields": (
                    ("fatalities_low", "fatalities_best", "fatalities_high"),
                    ("claimed_fatalities_low", "claimed_fatalities_high", "civilian_targeting"),
                    ("latitude", "longitude"),
                    "notes",
                ),
            },
        ),
        (
            "Identifiers and record",
            {
                "classes": ["collapse"],
                "fields": (
                    ("acled_event_id", "ucdp_ged_id"),
                    ("created_at", "updated_at"),
                    ("deleted_at", "deleted_by"),
                ),
            },
        ),
    )

    actions = ["restore_events", "mark_reviewed", "confirm_events", "refute_events"]

    class Media:
        css = {"all": ["events/admin.css"]}
        js = ["admin/js/jquery.init.js", "events/entry.js"]  # after django.jQuery, whose events it hears

    def get_urls(self):
        site = self.admin_site
        return [
            path(
                "enter-report/",
                site.admin_view(admin_entry.enter_report_view),
                name="events_event_enter_report",
            ),
            path("infer/", site.admin_view(admin_entry.infer_view), name="events_event_infer"),
            path(
                "report-for-url/",
                site.admin_view(admin_entry.report_for_url_view),
                name="events_report_for_url",
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Restore the selected deleted events", permissions=["change"])
    def restore_events(self, request, queryset):
        restored = 0
        with deferred():
            for event in queryset.filter(deleted_at__isnull=False):
                event_restore(event=event)
                restored += 1
        self.message_user(request, f"{restored} event(s) restored.")

    @admin.action(description="Reviewed: keep as they are", permissions=["set_verdict"])
    def mark_reviewed(self, request, queryset):
        self._review(request, queryset, verdict="")

    @admin.action(
        description="Reviewed: confirm (editor verdict, give a reason)", permissions=["set_verdict"]
    )
    def confirm_events(self, request, queryset):
        self._review(request, queryset, verdict=Verdict.CONFIRMED)

    @admin.action(description="Reviewed: refute (editor verdict, give a reason)", permissions=["set_verdict"])
    def refute_events(self, request, queryset):
        self._review(request, queryset, verdict=Verdict.REFUTED)

    def has_set_verdict_permission(self, request):
        return request.user.has_perm("events.set_verdict")

    def _review(self, request, queryset, verdict: str) -> None:
        reason = request.POST.get("verdict_reason", "").strip()
        if verdict and not reason:
            self.message_user(request, "A verdict needs a reason: type it beside the action.", messages.ERROR)
            return
        count = events_review(
            events=queryset.filter(deleted_at__isnull=True), user=request.user, verdict=verdict, reason=reason
        )
        done = f"{verdict} and marked reviewed" if verdict else "marked reviewed"
        self.message_user(request, f"{count} event(s) {done}.", messages.SUCCESS)

    def delete_model(self, request, obj):
        # Deleting leaves a tombstone: sync clients see it in the deleted feed, and it can be restored.
        event_delete(event=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        with deferred():
            for event in queryset.filter(deleted_at__isnull=True):
                event_delete(event=event, user=request.user)

    def changelist_view(self, request, extra_context=None):
        # The list needs the width: its key columns fit beside the filters without the app sidebar.
        return super().changelist_view(request, {"is_nav_sidebar_enabled": False, **(extra_context or {})})

    def get_list_display(self, request):
        if request.GET.get(ReviewQueueFilter.parameter_name):
            return (*self.list_display, "why_review")
        return self.list_display

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if is_autocomplete(request):
            queryset = queryset.filter(deleted_at__isnull=True)  # a deleted event is never offered
        return queryset, may_have_duplicates

    @admin.display(description="date", ordering="date_start")
    def dates(self, obj: Event) -> str:
        if obj.date_end == obj.date_start:
            return obj.date_start.isoformat()
        return format_html("{}<br>– {}", obj.date_start.isoformat(), obj.date_end.isoformat())

    @admin.display(description="status", ordering="verification")
    def verification_status(self, obj: Event) -> str:
        return verification_badge(obj)

    @admin.display(description="reports", ordering="independent_reports")
    def reports(self, obj: Event) -> int:
        return obj.independent_reports

    @admin.display(description="killed", ordering="fatalities_best")
    def killed(self, obj: Event):
        return obj.fatalities_best

    @admin.display(description="why")
    def why_review(self, obj: Event) -> str:
        return review_reason(obj)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not request.user.has_perm("events.set_verdict"):
            fields = (*fields, *VERDICT_FIELDS)
        return fields

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "summary":
            field.widget.attrs["style"] = "width: 60em; max-width: 100%"
        elif db_field.name in ("notes", "verdict_reason"):
            field.widget.attrs.update(rows=2)
        return field

    def save_model(self, request, obj, form, change):
        # One service writes the event, its tags and its history row, and stamps a changed verdict.
        fields = [name for name in form.changed_data if name in EVENT_COLUMNS] if change else None
        tags = [tag.name for tag in form.cleaned_data["tags"]] if "tags" in form.changed_data else None
        event_save(event=obj, fields=fields, tags=tags, user=request.user)

    def save_formset(self, request, form, formset, change):
        # Claims go through their service; roles save row by row. Each marks the event, which is re-derived
        # once when the page's work is done (DeferredWritesAdminMixin).
        if formset.model is not Claim:
            return super().save_formset(request, form, formset, change)
        for claim in formset.save(commit=False):
            claim_save(claim=claim)
        for claim in formset.deleted_objects:
            claim_delete(claim=claim)

    def save_related(self, request, form, formsets, change):
        # Tags were written by event_save; the inlines follow.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(Claim)
class ClaimAdmin(DeferredWritesAdminMixin, ReportSelectMixin, SimpleHistoryAdmin):
    form = ClaimAdminForm
    change_form_template = "admin/events/claim/change_form.html"
    list_display = ("id", "event_brief", "claimant", "speaker", "stance", "subject", "report_brief")
    list_select_related = ("event", "claimant", "speaker", "report__source")
    list_filter = ("stance", "subject", "report__source", "event__sub_event_type")
    search_fields = ("quote", "claimant__name", "speaker__name", "report__title", "event__summary")
    autocomplete_fields = ("event", "report", "claimant", "speaker")
    fields = (
        ("event", "report"),
        ("claimant", "speaker"),
        ("stance", "subject"),
        "quote",
        ("casualties_of", "claimed_fatalities_low", "claimed_fatalities_high"),
        ("claimed_on", "notes"),
    )
    # A claim is entered with the next ones from the same report: "Save and add another" keeps these.
    KEPT_FOR_NEXT = ("report", "event", "claimant", "speaker", "stance", "subject")

    class Media:
        css = {"all": ["events/admin.css"]}

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"is_nav_sidebar_enabled": False, **(extra_context or {})})

    @admin.display(description="event", ordering="event")
    def event_brief(self, obj: Claim) -> str:
        return f"#{obj.event_id} {obj.event.summary[:60]}"

    @admin.display(description="report", ordering="report__published_on")
    def report_brief(self, obj: Claim) -> str:
        report = obj.report
        date = report.published_on.isoformat() if report.published_on else "undated"
        return format_html('<span title="{}">{}, {}</span>', report.title, report.source.name, date)

    def response_add(self, request, obj, post_url_continue=None):
        if "_addanother" in request.POST and IS_POPUP_VAR not in request.POST:
            self.message_user(request, format_html("The claim “{}” was added.", obj), messages.SUCCESS)
            kept = {
                name: getattr(obj, f"{name}_id", None) or getattr(obj, name) for name in self.KEPT_FOR_NEXT
            }
            query = urlencode({name: value for name, value in kept.items() if value})
            return HttpResponseRedirect(f"{request.path}?{query}")
        return super().response_add(request, obj, post_url_continue)

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
