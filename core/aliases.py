"""Alternate names, shared by places and actors."""

from .integrity import validate_for_write


def aliases_replace(*, aliases, names: list[str], build) -> None:
    """Make a related set of aliases exactly `names`; each new one is validated (not blank, not twice).

    `aliases` is the owner's related manager (place.aliases), `build(name)` makes an unsaved alias.
    """
    names = list(dict.fromkeys(name.strip() for name in names))
    aliases.exclude(name__in=names).delete()
    existing = {alias.name.lower() for alias in aliases.all()}
    for name in names:
        if name.lower() not in existing:
            alias = build(name)
            validate_for_write(alias)
            alias.save()
            existing.add(name.lower())
