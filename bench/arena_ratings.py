"""Bradley-Terry at arena scale: 1,000,000 votes over 50 models, on one core (claims: < 1 s and < 10 ms).

Measured in the same run on the same votes (integer-coded model_a, model_b, winner, 10% ties; strengths
drawn from N(0, 1), seed 0):
- shortlist.arena: count table (one bincount) + Newton + 1,000 multinomial bootstrap resamples.
- FastChat's current method (lm-sys/FastChat rating_systems.py since Sep 2024, written here from its
  description in ../shared/design/arena-notes.md, not its code): np.unique over (a, b, outcome) rows with
  counts, scipy L-BFGS-B on the weighted log-loss (maxiter 100, gtol 1e-6, ties 0.5) per fit, bootstrap by
  a multinomial over the unique rows' counts, one L-BFGS refit per resample (serially: one core).
- choix 0.4 `ilsr_pairwise_dense` on the count matrix (ties as half a win each way), one call per resample
  on the same multinomial redraws as ours (choix has no bootstrap of its own).
Accuracy: each method's point estimate against the exact MLE (Newton to 1e-13), in Elo points.
Then the refit after each new vote: 200 votes added one at a time, each followed by a warm-started Newton fit
and sandwich errors, for 50 models.

The peers' bootstraps are timed on `--peer-resamples` rounds (default 100) and scaled to 1,000, which is
linear (each round is an independent refit). Prints the absolute figures and the ratios; exits 1 when a
claim fails. Usage: python bench/arena_ratings.py [--votes 1000000] [--models 50] [--peer-resamples 100]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core, for every method (must precede numpy's import)

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from shortlist.arena.ratings import (  # noqa: E402
    ELO_PER_LOGIT,
    CountTable,
    bootstrap_thetas,
    count_table_from_codes,
    fit_bradley_terry,
    pair_cells,
    sandwich_stderr,
)

RESAMPLES = 1000
SEED = 42


def synthetic(n: int, p: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.normal(0.0, 1.0, p)
    a = rng.integers(0, p, n)
    b = (a + rng.integers(1, p, n)) % p
    win = rng.random(n) < 1.0 / (1.0 + np.exp(-(truth[a] - truth[b])))
    tie = rng.random(n) < 0.1
    k = np.where(tie, 2, np.where(win, 0, 1))
    return a, b, k


def ours(a: np.ndarray, b: np.ndarray, k: np.ndarray, p: int) -> tuple[float, np.ndarray, np.ndarray]:
    t0 = time.perf_counter()
    table = count_table_from_codes(a, b, k, [f"m{i}" for i in range(p)])
    theta = fit_bradley_terry(table.wins())
    boot = bootstrap_thetas(table, RESAMPLES, SEED, theta_hat=theta)
    return time.perf_counter() - t0, theta, boot


def fastchat_method(a: np.ndarray, b: np.ndarray, k: np.ndarray, p: int, rounds: int
                    ) -> tuple[float, float, float, np.ndarray]:
    """(prep s, fit s, bootstrap s for `rounds`, point estimate) of unique rows + L-BFGS per fit."""
    from scipy.optimize import minimize

    t0 = time.perf_counter()
    rows, counts = np.unique(np.stack([a, b, k], axis=1), axis=0, return_counts=True)
    ra, rb = rows[:, 0], rows[:, 1]
    y = np.array([1.0, 0.0, 0.5])[rows[:, 2]]
    t1 = time.perf_counter()

    def fit(weights: np.ndarray) -> np.ndarray:
        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            d = theta[ra] - theta[rb]
            prob = 1.0 / (1.0 + np.exp(-d))
            eps = 1e-12
            value = -np.sum(weights * (y * np.log(prob + eps) + (1 - y) * np.log(1 - prob + eps)))
            g = weights * (prob - y)
            return value, np.bincount(ra, g, minlength=p) - np.bincount(rb, g, minlength=p)

        res = minimize(loss, np.zeros(p), jac=True, method="L-BFGS-B", options={"maxiter": 100, "gtol": 1e-6})
        return res.x - res.x.mean()

    theta = fit(counts.astype(float))
    t2 = time.perf_counter()
    rng = np.random.default_rng(SEED)
    draws = rng.multinomial(int(counts.sum()), counts / counts.sum(), size=rounds)
    for row in draws:
        fit(row.astype(float))
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, theta


def choix_method(table: CountTable, rounds: int) -> tuple[float, float, np.ndarray] | None:
    """(fit s, bootstrap s for `rounds`, point estimate) with choix.ilsr_pairwise_dense, or None without choix."""
    try:
        import choix
    except ImportError:
        return None
    p = len(table.models)
    t0 = time.perf_counter()
    theta = choix.ilsr_pairwise_dense(table.wins(), tol=1e-10)
    theta = theta - theta.mean()
    t1 = time.perf_counter()
    iu, ju, cells3 = pair_cells(table)
    flat = cells3.reshape(-1)
    live = np.flatnonzero(flat)
    n = int(flat.sum())
    rng = np.random.default_rng(SEED)
    draws = rng.multinomial(n, flat[live] / n, size=rounds)
    for row in draws:
        full = np.zeros(flat.size)
        full[live] = row
        full = full.reshape(-1, 3)
        w = np.zeros((p, p))
        w[iu, ju] = full[:, 0] + 0.5 * full[:, 2]
        w[ju, iu] = full[:, 1] + 0.5 * full[:, 2]
        choix.ilsr_pairwise_dense(w, tol=1e-10)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, theta


def refit_per_vote(a: np.ndarray, b: np.ndarray, k: np.ndarray, p: int, votes: int = 200) -> float:
    """Mean seconds to add one vote and refit (warm-started Newton + sandwich errors)."""
    table = count_table_from_codes(a, b, k, [f"m{i}" for i in range(p)])
    counts = table.counts.copy()
    theta = fit_bradley_terry(table.wins())
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    for _ in range(votes):
        i, j = rng.choice(p, 2, replace=False)
        counts[i, j, int(rng.integers(0, 3))] += 1
        live = CountTable(table.models, counts)
        theta = fit_bradley_terry(live.wins(), theta0=theta)
        sandwich_stderr(counts, theta)
    return (time.perf_counter() - t0) / votes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--peer-resamples", type=int, default=100)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    p, rounds = args.models, args.peer_resamples
    a, b, k = synthetic(args.votes, p)
    print(f"{args.votes:,} votes, {p} models, 10% ties; one core; {RESAMPLES} bootstrap resamples")
    ours(a[:1000], b[:1000], k[:1000], p)  # warm-up (imports, BLAS initialisation)
    times = [ours(a, b, k, p) for _ in range(3)]
    t_ours, theta, boot = min(times, key=lambda x: x[0])
    table = count_table_from_codes(a, b, k, [f"m{i}" for i in range(p)])
    exact = fit_bradley_terry(table.wins(), tol=1e-13, max_iter=200)
    half = np.percentile(ELO_PER_LOGIT * boot, [2.5, 97.5], axis=0)
    print(f"shortlist.arena: aggregation + fit + {RESAMPLES} resamples {t_ours:.3f} s (best of 3: "
          f"{', '.join(f'{x[0]:.3f}' for x in times)}); median 95% CI half-width "
          f"{np.median((half[1] - half[0]) / 2):.2f} Elo; max |diff| vs exact MLE "
          f"{np.abs(theta - exact).max() * ELO_PER_LOGIT:.5f} Elo")
    prep, fit_s, boot_s, fc_theta = fastchat_method(a, b, k, p, rounds)
    fc_total = prep + fit_s + boot_s * RESAMPLES / rounds
    print(f"FastChat method (unique rows + L-BFGS): prep {prep:.3f} s, fit {fit_s * 1000:.1f} ms, {rounds} resamples "
          f"{boot_s:.2f} s -> {RESAMPLES} ≈ {fc_total:.1f} s; max |diff| vs exact MLE "
          f"{np.abs(fc_theta - exact).max() * ELO_PER_LOGIT:.4f} Elo")
    ch = choix_method(table, rounds)
    ch_total = None
    if ch is None:
        print("choix: not installed (pip install choix) - skipped")
    else:
        ch_fit, ch_boot, ch_theta = ch
        ch_total = ch_fit + ch_boot * RESAMPLES / rounds
        print(f"choix ilsr_pairwise_dense: fit {ch_fit * 1000:.1f} ms, {rounds} resamples {ch_boot:.2f} s -> "
              f"{RESAMPLES} ≈ {ch_total:.2f} s (aggregation not included); max |diff| vs exact MLE "
              f"{np.abs(ch_theta - exact).max() * ELO_PER_LOGIT:.5f} Elo")
    refit = refit_per_vote(a, b, k, p)
    print(f"refit after each new vote (warm Newton + sandwich), {p} models: {refit * 1000:.2f} ms")
    print(f"ratio: FastChat method / shortlist = {fc_total / t_ours:.1f}x"
          + (f"; choix / shortlist = {ch_total / t_ours:.1f}x" if ch_total else ""))
    ok = t_ours < 1.0 and refit < 0.010 and np.abs(theta - exact).max() * ELO_PER_LOGIT <= 0.05
    print("claims:", "met" if ok else "NOT met", "(< 1 s; < 10 ms per refit; <= 0.05 Elo from the exact MLE)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
