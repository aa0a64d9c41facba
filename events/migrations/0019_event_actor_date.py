# Written by hand: the role table carries its event's date, so that a page of one actor's events in date
# order reads that page's entries of the (actor, event_date, event) index, not every event of the actor.
# The column is added empty, filled from the events, then made required.

from django.db import migrations, models

FILL = (
    "UPDATE events_eventactor SET event_date = "
    "(SELECT e.date_start FROM events_event e WHERE e.id = events_eventactor.event_id)"
)


class Migration(migrations.Migration):
    dependencies = [("events", "0018_indexes_cover_the_lists")]

    operations = [
        migrations.AddField(
            model_name="eventactor",
            name="event_date",
            field=models.DateField(editable=False, null=True),
        ),
        migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="eventactor",
            name="event_date",
            field=models.DateField(editable=False, help_text="The event's date_start, copied for the index."),
        ),
        migrations.RemoveIndex(model_name="eventactor", name="event_actor_actor_event"),
        migrations.AddIndex(
            model_name="eventactor",
            index=models.Index(fields=["actor", "event_date", "event"], name="event_actor_actor_date"),
        ),
    ]
