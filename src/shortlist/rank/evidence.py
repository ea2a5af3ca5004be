"""Scores as evidence: each on the common normalised scale, with an honest standard error.

A score's error is what its source publishes, else the binomial error over the benchmark's items. Figures a
model's maker reports get a setup-noise floor on top (MAKER_SETUP_FLOOR, raw scale): makers choose their
own prompts, shots, sampling and thinking budget, so two makers' "MMLU-Pro" differ by more than sampling.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from shortlist.rank.impute import Observation
from shortlist.rank.noise import FALLBACK_ARENA_STDERR, FALLBACK_ITEMS, raw_stderr
from shortlist.rank.normalize import ARENA_SCALE

LN10 = math.log(10.0)

MAKER_SETUP_FLOOR = 0.02  # 2 points of raw score, added in quadrature to maker-reported figures


class ScoreLike(Protocol):
    value: float
    stderr: float | None
    n: int | None
    source: str
    source_date: str


class BenchmarkLike(Protocol):
    id: str
    n_items: int | None
    random_baseline: float
    scale: str


@dataclass(frozen=True)
class Evidence:
    """One score on the common scale; `raw_stderr` already includes any setup floor."""

    benchmark: str
    value: float  # raw, as published
    raw_stderr: float
    stderr_basis: str
    normalized: float
    normalized_stderr: float
    source: str
    source_date: str | None
    setting: str | None
    maker_reported: bool


def reference_of(spec: Any) -> float | None:
    return getattr(spec, "reference_rating", None)


def _raw_error(score: ScoreLike, spec: BenchmarkLike) -> tuple[float, str, bool]:
    """(raw standard error with any setup noise, how it was obtained, maker-reported?)."""
    se, basis = raw_stderr(score.value, score.stderr, score.n or spec.n_items, spec.scale)
    maker = bool(getattr(score, "maker_reported", False))
    if maker and spec.scale != "elo":
        floor = getattr(spec, "setup_noise", None) or MAKER_SETUP_FLOOR
        se = math.hypot(se, floor)
        basis += f" + maker setup noise {floor * 100:g} pts"
    return se, basis, maker


def normalized_pair(score: ScoreLike, spec: BenchmarkLike) -> tuple[float, float]:
    """(normalised value, normalised stderr): the numbers of evidence_of, without building the record."""
    return fast_pair(score.value, score.stderr, score.n, bool(getattr(score, "maker_reported", False)),
                     constants(spec))


def constants(spec: BenchmarkLike) -> tuple[bool, float, float, int | None, float]:
    """(is_elo, chance baseline, reference rating, item count, maker setup noise) of one benchmark."""
    ref = reference_of(spec)
    return (spec.scale == "elo", spec.random_baseline, 1200.0 if ref is None else ref, spec.n_items,
            getattr(spec, "setup_noise", None) or MAKER_SETUP_FLOOR)


def fast_pair(value: float, stderr: float | None, n: int | None, maker: bool,
              c: tuple[bool, float, float, int | None, float]) -> tuple[float, float]:
    """The arithmetic of raw_stderr + the maker floor + normalize/normalize_stderr, inlined.

    Why: `pick` normalises every score of every candidate (tens of thousands after a leaderboard import)
    to order them; tests/rank check that it agrees with evidence_of on every built-in score.
    """
    is_elo, base, ref, n_items, floor = c
    good = stderr is not None and stderr > 0 and math.isfinite(stderr)
    if is_elo:
        se = stderr if good else FALLBACK_ARENA_STDERR
        p = 1.0 / (1.0 + 10.0 ** ((ref - value) / ARENA_SCALE))
        return p, p * (1.0 - p) * LN10 / ARENA_SCALE * se  # type: ignore[operator]
    if good:
        se = stderr  # type: ignore[assignment]
    else:
        items = n or n_items or FALLBACK_ITEMS
        q = min(max(value, 0.0), 1.0)
        se = math.sqrt(q * (1.0 - q) / items)
    if maker:
        se = math.hypot(se, floor)
    return (value - base) / (1.0 - base), se / (1.0 - base)


def evidence_of(score: ScoreLike, spec: BenchmarkLike) -> Evidence:
    """The normalised value and error of one score (see module docstring)."""
    se, basis, maker = _raw_error(score, spec)
    value, nse = normalized_pair(score, spec)
    return Evidence(
        benchmark=spec.id,
        value=score.value,
        raw_stderr=se,
        stderr_basis=basis,
        normalized=value,
        normalized_stderr=nse,
        source=score.source,
        source_date=getattr(score, "source_date", None),
        setting=getattr(score, "setting", None),
        maker_reported=maker,
    )


def observations(scores: Mapping[str, ScoreLike], specs: Mapping[str, BenchmarkLike]) -> dict[str, Evidence]:
    """Every score of one model that the registry knows, as Evidence."""
    return {b: evidence_of(s, specs[b]) for b, s in scores.items() if b in specs}


def as_observations(evidence: Mapping[str, Evidence]) -> dict[str, Observation]:
    return {b: Observation(e.normalized, e.normalized_stderr) for b, e in evidence.items()}


def evidence_matrix(
    models: Sequence[str], benchmarks: Sequence[str], evidence_of_model: Iterable[Mapping[str, Evidence]]
) -> tuple[np.ndarray, np.ndarray]:
    """(values, stderrs), each (models, benchmarks), normalised, NaN where a model lacks a benchmark."""
    col = {b: i for i, b in enumerate(benchmarks)}
    values = np.full((len(models), len(benchmarks)), np.nan)
    errors = np.full_like(values, np.nan)
    for r, ev in enumerate(evidence_of_model):
        for b, e in ev.items():
            c = col.get(b)
            if c is not None:
                values[r, c] = e.normalized
                errors[r, c] = e.normalized_stderr
    return values, errors
