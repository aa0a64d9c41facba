from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import DeferredWritesAdminMixin

from .models import Location, LocationAlias
from .services import location_save


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

    def save_model(self, request, obj, form, change):
        location_save(location=obj)
