from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import DeferredWritesAdminMixin, form_unchanged, in_words, requesting_field

from .models import Actor, ActorAlias
from .services import actor_save

# The form fields whose choices must be people (Claim.clean refuses anyone else as a speaker); named, not
# imported, so that this leaf app knows nothing of events.
PERSON_FIELDS = {("events", "claim", "speaker")}
ACLED_KINDS = [Actor.Kind(kind).label.lower() for kind in Actor.ACLED_INTER_CODES]


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
    help_texts = {
        "kind": f"One of ACLED's actor categories ({in_words(ACLED_KINDS)}), a political or other "
        "organisation, or a person.",
    }

    def save_model(self, request, obj, form, change):
        if not form_unchanged(form, change):
            actor_save(actor=obj)

    def get_search_results(self, request, queryset, search_term):
        """A claim's speaker is a person: its autocomplete offers no one else."""
        if requesting_field(request) in PERSON_FIELDS:
            queryset = queryset.filter(kind=Actor.Kind.PERSON)
        return super().get_search_results(request, queryset, search_term)
