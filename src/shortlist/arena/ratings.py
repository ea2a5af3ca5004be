"""Bradley-Terry ratings from pairwise votes: aggregate once, fit by Newton, bootstrap the count table.

Why this shape (see ../shared/design/arena-notes.md for the measurements): after aggregation into a
models x models x outcome count table the cost no longer grows with the number of votes, Newton's method
reaches the exact maximum-likelihood estimate in a handful of iterations, and a multinomial bootstrap over
the table's cells is equivalent to resampling votes at a tiny fraction of the cost. All resamples are
solved at once, by chord steps from the full-data fit (see bootstrap_thetas).

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
_FLOOR = 1e-5  # logits (0.002 Elo): below it a step that no longer shrinks is rounding noise


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


def count_table_from_codes(a: np.ndarray, b: np.ndarray, outcome: np.ndarray, models: Sequence[str],
                           weights: np.ndarray | None = None) -> CountTable:
    """Aggregate integer-coded votes (indices into `models`, outcome codes 0..3 as in OUTCOMES) in one bincount.

    The fast path for data already coded (a database GROUP BY, a categorical column): 1M votes in a few ms.
    `weights` counts each row that many times (rows that are already aggregated counts).
    """
    a, b, k = (np.asarray(x, dtype=np.int64) for x in (a, b, outcome))
    p = len(models)
    if not (a.shape == b.shape == k.shape):
        raise BadInput("model_a, model_b and winner must have the same length")
    if a.size and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= p or k.min() < 0 or k.max() > 3):
        raise BadInput("vote codes out of range", f"model codes must be 0..{p - 1} and outcome codes 0..3")
    w = np.ones(a.size, dtype=np.int64) if weights is None else np.asarray(weights, dtype=np.int64)
    same = a == b
    keep = ~same
    flat = np.bincount((a[keep] * p + b[keep]) * 4 + k[keep], weights=w[keep], minlength=p * p * 4)
    return CountTable(tuple(models), flat.astype(np.int64).reshape(p, p, 4), self_votes=int(w[same].sum()))


def prior_wins(p: int, prior: float) -> np.ndarray:
    """`prior` wins each way between every two models: with 0.5, one virtual tie per pair.

    Used only when the maximum-likelihood estimate does not exist (a model that never lost or never won, or
    groups of models never compared, as in a young private arena): it keeps every rating finite and pulls
    the ratings slightly together, by about as much as one tied vote per pair would.
    """
    w = np.full((p, p), float(prior))
    np.fill_diagonal(w, 0.0)
    return w


def is_connected(wins: np.ndarray) -> bool:
    """Whether the MLE exists: every model beats, and is beaten by, every other one through some chain."""
    try:
        _check_connected(wins, [str(i) for i in range(len(wins))])
    except BadInput:
        return False
    return True


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


def fit_bradley_terry(wins: np.ndarray, tol: float = 1e-9, max_iter: int = 60,
                      theta0: np.ndarray | None = None) -> np.ndarray:
    """Maximum-likelihood log-strengths (mean 0) for one win matrix (p, p) or a batch (r, p, p).

    Newton's method on the concave log-likelihood sum_ij W_ij log sigmoid(t_i - t_j); the sum-to-zero
    constraint is handled by adding the all-ones matrix to the negative Hessian, which leaves the step
    unchanged on the constraint surface and makes it invertible. Each matrix of a batch stops as soon as
    its own step is below tol, so one slow resample does not slow the rest. A warm start (theta0, e.g. the
    previous fit after one more vote) usually needs one or two steps.
    """
    single = wins.ndim == 2
    w_all = wins[None] if single else wins
    r, p, _ = w_all.shape
    if theta0 is None:
        theta = np.zeros((r, p))
    else:
        theta = np.array(theta0, dtype=float).reshape(r, p)
        theta -= theta.mean(axis=1, keepdims=True)
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
    """Robust (sandwich) standard errors of the log-strengths: sqrt of sandwich_cov's diagonal."""
    return np.sqrt(np.clip(np.diag(sandwich_cov(wins_by_outcome, theta, tie_weight)), 0.0, None))


def sandwich_cov(wins_by_outcome: np.ndarray, theta: np.ndarray, tie_weight: float = 0.5) -> np.ndarray:
    """Robust (sandwich) covariance of the log-strengths: H^-1 G H^-1 under the mean-0 constraint.

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
    return h_inv @ meat @ h_inv


def pair_cells(table: CountTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, cells): the unordered pairs i < j and, per pair, [i's wins, j's wins, ties] from either side.

    The fit depends on the votes only through these three numbers per pair, so a multinomial redraw over
    them is exactly the redraw of the votes (summing a multinomial over finer cells, sides and tie kinds,
    gives this multinomial) at a third of the draws.
    """
    c = table.counts
    i_won = c[..., 0] + c[..., 1].T  # i beat j, from either side
    tied = c[..., 2] + c[..., 3]
    tied = tied + tied.T
    iu, ju = np.triu_indices(len(table.models), k=1)
    cells = np.stack([i_won[iu, ju], i_won[ju, iu], tied[iu, ju]], axis=1)
    return iu, ju, cells


