"""What an event's verification status is, given its claims: pure rules, no queries.

Precedence, first match wins (PRODUCT.md, "Verification"):
editor verdict → disputed → corroborated → claimed → reported → unverified.
The loading (claims, parties, report derivations) and the storing belong to `refresh`, the one owner.
"""

from dataclasses import dataclass

from ..claimants import claimant_key, claimant_label, speaks_for_a_party
from ..models import UNVERIFIED_REASON, Claim, Verdict, Verification

ASSERTING = {Claim.Stance.ASSERTS, Claim.Stance.CONFIRMS}


@dataclass(frozen=True)
class VerificationResult:
    status: str
    reason: str
    independent_reports: int


def describe_claim(claim: Claim) -> str:
    """ "National Resistance Front (via Ali Nazary) in The New York Sun on 2022-05-06"."""
    label, source = claimant_label(claim), claim.report.source.name
    text = label if label == source else f"{label} in {source}"
    date = claim.claimed_on or claim.report.published_on
    return f"{text} on {date.isoformat()}" if date else text


def independent_groups(
    report_ids: set[int], source_of: dict[int, int], links: set[tuple[int, int]]
) -> list[set[int]]:
    """Group reports that are not independent of each other: same source, or linked by derivation.

    `links` are derivation links (report, derived_from) among and around the reports, followed through
    reports outside the set too, so two outlets republishing one wire story fall in one group even when
    the wire story itself is not among the claims.
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
    unique = list(dict.fromkeys(parts))
    if len(unique) <= 1:
        return "".join(unique)
    return ", ".join(unique[:-1]) + " and " + unique[-1]


def derive(
    *,
    verdict: str,
    verdict_reason: str,
    claims: list[Claim],
    party_ids: set[int],
    links: set[tuple[int, int]],
) -> VerificationResult:
    """The status, its reason and the number of independent asserting reports.

    `claims` are the event's claims in time order, with claimant, speaker and the report's source and
    operator (each with its affiliation chain) loaded; `party_ids` the actors taking part in the event.
    """
    asserting = [c for c in claims if c.stance in ASSERTING]
    denying = [c for c in claims if c.stance == Claim.Stance.DENIES]
    unconfirmed = [c for c in claims if c.stance == Claim.Stance.CANNOT_CONFIRM]

    groups = independent_groups(
        {c.report_id for c in asserting}, {c.report_id: c.report.source_id for c in asserting}, links
    )
    independent = len(groups)
    footnote = ""
    if unconfirmed:
        footnote = f" {_join([claimant_label(c) for c in unconfirmed])} could not confirm it."

    def said(claims_: list[Claim]) -> str:
        return _join([describe_claim(c) for c in claims_])

    if verdict:
        # The reviewer's identity is not part of the public reason; verdict_by records it for staff.
        reason = f"Editor verdict: {Verdict(verdict).label.lower()}. {verdict_reason.strip()}"
        return VerificationResult(verdict, reason, independent)

    asserting_keys = {claimant_key(c) for c in asserting}
    denying_keys = {claimant_key(c) for c in denying}
    if any(a != d for a in asserting_keys for d in denying_keys):
        reason = f"Disputed: asserted by {said(asserting)}; denied by {said(denying)}.{footnote}"
        return VerificationResult(Verification.DISPUTED, reason, independent)

    non_party = [c for c in asserting if not speaks_for_a_party(c, party_ids)]
    if independent >= 2 and non_party:
        reason = (
            f"Corroborated: asserted in {independent} independent reports, by {said(asserting)}; "
            f"{_join([claimant_label(c) for c in non_party])} is not a party to the event.{footnote}"
        )
        return VerificationResult(Verification.CORROBORATED, reason, independent)
    if asserting and not non_party:
        reason = (
            f"Claimed: asserted only by parties to the event, {said(asserting)}; "
            f"no independent report confirms it.{footnote}"
        )
        return VerificationResult(Verification.CLAIMED, reason, independent)
    if non_party:
        reason = f"Reported: asserted in one independent report, by {said(asserting)}.{footnote}"
        return VerificationResult(Verification.REPORTED, reason, independent)
    reason = UNVERIFIED_REASON
    if denying:
        reason += f" Denied by {said(denying)}."
    return VerificationResult(Verification.UNVERIFIED, reason + footnote, independent)
