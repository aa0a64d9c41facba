"""Readers turn a file into validated rows for `events.services.bulk.events_bulk_write`, one module a format.

A reader never writes. It reads the whole layout up front (encoding, delimiter, header), refuses a file it
cannot read with one clear `FileRefused` message, and otherwise yields, line by line, either an `EventRow`
or a `Refusal` naming the line, the column and the reason. What it cannot read with certainty (an
ambiguous date, a retired event type with no mapping) is refused, never guessed.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from events.services.bulk import EventRow


class FileRefused(Exception):
    """The file as a whole cannot be read (not UTF-8, binary, empty, a required column missing, …)."""


@dataclass(frozen=True)
class Refusal:
    line: int  # the physical line where the row starts (the header is line 1)
    column: str  # the column at fault, or "" for the row as a whole
    reason: str
    raw: dict = field(default_factory=dict, compare=False)  # the row as read, for the refused-rows CSV


@dataclass
class Reading:
    """What a reader found: the columns it ignored, and the rows (EventRow or Refusal) in file order."""

    format: str
    columns: list[str]
    ignored_columns: list[str]
    rows: Iterator[EventRow | Refusal]
