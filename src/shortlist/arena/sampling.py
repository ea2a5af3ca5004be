"""Which pair of contestants the next battle shows.

- uniform: every eligible pair equally likely (the unbiased default).
- adaptive: votes go where they teach most. A pair's weight is the product of
  * how unsure its order is: the two-sided p-value of the current rating gap (1 for equal ratings, near 0
    for a gap many standard errors wide; 1 for a model without votes), and
  * how little its models have been seen: (mean votes per model + 1) / (the pair's fewer votes + 1).
  Weights are then floored at max/`max_ratio`, so no eligible pair is sampled more than `max_ratio` times
  as often as another (ComparIA uses 3x): adaptive sampling may focus, never starve, which is the
  unequal-sampling failure "The Leaderboard Illusion" documents.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

STRATEGIES = ("uniform", "adaptive")
DEFAULT_MAX_RATIO = 3.0


def pair_weights(pairs: Sequence[tuple[int, int]], strategy: str, votes: dict[int, int],
                 theta: dict[int, float] | None = None, cov: dict[tuple[int, int], float] | None = None,
                 max_ratio: float = DEFAULT_MAX_RATIO) -> np.ndarray:
    """Normalised sampling weights for `pairs` of contestant ids.

    votes: votes per contestant; theta: current log-strengths of rated contestants; cov: their covariance
    entries (i, j) -> value, (i, i) the variances.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy}")
    n = len(pairs)
    if n == 0:
        return np.zeros(0)
    if strategy == "uniform":
        return np.full(n, 1.0 / n)
    mean_votes = (sum(votes.values()) / len(votes)) if votes else 0.0
    w = np.empty(n)
    for k, (i, j) in enumerate(pairs):
        unsure = 1.0
        if theta and cov and i in theta and j in theta:
            var = cov.get((i, i), 0.0) + cov.get((j, j), 0.0) - 2.0 * cov.get((i, j), cov.get((j, i), 0.0))
            if var > 0:
                z = abs(theta[i] - theta[j]) / math.sqrt(var)
                unsure = math.erfc(z / math.sqrt(2.0))  # two-sided p-value of the gap
        fewer = min(votes.get(i, 0), votes.get(j, 0))
        w[k] = max(unsure, 1e-12) * (mean_votes + 1.0) / (fewer + 1.0)
    w = np.maximum(w, w.max() / max(max_ratio, 1.0))
    return w / w.sum()
