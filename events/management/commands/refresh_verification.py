from django.core.management.base import BaseCommand

from events.models import Event
from events.services import event_refresh_verification


class Command(BaseCommand):
    help = "Re-derive every event's verification status and reason from its claims (after raw loads)."

    def handle(self, *args, **options):
        events = Event.objects.order_by("pk")
        total = events.count()
        changed = 0
        for done, event in enumerate(events.iterator(chunk_size=500), start=1):
            before = (event.verification, event.verification_reason, event.independent_reports)
            event_refresh_verification(event=event)
            changed += before != (event.verification, event.verification_reason, event.independent_reports)
            if done % 1000 == 0 or done == total:
                self.stdout.write(f"{done}/{total} events checked")
        self.stdout.write(self.style.SUCCESS(f"{changed} of {total} events changed status or reason"))
