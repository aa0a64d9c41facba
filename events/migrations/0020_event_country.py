# Written by hand: each event carries the country of its place (derived, like a role's event_date), so
# that a page of one country's events in date order reads that page's entries of the (country, date, id)
# index, not the date index walked testing each event's place. Added empty, filled from the places'
# materialised paths ("/1/8/": country 1; "/": the place is itself a country), then indexed.

import django.db.models.deletion
from django.db import migrations, models

COUNTRY_OF_PATH = {
    "sqlite": "CASE WHEN l.path = '/' THEN l.id "
    "ELSE CAST(substr(l.path, 2, instr(substr(l.path, 2), '/') - 1) AS integer) END",
    "postgresql": "CASE WHEN l.path = '/' THEN l.id ELSE split_part(l.path, '/', 2)::integer END",
}


def fill(apps, schema_editor):
    country = COUNTRY_OF_PATH.get(schema_editor.connection.vendor)
    if country is None:
        raise NotImplementedError(f"No fill for {schema_editor.connection.vendor}")
    schema_editor.execute(
        f"UPDATE events_event SET country_id = "
        f"(SELECT {country} FROM locations_location l WHERE l.id = events_event.location_id)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0019_event_actor_date"),
        ("locations", "0003_history_indexed_by_object_and_date"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="country",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                help_text="The country of the place (derived).",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="locations.location",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["country", "date_start", "id"],
                name="event_country_date",
            ),
        ),
    ]
