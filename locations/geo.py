"""Spatial parameters (`bbox`, `near`) and the queries behind them, on SQLite and PostgreSQL alike.

Points are plain latitude/longitude columns; distances are great-circle (spherical law of cosines on a
6371 km sphere), after a bounding-box pre-filter that the coordinate indexes can serve. A circle that
crosses the antimeridian is pre-filtered by the two longitude ranges on either side of it, and a `bbox`
whose west edge is east of its east edge crosses it (RFC 7946, section 5.2: 170,-10,-170,10 is the 20° of
longitude either side of 180°).

Numbers are plain decimals (`-12.5`, no exponent, no `nan` or `inf`) within their ranges, checked by the same
patterns the OpenAPI schema publishes (`BBOX_PATTERN`, `NEAR_PATTERN`), so a client can validate before sending.
"""

import math
import re
from dataclasses import dataclass

from django import forms
from django.db.models import F, FloatField, Q, QuerySet, Value
from django.db.models.functions import ACos, Cos, Greatest, Least, Radians, Sin

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
# The law of cosines in double precision puts a point up to about 0.1 m from itself: a metre's allowance
# keeps `near=lat,lon,0` meaning "exactly here".
ROUNDING_KM = 0.001


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


@dataclass(frozen=True)
class Near:
    lat: float
    lon: float
    km: float


LATITUDE = r"-?(?:90(?:\.0+)?|[1-8]?[0-9](?:\.[0-9]+)?)"
LONGITUDE = r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\.[0-9]+)?)"
DISTANCE = r"[0-9]+(?:\.[0-9]+)?"
BBOX_PATTERN = f"^{LONGITUDE},{LATITUDE},{LONGITUDE},{LATITUDE}$"
NEAR_PATTERN = f"^{LATITUDE},{LONGITUDE},{DISTANCE}$"
_PARTS = {"lat": LATITUDE, "lon": LONGITUDE, "km": DISTANCE}


def _numbers(value: str, names: list[str]) -> list[float]:
    """The comma-separated numbers of `value`, one per name, each a plain decimal within its range."""
    what = ",".join(names)
    parts = value.split(",")
    if len(parts) != len(names):
        raise forms.ValidationError(
            f"Expected {what}: {len(names)} comma-separated numbers, got {len(parts)}."
        )
    for name, part in zip(names, parts, strict=True):
        kind = name.removeprefix("min").removeprefix("max")
        if not re.fullmatch(_PARTS[kind], part):
            raise forms.ValidationError(f"{name} must be {_RANGES[kind]}, got {part!r} (in {what}).")
    return [float(part) for part in parts]


_RANGES = {
    "lat": "a decimal number from -90 to 90",
    "lon": "a decimal number from -180 to 180",
    "km": "a decimal number of kilometres, 0 or more",
}


class _PatternField(forms.CharField):
    """Taken as written: the pattern is the whole rule, surrounding spaces included."""

    def __init__(self, **kwargs):
        super().__init__(**{**kwargs, "strip": False})


class BBoxField(_PatternField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        min_lon, min_lat, max_lon, max_lat = _numbers(value, ["minlon", "minlat", "maxlon", "maxlat"])
        if min_lat > max_lat:
            raise forms.ValidationError(f"minlat ({min_lat}) is above maxlat ({max_lat}): the box is empty.")
        return BBox(min_lon, min_lat, max_lon, max_lat)


class NearField(_PatternField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        lat, lon, km = _numbers(value, ["lat", "lon", "km"])
        return Near(lat, lon, km)


def in_bbox(lat_field: str, lon_field: str, box: BBox) -> Q:
    """Inside the box; a box whose west edge is east of its east edge wraps across the antimeridian."""
    latitude = Q(**{f"{lat_field}__gte": box.min_lat, f"{lat_field}__lte": box.max_lat})
    if box.min_lon <= box.max_lon:
        return latitude & Q(**{f"{lon_field}__gte": box.min_lon, f"{lon_field}__lte": box.max_lon})
    return latitude & (Q(**{f"{lon_field}__gte": box.min_lon}) | Q(**{f"{lon_field}__lte": box.max_lon}))


def great_circle_km(lat_field: str, lon_field: str, near: Near):
    lat, lon = math.radians(near.lat), math.radians(near.lon)
    cosine = Cos(Radians(F(lat_field))) * Value(math.cos(lat)) * Cos(
        Radians(F(lon_field)) - Value(lon)
    ) + Sin(Radians(F(lat_field))) * Value(math.sin(lat))
    # Rounding can push the cosine a hair past ±1, where ACOS is undefined.
    clamped = Least(
        Value(1.0), Greatest(Value(-1.0), cosine, output_field=FloatField()), output_field=FloatField()
    )
    return Value(EARTH_RADIUS_KM) * ACos(clamped)


def near_prefilter(lat_field: str, lon_field: str, near: Near) -> Q:
    """The latitude band and the longitude range(s) the circle can reach, wrapping at ±180°."""
    dlat = near.km / KM_PER_DEGREE
    cos_lat = math.cos(math.radians(near.lat))
    dlon = 180.0 if cos_lat < 1e-6 else near.km / (KM_PER_DEGREE * cos_lat)
    band = Q(
        **{f"{lat_field}__gte": max(-90.0, near.lat - dlat), f"{lat_field}__lte": min(90.0, near.lat + dlat)}
    )
    if dlon >= 180 or near.lat + dlat >= 90 or near.lat - dlat <= -90:
        return band  # the circle reaches every longitude (or a pole)
    low, high = near.lon - dlon, near.lon + dlon
    ranges = [(max(-180.0, low), min(180.0, high))]
    if low < -180:
        ranges.append((low + 360, 180.0))
    if high > 180:
        ranges.append((-180.0, high - 360))
    lons = Q()
    for start, end in ranges:
        lons |= Q(**{f"{lon_field}__gte": start, f"{lon_field}__lte": end})
    return band & lons


def filter_near(queryset: QuerySet, lat_field: str, lon_field: str, near: Near, alias: str) -> QuerySet:
    """Rows whose point is within `near.km` of `near`, exactly (pre-filtered by latitude and longitude)."""
    return (
        queryset.filter(near_prefilter(lat_field, lon_field, near))
        .alias(**{alias: great_circle_km(lat_field, lon_field, near)})
        .filter(**{f"{alias}__lte": near.km + ROUNDING_KM})
    )
