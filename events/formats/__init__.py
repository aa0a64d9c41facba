"""Formats an event list can be exported in: the registry the API (`?format=`) and `export_events` read.

Each format's row is defined once, over the one record (`rows.py`): `flat_row` (CSV, GeoJSON), `acled_row`,
`ucdp_row`. Exports stream the same rows computed by the database (`projection.py`), which a test holds
to those definitions byte for byte. A new format is a `stream(queryset)` function and one entry below.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .projection import stream_acled_csv, stream_csv, stream_geojson, stream_ucdp_csv


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
