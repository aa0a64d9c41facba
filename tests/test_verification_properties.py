"""Property test: after any sequence of changes, through any path users take, the stored status is right.

Each change goes through one of the production paths, drawn at random: the API (as an SDK or script
writes), the admin's forms (as a curator does), or plain ORM saves and deletes (as a shell user or a data
migration does). After every step the stored statuses — the event's and each subject's (attribution,
casualties, territorial control) — must equal both an independent oracle, which restates PRODUCT.md's rules
with no shared code, and a from-scratch recomputation by the owner, field by field.
"""

import pytest
from django.db import transaction
from django.test import Client, TestCase
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from actors.models import Actor
from events.models import EVENT_DERIVED_FIELDS, Claim, Event, EventActor, SubEventType
from events.verification import event_verification, events_rederive
from sources.models import Report, ReportDerivation
from tests import factories as f
from tests.test_admin import _change_form_data, _form_values

STANCES = ["asserts", "denies", "cannot_confirm", "confirms"]
SPEAKERS = ["A", "B", "outsider", "outlet", "spokesperson"]
PATHS = ["api", "admin", "orm"]
SUBJECTS = ["occurrence", "attribution", "casualties", "territorial_control"]
SIDES = ["", "side_a", "side_b", "civilians"]
FIGURES = [(None, None), (0, 0), (6, 6), (13, None), (2, 8), (20, 30)]
CONTROL_CHANGES = {"government-regains-territory", "non-state-actor-overtakes-territory",
                   "non-violent-transfer-of-territory"}  # fmt: skip

operations = st.one_of(
    st.tuples(st.just("claim"), st.sampled_from(SPEAKERS), st.integers(0, 3), st.sampled_from(STANCES),
              st.sampled_from(PATHS)),
    st.tuples(st.just("unclaim"), st.integers(0, 20), st.sampled_from(PATHS)),
    st.tuples(st.just("derive"), st.integers(0, 3), st.integers(0, 3), st.sampled_from(["api", "orm"])),
    st.tuples(st.just("underive"), st.integers(0, 10), st.sampled_from(["api", "orm"])),
    st.tuples(st.just("affiliate"), st.sampled_from(["A", "B", None]), st.sampled_from(PATHS)),
    st.tuples(st.just("join"), st.sampled_from(["side_b", "associated_a"]), st.sampled_from(PATHS)),
    st.tuples(st.just("leave"), st.sampled_from(PATHS)),
    st.tuples(st.just("verdict"), st.sampled_from(["", "confirmed", "refuted"]), st.sampled_from(["api", "admin"])),
    st.tuples(st.just("claim_about"), st.sampled_from(SPEAKERS), st.integers(0, 3), st.sampled_from(STANCES),
              st.sampled_from(SUBJECTS), st.sampled_from(SIDES), st.sampled_from(FIGURES), st.sampled_from(PATHS)),
    st.tuples(st.just("retype"), st.sampled_from(["armed-clash", "non-state-actor-overtakes-territory"]),
              st.sampled_from(["api", "orm"])),
)  # fmt: skip


def gives_figure(claim) -> bool:
    return claim.claimed_fatalities_low is not None or claim.claimed_fatalities_high is not None


def about(event: Event, subject: str) -> list[Claim]:
    """The claims that bear on one subject: the event's headline (occurrence) or another subject."""
    claims = list(Claim.objects.filter(event=event))
    change = event.sub_event_type.slug in CONTROL_CHANGES
    if subject == "occurrence":
        return [c for c in claims if c.subject == "occurrence" or c.stance in ("asserts", "confirms")
                or (change and c.subject == "territorial_control")]  # fmt: skip
    if subject == "casualties":
        return [c for c in claims if c.subject == "casualties" or gives_figure(c)]
    return [c for c in claims if c.subject == subject]


