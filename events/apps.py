from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"

    def ready(self):
        from .verification import receivers  # noqa: F401  (connects the receivers that mark changes)
