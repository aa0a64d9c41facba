# An index on the lower-cased acronym of the actors that have one, for searches that match an acronym in any
# case (actors.selectors.acronym_is).

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("actors", "0004_history_indexed_by_object_and_date"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="actor",
            index=models.Index(
                django.db.models.functions.text.Lower("acronym"),
                condition=models.Q(("acronym", ""), _negated=True),
                name="actor_acronym_lower",
            ),
        ),
    ]
