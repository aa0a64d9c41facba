# The event type's own index gives way to (event type, date start), which serves the same lookups and reads
# a type's events in date order. The field's index is dropped by name: on SQLite, altering the field would
# copy the whole events table to drop one index.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0013_event_actor_event_role_index'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "events_event_event_type_id_000b97e2"',
                    reverse_sql='CREATE INDEX "events_event_event_type_id_000b97e2" ON "events_event" ("event_type_id")',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='event',
                    name='event_type',
                    field=models.ForeignKey(db_index=False, help_text="ACLED event type (or a curator's extension).", on_delete=django.db.models.deletion.PROTECT, related_name='events', to='events.eventtype'),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['event_type', 'date_start'], name='event_type_date'),
        ),
    ]
