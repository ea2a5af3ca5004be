"""Bradley-Terry ratings from pairwise votes: aggregate once, fit by Newton, bootstrap the count table.

Why this shape (see ../shared/design/arena-notes.md for the measurements): after aggregation into a
models x models x outcome count table the cost no longer grows with the number of votes, Newton's method
reaches the exact maximum-likelihood estimate in a handful of iterations, and a multinomial bootstrap over
the table's cells is equivalent to resampling votes at a tiny fraction of the cost. All resamples are
solved at once as one batched Newton iteration.

Conventions (LMArena's): a tie and a "both bad" vote count as half a win for each side by default;
ratings are on the Elo scale, 400/ln(10) per logit, centred so the field mean is 1000. An anchor (a model
pinned at a rating) shifts the estimate and both interval bounds by one constant, once: shifting every
bootstrap sample instead would make every interval "relative to the anchor" and widen it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from shortlist.errors import BadInput

OUTCOMES = ("model_a", "model_b", "tie", "both_bad")
_OUTCOME_ALIASES = {"tie (bothbad)": "both_bad", "bothbad": "both_bad", "both bad": "both_bad"}
ELO_PER_LOGIT = 400.0 / math.log(10.0)
CENTRE = 1000.0
DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 42
_MAX_STEP = 4.0  # logits per Newton step: keeps near-separable data from overshooting
# A vanishing ridge keeps a bootstrap resample solvable when it draws no vote for a rarely seen model;
# it moves ratings of models with votes by far less than 0.001 Elo.
_RIDGE = 1e-9


@dataclass(frozen=True)
class CountTable:
    """Votes aggregated by (model on side A, model on side B, outcome); sides are kept for position bias."""

    models: tuple[str, ...]
    counts: np.ndarray  # int64, shape (p, p, 4): [a, b, k] = votes with a on side A, b on side B, outcome k
    self_votes: int = 0  # votes of a model against itself: no information about strength, left out

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def votes_per_model(self) -> np.ndarray:
        per_pair = self.counts.sum(axis=2)
        return per_pair.sum(axis=0) + per_pair.sum(axis=1)

    def wins(self, tie_weight: float = 0.5) -> np.ndarray:
        """W[i, j] = votes i won against j, whatever the side; ties give each side tie_weight."""
        return _wins_from_counts(self.counts, tie_weight)

    def subset(self, keep: Sequence[str]) -> CountTable:
        idx = [self.models.index(m) for m in keep]
        return CountTable(tuple(keep), self.counts[np.ix_(idx, idx)].copy(), self.self_votes)


def _wins_from_counts(counts: np.ndarray, tie_weight: float) -> np.ndarray:
    """Works on one table (p, p, 4) or a batch (r, p, p, 4)."""
    a_won = counts[..., 0]
    b_won = counts[..., 1]
    tied = counts[..., 2] + counts[..., 3]
    swap = (*range(a_won.ndim - 2), a_won.ndim - 1, a_won.ndim - 2)
    return (a_won + b_won.transpose(swap) + tie_weight * (tied + tied.transpose(swap))).astype(float)


def outcome_index(label: str) -> int:
    """LMArena's winner label -> 0..3; anything else is an error, never a silent tie."""
    key = _OUTCOME_ALIASES.get(label.strip().lower(), label.strip().lower())
    try:
        return OUTCOMES.index(key)
    except ValueError:
        raise BadInput(f"unknown vote outcome '{label}'", f"use one of: {', '.join(OUTCOMES)}") from None


def count_table(
    model_a: Iterable[str], model_b: Iterable[str], winner: Iterable[str], models: Sequence[str] | None = None
) -> CountTable:
    """Aggregate a vote log (LMArena's columns) into a CountTable, in one bincount."""
    a_names, b_names, labels = list(model_a), list(model_b), list(winner)
    if not (len(a_names) == len(b_names) == len(labels)):
        raise BadInput("model_a, model_b and winner must have the same length")
    names = tuple(models) if models is not None else tuple(sorted(set(a_names) | set(b_names)))
    index = {m: i for i, m in enumerate(names)}
    try:
        a = np.fromiter((index[m] for m in a_names), dtype=np.int64, count=len(a_names))
        b = np.fromiter((index[m] for m in b_names), dtype=np.int64, count=len(b_names))
    except KeyError as exc:
        raise BadInput(f"vote names a model not in the list: {exc.args[0]}") from None
    code = {lab: outcome_index(lab) for lab in set(labels)}
    k = np.fromiter((code[lab] for lab in labels), dtype=np.int64, count=len(labels))
    same = a == b
    p = len(names)
    keep = ~same
    flat = np.bincount((a[keep] * p + b[keep]) * 4 + k[keep], minlength=p * p * 4)
    return CountTable(names, flat.reshape(p, p, 4), self_votes=int(same.sum()))


