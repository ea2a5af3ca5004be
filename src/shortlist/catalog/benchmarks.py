"""The benchmark registry: what each leaderboard column measures, how many items, and its chance score."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import get_args

from shortlist.catalog.loader import load_fact_list
from shortlist.catalog.schema import BenchmarkSpec, Skill
from shortlist.errors import BadInput
from shortlist.names import build_index, resolve

SKILLS: tuple[str, ...] = get_args(Skill)


@cache
def _load() -> dict[str, BenchmarkSpec]:
    specs = load_fact_list("benchmarks.yaml", "benchmarks", BenchmarkSpec, "benchmark")
    for spec in specs.values():
        if spec.subtasks and sum(s.n_items for s in spec.subtasks) != spec.n_items:
            raise BadInput(f"benchmarks.yaml: {spec.id}: subtask item counts do not add up to n_items")
    return specs


@cache
def _index() -> dict[str, str]:
    return build_index({b.id: b.aliases for b in _load().values()})


def get_benchmark(id_or_alias: str) -> BenchmarkSpec:
    """A benchmark by id or leaderboard spelling ("IFEval", "MATH Lvl 5", "MMLU-PRO", "ARC")."""
    return _load()[resolve(id_or_alias, _index(), "benchmark", display=list(_load()))]


def list_benchmarks(skill: str | None = None, leaderboard: str | None = None) -> list[BenchmarkSpec]:
    """Registered benchmarks in file order, optionally only one skill or one leaderboard's."""
    if skill is not None and skill not in SKILLS:
        raise BadInput(f"unknown skill '{skill}'", f"use one of: {', '.join(SKILLS)}")
    out = list(_load().values())
    if skill is not None:
        out = [b for b in out if b.skill == skill]
    if leaderboard is not None:
        out = [b for b in out if leaderboard in b.leaderboards]
    return out


@dataclass(frozen=True)
class TaskMetric:
    """How one lm-eval task's results become a benchmark value: the mean of these metrics."""

    benchmark: str
    lm_eval_keys: tuple[str, ...]   # in an lm-eval results file ("acc,none", "exact_match,strict-match")
    metrics: tuple[str, ...]        # the same, as a shortlist run names them ("acc", "mc2"), one per key

    @property
    def metric(self) -> str:
        """The headline metric of a run of the task (the first)."""
        return self.metrics[0]


@cache
def task_metrics() -> dict[str, TaskMetric]:
    """lm-eval task name -> its benchmark and metrics: the one map export, import, comparison and own scores read."""
    out: dict[str, TaskMetric] = {}
    for spec in _load().values():
        if not spec.lm_eval_task:
            continue
        keys = tuple(spec.lm_eval_metrics) or (f"{spec.metric},none",)
        names = tuple(spec.task_metrics) or tuple(k.removesuffix(",none") for k in keys)
        for task in (spec.lm_eval_task, *spec.lm_eval_other_tasks):
            out[task] = TaskMetric(spec.id, keys, names)
    return out


def normalize_score(value: float, baseline: float) -> float:
    """The v2 leaderboard's rescaling to 0..1 above chance, clipped at 0."""
    if baseline >= 1:
        raise BadInput(f"random baseline {baseline} must be below 1")
    return max(0.0, (value - baseline) / (1.0 - baseline))


def normalized(spec: BenchmarkSpec, value: float, subtask_values: dict[str, float] | None = None) -> float:
    """A raw fraction rescaled as the v2 leaderboard shows it (0..1, chance = 0).

    With per-subtask values the leaderboard's own rule applies (normalise each, then average); without
    them the group's item-weighted baseline is used, which is close but not exact for BBH and MuSR.
    """
    if spec.scale != "fraction":
        raise BadInput(f"{spec.id} is a {spec.scale} rating, not a fraction", "compare ratings directly")
    if subtask_values and spec.subtasks:
        missing = [s.id for s in spec.subtasks if s.id not in subtask_values]
        if missing:
            raise BadInput(f"{spec.id}: missing subtask values for {', '.join(missing[:3])}")
        parts = [normalize_score(subtask_values[s.id], s.random_baseline) for s in spec.subtasks]
        return sum(parts) / len(parts)
    return normalize_score(value, spec.random_baseline)


# A rating outside this band is a unit mistake (a win rate, a percentage), not an arena rating.
RATING_RANGE = (100.0, 4000.0)


def check_value(benchmark: str, value: float) -> str | None:
    """Why a stored score cannot be right for its benchmark's scale, or None when it can.

    Fractions live in [0, 1] (a percentage must be divided by 100 first); arena ratings in RATING_RANGE.
    Unknown benchmark ids are left to the registry lookup that will name them.
    """
    import math

    if not math.isfinite(value):
        return f"{benchmark} value {value} is not a finite number"
    spec = _load().get(benchmark)
    if spec is None:
        return None
    if spec.scale == "elo":
        lo, hi = RATING_RANGE
        if not lo <= value <= hi:
            return f"{benchmark} rating {value:g} is outside {lo:g}-{hi:g}: not an arena rating"
        return None
    if not -1e-9 <= value <= 1.0 + 1e-9:
        hint = " (a percentage? divide by 100)" if 1.0 < value <= 100.0 else ""
        return f"{benchmark} value {value:g} is outside 0-1{hint}"
    return None
