from itertools import islice

from django.core.management.base import BaseCommand

from events.models import Event
from events.verification import events_rederive
from events.verification.refresh import BATCH_SIZE


class Command(BaseCommand):
    help = "Re-derive every event's verification status and reason from its claims (a repair, after raw SQL)."

    def handle(self, *args, **options):
        ids = list(Event.all_objects.order_by("pk").values_list("pk", flat=True))
        total = len(ids)
        done = changed = 0
        iterator = iter(ids)
        while batch := list(islice(iterator, BATCH_SIZE)):
            changed += events_rederive(batch)
            done += len(batch)
            self.stdout.write(f"{done}/{total} events checked")
        self.stdout.write(self.style.SUCCESS(f"{changed} of {total} events changed status or reason"))
