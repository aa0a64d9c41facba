from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import DeferredWritesAdminMixin

from .models import Actor, ActorAlias
from .services import actor_save


class ActorAliasInline(admin.TabularInline):
    model = ActorAlias
    extra = 1


@admin.register(Actor)
class ActorAdmin(DeferredWritesAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "acronym", "kind", "affiliation", "role", "country")
    list_filter = ("kind",)
    list_select_related = ("affiliation", "country")
    search_fields = ("name", "acronym", "aliases__name")
    autocomplete_fields = ("country", "affiliation")
    inlines = [ActorAliasInline]
    fields = ("name", "acronym", "kind", "country", "affiliation", "role", "notes")

    def save_model(self, request, obj, form, change):
        actor_save(actor=obj)
