"""drf-spectacular, adapted: anonymous reads, filters' help texts, descriptions of the common fields."""

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissionsOrAnonReadOnly


class ConflictEventsAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus: reads that anonymous users may make are marked as needing no auth."""

    def _is_list_view(self, serializer=None):
        # The tombstone feed is a paged list like any other, though it is a custom action.
        if getattr(self.view, "action", None) == "deleted":
            return True
        return super()._is_list_view(serializer)

    def get_auth(self):
        auths = super().get_auth()
        anonymous_reads = any(
            isinstance(p, DjangoModelPermissionsOrAnonReadOnly) for p in self.view.get_permissions()
        )
        if anonymous_reads and self.method in SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths


class StrictFilterBackendExtension(DjangoFilterExtension):
    """django-filter's schema extension, keeping each filter's help_text when its type is overridden."""

    target_class = "core.api.filters.StrictFilterBackend"
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        help_text = filter_field.extra.get("help_text")
        for parameter in parameters:
            if help_text and not parameter.get("description"):
                parameter["description"] = help_text
        return parameters


GENERIC_DESCRIPTIONS = {
    "id": "Unique, stable id.",
    "created_at": "When this row was first recorded.",
    "updated_at": "When this row last changed; see `updated_since`.",
    "results": "This page's rows.",
}


def describe_generic_fields(result, generator, request, public):
    """Postprocessing hook: describe the fields every resource has, where nothing more specific is said."""
    for component in result.get("components", {}).get("schemas", {}).values():
        for name, prop in component.get("properties", {}).items():
            if name in GENERIC_DESCRIPTIONS and not prop.get("description"):
                prop["description"] = GENERIC_DESCRIPTIONS[name]
    return result
