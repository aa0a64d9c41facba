"""Opening a delimited text file for a reader: one clear `FileRefused`, or a stream of records.

`open_table(source, layout)` takes a path, `-` (standard input, read as bytes) or a binary stream, and reads
the layout up front from the first 64 KB: refused when empty, binary (a NUL byte) or not UTF-8 there. A
UTF-8 byte-order mark is dropped, the delimiter (`,` `;` or tab) is sniffed from the header line, and the
header is normalised: names stripped and lower-cased, old names mapped to current ones by the layout's
alias table, a leading unnamed index column (pandas' `to_csv` default: a blank name or `Unnamed: 0`)
dropped, and columns the layout does not know listed once in `ignored_columns`. `Table.require` then
refuses a header without the columns a reader needs, listing them all and naming the layout the header
looks like.

`Table.records()` streams the body (never the whole file in memory), yielding `(line, record)` pairs, the
record a dict of column → text (`Table.converted()` hands a converter the values it asks for, without
building dicts, for speed), or a `Refusal` for a row with more or fewer fields than the header (never
padded) or with broken quoting. `line` is the physical line where the row starts, the header being line 1,
so it stays right after quoted fields with line breaks inside. Blank lines, and rows whose fields are all
blank (a spreadsheet's trailing `,,,,`), carry nothing and are skipped. Two faults are found only on the
way and end the stream with `FileRefused`: bytes that are not UTF-8 past the first 64 KB (with the line
and byte offset), and a file ending inside a quoted field (a truncated last line).
"""

import csv
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import BinaryIO, TypeVar

from events.formats.flat import unneutralised

from . import FileRefused, Refusal

T = TypeVar("T")

HEAD_SIZE = 64 * 1024
DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
INDEX_COLUMN_NAMES = ("", "unnamed: 0")

# A few columns only each format has, to say what a refused header looks like.
SIGNATURES = {
    "ACLED": frozenset((
        "event_id_cnty", "event_id_no_cnty", "event_date", "time_precision", "event_type", "sub_event_type",
        "actor1", "inter1", "assoc_actor_1", "ally_actor_1", "interaction", "admin1", "geo_precision",
        "geo_precis", "fatalities",
    )),
    "UCDP GED": frozenset((
        "relid", "type_of_violence", "conflict_name", "dyad_name", "side_a", "side_b", "where_prec",
        "where_coordinates", "date_prec", "adm_1", "deaths_a", "deaths_civilians", "best", "priogrid_gid",
        "source_office",
    )),
}  # fmt: skip


@dataclass(frozen=True)
class Layout:
    """What a reader knows of its format: its name, current columns, retired ones and old names."""

    format: str
    columns: frozenset[str]  # the current columns
    retired: frozenset[str] = frozenset()  # known old columns: read or skipped, never listed as unknown
    aliases: dict[str, str] = field(default_factory=dict)  # old or other name (lower-case) → current name

    def known(self, name: str) -> bool:
        return name in self.columns or name in self.retired


def looks_like(columns: Iterable[str]) -> str | None:
    """The format whose signature columns the header shares most of (at least three), if any."""
    names = set(columns)
    score, best = max((len(names & sig), fmt) for fmt, sig in SIGNATURES.items())
    return best if score >= 3 else None


def _with_article(fmt: str) -> str:
    return f"an {fmt}" if fmt == "ACLED" else f"a {fmt}"  # as read aloud: "an ACLED", "a UCDP"


