"""A place's materialised path (its ancestors' ids, root first, e.g. "/1/8/"): the one place computing it.

Every way a place is written reaches here: plain ORM saves, the admin, the API and fixtures through the
receivers in `receivers.py`, bulk creation through `location_path()` directly. Moving a place rewrites its
whole subtree's paths in one UPDATE.
"""

from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.dispatch import Signal

from .models import Location

# Sent after a place moved and its subtree's paths followed, with `location` (as saved) and `prefix` (its
# descendants' new path prefix): what other apps keep of a place's position (an event's country) follows.
place_moved = Signal()


def location_path(parent: Location | None) -> str:
    """The path of a place directly inside `parent` (a country, with no parent, has "/")."""
    return f"{parent.path}{parent.pk}/" if parent is not None else "/"


def location_assign_path(location: Location) -> tuple[str, str] | None:
    """Set the place's path from its parent; when an existing place moved, return (old, new) subtree prefixes."""
    parent = location.parent if location.parent_id is not None else None
    path = location_path(parent)
    moved = None
    if location.pk is not None and location.path != path:
        moved = (f"{location.path}{location.pk}/", f"{path}{location.pk}/")
    location.path = path
    return moved


def locations_move_subtree(old_prefix: str, new_prefix: str) -> int:
    """Rewrite every descendant's path after a move, in one UPDATE (the tree stays consistent)."""
    return Location.objects.filter(path__startswith=old_prefix).update(
        path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1))
    )
