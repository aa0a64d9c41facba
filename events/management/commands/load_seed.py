from django.core.management import call_command
from django.core.management.base import BaseCommand

from events.models import Event


class Command(BaseCommand):
    help = (
        "Load the demo data (fixtures/seed.json) into an empty database and give each row its first history "
        "version. Does nothing when events exist, so curators' edits are never overwritten."
    )

    def handle(self, *args, **options):
        if Event.objects.exists():
            self.stdout.write("Events already present; the seed data was not loaded again.")
            return
        call_command("loaddata", "seed", verbosity=options["verbosity"])
        # loaddata saves raw rows, which write no history; record each row's initial version.
        call_command("populate_history", auto=True, verbosity=0)
        self.stdout.write(self.style.SUCCESS(f"Seed data loaded: {Event.objects.count()} events."))
