"""`eval --model M --against R`: evaluate two models on the same items and report M's difference from R.

The usual use is the cost of a quantization: `--model llamacpp:model.Q4_K_M.gguf --against hf:./full-model`.
Both runs go through the engine as ordinary runs (stored, resumable, served from the store when repeated);
the tasks build the same instances for both, so every item is paired and the comparison is the paired one of
`shortlist eval compare` (McNemar exact test and a normal CI on 0/1 metrics, a paired bootstrap on
continuous ones), with A = the reference and B = the model: a negative difference is what the model loses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from pydantic import BaseModel, Field

from shortlist.evaluate import engine
from shortlist.evaluate import results as R
from shortlist.evaluate.backends import Backend, load_backend
from shortlist.evaluate.compare import MetricComparison, compare_samples
from shortlist.store import Store

SCHEMA_VERSION = 1


class TaskCost(BaseModel):
    """One task: the model's score minus the reference's on the same items, with its paired CI."""

    task: str
    metric: str
    n: int
    model: float
    reference: float
    diff: float          # model - reference: negative = what the model loses
    ci_low: float
    ci_high: float
    p_value: float
    test: str
    within_noise: bool   # the CI includes 0
    verdict: str
    model_only: int | None = None       # 0/1 metrics: items only the model gets right
    reference_only: int | None = None   # ... only the reference gets right


class AgainstReport(BaseModel):
    schema_version: int = SCHEMA_VERSION
    model: str
    reference: str
    run: str               # run id of the model
    reference_run: str     # run id of the reference
    level: float
    tasks: list[TaskCost] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)


def _cost(c: MetricComparison) -> TaskCost:
    within = c.ci_low <= 0.0 <= c.ci_high
    if within:
        verdict = (f"no detectable difference ({c.diff * 100:+.1f} points, CI [{c.ci_low * 100:+.1f}, "
                   f"{c.ci_high * 100:+.1f}], p={c.p_value:.2g}; detectable at this size: "
                   f"{c.min_detectable_diff * 100:.1f} points)")
    else:
        word = "loses" if c.diff < 0 else "gains"
        verdict = (f"the model {word} {abs(c.diff) * 100:.1f} points (CI [{c.ci_low * 100:+.1f}, "
                   f"{c.ci_high * 100:+.1f}], p={c.p_value:.2g})")
    return TaskCost(task=c.task, metric=c.metric, n=c.n, model=c.mean_b, reference=c.mean_a, diff=c.diff,
                    ci_low=c.ci_low, ci_high=c.ci_high, p_value=c.p_value, test=c.test, within_noise=within,
                    verdict=verdict, model_only=c.b_only, reference_only=c.a_only)


def report(model_run: R.EvalRun, reference_run: R.EvalRun, level: float = 0.95) -> AgainstReport:
    """The paired comparison of two finished runs (with their samples) over the items both scored."""
    comparisons, skipped = compare_samples(reference_run.samples, model_run.samples, list(model_run.tasks), level)
    return AgainstReport(model=model_run.model, reference=reference_run.model, run=model_run.run_id,
                         reference_run=reference_run.run_id, level=level, tasks=[_cost(c) for c in comparisons],
                         skipped=skipped)


def reference_request(request: engine.EvalRequest, against: str) -> engine.EvalRequest:
    """The model's request with the reference in its place: same tasks, docs, shots and data."""
    return replace(request, model=against, model_name=None, dtype=None)


def run_against(request: engine.EvalRequest, against: str, *, store: Store, backend: Backend | None = None,
                reference_backend: Backend | None = None, on_progress: engine.ProgressFn | None = None,
                level: float = 0.95, load: Callable[..., Backend] = load_backend,
                model_run: R.EvalRun | None = None) -> tuple[R.EvalRun, R.EvalRun, AgainstReport]:
    """Run the model (unless `model_run` is given), then the reference, and compare them item by item.

    The reference is loaded only after the model's run, so the two are never in memory together.
    """
    if model_run is None:
        model_run = engine.run(request, store=store, backend=backend, on_progress=on_progress)
    ref_request = reference_request(request, against)
    if reference_backend is None:
        reference_backend = load(against, device=request.device, batch_size=request.batch_size)
    progress = (lambda task, done, total: on_progress(f"{task} (against)", done, total)) if on_progress else None
    try:
        ref_run = engine.run(ref_request, store=store, backend=reference_backend, on_progress=progress)
    finally:
        close = getattr(reference_backend, "close", None)
        if callable(close):
            close()
    return model_run, ref_run, report(model_run, ref_run, level)