def _check_connected(wins: np.ndarray, models: Sequence[str]) -> None:
    """The MLE exists only when every model both wins and loses against the rest, transitively."""
    p = len(models)
    beats = wins > 0
    reach = beats | np.eye(p, dtype=bool)
    for _ in range(max(1, math.ceil(math.log2(max(p, 2)))) + 1):
        reach = reach | ((reach.astype(np.int64) @ reach.astype(np.int64)) > 0)
    if not reach.all():
        stuck = [models[i] for i in range(p) if not reach[i].all() or not reach[:, i].all()]
        raise BadInput(
            f"ratings undefined: {', '.join(stuck[:3])} never lose or never win against the rest",
            "collect more votes, count ties, or drop models with very few votes",
        )


def fit_bradley_terry(wins: np.ndarray, tol: float = 1e-9, max_iter: int = 60) -> np.ndarray:
    """Maximum-likelihood log-strengths (mean 0) for one win matrix (p, p) or a batch (r, p, p).

    Newton's method on the concave log-likelihood sum_ij W_ij log sigmoid(t_i - t_j); the sum-to-zero
    constraint is handled by adding the all-ones matrix to the negative Hessian, which leaves the step
    unchanged on the constraint surface and makes it invertible. Each matrix of a batch stops as soon as
    its own step is below tol, so one slow resample does not slow the rest.
    """
    single = wins.ndim == 2
    w_all = wins[None] if single else wins
    r, p, _ = w_all.shape
    theta = np.zeros((r, p))
    ones = np.ones((p, p)) / p
    idx = np.arange(p)
    active = np.arange(r)
    for _ in range(max_iter):
        w = w_all[active]
        n = w + w.transpose(0, 2, 1)
        th = theta[active]
        prob = 1.0 / (1.0 + np.exp(th[:, None, :] - th[:, :, None]))
        grad = (w - n * prob).sum(axis=2) - _RIDGE * th
        curv = n * prob * (1.0 - prob)
        neg_hess = -curv
        neg_hess[:, idx, idx] = curv.sum(axis=2) + _RIDGE
        step = np.linalg.solve(neg_hess + ones, grad[..., None])[..., 0]
        biggest = np.abs(step).max(axis=1)
        scale = np.where(biggest > _MAX_STEP, _MAX_STEP / np.maximum(biggest, 1e-300), 1.0)
        th = th + step * scale[:, None]
        theta[active] = th - th.mean(axis=1, keepdims=True)
        active = active[biggest >= tol]
        if active.size == 0:
            break
    return theta[0] if single else theta


def sandwich_stderr(wins_by_outcome: np.ndarray, theta: np.ndarray, tie_weight: float = 0.5) -> np.ndarray:
    """Robust (sandwich) standard errors of the log-strengths: H^-1 G H^-1 under the mean-0 constraint.

    wins_by_outcome is the CountTable's (p, p, 4) counts; each vote's score is (y - p_ij)(e_i - e_j) with
    y = 1, 0 or tie_weight, so a half-credit tie counts for less variance than a coin flip.
    """
    counts = wins_by_outcome.astype(float)
    p = len(theta)
    prob = 1.0 / (1.0 + np.exp(-(theta[:, None] - theta[None, :])))  # P(a beats b), a on side A
    y = np.array([1.0, 0.0, tie_weight, tie_weight])
    resid2 = ((y[None, None, :] - prob[:, :, None]) ** 2 * counts).sum(axis=2)  # sum over votes of (y - p)^2
    total = counts.sum(axis=2)
    curv_pair = total * prob * (1.0 - prob)
    both = curv_pair + curv_pair.T
    hess = -both
    hess[np.diag_indices(p)] = both.sum(axis=1)
    meat_pair = resid2 + resid2.T
    meat = -meat_pair
    meat[np.diag_indices(p)] = meat_pair.sum(axis=1)
    centre = np.eye(p) - np.ones((p, p)) / p
    h_inv = centre @ np.linalg.pinv(hess) @ centre
    cov = h_inv @ meat @ h_inv
    return np.sqrt(np.clip(np.diag(cov), 0.0, None))


