"""Property test: after any sequence of changes, the stored status is what the rules say.

The oracle below restates PRODUCT.md's rules independently of events.verification (no shared code), so
the test checks both that every write path keeps the stored status current and that the service
implements the rules.
"""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from actors.models import Actor
from events.models import Claim, Event, EventActor
from events.services import (
    claim_delete,
    claim_record,
    event_actor_add,
    event_refresh_verification,
    event_set_verdict,
)
from events.verification import event_verification
from sources.models import Report, ReportDerivation
from tests import factories as f

STANCES = ["asserts", "denies", "cannot_confirm", "confirms"]
SPEAKERS = ["A", "B", "outsider", "outlet", "spokesperson"]

operations = st.one_of(
    st.tuples(st.just("claim"), st.sampled_from(SPEAKERS), st.integers(0, 3), st.sampled_from(STANCES)),
    st.tuples(st.just("unclaim"), st.integers(0, 20)),
    st.tuples(st.just("derive"), st.integers(0, 3), st.integers(0, 3)),
    st.tuples(st.just("underive"), st.integers(0, 10)),
    st.tuples(st.just("affiliate"), st.sampled_from(["A", "B", None])),
    st.tuples(st.just("join"), st.sampled_from(["side_b", "associated_a"])),
    st.tuples(st.just("leave")),
    st.tuples(st.just("verdict"), st.sampled_from(["", "confirmed", "refuted"])),
)


def oracle(event: Event) -> str:
    if event.verdict:
        return event.verdict
    parties = set(EventActor.objects.filter(event=event).values_list("actor_id", flat=True))

    def top(actor):
        while actor.affiliation_id:
            actor = actor.affiliation
        return actor

    def voice(claim):
        actor = claim.claimant or claim.speaker or claim.report.source.operated_by
        return ("actor", top(actor).pk) if actor else ("source", claim.report.source_id)

    def party(claim):
        for actor in (claim.claimant, claim.speaker, claim.report.source.operated_by):
            while actor is not None:
                if actor.pk in parties:
                    return True
                actor = actor.affiliation
        return False

    claims = list(Claim.objects.filter(event=event))
    asserting = [c for c in claims if c.stance in ("asserts", "confirms")]
    denying = [c for c in claims if c.stance == "denies"]
    if any(voice(a) != voice(d) for a in asserting for d in denying):
        return "disputed"
    # Reports are dependent when linked by derivation (in any direction, transitively) or share a source.
    groups = {r.pk: {r.pk} for r in Report.objects.all()}
    pairs = list(ReportDerivation.objects.values_list("report_id", "derived_from_id"))
    reports = {r.pk: r.source_id for r in Report.objects.all()}
    pairs += [(a, b) for a in reports for b in reports if a != b and reports[a] == reports[b]]
    changed = True
    while changed:
        changed = False
        for a, b in pairs:
            if groups[a] is not groups[b]:
                merged = groups[a] | groups[b]
                for member in merged:
                    groups[member] = merged
                changed = True
    independent = {frozenset(groups[c.report_id]) for c in asserting}
    outsiders = [c for c in asserting if not party(c)]
    if len(independent) >= 2 and outsiders:
        return "corroborated"
    if asserting and not outsiders:
        return "claimed"
    if outsiders:
        return "reported"
    return "unverified"


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(operations, min_size=1, max_size=12))
# Sequences that must stay in the search whatever hypothesis draws: each flips the status through a
# change made away from the event itself (a derivation link, an affiliation, an actor role).
@example(
    steps=[
        ("claim", "outsider", 0, "asserts"),
        ("claim", "outlet", 1, "confirms"),
        ("derive", 0, 1),
        ("underive", 0),
    ]
)
@example(steps=[("claim", "spokesperson", 1, "asserts"), ("affiliate", None), ("affiliate", "B")])
@example(
    steps=[("claim", "outsider", 0, "asserts"), ("join", "side_b"), ("leave",), ("claim", "B", 2, "denies")]
)
def test_status_is_always_what_the_rules_say(django_user_model, steps):
    with transaction.atomic():
        world(steps, django_user_model)
        transaction.set_rollback(True)


def world(steps, django_user_model):
    reviewer = django_user_model.objects.create_user("reviewer-for-property-test")
    a, b = f.ActorFactory(name="Side A"), f.ActorFactory(name="Side B")
    outsider = f.ActorFactory(name="Observers")
    spokesperson = f.PersonFactory(name="Spokesperson", affiliation=a)
    event = f.EventFactory()
    event_actor_add(event=event, actor=a, role="side_a")
    event_actor_add(event=event, actor=b, role="side_b")
    sources = [f.SourceFactory(), f.SourceFactory(), f.SourceFactory()]
    reports = [f.ReportFactory(source=sources[0]), f.ReportFactory(source=sources[1]),
               f.ReportFactory(source=sources[2]), f.ReportFactory(source=sources[0])]  # fmt: skip
    who = {"A": {"claimant": a}, "B": {"claimant": b}, "outsider": {"claimant": outsider}, "outlet": {},
           "spokesperson": {"speaker": spokesperson}}  # fmt: skip
    for step in steps:
        kind = step[0]
        if kind == "claim":
            claim_record(event=event, report=reports[step[2]], stance=step[3], **who[step[1]])
        elif kind == "unclaim":
            claims = list(Claim.objects.filter(event=event).order_by("pk"))
            if claims:
                claim_delete(claim=claims[step[1] % len(claims)])
        elif kind == "derive" and step[1] != step[2]:
            ReportDerivation.objects.get_or_create(report=reports[step[1]], derived_from=reports[step[2]])
        elif kind == "underive":
            links = list(ReportDerivation.objects.order_by("pk"))
            if links:
                links[step[1] % len(links)].delete()
        elif kind == "affiliate":
            spokesperson.affiliation = {"A": a, "B": b, None: None}[step[1]]
            spokesperson.save()
        elif kind == "join" and not EventActor.objects.filter(event=event, actor=outsider).exists():
            event_actor_add(event=event, actor=outsider, role=step[1])
        elif kind == "leave":
            EventActor.objects.filter(event=event, actor=outsider).delete()
            event_refresh_verification(event=event)  # what every write path does after changing roles
        elif kind == "verdict":
            reason = "Checked by a reviewer." if step[1] else ""
            event_set_verdict(event=event, verdict=step[1], reason=reason, user=reviewer)
        event.refresh_from_db()
        assert event.verification == oracle(event), (steps, kind)
        result = event_verification(event)
        assert (event.verification_reason, event.independent_reports) == (
            result.reason,
            result.independent_reports,
        )
    assert Actor.objects.filter(pk=spokesperson.pk).exists()
