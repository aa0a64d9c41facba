from django.db import transaction

from .models import Actor, ActorAlias


@transaction.atomic
def actor_save(*, actor: Actor, aliases: list[str] | None = None) -> Actor:
    """Validate and save an actor; with `aliases`, make its aliases exactly those names."""
    actor.full_clean()
    actor.save()
    if aliases is not None:
        names = list(dict.fromkeys(name.strip() for name in aliases))
        actor.aliases.exclude(name__in=names).delete()
        existing = {alias.name.lower() for alias in actor.aliases.all()}
        for name in names:
            if name.lower() not in existing:
                alias = ActorAlias(actor=actor, name=name)
                alias.full_clean()
                alias.save()
                existing.add(name.lower())
    return actor
