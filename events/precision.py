"""How precisely an event's date and place are known, and how that maps to ACLED and UCDP codes.

The stored codes follow UCDP GED's finer scales (date_prec 1–5, where_prec 1–7); ACLED's coarser
scales (time_precision and geo_precision, both 1–3) map onto them in both directions.
"""

from django.db import models


class DatePrecision(models.IntegerChoices):
    DAY = 1, "exact day"
    DAYS = 2, "within 2–6 days"
    WEEK = 3, "within a week"
    MONTH = 4, "within a month"
    LONGER = 5, "more than a month"


class GeoPrecision(models.IntegerChoices):
    EXACT = 1, "exact place"
    NEAR = 2, "within about 25 km of a place"
    ADMIN2 = 3, "district (admin2)"
    ADMIN1 = 4, "province (admin1)"
    AREA = 5, "along a line or in a wider area"
    COUNTRY = 6, "country"
    INTERNATIONAL = 7, "international waters or airspace"


# ACLED time_precision: 1 day, 2 week, 3 month (or coarser).
DATE_TO_ACLED = {1: 1, 2: 2, 3: 2, 4: 3, 5: 3}
_DATE_FROM_ACLED = {1: DatePrecision.DAY, 2: DatePrecision.WEEK, 3: DatePrecision.MONTH}
# ACLED geo_precision: 1 the named place, 2 near it or within its district, 3 only the province or wider.
GEO_TO_ACLED = {1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 3, 7: 3}
_GEO_FROM_ACLED = {1: GeoPrecision.EXACT, 2: GeoPrecision.ADMIN2, 3: GeoPrecision.ADMIN1}


def _lookup(table: dict, code: int, scale: str) -> int:
    try:
        return table[int(code)]
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{code!r} is not a valid {scale} code; expected one of {sorted(table)}") from None


def date_precision_to_acled(precision: int) -> int:
    return _lookup(DATE_TO_ACLED, precision, "date precision")


def date_precision_from_acled(code: int) -> DatePrecision:
    return _lookup(_DATE_FROM_ACLED, code, "ACLED time_precision")


def geo_precision_to_acled(precision: int) -> int:
    return _lookup(GEO_TO_ACLED, precision, "geo precision")


def geo_precision_from_acled(code: int) -> GeoPrecision:
    return _lookup(_GEO_FROM_ACLED, code, "ACLED geo_precision")


def date_precision_to_ucdp(precision: int) -> int:
    return DatePrecision(int(precision)).value


def date_precision_from_ucdp(code: int) -> DatePrecision:
    return _lookup({c.value: c for c in DatePrecision}, code, "UCDP date_prec")


def geo_precision_to_ucdp(precision: int) -> int:
    return GeoPrecision(int(precision)).value


def geo_precision_from_ucdp(code: int) -> GeoPrecision:
    return _lookup({c.value: c for c in GeoPrecision}, code, "UCDP where_prec")