def bootstrap_thetas(table: CountTable, resamples: int, seed: int, tie_weight: float = 0.5,
                     theta_hat: np.ndarray | None = None, tol: float = 1e-9, max_iter: int = 60,
                     prior: float = 0.0, prior_if_separated: float = 0.0) -> np.ndarray:
    """(resamples, p) log-strengths, each the exact MLE of a multinomial redraw of the votes.

    The redraw is one `rng.multinomial` over the non-empty pair cells (drawn in chunks that consume the
    generator exactly as one call would), so a seed gives the same intervals for any chunk size. Each
    resample is then solved on the pairs that have votes, all resamples of a chunk at once, starting from
    the full-data MLE (a resample is a small perturbation of the data):
    - first by chord steps: Newton with the full-data Hessian, inverted once, so an iteration is one
      sigmoid, one scatter-add and one small matrix product, and no per-resample linear algebra;
    - a resample whose steps stop shrinking fast (a model with few votes makes its Hessian differ from the
      full data's) switches to its own Hessian, refreshed every third step.
    Both converge to the same fixed point as plain Newton, since the gradient is exact; only the metric of
    the step differs. Anything left after `max_iter` is finished by plain batched Newton.
    `prior` adds that many wins each way to every pair of every resample (see prior_wins).
    `prior_if_separated` does so only for the resamples whose MLE does not exist (a model drew no loss or
    no win; its fitted rating runs off towards infinity): in a young arena such draws are common and would
    otherwise set the interval bounds to whatever the solver reached when it stopped.
    """
    iu, ju, cells3 = pair_cells(table)
    cells = cells3.reshape(-1)
    live = np.flatnonzero(cells)
    n = int(cells.sum())
    p = len(table.models)
    if theta_hat is None:
        theta_hat = fit_bradley_terry(table.wins(tie_weight) + prior_wins(p, prior))
    voted = np.flatnonzero(cells3.sum(axis=1) > 0) if prior == 0 else np.arange(len(iu))
    ia, ja = iu[voted], ju[voted]
    full_total = cells3[voted].astype(float) @ np.array([1.0, 1.0, 2.0 * tie_weight]) + 2.0 * prior
    solver = _ResampleSolver(ia, ja, p, theta_hat, full_total, tol, max_iter)
    rng = np.random.default_rng(seed)
    out = np.empty((resamples, p))
    # bound memory: a chunk holds its draws and, at worst, one p x p inverse per resample
    chunk = max(1, min(resamples, int(_CHUNK_ELEMENTS // max(p * p, cells.size))))
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        full = np.zeros((size, cells.size))
        full[:, live] = rng.multinomial(n, cells[live] / n, size=size)
        full = full.reshape(size, -1, 3)[:, voted]
        score = full[..., 0] + tie_weight * full[..., 2] + prior  # i's credit against j
        total = full[..., 0] + full[..., 1] + 2.0 * tie_weight * full[..., 2] + 2.0 * prior  # the pair's in all
        theta = solver.solve(score, total)
        if prior_if_separated > 0 and prior == 0:
            # a model with no win or no loss in the draw, or (groups that never lost to the rest) a fit
            # that ran off: either way the MLE does not exist
            won = np.zeros((size, p))
            np.add.at(won.T, ia, score.T)
            np.add.at(won.T, ja, (total - score).T)
            played = np.zeros((size, p))
            np.add.at(played.T, ia, total.T)
            np.add.at(played.T, ja, total.T)
            extreme = ((played > 0) & ((won <= 0) | (won >= played))).any(axis=1)
            runaway = np.flatnonzero(extreme | (np.ptp(theta, axis=1) > _SEPARATED))
            if runaway.size:
                w = np.full((runaway.size, p, p), prior_if_separated)
                w[:, np.arange(p), np.arange(p)] = 0.0
                w[:, ia, ja] += score[runaway]
                w[:, ja, ia] += total[runaway] - score[runaway]
                theta[runaway] = fit_bradley_terry(w)
        out[start:start + size] = theta
    return out


_CHUNK_ELEMENTS = 8e6  # float64 elements per chunk array (64 MB)
_SEPARATED = 15.0  # logits between best and worst: P(win) = 1 - 3e-7, only reached by a diverging fit
_SLOW = 0.1  # a chord step that shrinks the last one by less than this factor is too slow: switch to Newton


class _ResampleSolver:
    """Solves many resamples of one pair structure; see bootstrap_thetas for the method."""

    def __init__(self, ia: np.ndarray, ja: np.ndarray, p: int, theta_hat: np.ndarray, total: np.ndarray,
                 tol: float, max_iter: int) -> None:
        self.ia, self.ja, self.p, self.theta_hat = ia, ja, p, theta_hat
        self.tol, self.max_iter = tol, max_iter
        self.h0_inv = np.linalg.inv(_neg_hessian_pairs(theta_hat, ia, ja, total, p))
        # signed incidence (pairs x models): +1 for i, -1 for j; as dense matrix products the gather of
        # rating differences and the scatter of pair gradients onto models are two small BLAS calls
        self.incidence = np.zeros((len(ia), p))
        self.incidence[np.arange(len(ia)), ia] = 1.0
        self.incidence[np.arange(len(ia)), ja] = -1.0

    def _grad(self, th: np.ndarray, score: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        prob = 1.0 / (1.0 + np.exp(-(th @ self.incidence.T)))
        resid = score - total * prob
        return resid @ self.incidence - _RIDGE * th, prob

    def _own_inverse(self, prob: np.ndarray, total: np.ndarray) -> np.ndarray:
        p = self.p
        curv = total * prob * (1.0 - prob)
        h = np.zeros((len(curv), p * p))
        h[:, self.ia * p + self.ja] = -curv
        h[:, self.ja * p + self.ia] = -curv
        h = h.reshape(len(curv), p, p)
        h[:, np.arange(p), np.arange(p)] = -h.sum(axis=2) + _RIDGE
        return np.linalg.inv(h + 1.0 / p)

    def solve(self, score: np.ndarray, total: np.ndarray) -> np.ndarray:
        r, p = len(score), self.p
        theta = np.repeat(self.theta_hat[None, :], r, axis=0)
        last = np.full(r, np.inf)
        # a model that drew no votes is pinned only by the ridge, which the full-data Hessian does not see:
        # such resamples use their own Hessian from the start (rare: models with a handful of votes)
        seen = np.abs(self.incidence)
        per_model = (total @ seen)[:, seen.sum(axis=0) > 0]
        own_ids = np.flatnonzero((per_model == 0).any(axis=1))  # resamples on their own Hessian, sorted
        own_inv = np.zeros((own_ids.size, p, p))
        own_age = np.full(own_ids.size, 3)  # steps since their inverse; 3 = invert at the next step
        active = np.ones(r, dtype=bool)
        for _ in range(self.max_iter):
            idx = np.flatnonzero(active)
            grad, prob = self._grad(theta[idx], score[idx], total[idx])
            step = grad @ self.h0_inv
            if own_ids.size:
                pos = np.searchsorted(idx, own_ids)
                stale = own_age >= 3
                if stale.any():
                    own_inv[stale] = self._own_inverse(prob[pos[stale]], total[own_ids[stale]])
                    own_age[stale] = 0
                step[pos] = np.einsum("rp,rpq->rq", grad[pos], own_inv)
                own_age += 1
            biggest = np.abs(step).max(axis=1)
            scale = np.where(biggest > _MAX_STEP, _MAX_STEP / np.maximum(biggest, 1e-300), 1.0)
            th = theta[idx] + step * scale[:, None]
            theta[idx] = th - th.mean(axis=1, keepdims=True)
            # Done when the error left is below tol (steps shrink geometrically, so it is about the next step,
            # ratio x this one), or when steps stop shrinking at the floor that rounding sets for a model with
            # almost no votes in this resample (its curvature is little more than the ridge).
            prev = last[idx]
            ratio = np.where(np.isfinite(prev), biggest / np.maximum(prev, 1e-300), np.nan)
            done = (biggest < self.tol) | (biggest * ratio < self.tol) | ((biggest < _FLOOR) & (ratio > 0.5))
            slow = ~done & (biggest > _SLOW * prev) & ~np.isin(idx, own_ids)
            last[idx] = biggest
            active[idx[done]] = False
            if own_ids.size:
                keep = active[own_ids]
                own_ids, own_inv, own_age = own_ids[keep], own_inv[keep], own_age[keep]
            if slow.any():
                new = idx[slow]
                own_ids = np.concatenate([own_ids, new])
                own_inv = np.concatenate([own_inv, np.zeros((new.size, p, p))])
                own_age = np.concatenate([own_age, np.full(new.size, 3)])  # inverted at the next step
                order = np.argsort(own_ids)
                own_ids, own_inv, own_age = own_ids[order], own_inv[order], own_age[order]
            if not active.any():
                break
        left = np.flatnonzero(active)
        if left.size:
            w = np.zeros((left.size, p, p))
            w[:, self.ia, self.ja] = score[left]
            w[:, self.ja, self.ia] = total[left] - score[left]
            theta[left] = fit_bradley_terry(w, theta0=theta[left])
        return theta


def _neg_hessian_pairs(theta: np.ndarray, ia: np.ndarray, ja: np.ndarray, total: np.ndarray, p: int) -> np.ndarray:
    """Negative Hessian of the pairwise log-likelihood plus the ridge and the mean-zero completion (ones/p)."""
    prob = 1.0 / (1.0 + np.exp(-(theta[ia] - theta[ja])))
    curv = total * prob * (1.0 - prob)
    h = np.zeros((p, p))
    np.add.at(h, (ia, ja), -curv)
    np.add.at(h, (ja, ia), -curv)
    h[np.diag_indices(p)] = -h.sum(axis=1) + _RIDGE
    return h + np.ones((p, p)) / p


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
        boot = CENTRE + ELO_PER_LOGIT * bootstrap_thetas(table, resamples, seed, tie_weight, theta_hat=theta)
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
