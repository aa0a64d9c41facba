from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr

from conflict_events.aliases import aliases_replace

from .models import Location, LocationAlias


@transaction.atomic
def location_save(*, location: Location) -> Location:
    """Validate and save a location, moving its whole subtree with it when its parent changes."""
    old_prefix = None
    if location.pk is not None:
        old = Location.objects.filter(pk=location.pk).only("path").first()
        old_prefix = old.descendant_path_prefix if old else None
    location.full_clean()
    location.save()
    new_prefix = location.descendant_path_prefix
    if old_prefix and old_prefix != new_prefix:
        # One UPDATE rewrites every descendant's path; the tree stays consistent inside the transaction.
        Location.objects.filter(path__startswith=old_prefix).update(
            path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1))
        )
    return location


@transaction.atomic
def location_set_aliases(*, location: Location, names: list[str]) -> None:
    """Make the place's aliases exactly `names` (validated like any alias: unique, not blank)."""

    aliases_replace(
        aliases=location.aliases, names=names, build=lambda name: LocationAlias(location=location, name=name)
    )
