from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from core.admin import DeferredWritesAdminMixin

from .models import Report, ReportDerivation, Source
from .services import report_save, source_save

# URLs typed without a scheme are taken as https (Django 6's default, adopted now).
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Source)
class SourceAdmin(DeferredWritesAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "kind", "scale", "country", "operated_by")
    list_filter = ("kind", "scale")
    list_select_related = ("country", "operated_by")
    search_fields = ("name", "url")
    autocomplete_fields = ("country", "operated_by")
    fields = ("name", "kind", "scale", "url", "country", "operated_by", "notes")
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS

    def save_model(self, request, obj, form, change):
        source_save(source=obj)


class ReportDerivationInline(admin.TabularInline):
    model = ReportDerivation
    fk_name = "report"
    extra = 0
    autocomplete_fields = ("derived_from",)
    verbose_name = "derived from"
    verbose_name_plural = "derived from (republishes, quotes or derives from)"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "derived_from":
            # The widget prints each choice with its source: fetch it in the same query.
            kwargs["queryset"] = Report.objects.select_related("source")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Report)
class ReportAdmin(DeferredWritesAdminMixin, SimpleHistoryAdmin):
    list_display = ("title", "source", "author", "published_on")
    list_filter = ("source__kind", "published_on")
    list_select_related = ("source",)
    search_fields = ("title", "author", "url", "source__name")
    autocomplete_fields = ("source",)
    date_hierarchy = "published_on"
    inlines = [ReportDerivationInline]
    fields = ("source", "title", "url", "author", "published_on", "notes")
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS

    def save_model(self, request, obj, form, change):
        report_save(report=obj)  # the derivation links inline follow, each marking the events it affects

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return queryset.select_related("source"), may_have_duplicates
