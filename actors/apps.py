from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ActorsConfig(AppConfig):
    name = "actors"

    def ready(self):
        from core.text_index import ensure_name_indexes

        # After every migrate: the trigram indexes of actor names and aliases, on SQLite.
        post_migrate.connect(ensure_name_indexes, sender=self, dispatch_uid="actors_name_indexes")