def oracle(event: Event, subject: str = "occurrence") -> str:
    claims = about(event, subject)
    if subject != "occurrence" and not claims:
        return ""
    if subject == "territorial_control" and event.sub_event_type.slug in CONTROL_CHANGES:
        return oracle(event)  # a change of control: its control is whether it happened
    if event.verdict and subject == "occurrence":
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

    def same_dead(a, d):
        return subject != "casualties" or not d.casualties_of or d.casualties_of == a.casualties_of

    def apart(a, b):
        if not (gives_figure(a) and gives_figure(b)):
            return False
        a_high = a.claimed_fatalities_high if a.claimed_fatalities_high is not None else 10**9
        b_high = b.claimed_fatalities_high if b.claimed_fatalities_high is not None else 10**9
        return a_high < (b.claimed_fatalities_low or 0) or b_high < (a.claimed_fatalities_low or 0)

    asserting = [c for c in claims if c.stance in ("asserts", "confirms")]
    denying = [c for c in claims if c.stance == "denies"]
    if any(voice(a) != voice(d) and same_dead(a, d) for a in asserting for d in denying):
        return "disputed"
    if subject == "casualties" and any(
        voice(a) != voice(b) and a.casualties_of == b.casualties_of and apart(a, b)
        for a in asserting
        for b in asserting
    ):
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
# change made away from the event itself (a derivation link, an affiliation, an actor role), by each path.
@example(
    steps=[
        ("claim", "outsider", 0, "asserts", "orm"),
        ("claim", "outlet", 1, "confirms", "admin"),
        ("derive", 0, 1, "orm"),
        ("underive", 0, "api"),
    ]
)
@example(
    steps=[
        ("claim", "spokesperson", 1, "asserts", "api"),
        ("affiliate", None, "orm"),
        ("affiliate", "B", "admin"),
    ]
)
@example(
    steps=[
        ("claim", "outsider", 0, "asserts", "admin"),
        ("join", "side_b", "admin"),
        ("leave", "orm"),
        ("claim", "B", 2, "denies", "orm"),
        ("unclaim", 0, "admin"),
        ("verdict", "refuted", "admin"),
    ]
)
@example(
    steps=[
        ("claim", "A", 0, "asserts", "api"),
        ("claim_about", "A", 0, "asserts", "casualties", "side_b", (13, None), "api"),
        ("claim_about", "A", 0, "asserts", "casualties", "side_a", (6, 6), "admin"),
        ("claim_about", "B", 1, "denies", "casualties", "side_b", (None, None), "orm"),
        ("claim_about", "B", 1, "denies", "territorial_control", "", (None, None), "api"),
        ("retype", "non-state-actor-overtakes-territory", "api"),
        ("verdict", "refuted", "admin"),
        ("retype", "armed-clash", "orm"),
    ]
)
@example(
    steps=[
        ("claim_about", "spokesperson", 0, "asserts", "casualties", "side_a", (6, 6), "api"),
        ("claim_about", "B", 1, "denies", "casualties", "side_b", (None, None), "admin"),
        ("claim_about", "outsider", 2, "asserts", "casualties", "side_a", (20, 30), "orm"),
    ]
)
# Two parties asserting who was behind it, with death tolls that cannot both be true: attribution is claimed
# (the tolls dispute the casualties, not the perpetrator).
@example(
    steps=[
        ("claim", "A", 0, "asserts", "api"),
        ("claim_about", "A", 0, "asserts", "attribution", "", (0, 0), "api"),
        ("claim_about", "B", 0, "asserts", "attribution", "", (6, 6), "orm"),
    ]
)
# A party and an outsider, each through its own outlet; then the outsider's report turns out to republish a
# story of the party's outlet (a report not cited itself): one voice, no longer corroborated.
@example(
    steps=[
        ("claim", "A", 0, "asserts", "api"),
        ("claim_about", "outsider", 1, "asserts", "occurrence", "", (None, None), "api"),
        ("derive", 1, 3, "api"),
    ]
)
def test_status_is_always_what_the_rules_say(django_user_model, steps):
    with transaction.atomic():
        World(django_user_model).run(steps)
        transaction.set_rollback(True)


SUBJECT_COLUMNS = {
    "attribution": "attribution_verification",
    "casualties": "casualties_verification",
    "territorial_control": "control_verification",
}


