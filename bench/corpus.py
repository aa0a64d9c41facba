"""A deterministic, realistic ACLED-layout corpus for the comparison benchmark (bench/compare.py).

`write_corpus(path, events, seed)` writes an ACLED CSV that our importer reads, made at run time and never
committed. The same events and seed always give the same file, byte for byte. What makes it realistic, as
far as the shapes of the benchmark care:

- 24 real countries with Zipf-skewed shares (the busiest has about a quarter of the events), each with its
  own tree of generated places (12 to 30 provinces, 4 to 12 districts each, 3 to 10 towns each: about
  28,000 towns in all), clustered around the country's real centre, so that a 1-degree box holds a dense
  patch of one country as it would in ACLED;
- ACLED's six event types in ACLED-like proportions, and actors that fit them: each country's state
  forces, police, protesters, rioters and civilians, and its own armed groups, drawn Zipf-wise (a few
  groups are in thousands of events, most in a handful); protests sometimes carry an associated actor;
- dates from 1997 to 2025, more of them in later years (ACLED's coverage grows);
- fatalities long-tailed (Pareto), with ACLED's zeros (no figure reported) and a few blanks;
- one to four sources per event, `; `-separated, which the importer turns into one report and one
  asserting claim each ("several claims per event");
- notes in sentences that name the actors and the place, plus one to three incident details drawn
  Zipf-wise from a fixed list of keywords, so a text search has common and rare terms to choose from.
  `keyword_counts` (returned) says in how many events each keyword occurs.
"""

import csv
import datetime
import random
from bisect import bisect_left
from collections import Counter
from itertools import accumulate
from pathlib import Path

# ACLED's published column layout (what events.formats.acled.ACLED_COLUMNS writes and the reader reads).
COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
    "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude",
    "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
]  # fmt: skip

# ACLED's country name, ISO 3166-1 numeric and alpha-3 codes, and the country's rough centre (lat, lon).
COUNTRIES = [
    ("Ukraine", 804, "UKR", 48.4, 31.2), ("Syria", 760, "SYR", 34.8, 39.0), ("Yemen", 887, "YEM", 15.6, 48.5),
    ("India", 356, "IND", 22.0, 79.0), ("Mexico", 484, "MEX", 23.6, -102.5),
    ("Brazil", 76, "BRA", -12.0, -48.0), ("Myanmar", 104, "MMR", 21.9, 95.9),
    ("Nigeria", 566, "NGA", 9.1, 8.7), ("Democratic Republic of Congo", 180, "COD", -2.5, 23.5),
    ("Pakistan", 586, "PAK", 30.4, 69.3), ("Afghanistan", 4, "AFG", 33.9, 67.7),
    ("Sudan", 729, "SDN", 13.5, 30.2), ("Somalia", 706, "SOM", 5.2, 46.2), ("Iraq", 368, "IRQ", 33.2, 43.7),
    ("Colombia", 170, "COL", 4.6, -74.3), ("Mali", 466, "MLI", 15.0, -3.0),
    ("Burkina Faso", 854, "BFA", 12.2, -1.6), ("Ethiopia", 231, "ETH", 9.1, 40.5),
    ("Cameroon", 120, "CMR", 6.0, 12.4), ("Philippines", 608, "PHL", 12.9, 121.8),
    ("Libya", 434, "LBY", 29.0, 17.2), ("South Sudan", 728, "SSD", 7.3, 30.3),
    ("Mozambique", 508, "MOZ", -15.0, 37.0), ("Lebanon", 422, "LBN", 33.9, 35.9),
]  # fmt: skip

