from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _ensure_text_index(sender, using, **kwargs):
    """After every migrate: the text index and, on SQLite, its triggers (see events/search.py)."""
    from .search import ensure_text_index

    connection = connections[using]
    if "events_event" in connection.introspection.table_names():
        ensure_text_index(connection)


class EventsConfig(AppConfig):
    name = "events"

    def ready(self):
        from .verification import receivers  # noqa: F401  (connects the receivers that mark changes)

        post_migrate.connect(_ensure_text_index, sender=self, dispatch_uid="events_text_index")
