"""What an event's verification status is, given its claims: pure rules, no queries.

Precedence, first match wins (PRODUCT.md, "Verification"):
editor verdict → disputed → corroborated → claimed → reported → unverified.

Claims have a subject, and each subject is judged on its own claims with the same precedence:
- the event's status (the headline) comes from what speaks to whether it happened: claims about its
  occurrence, and assertions about any other subject, which imply it (`about_occurrence`); a denial of
  casualties, of attribution or of control does not dispute that the event happened, except the control
  claims of an event that is itself a change of control (a takeover that is denied is a disputed takeover);
- attribution, casualties and territorial control each get a status and a reason of their own (empty when
  no claim is about them); casualty claims say whose dead they count (a side, civilians, or not said), a
  denial disputes only assertions about the same dead, and two claimants' figures that cannot both be
  true dispute each other;
- the event's reason is the headline's, followed by each other subject's.
The claimed figures are summarised beside the curated ones as a range (`claimed_fatalities`).

The loading (claims, parties, report derivations) and the storing belong to `refresh`, the one owner.
"""

from dataclasses import dataclass, field

from sources.models import report_phrase

from ..claimants import claimant_key, claimant_label, speaks_for_a_party
from ..models import SUBJECT_PREFIXES, UNVERIFIED_REASON, Claim, Verdict, Verification

ASSERTING = {Claim.Stance.ASSERTS, Claim.Stance.CONFIRMS}


@dataclass(frozen=True)
class SubjectResult:
    """The status and reason of the claims about one subject other than occurrence."""

    status: str
    reason: str


@dataclass(frozen=True)
class VerificationResult:
    status: str
    reason: str
    independent_reports: int
    # Attribution, casualties, territorial control: only those some claim is about.
    subjects: dict[str, SubjectResult] = field(default_factory=dict)
    claimed_fatalities: tuple[int | None, int | None] = (None, None)

    def fields(self) -> dict:
        """The event's derived columns (models.EVENT_DERIVED_FIELDS) as this result sets them."""
        values = {
            "verification": self.status,
            "verification_reason": self.reason,
            "independent_reports": self.independent_reports,
            "claimed_fatalities_low": self.claimed_fatalities[0],
            "claimed_fatalities_high": self.claimed_fatalities[1],
        }
        for subject, prefix in SUBJECT_PREFIXES.items():
            result = self.subjects.get(subject)
            values[f"{prefix}_verification"] = result.status if result else ""
            values[f"{prefix}_reason"] = result.reason if result else ""
        return values


def describe_claim(claim: Claim) -> str:
    """ "National Resistance Front (via Ali Nazary) in The New York Sun on 2022-05-06"; a claim in a report
    that republishes another names the original, whose voice it repeats: "TRT World on 2022-05-06
    (republishing AFP's report of 2022-05-05)"."""
    label, source = claimant_label(claim), claim.report.source.name
    text = label if label == source else f"{label} in {source}"
    date = claim.claimed_on or claim.report.published_on
    if date:
        text = f"{text} on {date.isoformat()}"
    originals = claim.report.republishes
    if originals:
        text += f" (republishing {_join([report_phrase(*original) for original in originals])})"
    return text


