from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core.history import m2m_snapshots
from events.models import Event


class Command(BaseCommand):
    help = (
        "Load the demo data (fixtures/seed.json) into an empty database and give each row its first history "
        "version. Does nothing when events exist, so curators' edits are never overwritten."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        if Event.objects.exists():
            self.stdout.write("Events already present; the seed data was not loaded again.")
            return
        started = timezone.now()
        call_command("loaddata", "seed", verbosity=options["verbosity"])
        # loaddata saves raw rows, which write no history, except stray versions from many-to-many
        # loading: drop those and record each seeded row's first version ("created") instead.
        for model in apps.get_models():
            history = getattr(model, "history", None)
            if history is None or not hasattr(history, "bulk_history_create"):
                continue
            history.filter(history_date__gte=started).delete()
            recorded = history.values_list(model._meta.pk.attname, flat=True)
            # With its many-to-many snapshot (an event's tags), or the first edit would show them as added.
            m2m_snapshots(history.bulk_history_create(list(model._default_manager.exclude(pk__in=recorded))))
        self.stdout.write(self.style.SUCCESS(f"Seed data loaded: {Event.objects.count()} events."))
