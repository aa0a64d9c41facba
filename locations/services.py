from django.db import transaction

from core.aliases import aliases_replace
from core.integrity import integrity_errors_as_validation, validate_for_write

from .models import Location, LocationAlias


def location_save(*, location: Location) -> Location:
    """Validate and save a place; its path, and its subtree's when it moved, follow (locations.tree)."""
    validate_for_write(location)
    with integrity_errors_as_validation(), transaction.atomic(savepoint=False):
        location.save()
    return location


def location_set_aliases(*, location: Location, names: list[str]) -> None:
    """Make the place's aliases exactly `names` (validated like any alias: unique, not blank)."""
    with integrity_errors_as_validation(), transaction.atomic(savepoint=False):
        aliases_replace(
            aliases=location.aliases,
            names=names,
            build=lambda name: LocationAlias(location=location, name=name),
        )
