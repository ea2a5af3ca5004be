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

Prediction standard deviations are multiplied by `interval_scale`, calibrated by bench/imputation.py so
that 95% intervals cover 95% of held-out cells (calibration and validation models kept apart).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

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
# docs/ranking-method.md. "post-trained": instruct, reasoning and API models (inference); "all": base models too.
CALIBRATION = {"post-trained": (2, 1.39), "all": (4, 1.45)}


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
        """(mean, covariance) of the model's latent factors given its observed scores and covariates."""
        mu = self.offset(x)
        k = self.rank
        precision = np.eye(k)
        rhs = np.zeros(k)
        for bench, obs in observed.items():
            if bench not in self._index:
                continue
            i = self._index[bench]
            w = self.loadings[i]
            tau = self.psi[i] + obs.stderr**2
            precision += np.outer(w, w) / tau
            rhs += w * (obs.value - mu[i]) / tau
        cov = np.linalg.inv(precision)
        return cov @ rhs, cov

    def predict(self, observed: Mapping[str, Observation], targets: Sequence[str],
                x: Sequence[float] | None = None) -> Prediction:
        """Predicted values and joint covariance for `targets` (benchmarks in the model)."""
        mean_z, cov_z = self.posterior(observed, x)
        idx = [self._index[t] for t in targets]
        w = self.loadings[idx]
        mean = self.offset(x)[idx] + w @ mean_z
        cov = (w @ cov_z @ w.T + np.diag(self.psi[idx])) * self.interval_scale**2
        return Prediction(tuple(targets), mean, cov)

    def predict_batch(self, values: np.ndarray, stderrs: np.ndarray,
                      x: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised point predictions and standard deviations for many models at once.

        values, stderrs: (models, benchmarks) in this model's benchmark order, NaN where unobserved; x: the
        models' covariates (models, c). Returns (mean, sd), both (models, benchmarks); observed cells are
        predicted too (used by ordering).
        """
        mu = self._offsets(len(values), x)
        mean_z, cov_z = _e_step(values, stderrs, mu, self.loadings, self.psi)
        mean = mu + mean_z @ self.loadings.T
        var = np.einsum("bi,mij,bj->mb", self.loadings, cov_z, self.loadings) + self.psi
        return mean, np.sqrt(var) * self.interval_scale

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
) -> FactorModel:
    """EM fit on a (models x benchmarks) matrix of normalised scores, NaN where missing.

    covariates: (models, c) known facts about each model (0/1 flags), with an effect per benchmark.
    Deterministic: starts from the principal components of the mean-filled matrix.
    """
    y = np.asarray(values, dtype=float)
    s = np.asarray(stderrs, dtype=float)
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
                       gamma if c else None, tuple(covariate_names))
