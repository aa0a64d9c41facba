"""Derive an event's verification status, and the reason in words, from its claims.

Precedence, first match wins (PRODUCT.md, "Verification"):
editor verdict → disputed → corroborated → claimed → reported → unverified.
"""

from dataclasses import dataclass

from django.db.models import Q

from actors.models import Actor
from sources.models import ReportDerivation

from .models import Claim, Event, Verification

ASSERTING = {Claim.Stance.ASSERTS, Claim.Stance.CONFIRMS}


@dataclass(frozen=True)
class VerificationResult:
    status: str
    reason: str
    independent_reports: int


def _top(actor: Actor) -> Actor:
    """The organisation at the top of an actor's affiliation chain (a spokesperson → their group)."""
    seen = set()
    while actor.affiliation_id is not None and actor.pk not in seen:
        seen.add(actor.pk)
        actor = actor.affiliation
    return actor


def _speaking_actor(claim: Claim) -> Actor | None:
    return claim.claimant or claim.speaker or claim.report.source.operated_by


def claimant_key(claim: Claim) -> tuple[str, int]:
    """Who is really speaking: the top organisation of the claimant, else the outlet itself."""
    actor = _speaking_actor(claim)
    if actor is not None:
        return ("actor", _top(actor).pk)
    return ("source", claim.report.source_id)


def claimant_label(claim: Claim) -> str:
    if claim.claimant is not None:
        label = claim.claimant.name
        if claim.speaker is not None:
            label += f" (via {claim.speaker.name})"
        return label
    if claim.speaker is not None:
        return claim.speaker.name
    return claim.report.source.name


def describe_claim(claim: Claim) -> str:
    """ "National Resistance Front (via Ali Nazary) in The New York Sun on 2022-05-06"."""
    label, source = claimant_label(claim), claim.report.source.name
    text = label if label == source else f"{label} in {source}"
    date = claim.claimed_on or claim.report.published_on
    return f"{text} on {date.isoformat()}" if date else text


def is_party_claim(claim: Claim, party_ids: set[int]) -> bool:
    """True when whoever speaks is a party to the event, or belongs to one."""
    for actor in (claim.claimant, claim.speaker, claim.report.source.operated_by):
        seen = set()
        while actor is not None and actor.pk not in seen:
            if actor.pk in party_ids:
                return True
            seen.add(actor.pk)
            actor = actor.affiliation
    return False


def _derivation_links(report_ids: set[int]) -> tuple[set[int], set[tuple[int, int]]]:
    """Every report reachable from report_ids through derivation links (either way), and those links."""
    seen, frontier, links = set(report_ids), set(report_ids), set()
    while frontier:
        found = ReportDerivation.objects.filter(
            Q(report_id__in=frontier) | Q(derived_from_id__in=frontier)
        ).values_list("report_id", "derived_from_id")
        links.update(found)
        frontier = {node for link in links for node in link} - seen
        seen |= frontier
    return seen, links


def connected_reports(report_ids: set[int]) -> set[int]:
    return _derivation_links(report_ids)[0]


def independent_groups(report_ids: set[int], source_of: dict[int, int]) -> list[set[int]]:
    """Group reports that are not independent of each other: same source, or linked by derivation.

    Derivation is followed through reports outside the set too, so two outlets republishing the same
    wire story fall in one group even when the wire story itself is not among the claims.
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

    for a, b in _derivation_links(report_ids)[1]:
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


def _claims_for(event: Event) -> list[Claim]:
    return list(
        event.claims.select_related(
            "claimant__affiliation",
            "speaker__affiliation",
            "report__source__operated_by__affiliation",
        ).order_by("claimed_on", "id")
    )


def event_verification(event: Event) -> VerificationResult:
    """Compute the status, its reason and the number of independent asserting reports."""
    claims = _claims_for(event)
    party_ids = set(event.event_actors.values_list("actor_id", flat=True))
    asserting = [c for c in claims if c.stance in ASSERTING]
    denying = [c for c in claims if c.stance == Claim.Stance.DENIES]
    unconfirmed = [c for c in claims if c.stance == Claim.Stance.CANNOT_CONFIRM]

    groups = independent_groups(
        {c.report_id for c in asserting}, {c.report_id: c.report.source_id for c in asserting}
    )
    independent = len(groups)
    footnote = ""
    if unconfirmed:
        footnote = f" {_join([claimant_label(c) for c in unconfirmed])} could not confirm it."

    def said(claims_: list[Claim]) -> str:
        return _join([describe_claim(c) for c in claims_])

    if event.verdict:
        by = f" by {event.verdict_by.get_username()}" if event.verdict_by_id else ""
        reason = f"Editor verdict{by}: {event.get_verdict_display().lower()}. {event.verdict_reason.strip()}"
        return VerificationResult(event.verdict, reason, independent)

    asserting_keys = {claimant_key(c) for c in asserting}
    denying_keys = {claimant_key(c) for c in denying}
    if any(a != d for a in asserting_keys for d in denying_keys):
        reason = f"Disputed: asserted by {said(asserting)}; denied by {said(denying)}.{footnote}"
        return VerificationResult(Verification.DISPUTED, reason, independent)

    non_party = [c for c in asserting if not is_party_claim(c, party_ids)]
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
    reason = "Unverified: no claim asserts it."
    if denying:
        reason += f" Denied by {said(denying)}."
    return VerificationResult(Verification.UNVERIFIED, reason + footnote, independent)
