from django.apps import AppConfig


class ConflictEventsConfig(AppConfig):
    """The project itself as an app: API tokens, and the editor/reviewer groups every install starts with."""

    name = "conflict_events"
    verbose_name = "Access"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .access import ensure_groups

        # Permissions exist only after migrate has run for every app; the groups are made then.
        post_migrate.connect(ensure_groups, dispatch_uid="conflict_events.ensure_groups")
