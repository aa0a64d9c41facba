"""The one loader behind `import_acled`, `import_ucdp`, `sync_acled` and the admin upload.

It reads rows from a reader (`ingest.readers`) and writes them through the bulk path
(`events.services.bulk`) in one transaction:

- all or nothing by default: a file with any refused row changes nothing, and the report lists every
  refused row (line, column, reason); a file the reader refuses as a whole changes nothing either;
- with `keep_valid`, the valid rows are written and the refused ones are reported (and, by the commands,
  written with their reasons to a CSV beside the input);
- re-importing updates in place by external id and counts created, updated and unchanged events.

Derived state (verification) is re-derived once, in sets, before the transaction commits.
"""

import csv
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from actors.models import Actor, ActorAlias
from core.bulk_sql import write_behind
from core.deferred import deferred
from core.integrity import integrity_errors_as_validation
from events.models import Claim, Event, EventActor, Tag
from events.services.bulk import (
    BATCH_SIZE,
    EventRow,
    EventsBulkWriter,
    RowsRefused,
    batches,
    bulk_session,
    with_upcoming,
)
from locations.models import Location
from sources.models import Report, Source

from .readers import Reading, Refusal


@dataclass
class ImportReport:
    format: str
    ignored_columns: list[str]
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[Refusal] = field(default_factory=list)
    written: bool = False
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


# How many refused rows a command or the admin page lists before "… and N more".
SHOWN_REFUSALS = 200
# An import that creates or updates at least this many events refreshes PostgreSQL's planner statistics.
ANALYZE_AFTER = 1000
# What an import writes: events, their roles, tags and claims, and the reports, sources, tags, actors (and
# the aliases `--aliases` adds) and places they name.
WRITTEN_MODELS = (
    Event, EventActor, Event.tags.through, Claim, Report, Source, Tag, Actor, ActorAlias, Location
)  # fmt: skip


class _RollBack(Exception):
    """Leave the transaction without writing: some row was refused and the import is all or nothing."""


def _model_refusals(exc: RowsRefused) -> list[Refusal]:
    return [
        Refusal(line, column if column != "__all__" else "", "; ".join(messages))
        for line, errors in exc.refused
        for column, messages in errors.items()
    ]


def import_reading(
    reading: Reading,
    *,
    keep_valid: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Write a reader's rows; see the module docstring for what is written when rows are refused."""
    report = ImportReport(format=reading.format, ignored_columns=list(reading.ignored_columns))
    started = time.monotonic()
    try:
        with (
            bulk_session(),
            integrity_errors_as_validation(),
            transaction.atomic(),
            deferred(),
            write_behind(),
        ):
            # Inside the transaction: an import running alongside finishes first (WRITERS_LOCK).
            writer = EventsBulkWriter()
            # Each batch is written knowing the next (read by then), which it reads ahead for.
            for batch, upcoming in with_upcoming(batches(_valid_rows(reading, report), batch_size)):
                _write(writer, batch, report, keep_valid, upcoming)
                if progress is not None:
                    progress(report.rows)
            if progress is not None:
                progress(report.rows)
            if report.refused and not keep_valid:
                raise _RollBack
            report.written = True
    except _RollBack:
        report.written = False
    report.created, report.updated, report.unchanged = (
        (
            writer.result.created,
            writer.result.updated,
            writer.result.unchanged,
        )
        if report.written
        else (0, 0, 0)
    )
    report.refused.sort(key=lambda r: r.line)
    if report.created + report.updated >= ANALYZE_AFTER:
        refresh_statistics()
    report.seconds = time.monotonic() - started
    return report


def refresh_statistics() -> None:
    """ANALYZE the tables an import wrote, on PostgreSQL. Until autovacuum gets to them, the planner takes a
    table loaded with a million rows for the handful it last counted, and picks plans for that: at 100,000
    imported events an ACLED export read the whole role table for every chunk of 2,000 (bench/RESULTS.md).
    It samples a fixed number of rows per table: about a second at a million events. SQLite's planner does
    without statistics, and the list paths are planned (and tested) for that."""
    if connection.vendor == "postgresql":
        tables = ", ".join(model._meta.db_table for model in WRITTEN_MODELS)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}")


def _valid_rows(reading: Reading, report: ImportReport) -> Iterator[EventRow]:
    """The reader's rows, counted; those it refused are recorded in the report, not passed on."""
    for item in reading.rows:
        report.rows += 1
        if isinstance(item, Refusal):
            report.refused.append(item)
            continue
        yield item


def _write(
    writer: EventsBulkWriter,
    batch: list[EventRow],
    report: ImportReport,
    keep_valid: bool,
    upcoming: list[EventRow] | None,
) -> None:
    if not batch:
        return
    if report.refused and not keep_valid:
        # Nothing will be written: only find the rows the model's rules refuse, to report them all.
        report.refused.extend(_model_refusals(RowsRefused(writer.check(batch))))
        return
    try:
        writer.write(batch, upcoming)
    except RowsRefused as exc:
        refused = _model_refusals(exc)
        report.refused.extend(refused)
        if keep_valid:
            lines = {r.line for r in refused}
            writer.write([row for row in batch if row.line not in lines])


def write_refused_csv(refused: Iterable[Refusal], path: Path) -> int:
    """The refused rows with their line, column and reason, and the row as read when the reader kept it."""
    refused = list(refused)
    columns = list(dict.fromkeys(name for r in refused for name in r.raw))
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["line", "column", "reason", *columns])
        for r in refused:
            writer.writerow([r.line, r.column, r.reason, *(r.raw.get(name, "") for name in columns)])
    return len(refused)


def refused_path_for(source: str) -> Path:
    """Where `--keep-valid` writes the refused rows: beside the input (the working directory for stdin)."""
    if source == "-":
        return Path("refused-rows.csv")
    path = Path(source)
    return path.with_name(f"{path.stem}.refused.csv")


def describe(error: ValidationError) -> str:
    return "; ".join(error.messages)
