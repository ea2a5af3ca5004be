"""How sure each score is, and which rank differences are only noise.

A score's standard error comes from what its source publishes (arena CIs, lm-eval stderr) or else from
the binomial formula over the benchmark's item count. The task score is a weighted mean of normalised
scores, so its standard error is sqrt(sum w_i^2 se_i^2) / sum w_i (scores treated as independent).

Tiers: walking down the ranking, a model stays in the current tier while a two-sided z-test at level
alpha cannot tell it apart from that tier's leader; the first model that differs significantly starts
the next tier and becomes its leader. Leaderboard rows come without per-item results, so the test
treats two models' scores as independent; paired tests on the same items (own evals) would be sharper.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from shortlist.stats import binomial_stderr, two_sided_p, z_for_level

DEFAULT_ALPHA = 0.05
FALLBACK_ITEMS = 500  # a fraction-scale benchmark with no known item count: a typical benchmark size
FALLBACK_ARENA_STDERR = 10.0  # rating points; LMArena's typical 95% CI of about +-20 for models with few votes


def raw_stderr(value: float, stderr: float | None, n: int | None, scale: str) -> tuple[float, str]:
    """(standard error on the raw scale, how it was obtained)."""
    if stderr is not None and stderr > 0 and math.isfinite(stderr):
        return stderr, "published"
    if scale == "elo":
        return FALLBACK_ARENA_STDERR, "assumed"
    if n and n > 0:
        return binomial_stderr(value, n), f"binomial n={n}"
    return binomial_stderr(value, FALLBACK_ITEMS), f"assumed n={FALLBACK_ITEMS}"


@dataclass(frozen=True)
class TaskScore:
    """A weighted mean over the profile's benchmarks: measured ones, plus predicted ones when a factor
    model fills the gaps; a benchmark neither measured nor predictable is left out, never zero."""

    score: float
    stderr: float
    coverage: float  # share of the profile's weight measured for this model
    used: tuple[str, ...]  # measured
    missing: tuple[str, ...]  # neither measured nor predicted
    imputed: tuple[tuple[str, float, float], ...] = ()  # (benchmark, predicted normalised value, its sd)

    def ci(self, alpha: float = DEFAULT_ALPHA) -> tuple[float, float]:
        z = z_for_level(1.0 - alpha)
        return self.score - z * self.stderr, self.score + z * self.stderr


def task_score(parts: Mapping[str, tuple[float, float]], weights: Mapping[str, float]) -> TaskScore | None:
    """parts: benchmark -> (normalised value, normalised stderr). None when no weighted benchmark is present."""
    total = sum(w for w in weights.values() if w > 0)
    used = [b for b, w in weights.items() if w > 0 and b in parts]
    wsum = sum(weights[b] for b in used)
    if not used or wsum <= 0 or total <= 0:
        return None
    score = sum(weights[b] * parts[b][0] for b in used) / wsum
    se = math.sqrt(sum((weights[b] * parts[b][1]) ** 2 for b in used)) / wsum
    missing = tuple(b for b, w in weights.items() if w > 0 and b not in parts)
    return TaskScore(score=score, stderr=se, coverage=wsum / total, used=tuple(used), missing=missing)


def imputed_task_score(
    parts: Mapping[str, tuple[float, float]],
    weights: Mapping[str, float],
    predict: Callable[[Sequence[str]], tuple[Sequence[float], Sequence[Sequence[float]]]] | None,
    predictable: frozenset[str] | set[str] = frozenset(),
) -> TaskScore | None:
    """The task score on the whole profile: measured parts plus predictions for the rest.

    predict(targets) returns (means, covariance) of the targets' normalised values given the model's other
    scores. The variance adds the measured errors and the prediction covariance (measured and predicted
    errors are treated as independent: the prediction's own uncertainty dominates).
    """
    total = sum(w for w in weights.values() if w > 0)
    measured = [b for b, w in weights.items() if w > 0 and b in parts]
    gaps = [b for b, w in weights.items() if w > 0 and b not in parts]
    targets = [b for b in gaps if b in predictable] if predict is not None else []
    missing = tuple(b for b in gaps if b not in targets)
    means: Sequence[float] = ()
    cov: Sequence[Sequence[float]] = ()
    if targets:
        means, cov = predict(targets)  # type: ignore[misc]
    wsum = sum(weights[b] for b in measured) + sum(weights[b] for b in targets)
    if wsum <= 0 or total <= 0:
        return None
    score = (sum(weights[b] * parts[b][0] for b in measured)
             + sum(weights[b] * m for b, m in zip(targets, means, strict=True))) / wsum
    var = sum((weights[b] * parts[b][1]) ** 2 for b in measured)
    for i, bi in enumerate(targets):
        for j, bj in enumerate(targets):
            var += weights[bi] * weights[bj] * cov[i][j]
    imputed = tuple((b, float(means[i]), float(math.sqrt(max(cov[i][i], 0.0)))) for i, b in enumerate(targets))
    coverage = sum(weights[b] for b in measured) / total
    return TaskScore(score=score, stderr=math.sqrt(max(var, 0.0)) / wsum, coverage=coverage, used=tuple(measured),
                     missing=missing, imputed=imputed)


@dataclass(frozen=True)
class TierMark:
    tier: int
    leader: int  # index (in the ranked list) of this tier's leader
    p_value: float  # two-sided p of the test against the tier's leader (1.0 for the leader itself)
    p_vs_first: float  # the same test against #1, for the words "statistically tied with #1"
    test: str = "unpaired"  # "unpaired", or which benchmarks were paired on the user's own runs


def assign_tiers(ranked: Sequence[tuple[float, float]], alpha: float = DEFAULT_ALPHA,
                 diff_se: Callable[[int, int], tuple[float, str | None]] | None = None) -> list[TierMark]:
    """ranked: (score, stderr) best first. See the module docstring for the rule.

    diff_se(i, j): the standard error of score_i - score_j and a note when it is not the unpaired
    hypot(se_i, se_j) (paired on the user's own runs); None: always unpaired.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError("alpha must be in (0, 1)")

    def test(i: int, j: int) -> tuple[float, str]:
        diff = ranked[i][0] - ranked[j][0]
        if diff_se is not None:
            se, note = diff_se(i, j)
            if note:
                return _p(diff, se), note
        return two_sided_p(diff, ranked[i][1], ranked[j][1]), "unpaired"

    marks: list[TierMark] = []
    tier, leader = 0, 0
    for i in range(len(ranked)):
        if i == 0:
            tier = 1
            marks.append(TierMark(1, 0, 1.0, 1.0))
            continue
        p, how = test(leader, i)
        if p < alpha:
            tier, leader, p = tier + 1, i, 1.0
        first, _ = test(0, i)
        marks.append(TierMark(tier, leader, p, first, how))
    return marks


def _p(diff: float, se: float) -> float:
    if se <= 0:
        return 0.0 if diff else 1.0
    from shortlist.stats import normal_cdf

    return 2.0 * (1.0 - normal_cdf(abs(diff) / se))
