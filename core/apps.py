from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"

    def ready(self):
        from . import http, lookups  # noqa: F401  (post_migrate creates the cache table; `__in_ids`)