class World:
    """Two parties to one event, an outsider, a spokesperson, three outlets and four reports."""

    def __init__(self, django_user_model):
        self.user = django_user_model.objects.create_superuser("curator-prop", "c@example.org", "pw")
        self.api = APIClient()
        self.api.force_authenticate(self.user)
        self.admin = Client()
        self.admin.force_login(self.user)
        with TestCase.captureOnCommitCallbacks(execute=True):
            self.a, self.b = f.ActorFactory(name="Side A"), f.ActorFactory(name="Side B")
            self.outsider = f.ActorFactory(name="Observers")
            self.spokesperson = f.PersonFactory(name="Spokesperson", affiliation=self.a)
            self.event = f.EventFactory()
            EventActor.objects.create(event=self.event, actor=self.a, role="side_a")
            EventActor.objects.create(event=self.event, actor=self.b, role="side_b")
            sources = [f.SourceFactory(), f.SourceFactory(), f.SourceFactory()]
            self.reports = [f.ReportFactory(source=sources[0]), f.ReportFactory(source=sources[1]),
                            f.ReportFactory(source=sources[2]), f.ReportFactory(source=sources[0])]  # fmt: skip
        self.who = {"A": {"claimant": self.a}, "B": {"claimant": self.b}, "outsider": {"claimant": self.outsider},
                    "outlet": {}, "spokesperson": {"speaker": self.spokesperson}}  # fmt: skip

    def run(self, steps):
        for step in steps:
            kind, *args, path = step
            # Plain ORM writes inside a transaction are re-derived at its commit: let the commit happen.
            with TestCase.captureOnCommitCallbacks(execute=True):
                getattr(self, kind)(path, *args)
            event = Event.all_objects.get(pk=self.event.pk)
            assert event.verification == oracle(event), (steps, step)
            for subject, column in SUBJECT_COLUMNS.items():
                assert getattr(event, column) == oracle(event, subject), (subject, steps, step)
            stored = {name: getattr(event, name) for name in EVENT_DERIVED_FIELDS}
            assert stored == event_verification(event).fields()
            assert events_rederive([event.pk]) == 0
        assert Actor.objects.filter(pk=self.spokesperson.pk).exists()

    def ok(self, response, *codes):
        assert response.status_code in codes, (response.status_code, getattr(response, "content", b"")[:500])

    # --- each change, by each path ---------------------------------------------------------------

    def claim(self, path, speaker, report_index, stance):
        who = self.who[speaker]
        report = self.reports[report_index]
        if path == "orm":
            Claim.objects.create(event=self.event, report=report, stance=stance, **who)
        elif path == "api":
            body = {"event": self.event.pk, "report": report.pk, "stance": stance}
            body.update({k: v.pk for k, v in who.items()})
            self.ok(self.api.post("/api/v1/claims/", body, format="json"), 201)
        else:
            page = self.admin.get(reverse("admin:events_claim_add"))
            data = _form_values(page.context["adminform"].form)
            data.update(
                {"event": self.event.pk, "report": report.pk, "stance": stance, "subject": "occurrence"}
            )
            data.update({k: v.pk for k, v in who.items()})
            self.ok(self.admin.post(reverse("admin:events_claim_add"), data), 302)

    def claim_about(self, path, speaker, report_index, stance, subject, side, figures):
        who = self.who[speaker]
        fields = {
            "report": self.reports[report_index], "stance": stance, "subject": subject,
            "casualties_of": side if subject == "casualties" else "",
            "claimed_fatalities_low": figures[0], "claimed_fatalities_high": figures[1], **who,
        }  # fmt: skip
        if path == "orm":
            Claim.objects.create(event=self.event, **fields)
            return
        values = {k: (v.pk if hasattr(v, "pk") else v) for k, v in fields.items()}
        if path == "api":
            body = {"event": self.event.pk, **values}
            self.ok(self.api.post("/api/v1/claims/", body, format="json"), 201)
        else:
            page = self.admin.get(reverse("admin:events_claim_add"))
            data = _form_values(page.context["adminform"].form)
            data.update({k: "" if v is None else v for k, v in values.items()}, event=self.event.pk)
            self.ok(self.admin.post(reverse("admin:events_claim_add"), data), 302)

    def retype(self, path, slug):
        if path == "orm":
            event = Event.all_objects.get(pk=self.event.pk)
            event.sub_event_type = SubEventType.objects.get(slug=slug)
            event.event_type = event.sub_event_type.event_type
            event.save()
        else:
            body = {"sub_event_type": slug}
            self.ok(self.api.patch(f"/api/v1/events/{self.event.pk}/", body, format="json"), 200)

    def unclaim(self, path, index):
        claims = list(Claim.objects.filter(event=self.event).order_by("pk"))
        if not claims:
            return
        claim = claims[index % len(claims)]
        if path == "orm":
            claim.delete()
        elif path == "api":
            self.ok(self.api.delete(f"/api/v1/claims/{claim.pk}/"), 204)
        else:
            self.ok(
                self.admin.post(reverse("admin:events_claim_delete", args=[claim.pk]), {"post": "yes"}), 302
            )

    def derive(self, path, source, target):
        if source == target:
            return
        report, original = self.reports[source], self.reports[target]
        if path == "orm":
            ReportDerivation.objects.get_or_create(report=report, derived_from=original)
        else:
            links = [
                {"report": link.derived_from_id, "relation": link.relation}
                for link in report.derivations.all()
            ]
            if original.pk not in {link["report"] for link in links}:
                links.append({"report": original.pk, "relation": "republishes"})
            self.ok(
                self.api.patch(f"/api/v1/reports/{report.pk}/", {"derived_from": links}, format="json"), 200
            )

    def underive(self, path, index):
        links = list(ReportDerivation.objects.order_by("pk"))
        if not links:
            return
        link = links[index % len(links)]
        if path == "orm":
            link.delete()
        else:
            report = Report.objects.get(pk=link.report_id)
            kept = [{"report": other.derived_from_id, "relation": other.relation}
                    for other in report.derivations.exclude(pk=link.pk)]  # fmt: skip
            self.ok(
                self.api.patch(f"/api/v1/reports/{report.pk}/", {"derived_from": kept}, format="json"), 200
            )

    def affiliate(self, path, to):
        target = {"A": self.a, "B": self.b, None: None}[to]
        person = Actor.objects.get(pk=self.spokesperson.pk)
        if path == "orm":
            person.affiliation = target
            person.save()
        elif path == "api":
            body = {"affiliation": target.pk if target else None}
            self.ok(self.api.patch(f"/api/v1/actors/{person.pk}/", body, format="json"), 200)
        else:
            data = _change_form_data(self.admin, person)
            data["affiliation"] = target.pk if target else ""
            self.ok(self.admin.post(reverse("admin:actors_actor_change", args=[person.pk]), data), 302)

    def _roles_by_api(self, roles):
        body = {"actors": [{"actor": actor_id, "role": role} for actor_id, role in roles]}
        self.ok(self.api.patch(f"/api/v1/events/{self.event.pk}/", body, format="json"), 200)

    def join(self, path, role):
        if EventActor.objects.filter(event=self.event, actor=self.outsider).exists():
            return
        if path == "orm":
            EventActor.objects.create(event=self.event, actor=self.outsider, role=role)
        elif path == "api":
            current = list(EventActor.objects.filter(event=self.event).values_list("actor_id", "role"))
            self._roles_by_api([*current, (self.outsider.pk, role)])
        else:
            data = _change_form_data(self.admin, Event.all_objects.get(pk=self.event.pk))
            n = int(data["event_actors-TOTAL_FORMS"])
            data.update({"event_actors-TOTAL_FORMS": str(n + 1), f"event_actors-{n}-event": str(self.event.pk),
                         f"event_actors-{n}-actor": str(self.outsider.pk), f"event_actors-{n}-role": role})  # fmt: skip
            self.ok(self.admin.post(reverse("admin:events_event_change", args=[self.event.pk]), data), 302)

    def leave(self, path):
        role = EventActor.objects.filter(event=self.event, actor=self.outsider).first()
        if role is None:
            return
        if path == "orm":
            role.delete()
        elif path == "api":
            current = EventActor.objects.filter(event=self.event).exclude(pk=role.pk)
            self._roles_by_api(current.values_list("actor_id", "role"))
        else:
            data = _change_form_data(self.admin, Event.all_objects.get(pk=self.event.pk))
            index = next(k.split("-")[1] for k, v in data.items() if k.endswith("-id") and v == str(role.pk))
            data[f"event_actors-{index}-DELETE"] = "on"
            self.ok(self.admin.post(reverse("admin:events_event_change", args=[self.event.pk]), data), 302)

    def verdict(self, path, verdict):
        reason = "Checked by a reviewer." if verdict else ""
        if path == "api":
            body = {"verdict": verdict or None, "reason": reason}
            self.ok(self.api.post(f"/api/v1/events/{self.event.pk}/verdict/", body, format="json"), 200)
        else:
            data = _change_form_data(self.admin, Event.all_objects.get(pk=self.event.pk))
            data.update({"verdict": verdict, "verdict_reason": reason})
            self.ok(self.admin.post(reverse("admin:events_event_change", args=[self.event.pk]), data), 302)
