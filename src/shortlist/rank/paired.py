"""Sharper tiers from the user's own runs: a paired difference where two models scored the same items.

Leaderboard figures carry no per-item results, so the tier test treats two models' scores as independent. When
both models were evaluated by the user on the same items (same task, same prompts), the difference on that
benchmark has a paired variance, var(per-item differences) / n, which removes the item-difficulty variance the
unpaired test carries. The task-score difference then has variance

    sum_b (w_b / W)^2 * v_b,   v_b = paired variance where both have the items, else se_b(A)^2 + se_b(B)^2

on the normalised scale (divided by (1 - chance)^2). Predicted cells keep their prediction variance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PairedItems:
    """Per benchmark, the per-item values of one model's latest own run (doc, prompt) -> value."""

    run_id: str
    values: dict[str, dict[tuple[int, str], float]]  # benchmark -> item -> metric value


def own_items(models: Sequence[str], benchmarks: Mapping[str, Any], db: str | Path | None) -> dict[str, PairedItems]:
    """model -> its latest finished run's per-item values on the profile's benchmarks (models without one: absent)."""
    from shortlist import paths

    path = paths.db_path(db)
    if not path.is_file():
        return {}
    from shortlist.evaluate.results import LEADERBOARD_METRIC
    from shortlist.evaluate.runs import get_run, list_runs
    from shortlist.store import Store

    task_of = {bench: (task, metric) for task, (bench, metric) in LEADERBOARD_METRIC.items() if bench in benchmarks}
    if not task_of:
        return {}
    wanted = set(models)
    out: dict[str, PairedItems] = {}
    with Store(path) as store:
        latest: dict[str, str] = {}
        for r in list_runs(store).runs:  # newest first
            if r.status == "finished" and r.model in wanted and r.model not in latest:
                latest[r.model] = r.run_id
        for model, run_id in latest.items():
            detail = get_run(store, run_id, with_samples=True)
            values: dict[str, dict[tuple[int, str], float]] = {}
            for bench, (task, metric) in task_of.items():
                samples = detail.samples.get(task)
                base = metric.split(",")[0]
                if samples and all(base in s.metrics for s in samples):
                    values[bench] = {(s.doc_id, s.prompt_hash): s.metrics[base] for s in samples}
            if values:
                out[model] = PairedItems(run_id, values)
    return out


def paired_variance(a: dict[tuple[int, str], float], b: dict[tuple[int, str], float]) -> tuple[float, int] | None:
    """(variance of the mean per-item difference, shared items), or None with fewer than 2 shared items."""
    shared = sorted(set(a) & set(b))
    n = len(shared)
    if n < 2:
        return None
    d = [b[k] - a[k] for k in shared]
    mean = sum(d) / n
    var = sum((x - mean) ** 2 for x in d) / (n - 1)
    return var / n, n


def diff_stderr(a: Any, b: Any, weights: Mapping[str, float], baselines: Mapping[str, float],
                items: Mapping[str, PairedItems]) -> tuple[float, str | None]:
    """(standard error of task_score(a) - task_score(b), a note naming the paired benchmarks or None).

    a and b are shortlist entries (their `scores` hold normalised values and errors on the common scale).
    """
    total = sum(w for w in weights.values() if w > 0)
    if total <= 0:
        return math.hypot(a.task_score_stderr, b.task_score_stderr), None
    ia, ib = items.get(a.model), items.get(b.model)
    if ia is None or ib is None:
        return math.hypot(a.task_score_stderr, b.task_score_stderr), None
    var = 0.0
    paired: list[str] = []
    for bench, w in weights.items():
        if w <= 0:
            continue
        sa, sb = a.scores.get(bench), b.scores.get(bench)
        if sa is None or sb is None:
            continue
        share = (w / total) ** 2
        pv = None
        if bench in ia.values and bench in ib.values and not sa.imputed and not sb.imputed:
            pv = paired_variance(ia.values[bench], ib.values[bench])
        if pv is not None:
            var += share * pv[0] / (1.0 - baselines.get(bench, 0.0)) ** 2
            paired.append(f"{bench} (n={pv[1]})")
        else:
            var += share * (sa.normalized_stderr ** 2 + sb.normalized_stderr ** 2)
    if not paired:
        return math.hypot(a.task_score_stderr, b.task_score_stderr), None
    scale = (sum(w for b_, w in weights.items() if w > 0 and b_ in a.scores and b_ in b.scores) / total) or 1.0
    return math.sqrt(var) / scale, "paired on own runs: " + ", ".join(paired)
