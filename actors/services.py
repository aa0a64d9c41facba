from django.db import transaction

from conflict_events.aliases import aliases_replace

from .models import Actor, ActorAlias


@transaction.atomic
def actor_save(*, actor: Actor, aliases: list[str] | None = None) -> Actor:
    """Validate and save an actor; with `aliases`, make its aliases exactly those names."""
    actor.full_clean()
    actor.save()
    if aliases is not None:
        aliases_replace(
            aliases=actor.aliases, names=aliases, build=lambda name: ActorAlias(actor=actor, name=name)
        )
    return actor
