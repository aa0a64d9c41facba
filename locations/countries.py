"""Countries by name or ISO 3166 code, from pycountry's maintained table plus the names the datasets use.

`country_ref(name=…, iso_numeric=…, iso3=…, iso2=…)` resolves what a file gives into a
`CountryRef(name, iso2, iso3)`:

- a name is matched exactly, ignoring case, accents and repeated spaces, against pycountry's name, official
  name and common name, then against `OVERRIDES` (names ACLED and UCDP use that pycountry does not know,
  such as "Democratic Republic of Congo", "Turkey" or "Kosovo"). A name with a parenthesised old name
  ("Yemen (North Yemen)", "DR Congo (Zaire)", as UCDP writes them) is tried whole, then without the
  parenthesis. pycountry's `search_fuzzy` is never used: it guesses (it maps Kosovo to Serbia).
- codes: `iso_numeric` (ACLED's `iso` column: 4 is Afghanistan; 0 or blank means none), `iso3`, `iso2`.
- when a name and a code are both given they must name the same country, else `ValueError`. A numeric
  code pycountry does not know is ignored when a name resolves (ACLED gives Kosovo, which has no ISO
  numeric code, a code of its own).
- the returned name is the file's own (so ACLED's naming is kept), without a parenthesised old name when
  only the part before it was recognised; with codes only it is pycountry's common or short name.

Kosovo is not in ISO 3166-1: it gets the user-assigned codes XK / XKX (as the EU and the World Bank use),
and no numeric code. An unknown country raises `ValueError` with the reason.
"""

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pycountry


@dataclass(frozen=True)
class CountryRef:
    """A country as an importer names it: the name it uses, and its ISO 3166-1 codes when known."""

    name: str
    iso2: str | None = None
    iso3: str | None = None


# Names the datasets use that pycountry does not resolve exactly (normalised on load).
OVERRIDES = {
    "Bailiwick of Guernsey": "GGY",
    "Bailiwick of Jersey": "JEY",
    "Bosnia-Herzegovina": "BIH",
    "British Virgin Islands": "VGB",
    "Brunei": "BRN",
    "Burma": "MMR",
    "Cape Verde": "CPV",
    "Caribbean Netherlands": "BES",
    "Curacao": "CUW",
    "Czech Republic": "CZE",
    "Democratic Republic of Congo": "COD",
    "Democratic Republic of the Congo": "COD",
    "DR Congo": "COD",
    "East Timor": "TLS",
    "eSwatini": "SWZ",
    "Falkland Islands": "FLK",
    "Ivory Coast": "CIV",
    "Kosovo": "XKX",
    "Macau": "MAC",
    "Macedonia": "MKD",
    "Macedonia, FYR": "MKD",
    "Micronesia": "FSM",
    "Palestine": "PSE",
    "Republic of Congo": "COG",
    "Reunion": "REU",
    "Russia": "RUS",
    "Saint Helena": "SHN",
    "Saint-Barthelemy": "BLM",
    "Saint-Martin": "MAF",
    "Sint Maarten": "SXM",
    "Swaziland": "SWZ",
    "Turkey": "TUR",
    "United States Virgin Islands": "VIR",
    "Vatican City": "VAT",
    "Virgin Islands, U.S.": "VIR",
}
# The name ACLED gives a country whose ISO short name differs from it, for exports in ACLED's layout.
ACLED_NAMES = {
    "BES": "Caribbean Netherlands",
    "BLM": "Saint-Barthelemy",
    "BRN": "Brunei",
    "CIV": "Ivory Coast",
    "COD": "Democratic Republic of Congo",
    "COG": "Republic of Congo",
    "CPV": "Cape Verde",
    "CUW": "Curacao",
    "CZE": "Czech Republic",
    "FLK": "Falkland Islands",
    "FSM": "Micronesia",
    "GGY": "Bailiwick of Guernsey",
    "JEY": "Bailiwick of Jersey",
    "MAF": "Saint-Martin",
    "MKD": "North Macedonia",
    "PSE": "Palestine",
    "REU": "Reunion",
    "RUS": "Russia",
    "SWZ": "eSwatini",
    "SXM": "Sint Maarten",
    "TLS": "East Timor",
    "TUR": "Turkey",
    "VAT": "Vatican City",
    "XKX": "Kosovo",
}


class _Country:
    __slots__ = ("alpha2", "alpha3", "name", "numeric")

    def __init__(self, alpha2: str, alpha3: str, numeric: int | None, name: str):
        self.alpha2, self.alpha3, self.numeric, self.name = alpha2, alpha3, numeric, name


