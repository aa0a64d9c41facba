"""Connects every single-row save of a place to `tree`, the one owner of paths."""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from .models import Location
from .tree import location_assign_path, locations_move_subtree, place_moved


@receiver(pre_save, sender=Location)
def location_path_before_save(sender, instance, raw=False, **kwargs):
    try:
        instance._moved = location_assign_path(instance)
    except Location.DoesNotExist:
        if not raw:
            raise
        instance._moved = None  # a fixture whose parent comes later keeps the path it carries


@receiver(post_save, sender=Location)
def location_subtree_after_save(sender, instance, **kwargs):
    moved = getattr(instance, "_moved", None)
    if moved:
        locations_move_subtree(*moved)
        instance._moved = None
        place_moved.send(sender=Location, location=instance, prefix=moved[1])
