from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import DeferredWritesAdminMixin, form_unchanged, in_words, requesting_field

from .models import Location, LocationAlias
from .services import location_save

# The form fields that take a country (their model's clean() refuses any other place); named, not imported,
# so that this app, the lowest of the domain apps, depends on none of those above it.
COUNTRY_FIELDS = {("sources", "source", "country"), ("actors", "actor", "country")}


class LocationAliasInline(admin.TabularInline):
    model = LocationAlias
    extra = 1


@admin.register(Location)
class LocationAdmin(DeferredWritesAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "level", "parent", "pcode", "iso3", "latitude", "longitude")
    list_filter = ("level",)
    list_select_related = ("parent",)
    search_fields = ("name", "aliases__name", "pcode", "iso2", "iso3")
    autocomplete_fields = ("parent",)
    inlines = [LocationAliasInline]
    fields = (
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
    )
    help_texts = {
        "level": f"How deep in the gazetteer it sits: {in_words(Location.Level.labels)}.",
    }

    def save_model(self, request, obj, form, change):
        if not form_unchanged(form, change):
            location_save(location=obj)

    def get_search_results(self, request, queryset, search_term):
        """A field that takes a country offers countries only, not every place with a matching name."""
        if requesting_field(request) in COUNTRY_FIELDS:
            queryset = queryset.filter(level=Location.Level.COUNTRY)
        return super().get_search_results(request, queryset, search_term)
