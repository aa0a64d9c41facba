from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin

from core.admin import DeferredWritesAdminMixin, form_unchanged

from .models import Report, ReportDerivation, Source
from .services import report_save, source_save

# URLs typed without a scheme are taken as https (Django 6's default, adopted now).
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}
REPUBLISHES = ReportDerivation.Relation.REPUBLISHES


@admin.register(Source)
class SourceAdmin(DeferredWritesAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "kind", "scale", "country", "operated_by")
    list_filter = ("kind", "scale")
    list_select_related = ("country", "operated_by")
    search_fields = ("name", "url")
    # The country widget offers countries only (LocationAdmin.get_search_results).
    autocomplete_fields = ("country", "operated_by")
    fields = ("name", "kind", "scale", "url", "country", "operated_by", "notes")
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS

    def save_model(self, request, obj, form, change):
        if not form_unchanged(form, change):
            source_save(source=obj)


class ReportDerivationInline(admin.TabularInline):
    model = ReportDerivation
    fk_name = "report"
    extra = 0
    autocomplete_fields = ("derived_from",)
    verbose_name = "report it depends on"
    verbose_name_plural = "reports it republishes, quotes or derives from"

    def get_queryset(self, request):
        # Each row is titled with both reports and their sources: fetch them with the links.
        return super().get_queryset(request).select_related("report__source", "derived_from__source")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "derived_from":
            # The widget prints each choice with its source: fetch it in the same query.
            kwargs["queryset"] = Report.objects.select_related("source")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Report)
class ReportAdmin(DeferredWritesAdminMixin, SimpleHistoryAdmin):
    list_display = ("title", "source", "published_date", "author")
    list_filter = ("source", "source__kind", "published_on")
    list_select_related = ("source",)
    search_fields = ("title", "author", "url", "source__name")
    autocomplete_fields = ("source",)
    date_hierarchy = "published_on"
    inlines = [ReportDerivationInline]
    fields = (
        "source",
        "title",
        "url",
        "author",
        "published_on",
        "notes",
        "republishes",
        "republished_by",
        "drawn_on_by",
    )
    readonly_fields = ("republishes", "republished_by", "drawn_on_by")
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS

    def save_model(self, request, obj, form, change):
        if not form_unchanged(form, change):
            report_save(report=obj)  # the derivation links inline follow, each marking the events it affects

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return queryset.select_related("source"), may_have_duplicates

    @admin.display(description="published", ordering="published_on")
    def published_date(self, obj: Report) -> str:
        # A date is one unit: it never breaks over two lines, however narrow the title leaves its column.
        if obj.published_on is None:
            return "undated"
        return format_html('<span style="white-space:nowrap">{}</span>', obj.published_on.isoformat())

    @admin.display(description="Republishes")
    def republishes(self, obj: Report) -> str:
        """The originals this report is a copy of (the links below say how it depends on each)."""
        return _reports(
            [link.derived_from for link in _links(obj, "derivations") if link.relation == REPUBLISHES]
        )

    @admin.display(description="Republished by")
    def republished_by(self, obj: Report) -> str:
        """Copies of this report: they are not independent of it."""
        return _reports(
            [link.report for link in _links(obj, "derivation_sources") if link.relation == REPUBLISHES]
        )

    @admin.display(description="Quoted or drawn on by")
    def drawn_on_by(self, obj: Report) -> str:
        return _reports(
            [link.report for link in _links(obj, "derivation_sources") if link.relation != REPUBLISHES]
        )


def _links(report: Report, related_name: str) -> list[ReportDerivation]:
    """The report's derivation links one way (`derivations`: what it depends on; `derivation_sources`: what
    depends on it), with both ends' sources, read once per page whichever fields show them."""
    if report.pk is None:
        return []
    cache = report.__dict__.setdefault("_links_shown", {})
    if related_name not in cache:
        cache[related_name] = list(
            getattr(report, related_name)
            .select_related("report__source", "derived_from__source")
            .order_by("pk")
        )
    return cache[related_name]


def _reports(reports: list[Report]) -> str:
    if not reports:
        return "—"
    return format_html_join(
        mark_safe("<br>"),
        '<a href="{}">{}</a>',
        ((reverse("admin:sources_report_change", args=[r.pk]), r.phrase()) for r in reports),
    )