# (event type, [(sub-event type, weight)], disorder type, share of events)
TYPES = [
    ("Battles", [("Armed clash", 90), ("Government regains territory", 5),
                 ("Non-state actor overtakes territory", 5)], "Political violence", 22),
    ("Explosions/Remote violence", [("Shelling/artillery/missile attack", 45), ("Air/drone strike", 30),
                                    ("Remote explosive/landmine/IED", 18), ("Grenade", 4),
                                    ("Suicide bomb", 3)], "Political violence", 17),
    ("Violence against civilians", [("Attack", 75), ("Abduction/forced disappearance", 20),
                                    ("Sexual violence", 5)], "Political violence", 16),
    ("Protests", [("Peaceful protest", 90), ("Protest with intervention", 8),
                  ("Excessive force against protesters", 2)], "Demonstrations", 28),
    ("Riots", [("Violent demonstration", 60), ("Mob violence", 40)], "Demonstrations", 7),
    ("Strategic developments", [("Arrests", 30), ("Looting/property destruction", 25), ("Agreement", 10),
                                ("Headquarters or base established", 10), ("Disrupted weapons use", 15),
                                ("Change to group/activity", 10)], "Strategic developments", 10),
]  # fmt: skip
# Mob violence and excessive force are political violence in ACLED's own disorder types.
DISORDER_OVERRIDES = {
    "Mob violence": "Political violence",
    "Excessive force against protesters": "Political violence; Demonstrations",
}

# Incident details for the notes, most common first (drawn Zipf-wise): the text search picks among them.
KEYWORDS = [
    "checkpoint", "market", "convoy", "village", "roadside", "mosque", "police station", "school",
    "hospital", "bridge", "airstrike", "curfew", "farmland", "displacement", "ceasefire", "detention",
    "motorcycle", "highway", "refugee camp", "border crossing", "ambush", "barracks", "courthouse",
    "election office", "pipeline", "power station", "cattle raid", "gold mine", "river crossing",
    "water point", "football pitch", "bus station", "prison", "university", "oil field", "harbour",
    "monastery", "cemetery", "telecom mast", "granary", "sawmill", "quarry", "ferry", "dam", "tollgate",
    "brickworks", "orchard", "wedding", "funeral procession", "livestock market", "fuel depot",
    "customs post", "radio station", "polling station", "orphanage", "tannery", "salt flats",
    "cobalt mine", "vineyard", "lighthouse", "observatory", "greenhouse", "railway depot", "lumberyard",
    "distillery", "aqueduct", "printing press", "shipyard", "textile mill", "cannery", "apiary",
    "hatchery", "foundry", "tramline", "chapel", "kiosk", "watchtower", "ropeway", "caravanserai",
    "glassworks",
]  # fmt: skip
VERBS = {
    "Battles": "clashed with", "Explosions/Remote violence": "struck positions of",
    "Violence against civilians": "attacked", "Protests": "demonstrated against",
    "Riots": "rioted against", "Strategic developments": "acted against",
}  # fmt: skip
MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
]  # fmt: skip
SCALES = ["National", "Subnational", "International", "New media", "Regional", "Local partner-National"]
SYLLABLES = [
    "ka", "ra", "ba", "al", "mo", "ti", "sha", "dor", "zan", "el", "ku", "mar", "na", "gar", "lo", "vi",
    "sen", "bu", "tor", "ya", "qa", "dun", "fe", "hir", "jo", "wel", "pa", "ro", "sul", "ne", "ost", "ir",
]  # fmt: skip
GROUP_SUFFIXES = [
    ("Liberation Front", 2), ("Defence Militia", 3), ("Self-Defence Forces", 4), ("Movement", 2),
    ("Patriotic Army", 2), ("Youth Militia", 3), ("Ethnic Militia", 4), ("Brigade", 3),
]  # fmt: skip
OUTLET_SUFFIXES = ["Times", "Post", "Radio", "News", "Tribune", "Daily", "Herald", "Monitor", "TV", "Agency"]


def _cumulative(weights):
    return list(accumulate(weights))


def _pick(rng: random.Random, items: list, cumulative: list):
    """One item by cumulative weights (what random.choices does, without building a list each time)."""
    return items[bisect_left(cumulative, rng.random() * cumulative[-1])]


def _zipf(count: int, exponent: float) -> list[float]:
    return _cumulative([1 / (rank + 1) ** exponent for rank in range(count)])


