"""Recording what a claimant said about an event: one writer for every path."""

import datetime

from django.db import transaction

from actors.models import Actor
from core.integrity import integrity_errors_as_validation, validate_for_write
from sources.models import Report

from ..models import Claim, Event
from ..verification import deferred


def claim_save(*, claim: Claim) -> Claim:
    """Validate and save a new or changed claim; its event (and one it moved from) is re-derived."""
    validate_for_write(claim)
    with integrity_errors_as_validation(), transaction.atomic(savepoint=False), deferred():
        claim.save()
    return claim


def claim_record(
    *,
    event: Event,
    report: Report,
    stance: str,
    claimant: Actor | None = None,
    speaker: Actor | None = None,
    subject: str = Claim.Subject.OCCURRENCE,
    casualties_of: str = Claim.CasualtiesOf.ALL,
    quote: str = "",
    claimed_fatalities_low: int | None = None,
    claimed_fatalities_high: int | None = None,
    claimed_on: datetime.date | None = None,
    notes: str = "",
) -> Claim:
    """Record what a claimant said about an event in a report (a new claim, through `claim_save`)."""
    return claim_save(
        claim=Claim(
            event=event,
            report=report,
            stance=stance,
            claimant=claimant,
            speaker=speaker,
            subject=subject,
            casualties_of=casualties_of,
            quote=quote,
            claimed_fatalities_low=claimed_fatalities_low,
            claimed_fatalities_high=claimed_fatalities_high,
            claimed_on=claimed_on,
            notes=notes,
        )
    )


def claim_delete(*, claim: Claim) -> None:
    with transaction.atomic(savepoint=False), deferred():
        claim.delete()
