import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime

from core.deferred import deferred
from events.models import Event
from events.services import event_delete
from ingest.commands import write_refusals
from ingest.loader import import_reading
from ingest.readers import FileRefused
from ingest.remote import AcledServer, RemoteError


def _since(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    moment = parse_datetime(text)
    if moment is None and (day := parse_date(text)) is not None:
        moment = datetime.datetime.combine(day, datetime.time())
    if moment is None:
        raise CommandError(f"--since {text!r}: give an ISO 8601 date or time, e.g. 2025-05-01.")
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


class Command(BaseCommand):
    help = (
        "Mirror an ACLED-compatible server (ACLED's API, or another instance of this system) into this one: "
        "events changed since --since are imported through the same loader as files, and its deletions "
        "are applied as tombstones."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", required=True, help="The server's API root, e.g. https://acleddata.com/api."
        )
        parser.add_argument("--since", help="Only what changed at or after this ISO 8601 date or time.")
        parser.add_argument("--key", default="", help="ACLED's legacy key (or one of our API tokens).")
        parser.add_argument("--email", default="", help="ACLED's legacy email parameter.")
        parser.add_argument(
            "--keep-valid", action="store_true", help="Load the valid rows when some are refused."
        )
        parser.add_argument(
            "--page-size", type=int, default=5000, help="Rows asked for per page (at most 5000)."
        )

    def handle(self, *args, url, since, key, email, keep_valid, page_size, **options):
        if not url.startswith(("http://", "https://")):
            raise CommandError(f"--url {url!r}: give an http:// or https:// address.")
        server = AcledServer(url, key=key, email=email, page_size=page_size)
        moment = _since(since)
        try:
            report = import_reading(server.events(moment), keep_valid=keep_valid)
            deleted_ids = server.deleted(moment) if report.written else []
        except (FileRefused, RemoteError) as exc:
            raise CommandError(f"{exc} Nothing was changed.") from None
        write_refusals(self.stdout, report.refused, unit="row")
        if report.refused and not keep_valid:
            raise CommandError(f"{len(report.refused)} of {report.rows} rows refused; nothing was changed.")
        with transaction.atomic(), deferred():
            deleted = 0
            for event in Event.objects.filter(acled_event_id__in=deleted_ids):
                event_delete(event=event)
                deleted += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.rows} rows read from {url}: {report.created} events created, {report.updated} updated, "
                f"{report.unchanged} unchanged, {len(report.refused)} refused; {deleted} deleted."
            )
        )
