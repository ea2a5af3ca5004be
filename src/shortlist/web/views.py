"""What each page's template needs, arranged from library results (no ranking or fitting here)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from shortlist.errors import BadInput
from shortlist.report import charts

KIND_WORDS = {"fit": "does not fit", "license": "license", "context": "context too short", "api": "API only",
              "cost": "too expensive", "params": "too large", "family": "other family", "base": "base model",
              "community": "community model", "size": "size unknown", "evidence": "too little evidence",
              "coverage": "thin evidence"}
SAMPLES_SHOWN = 200


@cache
def plotly_source() -> bytes:
    from shortlist.errors import MissingExtra

    try:
        from plotly.offline import get_plotlyjs
    except ImportError:
        raise MissingExtra("plotly", "web") from None
    return get_plotlyjs().encode("utf-8")


@cache
def gpu_names() -> list[str]:
    from shortlist.catalog.gpus import list_gpus

    return [g.id for g in list_gpus()]


@cache
def family_names() -> list[str]:
    from shortlist.catalog.models import families

    return families()


def why_not(sl: Any) -> list[tuple[str, list[Any]]]:
    groups: dict[str, list[Any]] = {}
    for x in sl.excluded:
        groups.setdefault(x.kinds[0], []).append(x)
    order = list(KIND_WORDS)
    return [(KIND_WORDS.get(k, k), v) for k, v in sorted(groups.items(),
                                                          key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)]


def explorer_context(sl: Any) -> dict[str, Any]:
    benches = [b for b, w in sorted(sl.weights.items(), key=lambda kv: -kv[1]) if w > 0]
    top = sl.entries[:5]
    figures = [f for f in (
        charts.score_vs_memory(sl.entries),
        charts.benchmark_bars([(e.model, e.scores) for e in top], benches, "Per-benchmark breakdown of the top 5"),
        charts.score_vs_cost(sl.entries),
    ) if f is not None]
    return {"sl": sl, "benches": benches, "why_not": why_not(sl), "figures": figures,
            "with_cost": any(e.cost or e.endpoint_cost for e in sl.entries)}


def compare_context(view: Any) -> dict[str, Any]:
    figures = [f for f in (
        charts.benchmark_bars([(m.id, m.scores) for m in view.models if m.scores], view.benchmarks,
                              "Benchmarks side by side"),
        *(charts.paired_differences(p.tasks, p.model_a, p.model_b) for p in view.paired),
    ) if f is not None]
    return {"view": view, "figures": figures}


def run_context(detail: Any, q: Mapping[str, str], with_store: Callable[..., Any]) -> dict[str, Any]:
    """The run page: results, and the sample browser filtered by task, correctness, metric or flips."""
    tasks = sorted(detail.samples)
    task = q.get("task") or (tasks[0] if tasks else None)
    if task is not None and task not in detail.samples:
        raise BadInput(f"run {detail.summary.run_id} has no task '{task}'", f"its tasks: {', '.join(tasks)}")
    samples = list(detail.samples.get(task, [])) if task else []
    metric = q.get("metric") or (next(iter(samples[0].metrics)) if samples and samples[0].metrics else None)
    if metric and samples and metric not in samples[0].metrics:
        raise BadInput(f"task {task} has no metric '{metric}'", f"its metrics: {', '.join(samples[0].metrics)}")
    show = q.get("filter", "all")
    if show not in ("all", "wrong", "right", "flipped"):
        raise BadInput(f"filter '{show}' is not one of all, wrong, right, flipped")
    against = None
    comparison = None
    if show == "flipped":
        other = q.get("against")
        if not other:
            raise BadInput("filter=flipped needs against=RUN_ID", "pick the run to compare with")
        from shortlist.evaluate.compare import compare_samples
        from shortlist.evaluate.runs import get_run

        against = with_store(lambda store: get_run(store, other, with_samples=True), missing=True)
        found, _ = compare_samples({task: samples}, {task: against.samples.get(task, [])}, [task])
        if not found:
            raise BadInput(f"runs {detail.summary.run_id} and {against.summary.run_id} share no {task} items")
        comparison = found[0]
        flipped = {f.doc_id for f in comparison.flipped}
        samples = [s for s in samples if s.doc_id in flipped]
    elif metric and show in ("wrong", "right"):
        want = show == "right"
        samples = [s for s in samples if (s.metrics.get(metric, 0.0) >= 1.0) == want]
    return {"detail": detail, "tasks": tasks, "task": task, "metric": metric, "filter": show,
            "samples": samples[:SAMPLES_SHOWN], "samples_total": len(samples), "against": against,
            "comparison": comparison}
