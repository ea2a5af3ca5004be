"""Errors an arena caller may want to tell apart (the web page maps them to HTTP statuses).

All are BadInput, so the CLI prints them as one line and exits 2 like every other user error.
"""

from __future__ import annotations

from shortlist.errors import BadInput, NotFound


class BattleClosed(BadInput):
    """The battle already has its vote, was skipped, or is unfinished: it takes no more votes or turns (409)."""


class NotVotable(BadInput):
    """An answer has not started yet, or failed: the battle cannot be voted on now (409)."""


class CapReached(BadInput):
    """The voter has cast as many votes as the arena owner allowed (429)."""


class NothingToVote(BadInput):
    """No pair of contestants has finished answers to a common prompt (run `shortlist arena generate`)."""


class IdempotencyConflict(BadInput):
    """An idempotency key already recorded a different vote (422): a client bug, never a retry."""


class UnknownVoter(NotFound):
    """No voter of that name or token in this arena (401/403 for the page)."""


__all__ = ["BattleClosed", "CapReached", "IdempotencyConflict", "NotVotable", "NothingToVote", "UnknownVoter"]