@dataclass
class Table:
    """An opened file: its normalised header and, through `records()`, its rows."""

    layout: Layout
    columns: list[str]  # normalised names in file order, without a dropped index column
    ignored_columns: list[str]  # columns the layout does not know, as the header wrote them
    written: list[str]  # the header's names as written (stripped), matching `columns`
    delimiter: str
    _reader: object
    _skip_index: bool
    _close: object

    def require(self, required: Iterable[str | tuple[str, ...]]) -> None:
        """Refuse the file unless every required column (or one of each tuple of alternatives) is there."""
        present = set(self.columns)
        missing = [
            " or ".join(need) if isinstance(need, tuple) else need
            for need in required
            if not (present.intersection(need) if isinstance(need, tuple) else need in present)
        ]
        if not missing:
            return
        self.close()
        guess = looks_like(present)
        fmt = self.layout.format
        if guess == fmt:
            seems = f"the header looks like {_with_article(fmt)} file with columns missing"
        elif guess:
            seems = f"the header looks like {_with_article(guess)} file, not {_with_article(fmt)} file"
        else:
            seems = (
                f"the header looks like neither ACLED nor UCDP GED "
                f"({DELIMITER_NAMES[self.delimiter]}-separated; first columns: "
                f"{', '.join(repr(c) for c in self.columns[:5])})"
            )
        raise FileRefused(
            f"Not a readable {fmt} file: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}; {seems}."
        )

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None

    def rows(self) -> Iterator[tuple[int, list[str]] | Refusal]:
        """`(line, fields)` per row, or a `Refusal` for a row that cannot be split into the header's fields."""
        return self._iterate()

    def converted(self, names: Iterable[str], convert: Callable[[tuple, int], T]) -> Iterator[T | Refusal]:
        """`convert(values, line)` per row, `values` those of the columns `names` in order ("" for an absent
        column); a `RowRefused` it raises becomes the row's `Refusal`. The fast path of the readers."""
        return self._iterate(names, convert)

    def _iterate(self, names=None, convert=None):
        reader = self._reader
        read = reader.__next__
        count = len(self.columns) + self._skip_index
        if convert is not None:
            positions = {name: i + self._skip_index for i, name in enumerate(self.columns)}
            values = itemgetter(*[positions.get(name, -1) for name in names])  # -1: the "" appended below
        try:
            while True:
                start = reader.line_num + 1
                try:
                    row = read()
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield _csv_error(exc, start)
                    continue
                if len(row) == count:
                    if not any(row):
                        continue  # a row of empty fields carries nothing
                    if any(cell.startswith("'") for cell in row):  # cells our exports made spreadsheet-safe
                        row = [unneutralised(cell) for cell in row]
                    if convert is None:
                        yield start, row
                        continue
                    row.append("")
                    try:
                        converted = convert(values(row), start)
                    except RowRefused as refusal:
                        converted = Refusal(start, refusal.column, refusal.reason, self.raw(row))
                    yield converted
                elif any(row):  # not a blank line
                    yield Refusal(
                        start,
                        "",
                        f"the row has {len(row)} fields but the header has {count}"
                        + (" (a delimiter inside an unquoted value?)" if len(row) > count else ""),
                        self.raw(row),
                    )
        finally:
            self.close()

    def raw(self, row: list[str]) -> dict[str, str]:
        """A row as read, column → text, for a refusal."""
        return dict(zip(self.columns, row[self._skip_index :], strict=False))

    def records(self) -> Iterator[tuple[int, dict[str, str]] | Refusal]:
        """`(line, record)` per row, the record a dict of column → text, or a `Refusal` (see `rows`)."""
        for item in self.rows():
            yield item if type(item) is Refusal else (item[0], self.raw(item[1]))


def _csv_error(exc: csv.Error, start: int) -> Refusal:
    message = str(exc)
    if "unexpected end of data" in message:
        raise FileRefused(
            f"The file ends inside a quoted field that starts on line {start}: the last line looks "
            "truncated (its closing quote is missing)."
        ) from None
    if "field larger than field limit" in message:
        raise FileRefused(
            f"A field in the row starting on line {start} is longer than {csv.field_size_limit():,} "
            "characters: most likely a quote that is never closed."
        ) from None
    if "new-line character seen in unquoted field" in message:
        raise FileRefused(
            f"Line {start} has a bare carriage return (\\r) outside quotes: convert the file's line endings to "
            "\\n or \\r\\n."
        ) from None
    return Refusal(start, "", f"malformed CSV quoting: {message}")


