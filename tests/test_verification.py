"""The verification rules of PRODUCT.md, one scenario each, on factory data."""

import pytest

from actors.services import actor_save
from events.models import Claim, EventActor, Verification
from events.services import claim_record, event_save, event_set_verdict
from events.verification import events_rederive
from sources.services import report_save
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def clash():
    """An event between two parties, each with a spokesperson."""
    event = f.EventFactory()
    side_a, side_b = f.ActorFactory(name="Front"), f.ActorFactory(name="Government")
    event_save(
        event=event, fields=[], actors=[(side_a, EventActor.Role.SIDE_A), (side_b, EventActor.Role.SIDE_B)]
    )
    event.side_a, event.side_b = side_a, side_b
    event.spokesperson_a = f.PersonFactory(name="Front spokesperson", affiliation=side_a)
    return event


def refreshed(event):
    event.refresh_from_db()
    return event


def test_an_event_without_claims_is_unverified(clash):
    events_rederive([clash.pk])
    assert refreshed(clash).verification == Verification.UNVERIFIED
    assert clash.verification_reason == "Unverified: no claim asserts it."


def test_a_party_assertion_alone_is_claimed(clash):
    claim_record(event=clash, report=f.ReportFactory(), stance="asserts", claimant=clash.side_a)
    assert refreshed(clash).verification == Verification.CLAIMED
    assert "asserted only by a party to the event, Front in " in clash.verification_reason


def test_a_spokesperson_of_a_party_counts_as_the_party(clash):
    claim_record(event=clash, report=f.ReportFactory(), stance="asserts", speaker=clash.spokesperson_a)
    assert refreshed(clash).verification == Verification.CLAIMED


def test_a_partys_own_channel_counts_as_the_party(clash):
    channel = f.SourceFactory(name="Front on social media", operated_by=clash.spokesperson_a)
    claim_record(event=clash, report=f.ReportFactory(source=channel), stance="asserts")
    assert refreshed(clash).verification == Verification.CLAIMED


def test_one_independent_report_is_reported(clash):
    claim_record(event=clash, report=f.ReportFactory(), stance="asserts", claimant=None)
    assert refreshed(clash).verification == Verification.REPORTED
    assert clash.independent_reports == 1


def test_two_independent_reports_with_a_non_party_are_corroborated(clash):
    claim_record(event=clash, report=f.ReportFactory(), stance="asserts", claimant=clash.side_a)
    claim_record(event=clash, report=f.ReportFactory(), stance="confirms", claimant=None)
    assert refreshed(clash).verification == Verification.CORROBORATED
    assert clash.independent_reports == 2


def test_two_reports_by_parties_only_stay_claimed(clash):
    claim_record(event=clash, report=f.ReportFactory(), stance="asserts", claimant=clash.side_a)
    claim_record(event=clash, report=f.ReportFactory(), stance="asserts", claimant=clash.side_b)
    assert refreshed(clash).verification == Verification.CLAIMED


def test_two_reports_from_one_source_are_not_independent(clash):
    outlet = f.SourceFactory()
    claim_record(event=clash, report=f.ReportFactory(source=outlet), stance="asserts", claimant=None)
    claim_record(event=clash, report=f.ReportFactory(source=outlet), stance="asserts", claimant=None)
    assert refreshed(clash).verification == Verification.REPORTED
    assert clash.independent_reports == 1


def test_a_republished_wire_story_does_not_count_twice(clash):
    wire = f.ReportFactory(source=f.SourceFactory(kind="wire"))
    copy_one = f.ReportDerivationFactory(derived_from=wire).report
    copy_two = f.ReportDerivationFactory(derived_from=wire).report
    claim_record(event=clash, report=copy_one, stance="asserts", claimant=None)
    claim_record(event=clash, report=copy_two, stance="asserts", claimant=None)
    assert refreshed(clash).verification == Verification.REPORTED
    assert clash.independent_reports == 1


def test_linking_two_reports_later_re_derives_the_status(clash):
    first, second = f.ReportFactory(), f.ReportFactory()
    claim_record(event=clash, report=first, stance="asserts", claimant=None)
    claim_record(event=clash, report=second, stance="asserts", claimant=None)
    assert refreshed(clash).verification == Verification.CORROBORATED
    report_save(report=second, derived_from=[(first, "republishes")])
    assert refreshed(clash).verification == Verification.REPORTED


def test_assertion_and_denial_by_different_claimants_is_disputed(clash):
    claim_record(event=clash, report=f.ReportFactory(), stance="asserts", claimant=clash.side_a)
    claim_record(event=clash, report=f.ReportFactory(), stance="confirms", claimant=None)
    claim_record(event=clash, report=f.ReportFactory(), stance="denies", claimant=clash.side_b)
    assert refreshed(clash).verification == Verification.DISPUTED
    assert "asserted by Front" in clash.verification_reason
    assert "denied by Government" in clash.verification_reason


def test_a_claimant_contradicting_itself_is_not_a_dispute(clash):
    claim_record(event=clash, report=f.ReportFactory(), stance="asserts", claimant=clash.side_a)
    claim_record(event=clash, report=f.ReportFactory(), stance="denies", speaker=clash.spokesperson_a)
    assert refreshed(clash).verification == Verification.CLAIMED


def test_cannot_confirm_is_shown_but_is_not_an_assertion(clash):
    outlet = f.SourceFactory(name="The Daily")
    claim_record(event=clash, report=f.ReportFactory(source=outlet), stance="cannot_confirm", claimant=None)
    assert refreshed(clash).verification == Verification.UNVERIFIED
    assert "The Daily could not confirm it." in clash.verification_reason


def test_an_editor_verdict_wins_and_carries_its_reason(clash, django_user_model):
    editor = django_user_model.objects.create_user("reviewer-ana")
    claim_record(event=clash, report=f.ReportFactory(), stance="asserts", claimant=clash.side_a)
    claim_record(event=clash, report=f.ReportFactory(), stance="denies", claimant=clash.side_b)
    event_set_verdict(
        event=clash, verdict="confirmed", reason="Satellite imagery shows the damage.", user=editor
    )
    assert refreshed(clash).verification == Verification.CONFIRMED
    assert clash.verification_reason == "Editor verdict: confirmed. Satellite imagery shows the damage."
    assert (clash.verdict_by, clash.verdict_at is not None) == (editor, True)  # staff see who, the public not


def test_a_verdict_without_a_reason_is_refused_and_nothing_changes(clash, django_user_model):
    from django.core.exceptions import ValidationError

    editor = django_user_model.objects.create_user("editor")
    with pytest.raises(ValidationError) as refused:
        event_set_verdict(event=clash, verdict="refuted", reason="  ", user=editor)
    assert "verdict_reason" in refused.value.message_dict
    assert refreshed(clash).verdict == ""


def test_changing_an_actors_affiliation_re_derives_the_status(clash):
    outsider = f.PersonFactory(name="Analyst")
    claim_record(event=clash, report=f.ReportFactory(), stance="asserts", speaker=outsider)
    assert refreshed(clash).verification == Verification.REPORTED
    outsider.affiliation = clash.side_b
    actor_save(actor=outsider)
    assert refreshed(clash).verification == Verification.CLAIMED


def test_claim_record_refuses_bad_input_and_writes_nothing(clash):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        claim_record(event=clash, report=f.ReportFactory(), stance="whispers", claimant=clash.side_a)
    assert not Claim.objects.filter(event=clash).exists()
