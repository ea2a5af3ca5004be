"""The factor model that fills missing benchmarks: recovers low-rank structure, and its intervals are honest."""

from __future__ import annotations

import numpy as np
import pytest

from shortlist.catalog.benchmarks import list_benchmarks
from shortlist.rank.impute import Observation, fit_factor_model, from_fit_scale, lower_bounds, to_fit_scale
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


def _strong_world(seed: int = 5):
    """Accuracy-like scores in (0, 1) driven by one factor; the last model is far above the rest."""
    rng = np.random.default_rng(seed)
    z = np.append(rng.normal(size=60), 4.0)
    y = 1.0 / (1.0 + np.exp(-(0.2 + np.outer(z, [1.0, 1.2, 0.9, 1.1]))))
    y = np.clip(y + rng.normal(scale=0.01, size=y.shape), 0.001, 0.999)
    return y, ["b0", "b1", "b2", "b3"]


def test_bounded_prediction_stays_strictly_inside_the_scale_for_a_model_far_above_the_rest() -> None:
    y, names = _strong_world()
    se = np.full_like(y, 0.01)
    top = {b: Observation(float(y[-1, i]), 0.01) for i, b in enumerate(names[:3])}
    assert min(o.value for o in top.values()) > 0.97
    linear = fit_factor_model(names, y[:-1], se[:-1], rank=1)  # the old fit: extrapolates past the ceiling
    assert linear.predict(top, ["b3"]).mean[0] > 1.0
    model = fit_factor_model(names, y[:-1], se[:-1], rank=1, lower=[0.0, 0.0, 0.0, 0.0])
    pred = model.predict(top, ["b3"])
    assert 0.95 < pred.mean[0] < 1.0 and 0.0 < pred.stderr("b3") < 0.05
    rows = np.vstack([y[-1], y[0]])
    rows[:, 3] = np.nan
    mean, sd = model.predict_batch(rows, np.where(np.isnan(rows), np.nan, 0.01))
    assert np.all((mean > 0.0) & (mean < 1.0)) and np.all(np.isfinite(sd) & (sd > 0))
    assert mean[0, 3] == pytest.approx(pred.mean[0]) and sd[0, 3] == pytest.approx(pred.stderr("b3"))
    # a multiple-choice benchmark's range starts below 0 (chance level normalised to 0): still inside it
    mc = fit_factor_model(names, y[:-1] * 4 / 3 - 1 / 3, se[:-1], rank=1, lower=[-1 / 3] * 4)
    p = mc.predict({b: Observation(o.value * 4 / 3 - 1 / 3, 0.01) for b, o in top.items()}, ["b3"]).mean[0]
    assert 0.9 < p < 1.0


def test_rating_benchmarks_are_not_transformed() -> None:
    specs = {b.id: b for b in list_benchmarks()}
    lo = lower_bounds(["humaneval", "mmlu", "lmarena_text", "arena_2025"], specs)
    assert lo[0] == 0.0 and lo[1] == pytest.approx(-1 / 3)  # fractions: bounded, MMLU's chance level below 0
    assert np.isnan(lo[2]) and np.isnan(lo[3])  # arena ratings: linear
    values = np.array([[0.9, 0.7, 0.999, 0.2]])
    stderrs = np.full_like(values, 0.02)
    yt, st = to_fit_scale(values, stderrs, lo)
    assert yt[0, 2:] == pytest.approx(values[0, 2:]) and st[0, 2:] == pytest.approx(stderrs[0, 2:])
    assert yt[0, 0] == pytest.approx(np.log(9.0))  # logit of the raw fraction
    assert st[0, 0] == pytest.approx(0.02 / (0.9 * 0.1))  # delta method
    back, sd = from_fit_scale(yt, np.full_like(yt, 1e-4), lo)
    assert back == pytest.approx(values) and sd[0, 2:] == pytest.approx([1e-4, 1e-4])
    # a fit whose benchmarks are all ratings is exactly the linear fit
    y, _, names = _world(models=80, benches=4, seed=6)
    se = np.full_like(y, 0.01)
    plain = fit_factor_model(names, y, se, rank=1)
    rated = fit_factor_model(names, y, se, rank=1, lower=[np.nan] * 4)
    assert np.array_equal(plain.loadings, rated.loadings) and np.array_equal(plain.mu, rated.mu)
    obs = {"b0": Observation(0.9, 0.01)}
    assert rated.predict(obs, ["b3"]).mean == pytest.approx(plain.predict(obs, ["b3"]).mean)