class _Prefixed(io.RawIOBase):
    """A stream's first bytes, already read, followed by the rest of it (for streams that cannot seek)."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _open(source) -> tuple[BinaryIO, object, str]:
    """A binary stream, the function that closes it (None for streams the caller owns), and a label."""
    if isinstance(source, str | os.PathLike):
        if os.fspath(source) == "-":
            return sys.stdin.buffer, None, "standard input"
        try:
            stream = open(source, "rb")  # noqa: SIM115 — closed when the records end or the file is refused
        except OSError as exc:
            raise FileRefused(f"Cannot open {os.fspath(source)}: {exc.strerror or exc}.") from None
        return stream, stream.close, os.fspath(source)
    if isinstance(source, io.TextIOBase):
        raise TypeError("open the file in binary mode ('rb'): the reader decodes and checks it itself")
    if not hasattr(source, "read"):
        raise TypeError(f"expected a path, '-' or a binary stream, not {type(source).__name__}")
    return source, None, getattr(source, "name", "the stream")


def _lines(stream: Iterable[bytes], offset: int) -> Iterator[str]:
    """Decoded physical lines; FileRefused at the first byte that is not UTF-8, naming line and offset."""
    for number, raw in enumerate(stream, start=1):
        try:
            text = raw.decode()
        except UnicodeDecodeError as exc:
            raise _not_utf8(raw, exc.start, number, offset) from None
        offset += len(raw)
        yield text


def _not_utf8(line_bytes: bytes, index: int, line: int, line_offset: int) -> FileRefused:
    """`index` is the bad byte's position in the line, `line_offset` the line's position in the file."""
    bad = line_bytes[index : index + 1].hex()
    column = len(line_bytes[:index].decode(errors="replace")) + 1
    return FileRefused(
        f"Not UTF-8: byte 0x{bad} at byte offset {line_offset + index} (line {line}, character {column}) "
        "cannot be decoded; save the file as UTF-8 (it may be Latin-1 or Windows-1252)."
    )


def _sniff(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties go to the earlier (comma first)
    return best if counts[best] else ","


def open_table(source, layout: Layout) -> Table:
    """Open `source` and read its header (see the module docstring); FileRefused if it cannot be read."""
    stream, close, label = _open(source)
    try:
        return _open_table(stream, close, label, layout)
    except BaseException:
        if close is not None:
            close()
        raise


def _open_table(stream: BinaryIO, close, label: str, layout: Layout) -> Table:
    seekable = False
    try:
        seekable = stream.seekable()
        position = stream.tell() if seekable else 0
    except (AttributeError, OSError):
        seekable = False
    head = stream.read(HEAD_SIZE)
    if isinstance(head, str):
        raise TypeError("open the file in binary mode ('rb'): the reader decodes and checks it itself")
    if not head:
        raise FileRefused(f"The file is empty ({label}).")
    if b"\x00" in head:
        at = head.index(b"\x00")
        raise FileRefused(
            f"Binary content, not a text table: a NUL byte at byte offset {at}"
            + (" (it starts like a PNG image)" if head.startswith(b"\x89PNG") else "")
            + (
                " (it looks like UTF-16 text: save it as UTF-8)"
                if head[:2] in (b"\xff\xfe", b"\xfe\xff")
                else ""
            )
            + "."
        )
    bom = head.startswith(b"\xef\xbb\xbf")
    body = head[3:] if bom else head
    if not body.strip():
        raise FileRefused(f"The file is empty ({label}): it has no header line.")
    # Check the head's complete lines now, so that a mis-encoded file is refused before any row is read.
    complete = body if len(head) < HEAD_SIZE else body[: body.rfind(b"\n") + 1]
    try:
        complete.decode()
    except UnicodeDecodeError as exc:
        line = complete.count(b"\n", 0, exc.start) + 1
        start = complete.rfind(b"\n", 0, exc.start) + 1
        raise _not_utf8(complete[start:], exc.start - start, line, start + (3 if bom else 0)) from None
    if seekable and hasattr(stream, "__iter__"):
        stream.seek(position + (3 if bom else 0))
        buffered = stream
    else:
        buffered = io.BufferedReader(_Prefixed(body, stream), buffer_size=HEAD_SIZE)
    first_line = next(line for line in body.decode(errors="replace").splitlines() if line.strip())
    delimiter = _sniff(first_line)
    lines = _lines(buffered, 3 if bom else 0)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header = None
    while not header:
        try:
            header = next(reader)
        except StopIteration:
            raise FileRefused(f"The file is empty ({label}): it has no header line.") from None
        except csv.Error as exc:
            raise FileRefused(f"The header line cannot be read: {exc}.") from None
    columns, written, ignored, skip_index = _header(header, layout)
    return Table(
        layout=layout,
        columns=columns,
        ignored_columns=ignored,
        written=written,
        delimiter=delimiter,
        _reader=reader,
        _skip_index=skip_index,
        _close=close,
    )


def _header(header: list[str], layout: Layout) -> tuple[list[str], list[str], list[str], bool]:
    written = [name.strip() for name in header]
    names = [layout.aliases.get(name.lower(), name.lower()) for name in written]
    skip_index = names[0] in INDEX_COLUMN_NAMES and len(names) > 1
    if skip_index:
        written, names = written[1:], names[1:]
    seen: dict[str, int] = {}
    for position, name in enumerate(names):
        if not name:
            names[position] = name = f"(unnamed column {position + 1 + skip_index})"
        if name in seen:
            raise FileRefused(
                f"Column {name!r} appears twice in the header (columns {seen[name] + 1 + skip_index} and "
                f"{position + 1 + skip_index}"
                + (
                    ", one under an old name"
                    if written[seen[name]].lower() != written[position].lower()
                    else ""
                )
                + "): keep one."
            )
        seen[name] = position
    ignored = [w or n for w, n in zip(written, names, strict=True) if not layout.known(n)]
    return names, written, ignored, skip_index


# Cell values, shared by the readers.


class RowRefused(Exception):
    """A cell that cannot be read with certainty: the reader turns it into a `Refusal` for its row."""

    def __init__(self, column: str, reason: str):
        self.column, self.reason = column, reason


def as_text(value) -> str:
    """A value from an API record as the text a CSV would hold (None is blank, 3.0 is "3")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def split_list(text: str) -> list[str]:
    """ "a; b;c" → ["a", "b", "c"], blanks dropped, each name once."""
    seen, out = set(), []
    for part in text.split(";"):
        part = part.strip()
        if part and part.casefold() not in seen:
            seen.add(part.casefold())
            out.append(part)
    return out


