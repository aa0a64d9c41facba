"""Figures that cannot both be true dispute casualties only: the events whose attribution or territorial-control
claims give figures are derived again (events.verification.rules.derive; only those could change)."""

from django.db import migrations
from django.db.models import Q


def rederive_events_with_figures_on_other_subjects(apps, schema_editor):
    Claim = apps.get_model("events", "Claim")
    ids = set(
        Claim.objects.filter(subject__in=["attribution", "territorial_control"])
        .filter(Q(claimed_fatalities_low__isnull=False) | Q(claimed_fatalities_high__isnull=False))
        .values_list("event_id", flat=True)
    )
    if ids:
        from events.verification import events_rederive

        events_rederive(ids)


class Migration(migrations.Migration):
    dependencies = [("events", "0016_date_index_holds_place_and_deletion")]

    operations = [migrations.RunPython(rederive_events_with_figures_on_other_subjects, migrations.RunPython.noop)]
