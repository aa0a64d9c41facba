from django.db import transaction

from .models import Report, ReportDerivation


@transaction.atomic
def report_save(*, report: Report, derived_from: list[tuple[Report, str]] | None = None) -> Report:
    """Validate and save a report; with `derived_from`, make its derivation links exactly those."""
    report.full_clean()
    report.save()
    if derived_from is not None:
        wanted = {(other.pk, relation) for other, relation in derived_from}
        for link in report.derivations.all():
            if (link.derived_from_id, link.relation) not in wanted:
                link.delete()
        existing = {(link.derived_from_id, link.relation) for link in report.derivations.all()}
        for other, relation in derived_from:
            if (other.pk, relation) not in existing:
                link = ReportDerivation(report=report, derived_from=other, relation=relation)
                link.full_clean()
                link.save()
                existing.add((other.pk, relation))
    return report
