"""Davidson's tie model (1970): ties as a third outcome instead of half a win each.

Why: with ties counted half, a tie pulls both ratings together, so a board with many ties (LMArena's run
above 35%) is compressed: a gap no longer reads as the odds of a decisive vote (arena-notes 2.3). Davidson
models P(i wins) = pi_i / D, P(j wins) = pi_j / D, P(tie) = nu sqrt(pi_i pi_j) / D with
D = pi_i + pi_j + nu sqrt(pi_i pi_j), so theta_i - theta_j stays the log-odds of i winning a decisive
vote and nu absorbs the tie rate. Fitted by Newton on (theta, log nu) over the pair cells, all bootstrap
resamples at once; the resamples are the same multinomial redraws as the half-tie board (same seed, same
draws), so the two boards are comparable resample by resample.
"""

from __future__ import annotations

import numpy as np

from shortlist.arena.ratings import CountTable, pair_cells

_RIDGE = 1e-9
_MAX_STEP = 4.0


def _pairs(table: CountTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    iu, ju, cells = pair_cells(table)
    voted = cells.sum(axis=1) > 0
    return iu[voted], ju[voted], cells[voted].astype(float)


def fit_davidson_cells(ia: np.ndarray, ja: np.ndarray, cells: np.ndarray, p: int, x0: np.ndarray | None = None,
                       tol: float = 1e-10, max_iter: int = 100) -> np.ndarray:
    """(r, p + 1) or (p + 1,): log-strengths (mean 0) and log nu, for cells (r, pairs, 3) or (pairs, 3)."""
    single = cells.ndim == 2
    c = cells[None] if single else cells
    r = c.shape[0]
    wi, wj, t = c[..., 0], c[..., 1], c[..., 2]
    n = wi + wj + t
    if x0 is None:
        share = max(float(t.sum()) / max(float(n.sum()), 1.0), 1e-3)
        x = np.zeros((r, p + 1))
        x[:, p] = np.log(2.0 * share / (1.0 - share + 1e-12))  # nu at equal strengths: P(tie) = nu / (2 + nu)
    else:
        x = np.array(x0, dtype=float).reshape(r, p + 1)
    inc = np.zeros((len(ia), p))
    inc[np.arange(len(ia)), ia] = 1.0
    inc[np.arange(len(ia)), ja] = -1.0
    active = np.arange(r)
    flat_ij, flat_ji = ia * p + ja, ja * p + ia
    for _ in range(max_iter):
        xa = x[active]
        d = xa[:, :p] @ inc.T
        nu = np.exp(xa[:, p])[:, None]
        half = d / 2.0
        cc, ss = 2.0 * np.cosh(half), np.sinh(half)
        den = cc + nu
        na = n[active]
        g_d = (wi[active] - wj[active]) / 2.0 - na * ss / den
        g_eta = (t[active] - na * nu / den).sum(axis=1)
        h_dd = na * (1.0 + nu * np.cosh(half) / 2.0) / den**2
        h_de = -na * ss * nu / den**2
        h_ee = (na * nu * cc / den**2).sum(axis=1)
        size = len(active)
        h = np.zeros((size, p + 1, p + 1))
        tt = np.zeros((size, p * p))
        tt[:, flat_ij] = -h_dd
        tt[:, flat_ji] = -h_dd
        tt = tt.reshape(size, p, p)
        tt[:, np.arange(p), np.arange(p)] = -tt.sum(axis=2) + _RIDGE
        h[:, :p, :p] = tt + 1.0 / p
        h[:, :p, p] = h[:, p, :p] = h_de @ inc
        h[:, p, p] = h_ee + _RIDGE
        grad = np.concatenate([g_d @ inc - _RIDGE * xa[:, :p], g_eta[:, None]], axis=1)
        step = np.linalg.solve(h, grad[..., None])[..., 0]
        biggest = np.abs(step).max(axis=1)
        scale = np.where(biggest > _MAX_STEP, _MAX_STEP / np.maximum(biggest, 1e-300), 1.0)
        xa = xa + step * scale[:, None]
        xa[:, :p] -= xa[:, :p].mean(axis=1, keepdims=True)
        x[active] = xa
        active = active[biggest >= tol]
        if active.size == 0:
            break
    return x[0] if single else x


def davidson_stderr(ia: np.ndarray, ja: np.ndarray, cells: np.ndarray, x: np.ndarray, p: int) -> np.ndarray:
    """(p, p) covariance of theta from the inverse observed information: the model has ties in it, so the
    model-based variance is the right one (no half-credit mismatch for a sandwich to repair)."""
    inc = np.zeros((len(ia), p))
    inc[np.arange(len(ia)), ia] = 1.0
    inc[np.arange(len(ia)), ja] = -1.0
    wi, wj, t = cells[:, 0], cells[:, 1], cells[:, 2]
    n = wi + wj + t
    d = inc @ x[:p]
    nu = float(np.exp(x[p]))
    half = d / 2.0
    den = 2.0 * np.cosh(half) + nu
    h = np.zeros((p + 1, p + 1))
    h[:p, :p] = inc.T @ (inc * (n * (1.0 + nu * np.cosh(half) / 2.0) / den**2)[:, None])
    h[:p, p] = h[p, :p] = (-n * np.sinh(half) * nu / den**2) @ inc
    h[p, p] = float((n * nu * 2.0 * np.cosh(half) / den**2).sum())
    centre = np.eye(p + 1)
    centre[:p, :p] -= 1.0 / p
    cov = centre @ np.linalg.pinv(h) @ centre
    return cov[:p, :p]


def davidson_bootstrap(table: CountTable, x_hat: np.ndarray, resamples: int, seed: int, chunk: int = 250) -> np.ndarray:
    """(resamples, p) log-strengths on the same multinomial redraws as ratings.bootstrap_thetas."""
    iu, ju, cells3 = pair_cells(table)
    flat = cells3.reshape(-1)
    live = np.flatnonzero(flat)
    total = int(flat.sum())
    voted = np.flatnonzero(cells3.sum(axis=1) > 0)
    p = len(table.models)
    rng = np.random.default_rng(seed)
    out = np.empty((resamples, p))
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        full = np.zeros((size, flat.size))
        full[:, live] = rng.multinomial(total, flat[live] / total, size=size)
        cells = full.reshape(size, -1, 3)[:, voted]
        x0 = np.repeat(x_hat[None, :], size, axis=0)
        out[start:start + size] = fit_davidson_cells(iu[voted], ju[voted], cells, p, x0=x0)[:, :p]
    return out


def fit_davidson(table: CountTable) -> tuple[np.ndarray, float, np.ndarray]:
    """(theta, nu, covariance of theta) for one count table."""
    ia, ja, cells = _pairs(table)
    p = len(table.models)
    x = fit_davidson_cells(ia, ja, cells, p)
    return x[:p], float(np.exp(x[p])), davidson_stderr(ia, ja, cells, x, p)
