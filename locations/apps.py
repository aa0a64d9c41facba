from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LocationsConfig(AppConfig):
    name = "locations"
    verbose_name = "Gazetteer"

    def ready(self):
        from core.text_index import ensure_name_indexes

        from . import receivers  # noqa: F401  (keeps every place's path right, whatever saves it)

        # After every migrate: the trigram indexes of place names and aliases, on SQLite.
        post_migrate.connect(ensure_name_indexes, sender=self, dispatch_uid="locations_name_indexes")