def bootstrap_thetas(table: CountTable, resamples: int, seed: int, tie_weight: float = 0.5,
                     chunk: int = 250) -> np.ndarray:
    """(resamples, p) log-strengths, each fitted on a multinomial redraw of the votes.

    The fit depends on the votes only through, per unordered pair, i's wins, j's wins and the ties, so
    the redraw is over those cells: summing a multinomial over finer cells (sides, tie kinds) gives
    exactly this multinomial, at a third of the draws.
    """
    c = table.counts
    i_won = c[..., 0] + c[..., 1].T  # i beat j, from either side
    tied = c[..., 2] + c[..., 3]
    tied = tied + tied.T
    p = len(table.models)
    iu, ju = np.triu_indices(p, k=1)
    cells = np.stack([i_won[iu, ju], i_won[ju, iu], tied[iu, ju]], axis=1).reshape(-1)
    live = np.flatnonzero(cells)
    n = int(cells.sum())
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, cells[live] / n, size=resamples)
    out = np.empty((resamples, p))
    for start in range(0, resamples, chunk):
        part = draws[start:start + chunk]
        full = np.zeros((len(part), cells.size))
        full[:, live] = part
        full = full.reshape(len(part), -1, 3)
        w = np.zeros((len(part), p, p))
        w[:, iu, ju] = full[:, :, 0] + tie_weight * full[:, :, 2]
        w[:, ju, iu] = full[:, :, 1] + tie_weight * full[:, :, 2]
        out[start:start + len(part)] = fit_bradley_terry(w)
    return out


@dataclass(frozen=True)
class Ratings:
    """Elo-scale ratings with 95% intervals; one row per model, best first."""

    models: tuple[str, ...]
    rating: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    stderr: tuple[float, ...]  # sandwich estimate, rating points
    votes: tuple[int, ...]
    rank_ub: tuple[int, ...]  # 1 + number of models whose lower bound is above this one's upper bound
    total_votes: int
    tie_rate: float
    resamples: int
    seed: int
    anchor: str  # "mean 1000" or "<model> = <rating>"

    def row(self, model: str) -> dict[str, float | int | str]:
        i = self.models.index(model)
        return {"model": model, "rating": self.rating[i], "ci_low": self.ci_low[i], "ci_high": self.ci_high[i],
                "stderr": self.stderr[i], "votes": self.votes[i], "rank_ub": self.rank_ub[i]}


def rate(
    table: CountTable,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    tie_weight: float = 0.5,
    anchor: tuple[str, float] | None = None,
    level: float = 0.95,
) -> Ratings:
    """Point ratings, bootstrap percentile intervals and sandwich errors for every model in the table."""
    if len(table.models) < 2:
        raise BadInput("ratings need at least two models with votes")
    if resamples < 0:
        raise BadInput(f"resamples must be >= 0, got {resamples}")
    wins = table.wins(tie_weight)
    _check_connected(wins, table.models)
    theta = fit_bradley_terry(wins)
    points = CENTRE + ELO_PER_LOGIT * theta
    shift = 0.0
    label = f"mean {CENTRE:g}"
    if anchor is not None:
        name, value = anchor
        if name not in table.models:
            raise BadInput(f"anchor model '{name}' has no votes", "anchor a model that is in the arena")
        shift = value - points[table.models.index(name)]
        label = f"{name} = {value:g}"
    se = sandwich_stderr(table.counts, theta, tie_weight) * ELO_PER_LOGIT
    if resamples:
        boot = CENTRE + ELO_PER_LOGIT * bootstrap_thetas(table, resamples, seed, tie_weight)
        tail = (1.0 - level) / 2.0 * 100.0
        low, high = np.percentile(boot, [tail, 100.0 - tail], axis=0)
    else:
        z = 1.959963984540054
        low, high = points - z * se, points + z * se
    low, high, points = low + shift, high + shift, points + shift
    order = np.argsort(-points, kind="stable")
    rank_ub = [1 + int(np.sum(low > high[i])) for i in range(len(points))]
    votes = table.votes_per_model()
    total = table.total
    ties = int(table.counts[..., 2:].sum())

    def pick(values: Sequence[float] | np.ndarray, digits: int = 2) -> tuple[float, ...]:
        return tuple(round(float(values[i]), digits) for i in order)

    return Ratings(
        models=tuple(table.models[i] for i in order),
        rating=pick(points), ci_low=pick(low), ci_high=pick(high), stderr=pick(se),
        votes=tuple(int(votes[i]) for i in order), rank_ub=tuple(rank_ub[i] for i in order),
        total_votes=total, tie_rate=round(ties / total, 4) if total else 0.0,
        resamples=resamples, seed=seed, anchor=label,
    )
