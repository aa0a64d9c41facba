"""The only way anything writes events, their roles, tags and claims: API, admin, commands and importers.

Each service validates with the model's own rules once (`core.integrity.validate_for_write`), lets the
database enforce what it can, and runs in a `verification.deferred()` block, so derived state is
re-derived once, by its owner, before the transaction commits.
"""

from .claims import claim_delete, claim_record, claim_save
from .events import event_delete, event_restore, event_save, event_set_verdict

__all__ = [
    "claim_delete",
    "claim_record",
    "claim_save",
    "event_delete",
    "event_restore",
    "event_save",
    "event_set_verdict",
]
