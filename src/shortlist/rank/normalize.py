"""Put every benchmark on one comparable 0..1 scale before mixing them.

Accuracy-type scores are baseline-normalised: (value - chance) / (1 - chance), so 0 means "no better
than guessing" and 1 means perfect, whatever the number of answer options. Below-chance scores stay
negative rather than being clipped, so a broken run cannot look like a chance-level one.

Arena ratings (Elo scale) have no chance level; they become the expected win probability against the
board's reference rating (the registry's reference_rating): p = 1 / (1 + 10 ** ((reference - rating) / 400)).
Each board has its own scale, so each has its own reference: the 2025-08-06 LMArena text board uses 1200
(Llama-3.1-8B-Instruct sat at 1193, so "0.5" reads "as preferred as a good 8B chat model of 2024"); the
ratings shortlist fits on 2025 votes are centred at 1000, their field mean.
"""

from __future__ import annotations

import math

ARENA_REFERENCE_RATING = 1200.0
ARENA_SCALE = 400.0  # Elo convention: 400 points = 10:1 odds


def arena_win_probability(rating: float, reference: float = ARENA_REFERENCE_RATING) -> float:
    return 1.0 / (1.0 + 10.0 ** ((reference - rating) / ARENA_SCALE))


def normalize(value: float, scale: str, baseline: float, reference: float | None = None) -> float:
    """One raw score on the common scale (see module docstring)."""
    if scale == "elo":
        return arena_win_probability(value, ARENA_REFERENCE_RATING if reference is None else reference)
    if baseline >= 1.0:
        raise ValueError("random baseline must be below 1")
    return (value - baseline) / (1.0 - baseline)


def normalize_stderr(value: float, stderr: float, scale: str, baseline: float,
                     reference: float | None = None) -> float:
    """The standard error carried onto the common scale (delta method for the logistic map)."""
    if scale == "elo":
        p = arena_win_probability(value, ARENA_REFERENCE_RATING if reference is None else reference)
        return p * (1.0 - p) * math.log(10.0) / ARENA_SCALE * stderr
    return stderr / (1.0 - baseline)
