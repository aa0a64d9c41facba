"""Formats an event list can be rendered in, each a few lines over the one record (`rows.py`).

A new format is a module with a `stream(queryset)` function and one entry below.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .acled import stream_acled_csv
from .flat import stream_csv, stream_geojson
from .ucdp import stream_ucdp_csv


@dataclass(frozen=True)
class StreamFormat:
    media_type: str
    extension: str
    stream: Callable[..., Iterator[str]]


EXPORTS = {
    "csv": StreamFormat("text/csv; charset=utf-8", "csv", stream_csv),
    "geojson": StreamFormat("application/geo+json", "geojson", stream_geojson),
    "acled": StreamFormat("text/csv; charset=utf-8", "acled.csv", stream_acled_csv),
    "ucdp": StreamFormat("text/csv; charset=utf-8", "ucdp.csv", stream_ucdp_csv),
}
