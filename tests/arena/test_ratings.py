"""Bradley-Terry ratings: equal to an independent fit, to LMArena's published table, and to known strengths."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from shortlist.arena.ratings import ELO_PER_LOGIT, count_table, fit_bradley_terry, outcome_index, rate
from shortlist.errors import BadInput


def _independent_fit(a: np.ndarray, b: np.ndarray, y: np.ndarray, p: int) -> np.ndarray:
    """Per-vote logistic likelihood (ties as y = 0.5) minimised by scipy's L-BFGS on all p ratings, then centred.

    It shares nothing with shortlist.arena: no count table, no Newton step, no constraint trick.
    """
    from scipy.optimize import minimize

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        d = theta[a] - theta[b]
        prob = 1.0 / (1.0 + np.exp(-d))
        eps = 1e-15
        value = -np.sum(y * np.log(prob + eps) + (1 - y) * np.log(1 - prob + eps))
        g = prob - y
        grad = np.bincount(a, g, minlength=p) - np.bincount(b, g, minlength=p)
        return value, grad

    res = minimize(loss, np.zeros(p), jac=True, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15,
                                                                           "maxiter": 10_000})
    return res.x - res.x.mean()


def _synthetic(strengths: np.ndarray, n: int, seed: int, tie_rate: float = 0.1):
    rng = np.random.default_rng(seed)
    p = len(strengths)
    a = rng.integers(0, p, n)
    b = (a + rng.integers(1, p, n)) % p
    win = rng.random(n) < 1 / (1 + np.exp(-(strengths[a] - strengths[b])))
    tie = rng.random(n) < tie_rate
    labels = np.where(tie, "tie", np.where(win, "model_a", "model_b"))
    names = [f"m{i:02d}" for i in range(p)]
    return [names[i] for i in a], [names[i] for i in b], labels.tolist(), names


def test_equals_an_independent_maximum_likelihood_fit() -> None:
    truth = np.linspace(-1.5, 1.5, 12)
    a, b, w, names = _synthetic(truth, 20_000, seed=3)
    table = count_table(a, b, w, names)
    ours = fit_bradley_terry(table.wins())
    idx = {m: i for i, m in enumerate(names)}
    y = np.array([{"model_a": 1.0, "model_b": 0.0, "tie": 0.5}[x] for x in w])
    theirs = _independent_fit(np.array([idx[m] for m in a]), np.array([idx[m] for m in b]), y, len(names))
    assert np.max(np.abs(ours - theirs)) * ELO_PER_LOGIT < 0.05  # Elo points


def test_recovers_known_strengths() -> None:
    rng = np.random.default_rng(7)
    truth = rng.normal(0, 1, 50)
    a, b, w, names = _synthetic(truth, 50_000, seed=11, tie_rate=0.0)
    r = rate(count_table(a, b, w, names), resamples=200, seed=1)
    est = np.array([r.rating[r.models.index(m)] for m in names])
    from scipy.stats import spearmanr

    assert spearmanr(est, truth).statistic >= 0.95
    assert abs(np.mean(est) - 1000.0) < 0.01  # centred at the field mean (ratings rounded to 0.01)


def test_intervals_cover_the_truth_and_anchor_shifts_once() -> None:
    truth = np.array([-0.6, -0.2, 0.0, 0.3, 0.5])
    a, b, w, names = _synthetic(truth, 3_000, seed=5)
    table = count_table(a, b, w, names)
    r = rate(table, resamples=500, seed=2)
    anchored = rate(table, resamples=500, seed=2, anchor=("m00", 800.0))
    for m in names:
        row, arow = r.row(m), anchored.row(m)
        shift = arow["rating"] - row["rating"]
        # one constant moves the estimate and both bounds (not a per-resample re-anchoring)
        assert arow["ci_low"] - row["ci_low"] == pytest.approx(shift, abs=0.02)
        assert arow["ci_high"] - row["ci_high"] == pytest.approx(shift, abs=0.02)
    assert anchored.row("m00")["rating"] == pytest.approx(800.0)
    centred = truth - truth.mean()
    inside = sum(r.row(m)["ci_low"] <= 1000 + ELO_PER_LOGIT * centred[i] <= r.row(m)["ci_high"]
                 for i, m in enumerate(names))
    assert inside >= 4


def test_bootstrap_is_seeded() -> None:
    a, b, w, names = _synthetic(np.array([0.0, 0.4, 0.8]), 900, seed=9)
    table = count_table(a, b, w, names)
    assert rate(table, resamples=100, seed=4) == rate(table, resamples=100, seed=4)


def test_bad_votes_are_one_clear_error() -> None:
    with pytest.raises(BadInput, match="unknown vote outcome 'modle_a'"):
        outcome_index("modle_a")
    assert outcome_index("tie (bothbad)") == 3
    with pytest.raises(BadInput, match="never lose or never win"):
        rate(count_table(["x", "x"], ["y", "y"], ["model_a", "model_a"]), resamples=0)


def test_lmarena_2025_votes_match_the_published_table(shared_data: Path) -> None:
    """arena-rank's README prints a BT top-10 on these votes; differences between models must agree.

    Published (PyPI arena-rank 0.1.1 README, ties and both-bad half, sandwich 95% CI): gemini-2.5-pro 1124.07
    [1117.61, 1130.53], variance 10.8542; gemini-2.5-pro-preview-03-25 1097.88; grok-4-0709 1093.34;
    o3-2025-04-16 1079.39. Its ratings are offset from ours by a constant (0.31 Elo: its centring), so the
    comparison is on gaps, which is what a rating means.
    """
    pq = pytest.importorskip("pyarrow.parquet")
    t = pq.read_table(shared_data / "arena" / "arena_hp140k_votes.parquet", columns=["model_a", "model_b", "winner"])
    table = count_table(t["model_a"].to_pylist(), t["model_b"].to_pylist(), t["winner"].to_pylist())
    assert table.total + table.self_votes == 135_634
    r = rate(table, resamples=0)
    top = r.row("gemini-2.5-pro")
    published = {"gemini-2.5-pro-preview-03-25": 1097.88, "grok-4-0709": 1093.34, "o3-2025-04-16": 1079.39}
    for model, value in published.items():
        assert top["rating"] - r.row(model)["rating"] == pytest.approx(1124.07 - value, abs=0.02)
    assert top["stderr"] == pytest.approx(math.sqrt(10.8542), abs=0.01)
    assert r.models[0] == "gemini-2.5-pro"


def test_shipped_2025_ratings_equal_a_fresh_fit_of_the_votes(shared_data: Path) -> None:
    """catalog/data/scores/arena_2025.yaml is exactly what scripts/build_arena_ratings.py computes from the votes."""
    pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    import importlib.util

    from shortlist.catalog.loader import data_path, read_yaml

    script = Path(__file__).resolve().parents[2] / "scripts" / "build_arena_ratings.py"
    spec = importlib.util.spec_from_file_location("build_arena_ratings", script)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    _, body = mod.build(shared_data / "arena" / "arena_hp140k_votes.parquet")
    shipped = read_yaml(data_path("scores", "arena_2025.yaml"))
    assert body["models"] == shipped["models"]
    gemma = shipped["models"]["google/gemma-3-27b-it"]
    assert gemma["n"]["arena_2025"] == 7326 and 990 < gemma["scores"]["arena_2025"] < 1030
