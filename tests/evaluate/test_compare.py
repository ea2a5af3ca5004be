"""Paired comparison of two runs: equal to independent computations of McNemar and the bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from shortlist.errors import BadInput
from shortlist.evaluate.compare import compare_metric, compare_samples, mcnemar_exact_p
from shortlist.evaluate.results import SampleResult


def _samples(values: list[float], metric: str = "acc", task: str = "t") -> list[SampleResult]:
    return [SampleResult(task=task, task_version="1", doc_id=i, prompt_hash=f"h{i}", metrics={metric: v}, pred=0,
                         gold=0, prompt=f"question {i}") for i, v in enumerate(values)]


@pytest.mark.parametrize(("b", "c"), [(0, 0), (3, 0), (10, 4), (25, 40), (7, 7), (60, 31)])
def test_mcnemar_equals_scipy_binomial_test(b: int, c: int) -> None:
    from scipy.stats import binomtest

    want = 1.0 if b + c == 0 else binomtest(b, b + c, 0.5, alternative="two-sided").pvalue
    assert mcnemar_exact_p(b, c) == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_binary_comparison_counts_ci_and_verdict() -> None:
    rng = np.random.default_rng(0)
    a = (rng.random(800) < 0.60).astype(float)
    b = np.where(rng.random(800) < 0.15, 1.0 - a, a)  # flip 15% of items
    b[:40] = 1.0  # B also gets the first 40 right: a real improvement
    r = compare_metric("t", "acc", _samples(a.tolist()), _samples(b.tolist()))
    a_only = int(np.sum((a == 1) & (b == 0)))
    b_only = int(np.sum((a == 0) & (b == 1)))
    assert (r.a_only, r.b_only, r.both_right + r.both_wrong + r.a_only + r.b_only) == (a_only, b_only, 800)
    d = b - a
    half = 1.959963984540054 * d.std(ddof=1) / np.sqrt(800)
    assert (r.ci_low, r.ci_high) == pytest.approx((d.mean() - half, d.mean() + half))
    assert r.p_value == pytest.approx(mcnemar_exact_p(a_only, b_only))
    assert r.test == "mcnemar-exact" and r.flipped and r.flipped[0].value_a != r.flipped[0].value_b
    assert r.verdict.startswith("B is better") == (r.ci_low > 0)


def test_continuous_metric_uses_a_paired_bootstrap_close_to_the_normal_ci() -> None:
    rng = np.random.default_rng(1)
    a = rng.uniform(0.2, 0.9, 2000)
    b = np.clip(a + rng.normal(0.01, 0.05, 2000), 0, 1)
    r = compare_metric("tq", "mc2", _samples(a.tolist(), "mc2"), _samples(b.tolist(), "mc2"))
    d = b - a
    half = 1.959963984540054 * d.std(ddof=1) / np.sqrt(len(d))
    assert r.test == "paired-bootstrap"
    assert r.ci_low == pytest.approx(d.mean() - half, abs=0.15 * half)
    assert r.ci_high == pytest.approx(d.mean() + half, abs=0.15 * half)
    assert r.p_value < 0.001 and r.verdict.startswith("B is better")


def test_no_detectable_difference_says_how_many_more_items() -> None:
    a = [1.0, 0.0] * 50
    b = [0.0, 1.0] * 2 + a[4:]
    r = compare_metric("t", "acc", _samples(a), _samples(b))
    assert r.verdict.startswith("no detectable difference") and "more items would detect" in r.verdict
    assert r.min_detectable_diff > 0


def test_only_shared_items_are_compared_and_nothing_shared_is_an_error() -> None:
    a = {"t": _samples([1, 0, 1, 1])}
    b = {"t": _samples([1, 1, 0, 1])[1:]}  # B lacks doc 0
    results, _ = compare_samples(a, b)
    assert results[0].n == 3
    with pytest.raises(BadInput, match="no items in common"):
        compare_metric("t", "acc", [], [])
    none, skipped = compare_samples({"t": _samples([1])}, {"u": _samples([1], task="u")})
    assert not none and skipped
