"""Derived verification: `rules` says what a status is, `refresh` owns storing it, `receivers` mark changes."""

from core.deferred import deferred

from .refresh import event_verification, events_rederive, flush, mark
from .rules import VerificationResult, derive

__all__ = [
    "VerificationResult",
    "deferred",
    "derive",
    "event_verification",
    "events_rederive",
    "flush",
    "mark",
]
