"""The date index also holds the place and the deletion mark, so that a country's page walks it without
reading each event from the table (models.Event.Meta.indexes)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('actors', '0004_history_indexed_by_object_and_date'),
        ('events', '0015_statistics_read_from_the_place_index'),
        ('locations', '0003_history_indexed_by_object_and_date'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='event',
            name='event_date_start_id',
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['date_start', 'id', 'location', 'deleted_at'], name='event_date_start_id'),
        ),
    ]
