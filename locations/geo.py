"""Spatial parameters (`bbox`, `near`) and the queries behind them, on SQLite and PostgreSQL alike.

Points are plain latitude/longitude columns; distances are great-circle (spherical law of cosines on a
6371 km sphere), after a bounding-box pre-filter that the coordinate indexes can serve. A circle that
crosses the antimeridian is pre-filtered by the two longitude ranges on either side of it; a box given as
`bbox` that would cross it is refused rather than guessed (give two boxes).
"""

import math
from dataclasses import dataclass

from django import forms
from django.db.models import F, FloatField, Q, QuerySet, Value
from django.db.models.functions import ACos, Cos, Greatest, Least, Radians, Sin

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180


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


def _floats(value: str, count: int, what: str) -> list[float]:
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != count:
        raise forms.ValidationError(f"Expected {what}: {count} comma-separated numbers, got {len(parts)}.")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise forms.ValidationError(f"Expected {what}: numbers only, got {value!r}.") from None
    if not all(math.isfinite(n) for n in numbers):
        raise forms.ValidationError(f"Expected {what}: finite numbers, got {value!r}.")
    return numbers


def _check_lat_lon(lat: float, lon: float) -> None:
    if not -90 <= lat <= 90:
        raise forms.ValidationError(f"Latitude {lat} is outside -90..90.")
    if not -180 <= lon <= 180:
        raise forms.ValidationError(f"Longitude {lon} is outside -180..180.")


class BBoxField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        min_lon, min_lat, max_lon, max_lat = _floats(value, 4, "minlon,minlat,maxlon,maxlat")
        _check_lat_lon(min_lat, min_lon)
        _check_lat_lon(max_lat, max_lon)
        if min_lon > max_lon or min_lat > max_lat:
            raise forms.ValidationError(
                "Minimum longitude and latitude must not exceed the maximum ones "
                "(boxes across the antimeridian are not supported)."
            )
        return BBox(min_lon, min_lat, max_lon, max_lat)


class NearField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        lat, lon, km = _floats(value, 3, "lat,lon,km")
        _check_lat_lon(lat, lon)
        if not 0 < km <= 20000:
            raise forms.ValidationError(f"The distance must be more than 0 and at most 20000 km, got {km}.")
        return Near(lat, lon, km)


def in_bbox(lat_field: str, lon_field: str, box: BBox) -> Q:
    return Q(
        **{
            f"{lat_field}__gte": box.min_lat,
            f"{lat_field}__lte": box.max_lat,
            f"{lon_field}__gte": box.min_lon,
            f"{lon_field}__lte": box.max_lon,
        }
    )


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
        .filter(**{f"{alias}__lte": near.km})
    )