def whole_number(text: str) -> int | None:
    """A whole number ≥ 0 ("3" or "3.0"), else None."""
    if text.isdigit() and text.isascii():
        return int(text)
    head, dot, tail = text.partition(".")
    if dot and head.isdigit() and head.isascii() and tail.strip("0") == "":
        return int(head)
    return None


def coordinates(latitude: str, longitude: str) -> tuple[float | None, float | None]:
    """Both or neither, as floats in range; raises RowRefused naming the column."""
    latitude, longitude = latitude.strip(), longitude.strip()
    if not latitude and not longitude:
        return None, None
    if not latitude or not longitude:
        missing = "latitude" if not latitude else "longitude"
        raise RowRefused(missing, "blank while the other coordinate is given: give both or neither")
    values = []
    for column, text, limit in (("latitude", latitude, 90.0), ("longitude", longitude, 180.0)):
        try:
            value = float(text.replace(",", ".")) if "," in text else float(text)
        except ValueError:
            raise RowRefused(column, f"{text!r} is not a number") from None
        if not -limit <= value <= limit:  # also refuses nan
            raise RowRefused(column, f"{text} is out of range (-{limit:g} to {limit:g})")
        values.append(value)
    return values[0], values[1]


class Memo(dict):
    """key → what `compute(key)` returns, remembered (up to LIMIT keys); a key whose computation
    raised RowRefused raises it again on every lookup (a raised exception is made afresh each time)."""

    __slots__ = ("compute", "refused")
    LIMIT = 200_000

    def __init__(self, compute):
        super().__init__()
        self.compute = compute
        self.refused: dict = {}

    def __missing__(self, key):
        refused = self.refused.get(key)
        if refused is not None:
            raise RowRefused(*refused)
        try:
            found = self.compute(key)
        except RowRefused as refusal:
            if len(self.refused) < self.LIMIT:
                self.refused[key] = (refusal.column, refusal.reason)
            raise
        if len(self) < self.LIMIT:
            self[key] = found
        return found