class Names:
    """Generated proper names (places, groups, outlets), each unique in its namespace, deterministic."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self, syllables: int = 3) -> str:
        tries = 0
        while True:
            name = "".join(self.rng.choice(SYLLABLES) for _ in range(syllables)).capitalize()
            if name not in self.used:
                self.used.add(name)
                return name
            tries += 1
            if tries % 8 == 0:  # this length is getting full: a longer name
                syllables += 1


class Country:
    """One country's gazetteer (provinces, districts, towns with coordinates) and its actors."""

    def __init__(
        self, rng: random.Random, names: Names, name: str, iso: int, iso3: str, lat: float, lon: float
    ):
        self.name, self.iso, self.iso3 = name, iso, iso3
        self.towns = []  # (admin1, admin2, town, latitude, longitude)
        weights = []
        provinces = rng.randrange(12, 31)
        for p in range(provinces):
            admin1 = names(3)
            p_lat, p_lon = rng.gauss(lat, 1.6), rng.gauss(lon, 1.6)
            districts = rng.randrange(4, 13)
            for _ in range(districts):
                admin2 = names(3)
                d_lat, d_lon = rng.gauss(p_lat, 0.4), rng.gauss(p_lon, 0.4)
                towns = rng.randrange(3, 11)
                for t in range(towns):
                    town_lat = max(-89.9, min(89.9, rng.gauss(d_lat, 0.12)))
                    town_lon = max(-179.9, min(179.9, rng.gauss(d_lon, 0.12)))
                    self.towns.append((admin1, admin2, names(4), round(town_lat, 4), round(town_lon, 4)))
                    # Busy provinces (Zipf by rank) and a busy first town in each district.
                    weights.append(1 / (p + 1) / districts / (t + 1))
        self.town_weights = _cumulative(weights)
        self.state = [(f"Military Forces of {name}", 1), (f"Police Forces of {name}", 1)]
        self.protesters = (f"Protesters ({name})", 6)
        self.rioters = (f"Rioters ({name})", 5)
        self.civilians = (f"Civilians ({name})", 7)
        self.labour = (f"Labour Group ({name})", 6)
        self.groups = []
        for _ in range(rng.randrange(40, 301)):
            suffix, inter = rng.choice(GROUP_SUFFIXES)
            self.groups.append((f"{names(3)} {suffix}", inter))
        self.group_weights = _zipf(len(self.groups), 1.1)

    def group(self, rng: random.Random) -> tuple[str, int]:
        return _pick(rng, self.groups, self.group_weights)

    def armed(self, rng: random.Random) -> tuple[str, int]:
        """Side A of a fight: the state a third of the time, else one of the country's armed groups."""
        return rng.choice(self.state) if rng.random() < 0.33 else self.group(rng)


def _actors(rng: random.Random, country: Country, event_type: str, sub_type: str):
    """(actor1, inter1), (actor2, inter2) or None, and an associated actor of side A or ''."""
    if event_type == "Protests":
        side_b = country.state[1] if sub_type != "Peaceful protest" else None
        return country.protesters, side_b, country.labour[0] if rng.random() < 0.15 else ""
    if event_type == "Riots":
        return country.rioters, country.civilians if rng.random() < 0.5 else None, ""
    if event_type == "Violence against civilians":
        return country.armed(rng), country.civilians, ""
    side_a = country.armed(rng)
    if event_type == "Strategic developments":
        return side_a, None, ""
    side_b = country.group(rng) if side_a[1] == 1 else country.armed(rng)
    if side_b[0] == side_a[0]:
        side_b = country.civilians if event_type != "Battles" else None
    return side_a, side_b, ""


def _fatalities(rng: random.Random, event_type: str) -> str:
    """ACLED's column: mostly 0 (no figure reported), a long tail above, a few blanks (unknown)."""
    if rng.random() < 0.03:
        return ""
    violent = event_type in ("Battles", "Explosions/Remote violence", "Violence against civilians")
    if not violent or rng.random() < 0.45:
        return "0" if not violent or rng.random() < 0.97 else str(1 + int(rng.paretovariate(2.0)))
    return str(min(int(rng.paretovariate(1.05)), 5000))