def independent_groups(
    report_ids: set[int], source_of: dict[int, int], links: set[tuple[int, int]]
) -> list[set[int]]:
    """Group reports that are not independent of each other: same source, or linked by derivation.

    `links` are derivation links (report, derived_from) among and around the reports, followed through
    reports outside the set too, so two outlets republishing one wire story fall in one group even when
    the wire story itself is not among the claims; and links between reports of one source among the
    reports those reach, so a report republishing an outlet's story falls in that outlet's group.
    """
    parent: dict[int, int] = {}

    def find(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    by_source: dict[int, int] = {}
    for report_id in report_ids:
        find(report_id)
        source_id = source_of[report_id]
        if source_id in by_source:
            union(report_id, by_source[source_id])
        else:
            by_source[source_id] = report_id
    for a, b in links:
        union(a, b)

    groups: dict[int, set[int]] = {}
    for report_id in report_ids:
        groups.setdefault(find(report_id), set()).add(report_id)
    return list(groups.values())


def _join(parts: list[str]) -> str:
    """ "A", "A and B", "A, B and C": each part once, in the order given."""
    unique = list(dict.fromkeys(parts))
    if len(unique) <= 1:
        return "".join(unique)
    return ", ".join(unique[:-1]) + " and " + unique[-1]


def _not_parties(claims: list) -> str:
    """ "X is not a party to the event" or "X and Y are not parties to the event": the verb agrees."""
    names = list(dict.fromkeys(claimant_label(c) for c in claims))
    verb = "is not a party" if len(names) == 1 else "are not parties"
    return f"{_join(names)} {verb} to the event"


def _only_parties(claims: list) -> str:
    """ "only by a party to the event" when every claim speaks for one party, else "only by parties"."""
    one = len({claimant_key(c) for c in claims}) == 1
    return "only by a party to the event" if one else "only by parties to the event"


# Sub-event types that are themselves a change of control: for these, claims about territorial control are
# claims that the event happened, denials included (a denied takeover is a disputed takeover).
CONTROL_CHANGE_TYPES = {
    "government-regains-territory", "non-state-actor-overtakes-territory", "non-violent-transfer-of-territory",
}  # fmt: skip
SUBJECT_LABELS = {
    Claim.Subject.ATTRIBUTION: "Attribution",
    Claim.Subject.CASUALTIES: "Casualties",
    Claim.Subject.TERRITORIAL_CONTROL: "Territorial control",
}


def about_occurrence(claim, control_change: bool) -> bool:
    """Does the claim speak to whether the event happened? Claims about its occurrence do; an assertion
    about any other subject implies it (no one claims the dead, the perpetrator or the ground taken in an
    event that did not happen); a denial or a cannot-confirm about another subject does not (denying one's
    losses is not denying the clash), except control claims of an event that is itself a change of control.
    """
    return (
        claim.subject == Claim.Subject.OCCURRENCE
        or claim.stance in ASSERTING
        or (control_change and claim.subject == Claim.Subject.TERRITORIAL_CONTROL)
    )


def about_casualties(claim) -> bool:
    """A claim about casualties: its subject, or any claim that gives a figure."""
    return claim.subject == Claim.Subject.CASUALTIES or (
        claim.claimed_fatalities_low is not None or claim.claimed_fatalities_high is not None
    )


def derive(
    *,
    verdict: str,
    verdict_reason: str,
    claims: list[Claim],
    party_ids: set[int],
    links: set[tuple[int, int]],
    control_change: bool = False,
    sides: dict[str, str] | None = None,
) -> VerificationResult:
    """The event's status (from what speaks to its occurrence), each other subject's, and their reasons.

    `claims` are the event's claims in time order, with claimant, speaker and the report's source and
    operator (each with its affiliation chain) loaded; `party_ids` the actors taking part in the event;
    `control_change` whether the event is itself a change of control; `sides` the names on each side
    ("side_a", "side_b"), for the words of casualty reasons.
    """
    sides = sides or {}
    occurrence = _judge([c for c in claims if about_occurrence(c, control_change)], party_ids, links)
    subjects = {}
    for subject in SUBJECT_LABELS:
        if subject == Claim.Subject.CASUALTIES:
            about = [c for c in claims if about_casualties(c)]
        else:
            about = [c for c in claims if c.subject == subject]
        if about:
            # Whose dead, and figures that cannot both be true, are casualty matters: two parties giving
            # different death tolls while both asserting who was behind an attack do not dispute who it was.
            casualties = sides if subject == Claim.Subject.CASUALTIES else None
            judged = _judge(about, party_ids, links, sides=casualties)
            subjects[subject] = _subject_result(subject, judged, sides)
    if verdict:
        # The reviewer's identity is not part of the public reason; verdict_by records it for staff.
        status, reason = (
            verdict,
            f"Editor verdict: {Verdict(verdict).label.lower()}. {verdict_reason.strip()}",
        )
    else:
        status, reason = occurrence.status, _occurrence_reason(occurrence)
    if control_change and Claim.Subject.TERRITORIAL_CONTROL in subjects:
        # An event that is itself a change of control: its control is its occurrence, verdict included
        # (the control timeline of a refuted takeover says refuted); said once, in the event's reason.
        subjects[Claim.Subject.TERRITORIAL_CONTROL] = SubjectResult(status, reason)
        said = [r.reason for s, r in subjects.items() if s != Claim.Subject.TERRITORIAL_CONTROL]
    else:
        said = [r.reason for r in subjects.values()]
    reason = " ".join([reason, *said])
    return VerificationResult(status, reason, occurrence.independent, subjects, claimed_fatalities(claims))


@dataclass
class _Judgement:
    """What a set of claims about one thing adds up to, before it is put in words."""

    status: str
    independent: int
    asserting: list
    denying: list
    unconfirmed: list
    non_party: list


def _judge(claims: list, party_ids: set[int], links: set, *, sides: dict | None = None) -> _Judgement:
    """Precedence, first match wins: disputed → corroborated → claimed → reported → unverified.

    With `sides` (casualty claims) a denial disputes only assertions about the same dead (a side, or
    everyone when the denial does not say whose), and two claimants' figures for the same dead that cannot
    both be true (ranges that do not overlap) dispute each other.
    """
    asserting = [c for c in claims if c.stance in ASSERTING]
    denying = [c for c in claims if c.stance == Claim.Stance.DENIES]
    unconfirmed = [c for c in claims if c.stance == Claim.Stance.CANNOT_CONFIRM]
    groups = independent_groups(
        {c.report_id for c in asserting}, {c.report_id: c.report.source_id for c in asserting}, links
    )
    non_party = [c for c in asserting if not speaks_for_a_party(c, party_ids)]
    disputed = any(
        claimant_key(a) != claimant_key(d) and _same_dead(a, d, sides) for a in asserting for d in denying
    )
    if sides is not None and not disputed:
        disputed = any(
            claimant_key(a) != claimant_key(b) and a.casualties_of == b.casualties_of and _apart(a, b)
            for a in asserting
            for b in asserting
        )
    if disputed:
        status = Verification.DISPUTED
    elif len(groups) >= 2 and non_party:
        status = Verification.CORROBORATED
    elif asserting and not non_party:
        status = Verification.CLAIMED
    elif non_party:
        status = Verification.REPORTED
    else:
        status = Verification.UNVERIFIED
    return _Judgement(status, len(groups), asserting, denying, unconfirmed, non_party)


def _same_dead(asserted, denied, sides: dict | None) -> bool:
    return sides is None or not denied.casualties_of or denied.casualties_of == asserted.casualties_of


def _range(claim) -> tuple[int, float]:
    low, high = claim.claimed_fatalities_low, claim.claimed_fatalities_high
    return (low or 0, high if high is not None else float("inf"))


def _apart(a, b) -> bool:
    """Two figures that cannot both be true: their ranges do not overlap (both must give a figure)."""
    if not (about_figure(a) and about_figure(b)):
        return False
    (a_low, a_high), (b_low, b_high) = _range(a), _range(b)
    return a_high < b_low or b_high < a_low


def about_figure(claim) -> bool:
    return claim.claimed_fatalities_low is not None or claim.claimed_fatalities_high is not None


def _said(claims: list) -> str:
    return _join([describe_claim(c) for c in claims])


def _footnote(judgement: _Judgement) -> str:
    if not judgement.unconfirmed:
        return ""
    return f" {_join([claimant_label(c) for c in judgement.unconfirmed])} could not confirm it."


def _occurrence_reason(j: _Judgement) -> str:
    footnote = _footnote(j)
    if j.status == Verification.DISPUTED:
        return f"Disputed: asserted by {_said(j.asserting)}; denied by {_said(j.denying)}.{footnote}"
    if j.status == Verification.CORROBORATED:
        return (
            f"Corroborated: asserted in {j.independent} independent reports, by {_said(j.asserting)}; "
            f"{_not_parties(j.non_party)}.{footnote}"
        )
    if j.status == Verification.CLAIMED:
        return (
            f"Claimed: asserted {_only_parties(j.asserting)}, {_said(j.asserting)}; "
            f"no independent report confirms it.{footnote}"
        )
    if j.status == Verification.REPORTED:
        return f"Reported: asserted in one independent report, by {_said(j.asserting)}.{footnote}"
    reason = UNVERIFIED_REASON
    if j.denying:
        reason += f" Denied by {_said(j.denying)}."
    return reason + footnote


def _figure(claim) -> str:
    low, high = claim.claimed_fatalities_low, claim.claimed_fatalities_high
    if low is not None and high is not None:
        return str(low) if low == high else f"{low} to {high}"
    if low is not None:
        return f"at least {low}"
    if high is not None:
        return f"at most {high}"
    return ""


def _whose(claim, sides: dict) -> str:
    if claim.casualties_of == Claim.CasualtiesOf.CIVILIANS:
        return "civilians"
    if claim.casualties_of:
        return sides.get(claim.casualties_of) or Claim.CasualtiesOf(claim.casualties_of).label
    return ""


def _casualty_statement(claims: list, sides: dict, verb: str) -> str:
    """ "NRF (via X) in Y on D claims at least 13 killed among Taliban and 6 killed among NRF" — one
    statement per claim's voice and report, its figures in the order given."""
    by_voice: dict[str, list] = {}
    for claim in claims:
        by_voice.setdefault(describe_claim(claim), []).append(claim)
    statements = []
    for voice, said in by_voice.items():
        parts = []
        for claim in said:
            whose = _whose(claim, sides)
            if verb == "denies":
                parts.append(f"losses among {whose}" if whose else "the casualties")
            elif about_figure(claim):
                parts.append(f"{_figure(claim)} killed" + (f" among {whose}" if whose else ""))
            else:
                parts.append("losses" + (f" among {whose}" if whose else ""))
        statements.append(f"{voice} {verb} {_join(parts)}")
    return "; ".join(statements)


def _subject_result(subject: str, j: _Judgement, sides: dict) -> SubjectResult:
    label = SUBJECT_LABELS[subject]
    footnote = _footnote(j)
    if subject == Claim.Subject.CASUALTIES:
        asserted = _casualty_statement(j.asserting, sides, "claims")
        denied = _casualty_statement(j.denying, sides, "denies")
    else:
        asserted = f"asserted by {_said(j.asserting)}" if j.asserting else ""
        denied = f"denied by {_said(j.denying)}" if j.denying else ""
    if j.status == Verification.DISPUTED:
        body = "; ".join(part for part in (asserted, denied) if part)
        if not j.denying:
            body += "; their figures cannot both be true"
        reason = f"{label} disputed: {body}."
    elif j.status == Verification.CORROBORATED:
        reason = f"{label} corroborated in {j.independent} independent reports: {asserted}."
    elif j.status == Verification.CLAIMED:
        reason = (
            f"{label} claimed {_only_parties(j.asserting)}: {asserted}; no independent report confirms it."
        )
    elif j.status == Verification.REPORTED:
        reason = f"{label} reported in one independent report: {asserted}."
    else:
        reason = f"{label} unverified: no claim asserts it" + (f"; {denied}" if denied else "") + "."
    return SubjectResult(j.status, reason + footnote)


def claimed_fatalities(claims: list) -> tuple[int | None, int | None]:
    """The range of the totals asserted: each claimant's latest figure for each of the dead it speaks of
    (a side, civilians, or everyone), added up; the smallest of those totals and the largest (open, None,
    when any claimant's is 'at least N'). None, None when no asserting claim gives a figure."""
    latest: dict[tuple, dict[str, tuple[int, int | None]]] = {}
    for claim in claims:  # in time order: a later figure from the same voice replaces an earlier one
        if claim.stance in ASSERTING and about_figure(claim):
            low, high = claim.claimed_fatalities_low, claim.claimed_fatalities_high
            latest.setdefault(claimant_key(claim), {})[claim.casualties_of] = (low or 0, high)
    if not latest:
        return None, None
    totals = []
    for figures in latest.values():
        highs = [high for _, high in figures.values()]
        totals.append((sum(low for low, _ in figures.values()), None if None in highs else sum(highs)))
    lows, highs = [low for low, _ in totals], [high for _, high in totals]
    return min(lows), (None if None in highs else max(highs))
