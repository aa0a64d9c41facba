import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from events.filtersets import EventFilterSet
from events.formats import EXPORTS
from events.models import Event
from ingest.commands import Progress


class Command(BaseCommand):
    help = (
        "Write every event matching the API's event filters as CSV, GeoJSON, or CSV in ACLED's or UCDP GED's "
        "layout, streamed at flat memory. Example: export_events --format acled --filter country=AF "
        "--filter date_after=2022-01-01 -o afghanistan.csv"
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=sorted(EXPORTS), default="csv", help="The file format.")
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="An event filter of the API (repeatable): country=AF, date_after=2022-05-01, actor=2, …",
        )
        parser.add_argument(
            "-o", "--output", default="-", help="The file to write (default: standard output)."
        )

    def handle(self, *args, format, filter, output, **options):
        data = QueryDict(mutable=True)
        for item in filter:
            name, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--filter {item!r}: write it as NAME=VALUE, e.g. country=AF.")
            data.appendlist(name.strip(), value)
        unknown = sorted(set(data) - set(EventFilterSet.base_filters))
        if unknown:
            raise CommandError(
                f"Unknown filter {', '.join(unknown)}. Filters: {', '.join(sorted(EventFilterSet.base_filters))}."
            )
        filterset = EventFilterSet(data=data, queryset=Event.objects.all())
        if not filterset.is_valid():
            errors = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in filterset.errors.items())
            raise CommandError(f"Bad filter: {errors}")
        ordering = data.get("ordering", "-date_start")
        queryset = filterset.qs.order_by(ordering.replace("fatalities", "fatalities_best"), "-id")
        out = sys.stdout if output == "-" else open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115
        # Megabytes written and their rate, on a terminal (standard error) while a file is written.
        progress = Progress(self.stderr._out, None, unit="MB") if output != "-" else None
        written = 0
        stream = EXPORTS[format].stream(queryset)
        try:
            for piece in stream:
                out.write(piece)
                written += len(piece)
                if progress:
                    progress(written // 1_000_000)
            out.flush()
        except BrokenPipeError:
            if out is not sys.stdout:
                raise
            # What reads standard output went away (`| head`): stop the export and leave quietly, as command
            # line tools do, with no traceback; Python would fail again flushing stdout at exit.
            stream.close()
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(1) from None
        finally:
            if out is not sys.stdout:
                out.close()
            if progress:
                progress.close()
        if output != "-":
            self.stderr.write(f"Wrote {output} ({format}).")
