from django.db import transaction

from core.aliases import aliases_replace
from core.deferred import deferred
from core.integrity import integrity_errors_as_validation, validate_for_write

from .models import Actor, ActorAlias


def actor_save(*, actor: Actor, aliases: list[str] | None = None) -> Actor:
    """Validate and save an actor; with `aliases`, make its aliases exactly those names."""
    validate_for_write(actor)
    with integrity_errors_as_validation(), transaction.atomic(savepoint=False), deferred():
        actor.save()
        if aliases is not None:
            aliases_replace(
                aliases=actor.aliases, names=aliases, build=lambda name: ActorAlias(actor=actor, name=name)
            )
    return actor
