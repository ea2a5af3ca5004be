"""The factor model that fills missing benchmarks: recovers low-rank structure, and its intervals are honest."""

from __future__ import annotations

import numpy as np
import pytest

from shortlist.rank.impute import Observation, fit_factor_model
from shortlist.rank.noise import imputed_task_score


def _world(models: int = 300, benches: int = 10, rank: int = 2, noise: float = 0.03, seed: int = 0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(models, rank))
    w = rng.normal(scale=0.12, size=(benches, rank))
    mu = rng.uniform(0.3, 0.7, benches)
    clean = mu + z @ w.T
    y = clean + rng.normal(scale=noise, size=clean.shape)
    return y, clean, [f"b{i}" for i in range(benches)]


def test_predicts_hidden_cells_far_better_than_the_row_mean() -> None:
    y, clean, names = _world()
    rng = np.random.default_rng(1)
    observed = y.copy()
    observed[rng.random(y.shape) < 0.4] = np.nan  # 40% missing at random
    se = np.where(np.isnan(observed), np.nan, 0.01)
    model = fit_factor_model(names, observed, se, rank=2)
    mean, sd = model.predict_batch(observed, se)
    hidden = np.isnan(observed)
    err_model = np.abs(mean[hidden] - clean[hidden]).mean()
    row_mean = np.nanmean(observed, axis=1, keepdims=True) * np.ones_like(observed)
    err_row = np.abs(row_mean[hidden] - clean[hidden]).mean()
    assert err_model < 0.4 * err_row
    # 95% intervals around the noisy truth cover about 95% of hidden cells
    z = np.abs(mean[hidden] - y[hidden]) / sd[hidden]
    assert 0.90 <= np.mean(z <= 1.96) <= 0.99


def test_more_evidence_narrows_the_prediction() -> None:
    y, _, names = _world(seed=4)
    se = np.full_like(y, 0.01)
    model = fit_factor_model(names, y, se, rank=2)
    one = model.predict({"b0": Observation(0.6, 0.01)}, ["b9"])
    many = model.predict({f"b{i}": Observation(0.6, 0.01) for i in range(8)}, ["b9"])
    assert many.stderr("b9") < one.stderr("b9")
    none = model.predict({}, ["b9"])  # no evidence: the population spread
    assert none.stderr("b9") > one.stderr("b9")


def test_task_score_uses_measured_values_and_adds_prediction_variance() -> None:
    parts = {"a": (0.8, 0.02)}
    weights = {"a": 1.0, "b": 1.0, "c": 2.0}
    cov = [[0.01, 0.004], [0.004, 0.02]]

    def predict(targets):
        assert list(targets) == ["b", "c"]
        return [0.5, 0.6], cov

    ts = imputed_task_score(parts, weights, predict, {"b", "c"})
    assert ts is not None
    assert ts.score == pytest.approx((0.8 + 0.5 + 2 * 0.6) / 4)
    var = 0.02**2 + (1 * 1 * 0.01 + 2 * (1 * 2 * 0.004) + 2 * 2 * 0.02)  # w_b^2 C_bb + 2 w_b w_c C_bc + w_c^2 C_cc
    assert ts.stderr == pytest.approx(np.sqrt(var) / 4)
    assert ts.coverage == pytest.approx(0.25)
    assert [b for b, _, _ in ts.imputed] == ["b", "c"]
    # without a predictor the missing ones are left out, as before
    plain = imputed_task_score(parts, weights, None)
    assert plain is not None and plain.score == pytest.approx(0.8) and plain.missing == ("b", "c")


def test_fit_is_deterministic() -> None:
    y, _, names = _world(seed=2)
    y[::3, 1] = np.nan
    se = np.where(np.isnan(y), np.nan, 0.01)
    a = fit_factor_model(names, y, se)
    b = fit_factor_model(names, y, se)
    assert np.array_equal(a.loadings, b.loadings) and np.array_equal(a.psi, b.psi)
