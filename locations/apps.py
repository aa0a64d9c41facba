from django.apps import AppConfig


class LocationsConfig(AppConfig):
    name = "locations"
    verbose_name = "Gazetteer"

    def ready(self):
        from . import receivers  # noqa: F401  (keeps every place's path right, whatever saves it)