def normalise_name(name: str) -> str:
    """Case, accents and spacing folded away: "Côte  d'Ivoire" and "cote d'ivoire" are one key."""
    decomposed = unicodedata.normalize("NFKD", name.replace("’", "'"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, _Country], dict[str, _Country], dict[int, _Country], dict[str, _Country]]:
    by_alpha3: dict[str, _Country] = {}
    by_alpha2: dict[str, _Country] = {}
    by_numeric: dict[int, _Country] = {}
    by_name: dict[str, _Country] = {}
    for c in pycountry.countries:
        country = _Country(c.alpha_2, c.alpha_3, int(c.numeric), getattr(c, "common_name", None) or c.name)
        by_alpha3[c.alpha_3] = by_alpha2[c.alpha_2] = by_numeric[country.numeric] = country
    kosovo = _Country("XK", "XKX", None, "Kosovo")
    by_alpha3["XKX"] = by_alpha2["XK"] = kosovo
    for c in pycountry.countries:  # short names first, so they win over another country's official name
        by_name.setdefault(normalise_name(c.name), by_alpha3[c.alpha_3])
    for c in pycountry.countries:
        for attr in ("common_name", "official_name"):
            if other := getattr(c, attr, None):
                by_name.setdefault(normalise_name(other), by_alpha3[c.alpha_3])
    for name, alpha3 in OVERRIDES.items():
        by_name[normalise_name(name)] = by_alpha3[alpha3]
    return by_alpha3, by_alpha2, by_numeric, by_name


def _by_name(name: str) -> tuple[_Country, str]:
    """The country and the part of `name` that named it."""
    by_name = _table()[3]
    if found := by_name.get(normalise_name(name)):
        return found, name
    head, paren, _ = name.partition(" (")
    if paren and (found := by_name.get(normalise_name(head))):
        return found, head.strip()
    raise ValueError(f"unknown country {name!r}")


def _code(value) -> str:
    return "" if value is None else str(value).strip()


def _by_numeric(value) -> _Country | None:
    """None for no code (blank or 0); ValueError for a code that is not a number or not assigned."""
    text = _code(value)
    if not text:
        return None
    try:
        number = int(float(text)) if "." in text else int(text)
    except ValueError:
        raise ValueError(f"ISO numeric country code {text!r} is not a number") from None
    if number == 0:
        return None
    found = _table()[2].get(number)
    if found is None:
        raise LookupError(f"unknown ISO numeric country code {number}")
    return found


def country_ref(*, name=None, iso_numeric=None, iso3=None, iso2=None) -> CountryRef:
    """The country named and/or coded (see the module docstring), or ValueError saying why not."""
    by_alpha3, by_alpha2, _, _ = _table()
    name = _code(name)
    coded: list[tuple[str, _Country]] = []
    unknown_numeric = None
    try:
        if (found := _by_numeric(iso_numeric)) is not None:
            coded.append((f"ISO numeric code {found.numeric}", found))
    except LookupError as exc:
        unknown_numeric = str(exc)
    for label, value, table in (("ISO alpha-3", iso3, by_alpha3), ("ISO alpha-2", iso2, by_alpha2)):
        if text := _code(value):
            if (found := table.get(text.upper())) is None:
                raise ValueError(f"unknown {label} country code {text!r}")
            coded.append((f"{label} code {found.alpha3 if label.endswith('3') else found.alpha2}", found))
    if name:
        country, shown = _by_name(name)
    elif coded:
        country, shown = coded[0][1], coded[0][1].name
    elif unknown_numeric:
        raise ValueError(unknown_numeric)
    else:
        raise ValueError("no country given (neither a name nor a code)")
    for label, other in coded:
        if other is not country:
            subject = f"country {name!r} ({country.alpha3})" if name else f"{coded[0][0]} ({country.alpha3})"
            raise ValueError(f"{subject} does not match {label} ({other.name}, {other.alpha3})")
    return CountryRef(name=shown, iso2=country.alpha2, iso3=country.alpha3)


def iso_numeric(iso3: str) -> int | None:
    """ISO 3166-1 numeric code of an alpha-3 code (None for Kosovo and unknown codes)."""
    found = _table()[0].get((iso3 or "").upper())
    return found.numeric if found else None


def iso_numeric_codes() -> dict[str, int | None]:
    """Every ISO 3166-1 numeric code by alpha-3 code (None for Kosovo), for exports written by SQL."""
    return {alpha3: country.numeric for alpha3, country in _table()[0].items()}


def country_name_for_export(iso3: str | None, stored_name: str) -> str:
    """The name to write in ACLED's layout: ACLED's own where it differs from ISO's, else the stored one."""
    return ACLED_NAMES.get((iso3 or "").upper(), stored_name)
