"""Dates as the conflict datasets write them, read with certainty or refused with a reason.

Accepted forms (`parse_date` returns a `datetime.date`, or raises `ValueError(reason)`):

- ISO: `2025-05-16` (also `2025/05/16`: year first is never ambiguous); ISO date-times
  `2025-05-16T00:00:00`, `2025-05-16 00:00:00.000` (UCDP GED), with or without `Z` or an offset
  (`+02:00`): the date part is kept as written, the time is not used.
- Day, month name, year: `16 May 2025`, `03 December 2020` (ACLED's export tool), `9-May-20` and
  `09-May-2020` (a spreadsheet re-save), also with `/` or `.` between the parts. Month names are English,
  full or three letters (`Sept` too), any case.
- Day/month/year or month/day/year with numbers (`16/05/2020`, `05/16/2020`, also with `.`), only when
  the reading is certain: one of the first two numbers is above 12, or both are equal. `05/06/2020`
  could be 5 June or 6 May and is refused as ambiguous.

Two-digit years (only with a month name, e.g. `9-May-20`): 00–69 are 2000–2069, 70–99 are 1970–1999
(ACLED's data begins in 1997, UCDP GED's in 1989). Impossible dates (`2022-02-30`) are refused with
"no such day".
"""

import re
from datetime import date

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
)  # fmt: skip

_ISO = re.compile(
    r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})"  # year first is never ambiguous: 2025-05-16, 2025/05/16
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?",
    re.ASCII,
)
_NAMED = re.compile(r"(\d{1,2})[-/. ]+([A-Za-z]+)\.?[-/. ]+(\d{4}|\d{2})", re.ASCII)
_NUMERIC = re.compile(r"(\d{1,2})([/.])(\d{1,2})\2(\d{4})", re.ASCII)


def full_year(two_digits: int) -> int:
    """A two-digit year: 00–69 are 2000–2069, 70–99 are 1970–1999."""
    return 2000 + two_digits if two_digits < 70 else 1900 + two_digits


def _make(text: str, year: int, month: int, day: int) -> date:
    if not 1 <= month <= 12:
        raise ValueError(f"{text!r}: no such month ({month})")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r}: no such day") from None


def parse_date(value: str) -> date:
    """The date `value` names, or ValueError with the reason it cannot be read with certainty."""
    text = value.strip()
    if not text:
        raise ValueError("no date given")
    if len(text) == 10 and text[4] == "-" and text[7] == "-":  # the common case, without a regex
        year, month, day = text[:4], text[5:7], text[8:]
        if (year + month + day).isdigit() and text.isascii():
            try:
                return date(int(year), int(month), int(day))
            except ValueError:
                pass  # the full rules below give the reason
    if m := _ISO.fullmatch(text):
        year, month, day, hour, minute, second = m.group(1, 3, 4, 5, 6, 7)
        if hour is not None and (int(hour) > 23 or int(minute) > 59 or int(second or 0) > 60):
            raise ValueError(f"{text!r}: no such time of day")
        return _make(text, int(year), int(month), int(day))
    if m := _NAMED.fullmatch(text):
        day, name, year = m.groups()
        month = MONTHS.get(name.lower())
        if month is None:
            raise ValueError(f"{text!r}: {name!r} is not an English month name")
        return _make(text, full_year(int(year)) if len(year) == 2 else int(year), month, int(day))
    if m := _NUMERIC.fullmatch(text):
        first, second, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if first > 12 and second > 12:
            raise ValueError(f"{text!r}: no such day (neither {first} nor {second} is a month)")
        if first > 12:
            return _make(text, year, second, first)  # day/month/year
        if second > 12 or first == second:
            return _make(text, year, first, second)  # month/day/year (or both readings agree)
        raise ValueError(
            f"{text} could be {first} {MONTH_NAMES[second - 1]} or {second} {MONTH_NAMES[first - 1]}; "
            "write it as YYYY-MM-DD"
        )
    raise ValueError(
        f"{text!r} is not a date in a known form (2025-05-16, 16 May 2025, 16-May-25, 2025-05-16T00:00:00)"
    )
