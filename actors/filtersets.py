import django_filters
from django.db.models import Exists, OuterRef, Q

from core.api.filters import FilterSet, ordering_filter, updated_since_filter
from locations.filters import CountryFilter

from .models import Actor, ActorAlias
from .selectors import acronym_is

ACTOR_ORDERING = ["name", "updated_at"]


class ActorFilterSet(FilterSet):
    q = django_filters.CharFilter(method="filter_q", help_text="Text in the name, acronym or any alias.")
    kind = django_filters.MultipleChoiceFilter(
        choices=Actor.Kind.choices, help_text="Kind of actor (any of)."
    )
    country = CountryFilter(field_name="country", help_text="ISO 3166-1 alpha-2 or alpha-3 country code.")
    affiliation = django_filters.ModelMultipleChoiceFilter(
        queryset=Actor.objects.all(), help_text="Id of the organisation the actor belongs to."
    )
    updated_since = updated_since_filter()
    ordering = ordering_filter(ACTOR_ORDERING, default="name")

    class Meta:
        model = Actor
        fields = []

    def filter_q(self, queryset, name, value):
        text = value.strip()
        aliases = ActorAlias.objects.filter(actor=OuterRef("pk"), name__icontains=text)
        return queryset.filter(Q(name__icontains=text) | acronym_is(text) | Q(Exists(aliases)))
