"""Predict the benchmarks a model lacks from those it has: a factor model over models x benchmarks.

Why: benchmark scores are strongly correlated (a model good at MMLU-Pro is usually good at GPQA), so the
score matrix is close to low rank. Averaging whichever benchmarks a model happens to have compares models
on different footing; predicting the missing cells from the observed ones, with a prediction interval,
puts every model on the whole task profile and widens its uncertainty honestly.

The model (probabilistic factor analysis with missing cells and known measurement noise):

    y[m, b] = mu[b] + g[b] . x[m] + w[b] . z[m] + e[m, b],   z[m] ~ N(0, I_k),   e[m, b] ~ N(0, psi[b] + s[m, b]^2)

where y is a normalised score (rank.normalize), s its own standard error, psi[b] the benchmark's residual
variance beyond what the factors explain, and x[m] known covariates of the model (whether it reasons before
answering: a thinking model's AIME or LiveCodebench is far above what its knowledge or chat scores suggest,
an offset, not a matter of general strength). It is fitted by EM (ridge on the loadings), and a model's
missing benchmarks are predicted from the posterior of its z given what it has:

    mean[b] = mu[b] + w[b] . m,   cov[b, c] = w[b] . S w[c] + psi[b] [b == c]

Bounded benchmarks are modelled on the logit scale (see `to_fit_scale`): a fraction-scale benchmark's
normalised score lives in [lower, 1] (lower = the normalised value of a raw 0: 0 without a chance level, below 0
with one), so y above is logit((y - lower) / (1 - lower)) for them. A linear model on the normalised scale
extrapolates strong models past 1 (every top model "predicted 100%"); on the logit scale the same linear
structure saturates as scores approach the ceiling, and predictions stay strictly inside the scale. Rating
scales (arena Elo, normalised to a win probability) are left linear: logit(win probability) is the rating
difference itself, not a bounded accuracy, and those boards have no ceiling.

Prediction standard deviations are multiplied by `interval_scale`, calibrated by bench/imputation.py so
that 95% intervals cover 95% of held-out cells (calibration and validation models kept apart).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from shortlist.rank.normalize import normalize

DEFAULT_RANK = 2
DEFAULT_RIDGE = 1.0  # prior precision on loadings: a benchmark seen on few models keeps small loadings
PSI_FLOOR = 1e-4  # residual variance floor (1 point of normalised score, squared)
COVARIATE_RIDGE = 1.0  # prior precision on covariate effects: an effect no observed model informs stays at 0
EM_ITERATIONS = 200
EM_TOL = 1e-6
INTERVAL_SCALE = 1.0
# (rank, interval scale) per pool, chosen by bench/imputation.py on its calibration half (rank: the smallest within
# 2% of the best error; scale: raw factor-model intervals are too narrow because the fitted parameters carry error
# too, so they are widened until 95% intervals cover 95% of hidden calibration cells). Figures in
# docs/ranking-method.md. "post-trained": instruct, reasoning and API models (inference); "all": base models too
# (bench/imputation.py --include-base --ranks 1,2,3,4,5). Both fitted with bounded benchmarks on the logit scale.
CALIBRATION = {"post-trained": (2, 1.37), "all": (3, 1.28)}
# Bounded scores are clipped to [LOGIT_EPS, 1 - LOGIT_EPS] of their range before the logit (a perfect or zero
# score would be infinitely far out); 0.01 = one point of the raw scale. bench/imputation.py, validation MAE for
# eps 0.002-0.02: 5.26-5.30 points (post-trained), 5.07-5.17 (base models too; 0.01 at the best, 5.07). Clipping
# the normalised score (chance level = 0) instead of the raw fraction did worse on the latter (5.27-5.42).
LOGIT_EPS = 0.01
Z95 = 1.959964


def lower_bound(spec: object) -> float | None:
    """The normalised value of a raw score of 0 for a bounded (fraction-scale) benchmark; None for rating scales.

    Decided from the registry's `scale`: "fraction" scores are accuracies in 0..1 raw, so their normalised value
    lives in [normalize(0), 1]; "elo" (arena ratings) and anything else are unbounded ratings, fitted linearly.
    """
    if getattr(spec, "scale", None) != "fraction":
        return None
    return normalize(0.0, "fraction", float(getattr(spec, "random_baseline", 0.0)))


def lower_bounds(benchmarks: Sequence[str], specs: Mapping[str, object]) -> np.ndarray:
    """(b,) lower bounds for fit_factor_model: lower_bound per benchmark, NaN where unbounded or unknown."""
    out = [lower_bound(specs[b]) if b in specs else None for b in benchmarks]
    return np.array([np.nan if v is None else v for v in out], dtype=float)


def to_fit_scale(values: np.ndarray, stderrs: np.ndarray, lower: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Normalised scores (and their standard errors) on the scale the factor model is fitted on.

    Bounded columns (finite `lower`, broadcast over the last axis): u = (y - lower) / (1 - lower), the raw
    fraction, clipped to [LOGIT_EPS, 1 - LOGIT_EPS]; y' = logit(u); s' = s / ((1 - lower) u (1 - u)) (delta
    method, at the clipped u, so a score at the ceiling carries a wide error rather than an infinite value).
    Unbounded columns pass through. NaN stays NaN.
    """
    y = np.asarray(values, dtype=float)
    s = np.asarray(stderrs, dtype=float)
    if lower is None or not np.isfinite(lower).any():
        return y, s
    bounded = np.isfinite(lower)
    lo = np.where(bounded, lower, 0.0)
    span = 1.0 - lo
    u = np.clip((y - lo) / span, LOGIT_EPS, 1.0 - LOGIT_EPS)
    yt = np.where(bounded, np.log(u / (1.0 - u)), y)
    st = np.where(bounded, s / (span * u * (1.0 - u)), s)
    return yt, st


