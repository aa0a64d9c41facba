from django.core.exceptions import ValidationError
from django.db import transaction

from core.deferred import deferred
from core.integrity import integrity_errors_as_validation, validate_for_write

from .models import Report, ReportDerivation, Source


def source_save(*, source: Source) -> Source:
    validate_for_write(source)
    with integrity_errors_as_validation(), transaction.atomic(savepoint=False), deferred():
        source.save()
    return source


def report_save(*, report: Report, derived_from: list[tuple[Report, str]] | None = None) -> Report:
    """Validate and save a report; with `derived_from`, make its derivation links exactly those.

    Each link is one INSERT (and its history row); the events citing the linked reports are re-derived
    once at the end, however many links changed.
    """
    validate_for_write(report)
    wanted: dict[int, ReportDerivation] = {}
    for other, relation in derived_from or []:
        if other.pk in wanted:
            raise ValidationError({"derived_from": [f"Report {other.pk} is listed twice."]})
        link = ReportDerivation(report=report, derived_from=other, relation=relation)
        validate_for_write(link, exclude={"report"})
        wanted[other.pk] = link
    with integrity_errors_as_validation(), transaction.atomic(savepoint=False), deferred():
        creating = report.pk is None
        report.save()
        if derived_from is None:
            return report
        current = {} if creating else {link.derived_from_id: link for link in report.derivations.all()}
        for other_id, link in current.items():
            if other_id not in wanted:
                link.delete()
        for other_id, link in wanted.items():
            existing = current.get(other_id)
            if existing is None:
                link.report = report
                link.save()
            elif existing.relation != link.relation:
                existing.relation = link.relation
                existing.save(update_fields=["relation"])
    return report