def write_corpus(path: Path, events: int, seed: int) -> Counter:
    """Write `events` rows of the corpus to `path`; the number of events each keyword occurs in."""
    rng = random.Random(seed)
    names = Names(rng)
    countries = [Country(rng, names, *row) for row in COUNTRIES]
    country_weights = _zipf(len(countries), 1.0)
    outlets = [f"{names(2)} {rng.choice(OUTLET_SUFFIXES)}" for _ in range(800)]
    outlet_weights = _zipf(len(outlets), 1.0)
    keyword_weights = _zipf(len(KEYWORDS), 1.5)
    type_weights = _cumulative([t[3] for t in TYPES])
    sub_weights = [_cumulative([w for _, w in t[1]]) for t in TYPES]
    years = list(range(1997, 2026))
    year_weights = _cumulative([1 + 9 * ((y - 1997) / 28) ** 2 for y in years])
    year_start = {y: datetime.date(y, 1, 1).toordinal() for y in years}
    year_days = {y: 366 if y % 4 == 0 else 365 for y in years}
    serial = Counter()
    keyword_counts = Counter()
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for n in range(events):
            country = _pick(rng, countries, country_weights)
            t = bisect_left(type_weights, rng.random() * type_weights[-1])
            event_type, subs, disorder, _ = TYPES[t]
            sub_type = subs[bisect_left(sub_weights[t], rng.random() * sub_weights[t][-1])][0]
            disorder = DISORDER_OVERRIDES.get(sub_type, disorder)
            (actor1, inter1), side_b, assoc1 = _actors(rng, country, event_type, sub_type)
            actor2, inter2 = side_b if side_b else ("", 0)
            year = _pick(rng, years, year_weights)
            date = datetime.date.fromordinal(year_start[year] + rng.randrange(year_days[year]))
            admin1, admin2, town, latitude, longitude = _pick(rng, country.towns, country.town_weights)
            details = {_pick(rng, KEYWORDS, keyword_weights) for _ in range(rng.choice((1, 1, 2, 3)))}
            keyword_counts.update(details)
            target = actor2 or "unknown parties"
            notes = (
                f"On {date.day} {MONTHS[date.month - 1]} {year}, {actor1} {VERBS[event_type]} {target} in "
                f"{town} ({admin2}, {admin1}). Reports mention the {' and the '.join(sorted(details))}."
                + rng.choice(("", "", " Casualty figures could not be confirmed.", " Local sources differ."))
            )
            sources = {_pick(rng, outlets, outlet_weights) for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4)))}
            serial[country.iso3] += 1
            writer.writerow([
                f"{country.iso3}{serial[country.iso3]}", date.isoformat(), year, rng.choice((1, 1, 1, 1, 2, 3)),
                disorder, event_type, sub_type, actor1, assoc1, inter1, actor2, "", inter2 or "",
                inter1 * 10 + inter2, "Civilian targeting" if actor2 == country.civilians[0] else "",
                country.iso, "", country.name, admin1, admin2, "", town, latitude, longitude,
                rng.choice((1, 1, 1, 2, 3)), "; ".join(sorted(sources)), rng.choice(SCALES), notes,
                _fatalities(rng, event_type), "", 1_600_000_000 + n,
            ])  # fmt: skip
    return keyword_counts


def proper_names(seed: int) -> list[str]:
    """Every generated place, group and outlet name of the corpus of `seed` (the same for any size), so a
    search term can be checked to occur in notes only."""
    rng = random.Random(seed)
    names = Names(rng)
    for row in COUNTRIES:
        Country(rng, names, *row)
    for _ in range(800):
        names(2)
        rng.choice(OUTLET_SUFFIXES)
    return sorted(names.used)
