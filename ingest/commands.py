"""What `import_acled` and `import_ucdp` share: arguments, progress on a terminal, the summary."""

import csv
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from actors.models import Actor, ActorAlias
from core.integrity import validate_for_write
from events.services.bulk import BATCH_SIZE, fold

from .loader import SHOWN_REFUSALS, import_reading, refused_path_for, write_refused_csv
from .readers import FileRefused


def write_refusals(stdout, refused, *, unit: str = "line") -> None:
    """Each refused row (its line, or its number in a remote feed), column and reason; the first ones."""
    for refusal in refused[:SHOWN_REFUSALS]:
        where = f", column {refusal.column}" if refusal.column else ""
        stdout.write(f"{unit} {refusal.line}{where}: {refusal.reason}")
    if len(refused) > SHOWN_REFUSALS:
        stdout.write(f"… and {len(refused) - SHOWN_REFUSALS} more refused rows.")


class Progress:
    """rows (or another unit), rows/s and an ETA on one rewritten line, on a terminal only; silent otherwise."""

    def __init__(self, stream, total: int | None, unit: str = "rows"):
        self.stream, self.total, self.unit = stream, total, unit
        self.enabled = stream.isatty()
        self.started = self.shown = time.monotonic()

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.shown < 0.5:
            return
        self.shown = now
        rate = done / max(now - self.started, 1e-9)
        text = f"\r{done:,} {self.unit}  {rate:,.0f} {self.unit}/s"
        if self.total:
            left = max(self.total - done, 0) / rate if rate else 0
            text += f"  {min(done / self.total, 1):.0%}  ETA {int(left // 60)}:{int(left % 60):02d}"
        self.stream.write(text + "   ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 70 + "\r")


def count_lines(path: str) -> int | None:
    """A quick upper bound of the rows in a file (its line count less the header), for the ETA."""
    if path == "-":
        return None
    lines = 0
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)


def load_aliases(path: str) -> int:
    """Alias pairs from a CSV with the columns `alias` and `actor` (an existing actor's name or alias)."""
    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        if not {"alias", "actor"} <= set(reader.fieldnames or ()):
            raise CommandError(f"{path}: the aliases file needs the columns alias and actor.")
        pairs = [
            (line, row["alias"].strip(), row["actor"].strip()) for line, row in enumerate(reader, start=2)
        ]
    known = {fold(name): pk for pk, name in Actor.objects.values_list("pk", "name")}
    known.update({fold(name): pk for pk, name in ActorAlias.objects.values_list("actor_id", "name")})
    added = 0
    with transaction.atomic():
        for line, alias, actor in pairs:
            if fold(actor) not in known:
                raise CommandError(
                    f"{path}, line {line}: no actor named {actor!r}; import it or add it first."
                )
            if not alias or fold(alias) in known:
                continue
            record = ActorAlias(actor_id=known[fold(actor)], name=alias)
            validate_for_write(record, exclude={"actor"})
            record.save()
            known[fold(alias)] = record.actor_id
            added += 1
    return added


class ImportCommand(BaseCommand):
    reader = None  # the format's read function (ingest.readers.acled.read_acled, …)
    format_name = ""

    def add_arguments(self, parser):
        parser.add_argument("file", help="The file to import, or - for standard input.")
        parser.add_argument(
            "--keep-valid",
            action="store_true",
            help="Load the valid rows and write the refused ones, with reasons, to <file>.refused.csv "
            "(default: a file with any refused row changes nothing).",
        )
        parser.add_argument(
            "--aliases",
            metavar="FILE",
            help="A CSV of alias,actor pairs (e.g. Taleban,Taliban) to know before reading the file.",
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="Rows written per batch.")

    def handle(self, *args, file, keep_valid, aliases, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if file != "-" and not Path(file).is_file():
            raise CommandError(f"{file}: no such file.")
        if aliases:
            self.stdout.write(f"{load_aliases(aliases)} actor aliases added from {aliases}.")
        source = sys.stdin.buffer if file == "-" else file
        progress = Progress(self.stderr._out, count_lines(file))
        try:
            report = import_reading(type(self).reader(source), keep_valid=keep_valid, batch_size=batch_size,
                                    progress=progress)  # fmt: skip
        except FileRefused as exc:
            raise CommandError(f"{file}: {exc} Nothing was imported.") from None
        finally:
            progress.close()
        if report.ignored_columns:
            self.stdout.write(
                f"Columns ignored (not {self.format_name} columns): {', '.join(report.ignored_columns)}"
            )
        write_refusals(self.stdout, report.refused)
        if report.refused and keep_valid:
            path = refused_path_for(file)
            write_refused_csv(report.refused, path)
            self.stdout.write(f"{len(report.refused)} refused rows written, with reasons, to {path}.")
        if report.refused and not keep_valid:
            raise CommandError(
                f"{len(report.refused)} of {report.rows} rows refused; nothing was imported "
                "(fix them, or use --keep-valid to load the others)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.rows} rows read in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s): "
                f"{report.created} events created, {report.updated} updated, {report.unchanged} unchanged, "
                f"{len(report.refused)} refused."
            )
        )
