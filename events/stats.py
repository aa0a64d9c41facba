"""Counts and fatality sums of events, grouped, for /api/v1/stats/events/.

The database groups and sums; places are grouped by location first and rolled up to country, admin1 or
admin2 in Python through the gazetteer paths (a few thousand places at most), so no group needs a tree
walk in SQL. Sums cover known figures only: `fatalities_unknown` counts the events without a best figure.

`figures` says which figures are summed, never both at once: `curated` (the event's own low/best/high,
the default) or `claimed` (the range of totals the claims assert: low and high, no best; an open range,
"at least N", adds nothing to the high sum and counts as unknown there).
"""

from collections import defaultdict

from django.db.models import CharField, Count, Func, Q, Sum

from locations.models import Location

from .models import Verification

GROUPS = [
    "month",
    "year",
    "event_type",
    "sub_event_type",
    "country",
    "admin1",
    "admin2",
    "actor",
    "verification",
]
PLACE_LEVELS = {"country": 0, "admin1": 1, "admin2": 2}
CONFIRMED_OR_CORROBORATED = [Verification.CONFIRMED, Verification.CORROBORATED]
CLAIMED_ONLY = [Verification.CLAIMED]
FIGURES = ("low", "best", "high")


FIGURE_SETS = {"curated": "fatalities_{}", "claimed": "claimed_fatalities_{}"}


def _sums(prefix: str, column: str, condition: Q | None = None) -> dict:
    sums = {}
    for figure in FIGURES:
        name = column.format(figure)
        if figure == "best" and column.startswith("claimed"):
            continue  # claims give ranges: there is no claimed best estimate
        sums[f"{prefix}{figure}"] = Sum(name, filter=condition)
    return sums


class Period(Func):
    """`YYYY-MM` (or `YYYY`) of a date column, computed by the database itself: Django's TruncMonth is a
    Python function on SQLite, called once per row."""

    output_field = CharField()

    def __init__(self, expression, length: int):
        self.length = length
        super().__init__(expression)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template=f"substr(%(expressions)s, 1, {self.length})")

    def as_postgresql(self, compiler, connection, **extra):
        pattern = "YYYY-MM" if self.length == 7 else "YYYY"
        return self.as_sql(compiler, connection, template=f"to_char(%(expressions)s, '{pattern}')")


def aggregates(figures: str = "curated", *, distinct: bool = False) -> dict:
    column = FIGURE_SETS[figures]
    known = (
        Q(fatalities_best__isnull=True) if figures == "curated" else Q(claimed_fatalities_low__isnull=True)
    )
    # DISTINCT only where a join can repeat an event (grouping by actor): it costs a sort per group.
    # Otherwise an event is counted by its start date, which every event has and the place index holds: the
    # id is not in that index, and PostgreSQL would read every event from the table to count ids (a
    # sequential scan) instead of the index alone.
    counted = "id" if distinct else "date_start"
    return {
        "events": Count(counted, distinct=distinct),
        "fatalities_unknown": Count(counted, filter=known, distinct=distinct),
        **_sums("all_", column),
        **_sums("confirmed_", column, Q(verification__in=CONFIRMED_OR_CORROBORATED)),
        **_sums("claimed_", column, Q(verification__in=CLAIMED_ONLY)),
    }


def _row(key, label, values: dict) -> dict:
    def figures(prefix):
        # No known figure in the group is null (unknown), never 0.
        return {figure: values.get(f"{prefix}{figure}") for figure in FIGURES}

    return {
        "key": key,
        "label": label,
        "events": values["events"],
        "fatalities_unknown": values["fatalities_unknown"],
        "fatalities": figures("all_"),
        "fatalities_confirmed_or_corroborated": figures("confirmed_"),
        "fatalities_claimed_only": figures("claimed_"),
    }


def _total(groups: list[dict]) -> dict:
    """The groups added up, for groupings that put every event in exactly one group (no second pass)."""
    total = _row(None, "all", {"events": 0, "fatalities_unknown": 0})
    for group in groups:
        total["events"] += group["events"]
        total["fatalities_unknown"] += group["fatalities_unknown"]
        for part in ("fatalities", "fatalities_confirmed_or_corroborated", "fatalities_claimed_only"):
            for figure, value in group[part].items():
                if value is not None:
                    total[part][figure] = (total[part][figure] or 0) + value
    return total


def event_stats(events, group_by: str, figures: str = "curated") -> dict:
    """`events` is an already filtered queryset of live events."""
    events = events.order_by()
    sums = aggregates(figures, distinct=group_by == "actor")
    if group_by in ("month", "year"):
        length = 7 if group_by == "month" else 4
        rows = events.annotate(period=Period("date_start", length)).values("period").annotate(**sums)
        groups = [_row(r["period"], r["period"], r) for r in rows]
    elif group_by in ("event_type", "sub_event_type"):
        rows = events.values(f"{group_by}__slug", f"{group_by}__name").annotate(**sums)
        groups = [_row(r[f"{group_by}__slug"], r[f"{group_by}__name"], r) for r in rows]
    elif group_by == "verification":
        labels = dict(Verification.choices)
        rows = events.values("verification").annotate(**sums)
        groups = [_row(r["verification"], labels[r["verification"]], r) for r in rows]
    elif group_by == "actor":
        # An event counts once for each actor taking part in it, in any role (an actor has one role).
        rows = events.values("event_actors__actor", "event_actors__actor__name").annotate(**sums)
        groups = [_row(r["event_actors__actor"], r["event_actors__actor__name"], r) for r in rows]
    else:
        groups = _place_groups(events, PLACE_LEVELS[group_by], sums)
    groups.sort(key=lambda g: (g["key"] is None, str(g["key"])))
    # Every event is in exactly one group, except by actor (an event has several): there the total is its
    # own query, with each event once.
    total = (
        _row(None, "all", events.aggregate(**aggregates(figures))) if group_by == "actor" else _total(groups)
    )
    return {"group_by": group_by, "figures": figures, "total": total, "results": groups}


def _place_groups(events, level: int, sums: dict) -> list[dict]:
    by_location = list(events.values("location").annotate(**sums))
    places = Location.objects.in_bulk({r["location"] for r in by_location})
    ancestors = Location.objects.in_bulk({pk for place in places.values() for pk in place.ancestor_ids})
    totals: dict = defaultdict(dict)
    labels = {}
    for row in by_location:
        place = places[row["location"]]
        lineage = [ancestors[pk] for pk in place.ancestor_ids if pk in ancestors] + [place]
        target = next((p for p in lineage if p.level == level), None)
        # Events known only more coarsely than the level asked for fall in a group of their own (null).
        key = target.pk if target else None
        labels[key] = target.name if target else None
        for name, value in row.items():
            if name != "location" and value is not None:
                totals[key][name] = totals[key].get(name, 0) + value
    counts = ("events", "fatalities_unknown")
    return [
        _row(key, labels[key], {k: totals[key].get(k, 0 if k in counts else None) for k in sums})
        for key in totals
    ]
