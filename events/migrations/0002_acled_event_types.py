"""Seed the event-type vocabulary with ACLED's six event types and 25 sub-event types."""

from django.db import migrations
from django.utils.text import slugify

ACLED_TYPES = {
    "Battles": ["Armed clash", "Government regains territory", "Non-state actor overtakes territory"],
    "Explosions/Remote violence": [
        "Chemical weapon",
        "Air/drone strike",
        "Suicide bomb",
        "Shelling/artillery/missile attack",
        "Remote explosive/landmine/IED",
        "Grenade",
    ],
    "Violence against civilians": ["Sexual violence", "Attack", "Abduction/forced disappearance"],
    "Protests": ["Peaceful protest", "Protest with intervention", "Excessive force against protesters"],
    "Riots": ["Violent demonstration", "Mob violence"],
    "Strategic developments": [
        "Agreement",
        "Arrests",
        "Change to group/activity",
        "Disrupted weapons use",
        "Headquarters or base established",
        "Looting/property destruction",
        "Non-violent transfer of territory",
        "Other",
    ],
}


def slug(name: str) -> str:
    return slugify(name.replace("/", " "))


def seed(apps, schema_editor):
    EventType = apps.get_model("events", "EventType")
    SubEventType = apps.get_model("events", "SubEventType")
    for type_name, sub_names in ACLED_TYPES.items():
        event_type, _ = EventType.objects.get_or_create(slug=slug(type_name), defaults={"name": type_name})
        for sub_name in sub_names:
            SubEventType.objects.get_or_create(
                slug=slug(sub_name), defaults={"name": sub_name, "event_type": event_type}
            )


def unseed(apps, schema_editor):
    SubEventType = apps.get_model("events", "SubEventType")
    EventType = apps.get_model("events", "EventType")
    SubEventType.objects.filter(slug__in=[slug(s) for subs in ACLED_TYPES.values() for s in subs]).delete()
    EventType.objects.filter(slug__in=[slug(t) for t in ACLED_TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