def from_fit_scale(mean: np.ndarray, sd: np.ndarray, lower: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Predictions back on the normalised scale: (mean, sd), the shapes of the inputs (benchmarks last).

    mean = lower + (1 - lower) sigmoid(mean'): the median of the predictive distribution (the logit is monotone),
    strictly inside the scale. sd: the downstream code (task-score variance, tiers, intervals shown) takes a
    symmetric normal sd in normalised units, so it is the half-width of the back-transformed 95% interval
    [sigmoid(mean' - z sd'), sigmoid(mean' + z sd')] divided by z. That keeps the interval's width (what
    coverage is calibrated on) where the delta method (sd' sigmoid') understates it far from the centre, and it
    equals the delta method for small sd'. Unbounded columns pass through.
    """
    m = np.asarray(mean, dtype=float)
    d = np.asarray(sd, dtype=float)
    if lower is None or not np.isfinite(lower).any():
        return m, d
    bounded = np.isfinite(lower)
    lo = np.where(bounded, lower, 0.0)
    span = 1.0 - lo
    centre = lo + span * _sigmoid(m)
    width = span * (_sigmoid(m + Z95 * d) - _sigmoid(m - Z95 * d)) / (2 * Z95)
    return np.where(bounded, centre, m), np.where(bounded, width, d)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


@dataclass(frozen=True)
class Observation:
    value: float  # normalised
    stderr: float  # normalised measurement error of this score


@dataclass(frozen=True)
class Prediction:
    benchmarks: tuple[str, ...]
    mean: np.ndarray  # (b,) predicted normalised values
    cov: np.ndarray  # (b, b) prediction covariance (already scaled by interval_scale^2)

    def stderr(self, benchmark: str) -> float:
        i = self.benchmarks.index(benchmark)
        return float(np.sqrt(self.cov[i, i]))


@dataclass(frozen=True)
class FactorModel:
    benchmarks: tuple[str, ...]
    mu: np.ndarray  # (b,)
    loadings: np.ndarray  # (b, k)
    psi: np.ndarray  # (b,)
    observed_models: np.ndarray  # (b,) how many models informed each benchmark
    interval_scale: float = INTERVAL_SCALE
    gamma: np.ndarray | None = None  # (b, c) covariate effects; None: no covariates
    covariates: tuple[str, ...] = ()
    lower: np.ndarray | None = None  # (b,) bounded benchmarks' lower bounds (NaN: unbounded); None: all linear

    def offset(self, x: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
        """The per-benchmark mean for a model with covariates x (zeros when not given)."""
        if self.gamma is None or x is None:
            return self.mu
        return self.mu + self.gamma @ np.asarray(x, dtype=float)

    @property
    def rank(self) -> int:
        return int(self.loadings.shape[1])

    def posterior(self, observed: Mapping[str, Observation],
                  x: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(mean, covariance) of the model's latent factors given its observed scores (normalised) and covariates."""
        mu = self.offset(x)
        k = self.rank
        precision = np.eye(k)
        rhs = np.zeros(k)
        index = self._index
        for bench, obs in observed.items():
            if bench not in index:
                continue
            i = index[bench]
            lo = None if self.lower is None else self.lower[i:i + 1]
            value, stderr = (float(v[0]) for v in to_fit_scale(np.array([obs.value]), np.array([obs.stderr]), lo))
            w = self.loadings[i]
            tau = self.psi[i] + stderr**2
            precision += np.outer(w, w) / tau
            rhs += w * (value - mu[i]) / tau
        cov = np.linalg.inv(precision)
        return cov @ rhs, cov

    def predict(self, observed: Mapping[str, Observation], targets: Sequence[str],
                x: Sequence[float] | None = None) -> Prediction:
        """Predicted normalised values and joint covariance for `targets` (benchmarks in the model).

        Bounded benchmarks come back through from_fit_scale: each sd from its back-transformed interval, the
        correlations those of the fit scale; interval_scale widens the result (as bench/imputation.py calibrates it).
        """
        mean_z, cov_z = self.posterior(observed, x)
        index = self._index
        idx = [index[t] for t in targets]
        w = self.loadings[idx]
        mean_t = self.offset(x)[idx] + w @ mean_z
        cov_t = w @ cov_z @ w.T + np.diag(self.psi[idx])
        sd_t = np.sqrt(np.diag(cov_t))
        mean, sd = from_fit_scale(mean_t, sd_t, None if self.lower is None else self.lower[idx])
        corr = cov_t / np.outer(sd_t, sd_t)
        cov = corr * np.outer(sd, sd) * self.interval_scale**2
        return Prediction(tuple(targets), mean, cov)

    def predict_batch(self, values: np.ndarray, stderrs: np.ndarray,
                      x: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised point predictions and standard deviations for many models at once.

        values, stderrs: (models, benchmarks) in this model's benchmark order, NaN where unobserved; x: the
        models' covariates (models, c). Returns (mean, sd), both (models, benchmarks); observed cells are
        predicted too (used by ordering).
        """
        mu = self._offsets(len(values), x)
        y, s = to_fit_scale(values, stderrs, self.lower)
        mean_z, cov_z = _e_step(y, s, mu, self.loadings, self.psi)
        mean_t = mu + mean_z @ self.loadings.T
        var = np.einsum("bi,mij,bj->mb", self.loadings, cov_z, self.loadings) + self.psi
        mean, sd = from_fit_scale(mean_t, np.sqrt(var), self.lower)
        return mean, sd * self.interval_scale

    def _offsets(self, models: int, x: np.ndarray | None) -> np.ndarray:
        """(models, benchmarks) means: mu plus each model's covariate effects."""
        if self.gamma is None or x is None:
            return np.broadcast_to(self.mu, (models, len(self.mu)))
        return self.mu[None, :] + np.asarray(x, dtype=float) @ self.gamma.T

    @property
    def _index(self) -> dict[str, int]:
        return {b: i for i, b in enumerate(self.benchmarks)}


def _e_step(y: np.ndarray, s: np.ndarray, mu: np.ndarray, w: np.ndarray,
            psi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means (m, k) and covariances (m, k, k) of every model's factors; mu is (b,) or (m, b)."""
    mask = ~np.isnan(y)
    k = w.shape[1]
    inv_tau = np.where(mask, 1.0 / (psi[None, :] + np.nan_to_num(s) ** 2), 0.0)
    precision = np.eye(k)[None] + np.einsum("mb,bi,bj->mij", inv_tau, w, w)
    cov = np.linalg.inv(precision)
    resid = np.where(mask, y - (mu if mu.ndim == 2 else mu[None, :]), 0.0)
    rhs = (inv_tau * resid) @ w
    mean = np.einsum("mij,mj->mi", cov, rhs)
    return mean, cov


def fit_factor_model(
    benchmarks: Sequence[str],
    values: np.ndarray,
    stderrs: np.ndarray,
    rank: int = DEFAULT_RANK,
    ridge: float = DEFAULT_RIDGE,
    iterations: int = EM_ITERATIONS,
    interval_scale: float = INTERVAL_SCALE,
    covariates: np.ndarray | None = None,
    covariate_names: Sequence[str] = (),
    lower: Sequence[float] | np.ndarray | None = None,
) -> FactorModel:
    """EM fit on a (models x benchmarks) matrix of normalised scores, NaN where missing.

    covariates: (models, c) known facts about each model (0/1 flags), with an effect per benchmark.
    lower: (b,) each bounded benchmark's lower bound on the normalised scale (`lower_bounds`), NaN for rating
    scales; those columns are fitted and predicted on the logit scale (module docstring). None: all linear.
    Deterministic: starts from the principal components of the mean-filled matrix.
    """
    lo = None if lower is None else np.asarray(lower, dtype=float).reshape(-1)
    if lo is not None and len(lo) != len(benchmarks):
        raise ValueError("lower needs one entry per benchmark")
    y, s = to_fit_scale(values, stderrs, lo)
    m_count = len(y)
    x = np.zeros((m_count, 0)) if covariates is None else np.asarray(covariates, dtype=float).reshape(m_count, -1)
    c = x.shape[1]
    mask = ~np.isnan(y)
    n_obs = mask.sum(axis=0)
    if (n_obs == 0).any():
        raise ValueError("every benchmark needs at least one observed model")
    mu = np.array([np.nanmean(y[:, b]) for b in range(y.shape[1])])
    gamma = np.zeros((y.shape[1], c))
    filled = np.where(mask, y, mu[None, :])
    centred = filled - mu[None, :]
    _, sing, vt = np.linalg.svd(centred, full_matrices=False)
    k = max(1, min(rank, vt.shape[0]))
    w = vt[:k].T * (sing[:k] / np.sqrt(max(m_count, 1)))
    psi = np.maximum(np.array([np.nanvar(y[:, b]) if n_obs[b] > 1 else 0.01 for b in range(y.shape[1])]) * 0.5,
                     PSI_FLOOR)
    s2 = np.nan_to_num(s) ** 2
    d = 1 + c  # fixed part of the design: intercept and covariates
    previous = None
    for _ in range(iterations):
        offsets = mu[None, :] + x @ gamma.T
        mean_z, cov_z = _e_step(y, s, offsets, w, psi)
        # M-step per benchmark: weighted ridge regression of y on [1, x, z] using E[z], E[zz^T].
        inv_tau = np.where(mask, 1.0 / (psi[None, :] + s2), 0.0)
        fixed = np.concatenate([np.ones((m_count, 1)), x], axis=1)  # (m, d)
        ez = np.concatenate([fixed, mean_z], axis=1)  # (m, d+k)
        ezz = np.einsum("mi,mj->mij", ez, ez)
        ezz[:, d:, d:] += cov_z
        lhs = np.einsum("mb,mij->bij", inv_tau, ezz)
        lhs[:, d:, d:] += ridge * np.eye(k)[None]
        if c:  # a covariate effect no observed model informs stays at zero
            lhs[:, 1:d, 1:d] += COVARIATE_RIDGE * np.eye(c)[None]
        rhs = np.einsum("mb,mi->bi", inv_tau * np.where(mask, y, 0.0), ez)
        coef = np.linalg.solve(lhs, rhs[..., None])[..., 0]
        mu, gamma, w = coef[:, 0], coef[:, 1:d], coef[:, d:]
        # Residual variance beyond the factors and the scores' own errors.
        pred = mu[None, :] + x @ gamma.T + mean_z @ w.T
        spread = np.einsum("bi,mij,bj->mb", w, cov_z, w)
        resid = np.where(mask, (y - pred) ** 2 + spread - s2, 0.0)
        psi = np.maximum(resid.sum(axis=0) / np.maximum(n_obs, 1), PSI_FLOOR)
        state = np.concatenate([mu, gamma.ravel(), w.ravel(), psi])
        if previous is not None and np.max(np.abs(state - previous)) < EM_TOL:
            break
        previous = state
    return FactorModel(tuple(benchmarks), mu, w, psi, n_obs, interval_scale,
                       gamma if c else None, tuple(covariate_names), lo)
