from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissionsOrAnonReadOnly


class ConflictEventsAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus: reads that anonymous users may make are marked as needing no auth."""

    def get_auth(self):
        auths = super().get_auth()
        anonymous_reads = any(
            isinstance(p, DjangoModelPermissionsOrAnonReadOnly) for p in self.view.get_permissions()
        )
        if anonymous_reads and self.method in SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths
