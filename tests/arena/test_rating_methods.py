"""The fast bootstrap solves every resample exactly; Davidson ties and the count-table fast path are right."""

from __future__ import annotations

import numpy as np
import pytest

from shortlist.arena import ratings as R
from shortlist.arena.davidson import davidson_bootstrap, fit_davidson


def _table(p: int, n: int, seed: int, tie_rate: float = 0.1, skew: float = 1.0) -> R.CountTable:
    rng = np.random.default_rng(seed)
    truth = rng.normal(0, skew, p)
    a = rng.integers(0, p, n)
    b = (a + rng.integers(1, p, n)) % p
    win = rng.random(n) < 1 / (1 + np.exp(-(truth[a] - truth[b])))
    k = np.where(rng.random(n) < tie_rate, rng.choice([2, 3], n), np.where(win, 0, 1))
    return R.count_table_from_codes(a, b, k, [f"m{i}" for i in range(p)])


def _plain_newton_on_same_draws(table: R.CountTable, resamples: int, seed: int) -> np.ndarray:
    iu, ju, cells3 = R.pair_cells(table)
    flat = cells3.reshape(-1)
    live = np.flatnonzero(flat)
    n = int(flat.sum())
    draws = np.zeros((resamples, flat.size))
    draws[:, live] = np.random.default_rng(seed).multinomial(n, flat[live] / n, size=resamples)
    d = draws.reshape(resamples, -1, 3)
    p = len(table.models)
    w = np.zeros((resamples, p, p))
    w[:, iu, ju] = d[..., 0] + 0.5 * d[..., 2]
    w[:, ju, iu] = d[..., 1] + 0.5 * d[..., 2]
    return R.fit_bradley_terry(w, tol=1e-12, max_iter=100)


@pytest.mark.parametrize("p, n, seed", [(8, 3_000, 1), (30, 200_000, 2), (12, 600, 3)])
def test_fast_bootstrap_equals_plain_newton_per_resample(p: int, n: int, seed: int) -> None:
    table = _table(p, n, seed)
    fast = R.bootstrap_thetas(table, 300, seed=7)
    slow = _plain_newton_on_same_draws(table, 300, seed=7)
    assert np.abs(fast - slow).max() * R.ELO_PER_LOGIT < 1e-4  # Elo


def test_a_model_with_two_votes_does_not_shift_the_others() -> None:
    """A resample may draw no vote for a rare model; its rating is then pinned by the ridge alone and must not
    move the field's mean (the fast path switches such resamples to their own Hessian). What is left is the
    rounding floor of a rating fixed only by a 1e-9 ridge: below the 0.01 Elo the board shows."""
    big = _table(6, 20_000, 4).counts
    counts = np.zeros((7, 7, 4), dtype=np.int64)
    counts[:6, :6] = big
    counts[6, 0, 0] = 1
    counts[1, 6, 0] = 1
    table = R.CountTable(tuple(f"m{i}" for i in range(7)), counts)
    fast = R.bootstrap_thetas(table, 300, seed=3)
    slow = _plain_newton_on_same_draws(table, 300, seed=3)
    assert np.abs(fast[:, :6] - slow[:, :6]).max() * R.ELO_PER_LOGIT < 0.01


def test_draws_do_not_depend_on_the_chunk_size(monkeypatch: pytest.MonkeyPatch) -> None:
    table = _table(10, 5_000, 5)
    whole = R.bootstrap_thetas(table, 200, seed=9)
    monkeypatch.setattr(R, "_CHUNK_ELEMENTS", 135 * 37)  # 37 resamples per chunk
    assert np.abs(R.bootstrap_thetas(table, 200, seed=9) - whole).max() < 1e-12


def test_separated_resamples_get_the_prior_and_stay_finite() -> None:
    counts = np.zeros((2, 2, 4), dtype=np.int64)
    counts[0, 1, 0] = 4  # 4 wins to 1: a fifth of the redraws give m0 every vote
    counts[1, 0, 0] = 1
    table = R.CountTable(("m0", "m1"), counts)
    wild = R.bootstrap_thetas(table, 400, seed=1)
    tame = R.bootstrap_thetas(table, 400, seed=1, prior_if_separated=0.5)
    assert np.ptp(wild, axis=1).max() > 15  # the MLE runs off in the separated draws
    assert np.ptp(tame, axis=1).max() < 6
    assert np.allclose(tame[np.ptp(wild, axis=1) < 15], wild[np.ptp(wild, axis=1) < 15])  # others untouched


def test_codes_fast_path_equals_named_votes() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 2000), rng.integers(0, 5, 2000)
    k = rng.integers(0, 4, 2000)
    names = [f"x{i}" for i in range(5)]
    labels = np.array(R.OUTCOMES)[k]
    slow = R.count_table([names[i] for i in a], [names[i] for i in b], labels.tolist(), names)
    fast = R.count_table_from_codes(a, b, k, names)
    assert np.array_equal(slow.counts, fast.counts) and slow.self_votes == fast.self_votes
    weighted = R.count_table_from_codes([0, 1], [1, 0], [0, 2], names[:2], weights=[5, 3])
    assert weighted.counts[0, 1, 0] == 5 and weighted.counts[1, 0, 2] == 3


def test_davidson_equals_an_independent_fit_and_bootstrap_matches_its_errors() -> None:
    from scipy.optimize import minimize

    rng = np.random.default_rng(3)
    p, n, nu = 6, 20_000, 0.8
    truth = np.linspace(-1, 1, p)
    a = rng.integers(0, p, n)
    b = (a + rng.integers(1, p, n)) % p
    pa, pb = np.exp(truth[a]), np.exp(truth[b])
    den = pa + pb + nu * np.sqrt(pa * pb)
    u = rng.random(n)
    k = np.where(u < pa / den, 0, np.where(u < (pa + pb) / den, 1, 2))
    table = R.count_table_from_codes(a, b, k, [f"m{i}" for i in range(p)])
    theta, nu_hat, cov = fit_davidson(table)

    def nll(x: np.ndarray) -> float:
        t, e = x[:p], x[p]
        qa, qb = np.exp(t[a]), np.exp(t[b])
        d = qa + qb + np.exp(e) * np.sqrt(qa * qb)
        return -float(np.sum(np.where(k == 0, np.log(qa / d), np.where(
            k == 1, np.log(qb / d), e + 0.5 * np.log(qa * qb) - np.log(d)))))

    res = minimize(nll, np.zeros(p + 1), method="BFGS", options={"gtol": 1e-9})
    assert np.abs((res.x[:p] - res.x[:p].mean()) - theta).max() * R.ELO_PER_LOGIT < 0.05
    assert nu_hat == pytest.approx(np.exp(res.x[p]), rel=1e-4) and nu_hat == pytest.approx(nu, abs=0.05)
    boot = davidson_bootstrap(table, np.concatenate([theta, [np.log(nu_hat)]]), 400, seed=2)
    assert np.allclose(boot.std(axis=0), np.sqrt(np.diag(cov)), rtol=0.15)
