"""ApiToken moves here from the project package (app `conflict_events`) without rebuilding its table.

The model enters the state only; the RunPython then adopts the old table (`conflict_events_apitoken`) by
renaming it, or creates the table on a database that never had it. The old content type is renamed too,
so that permissions and admin log entries about tokens follow the model. The RunPython is a separate
operation, after the state change, because only then does `apps` know the historical ApiToken.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.migrations.recorder import MigrationRecorder

OLD_APP = "conflict_events"
OLD_TABLE = "conflict_events_apitoken"


def adopt_or_create_table(apps, schema_editor):
    model = apps.get_model("access", "ApiToken")
    if OLD_TABLE in schema_editor.connection.introspection.table_names():
        schema_editor.alter_db_table(model, OLD_TABLE, model._meta.db_table)
        content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
        if not content_types.filter(app_label="access", model="apitoken").exists():
            content_types.filter(app_label=OLD_APP, model="apitoken").update(app_label="access")
    else:
        schema_editor.create_model(model)


def return_or_drop_table(apps, schema_editor):
    """Give the table back to the old app if it came from there; otherwise drop it."""
    model = apps.get_model("access", "ApiToken")
    recorder = MigrationRecorder(schema_editor.connection)
    if recorder.migration_qs.filter(app=OLD_APP, name="0001_initial").exists():
        schema_editor.alter_db_table(model, model._meta.db_table, OLD_TABLE)
        content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
        if not content_types.filter(app_label=OLD_APP, model="apitoken").exists():
            content_types.filter(app_label="access", model="apitoken").update(app_label=OLD_APP)
    else:
        schema_editor.delete_model(model)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ApiToken',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(blank=True, help_text="What the token is for, e.g. 'newsroom import'.", max_length=100)),
                        ('prefix', models.CharField(db_index=True, editable=False, max_length=8)),
                        ('key_hash', models.CharField(editable=False, max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'API token',
                        'ordering': ['-created_at'],
                    },
                ),
            ],
        ),
        migrations.RunPython(adopt_or_create_table, return_or_drop_table),
    ]
