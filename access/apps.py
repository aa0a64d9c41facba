from django.apps import AppConfig


class AccessConfig(AppConfig):
    """API tokens, and the editor/reviewer groups every install starts with."""

    name = "access"
    verbose_name = "Access"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
        from .groups import ensure_groups

        # Permissions exist only after migrate has run for every app; the groups are made then.
        post_migrate.connect(ensure_groups, dispatch_uid="access.ensure_groups")
