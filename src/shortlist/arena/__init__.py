"""Pairwise preference: votes, Bradley-Terry ratings with honest intervals, and (later) private arenas.

The rating code is shared by the built-in LMArena evidence (scripts/build_arena_ratings.py) and the
user's own arenas, so both read the same way: Elo-scale ratings, 95% CIs, CI-aware ranks.
"""

from shortlist.arena.ratings import (
    OUTCOMES,
    CountTable,
    Ratings,
    count_table,
    fit_bradley_terry,
    rate,
)

__all__ = ["OUTCOMES", "CountTable", "Ratings", "count_table", "fit_bradley_terry", "rate"]
