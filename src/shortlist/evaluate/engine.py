"""The evaluation loop: plan batches, score them, store each batch at once, aggregate.

Samples are keyed by (model fingerprint, task, task version, doc_id, prompt hash), so a killed
run resumes where it stopped and an identical re-run is served entirely from the store.
"""

from __future__ import annotations

import math
import resource
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from shortlist.errors import BadInput
from shortlist.evaluate import results as R
from shortlist.evaluate.backends import Backend, load_backend
from shortlist.evaluate.types import GenerationInstance, Instance, MultipleChoiceInstance
from shortlist.store import Store

ProgressFn = Callable[[str, int, int], None]   # (task, done, total) after each stored batch


@dataclass
class EvalRequest:
    """What to evaluate and how; `tasks` are names (expanded by the tasks module) or Task objects."""

    model: str
    tasks: Sequence[Any]
    limit: int | None = None
    num_fewshot: int | None = None
    batch_size: int | str = 8
    dtype: str | None = None
    device: str = "auto"
    data_dir: Path | None = None
    resume: bool = True
    model_name: str | None = None
    record_scores: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Pending:
    task: Any
    instances: list[Instance]
    done: dict[int, R.SampleResult]      # doc_id -> stored or computed sample
    todo: list[Instance]


def resolve_tasks(specs: Sequence[Any]) -> list[Any]:
    names = [s for s in specs if isinstance(s, str)]
    objs = [s for s in specs if not isinstance(s, str)]
    if names:
        from shortlist.evaluate.tasks import expand_tasks

        objs = [*expand_tasks(names), *objs]
    if not objs:
        raise BadInput("no tasks to run", "pass --tasks hellaswag,arc_easy")
    return objs


def run(request: EvalRequest, *, store: Store | None = None, backend: Backend | None = None,
        on_progress: ProgressFn | None = None) -> R.EvalRun:
    """Evaluate `request.model` on `request.tasks`; every finished batch is committed as it ends."""
    tasks = resolve_tasks(request.tasks)
    prepared = [(t, t.instances(t.load_docs(request.data_dir), num_fewshot=request.num_fewshot,
                                limit=request.limit)) for t in tasks]
    if backend is None:
        backend = load_backend(request.model, dtype=request.dtype, device=request.device,
                               batch_size=request.batch_size)
    own_store = store is None
    store = R.open_store(store or Store())
    try:
        return _run(request, tasks, prepared, store, backend, on_progress)
    finally:
        if own_store:
            store.close()


def _run(request: EvalRequest, tasks: list[Any], prepared: list[tuple[Any, list[Instance]]], store: Store,
         backend: Backend, on_progress: ProgressFn | None) -> R.EvalRun:
    start = time.perf_counter()
    fp = backend.fingerprint()
    desc = backend.describe()
    run = R.EvalRun(run_id=uuid.uuid4().hex[:12], model=request.model_name or desc.get("model", request.model),
                    fingerprint=fp, backend=desc, request=_request_dict(request, tasks), started_at=R.now())
    R.start_run(store, run)
    pending: list[_Pending] = []
    for task, instances in prepared:
        _check_capable(task, instances, backend)
        stored = R.load_samples(store, fp, task.name, task.version) if request.resume else {}
        p = _Pending(task, instances, {}, [])
        for inst in instances:
            hit = stored.get((inst.doc_id, R.prompt_hash(inst)))
            if hit is not None:
                p.done[inst.doc_id] = hit
            else:
                p.todo.append(inst)
        pending.append(p)
    reused = {p.task.name: len(p.done) for p in pending}
    R.set_total(store, run.run_id, sum(len(p.todo) for p in pending))
    tokens_before = backend.stats.tokens_fed
    compute_s = 0.0
    for p in pending:
        total = len(p.todo)
        if on_progress:
            on_progress(p.task.name, 0, total)
        t0 = time.perf_counter()
        for batch in _batches(p.todo, backend):
            samples = _score(p.task, batch, backend, run.run_id)
            R.save_samples(store, fp, run.run_id, samples)
            for s in samples:
                p.done[s.doc_id] = s
            if on_progress:
                on_progress(p.task.name, len(p.done) - reused[p.task.name], total)
        compute_s += time.perf_counter() - t0
    for p in pending:
        per_doc = [p.done[i.doc_id].metrics for i in p.instances]
        run.tasks[p.task.name] = R.TaskResult(
            task=p.task.name, version=p.task.version, num_fewshot=_fewshot(p.task, request), n=len(p.instances),
            n_computed=len(p.instances) - reused[p.task.name], n_reused=reused[p.task.name],
            metrics=p.task.aggregate(per_doc) if per_doc else {})
    run.groups = _groups(run)
    run.samples = {p.task.name: [p.done[i.doc_id] for i in p.instances] for p in pending}
    run.items = {p.task.name: [(i.doc_id, R.prompt_hash(i)) for i in p.instances] for p in pending}
    R.compare_with_leaderboard(store, run)
    if request.record_scores:
        R.record_own_scores(store, run)
    run.wall_s = time.perf_counter() - start
    run.tokens = backend.stats.tokens_fed - tokens_before
    run.tokens_per_s = run.tokens / compute_s if compute_s > 0 else 0.0
    run.peak_rss_bytes = peak_rss_bytes()
    R.finish_run(store, run)
    return run


def _batches(todo: list[Instance], backend: Backend) -> list[list[Instance]]:
    """Backend-planned batches for log-likelihood docs; plain chunks for generation docs."""
    mc = [i for i in todo if isinstance(i, MultipleChoiceInstance)]
    gen = [i for i in todo if isinstance(i, GenerationInstance)]
    out = [[mc[j] for j in batch] for batch in backend.plan([i.requests() for i in mc])] if mc else []
    out += [gen[k:k + backend.batch_size] for k in range(0, len(gen), backend.batch_size)]
    return out


def _score(task: Any, batch: list[Instance], backend: Backend, run_id: str) -> list[R.SampleResult]:
    samples = []
    if isinstance(batch[0], MultipleChoiceInstance):
        mc = [i for i in batch if isinstance(i, MultipleChoiceInstance)]
        for inst, res in zip(mc, backend.loglikelihood([i.requests() for i in mc]), strict=True):
            lls = [r.logprob for r in res]
            samples.append(R.SampleResult(
                task=task.name, task_version=task.version, doc_id=inst.doc_id, prompt_hash=R.prompt_hash(inst),
                loglikelihoods=lls, is_greedy=[r.is_greedy for r in res], gold=inst.gold,
                pred=max(range(len(lls)), key=lls.__getitem__),
                metrics=_clean(task.process_results(inst, res)),
                prompt=inst.context, choices=list(inst.contexts or inst.continuations)))
    else:
        gen = [i for i in batch if isinstance(i, GenerationInstance)]
        for inst, text in zip(gen, backend.generate([i.request() for i in gen]), strict=True):
            samples.append(R.SampleResult(
                task=task.name, task_version=task.version, doc_id=inst.doc_id, prompt_hash=R.prompt_hash(inst),
                generation=text, gold=inst.reference, metrics=_clean(task.process_results(inst, text)),
                prompt=inst.prompt))
    return samples


def _check_capable(task: Any, instances: list[Instance], backend: Backend) -> None:
    needs_ll = any(isinstance(i, MultipleChoiceInstance) for i in instances)
    needs_gen = any(isinstance(i, GenerationInstance) for i in instances)
    if (needs_ll and not backend.capabilities.loglikelihood) or (needs_gen and not backend.capabilities.generate):
        what = "log-likelihoods" if needs_ll else "generation"
        raise BadInput(f"task {task.name} needs {what}, which {backend.name} cannot give",
                       "pick a generation task or a backend with log-probabilities")


def _groups(run: R.EvalRun) -> dict[str, dict[str, float]]:
    """lm-eval's group scores (e.g. mmlu over its subjects), when the tasks module defines groups."""
    try:
        from shortlist.evaluate.tasks import aggregate_group, group_of
    except ImportError:
        return {}
    members: dict[str, dict[str, Any]] = {}
    for name, t in run.tasks.items():
        group = group_of(name)
        if group:
            members.setdefault(group, {})[name] = {**t.metrics, "n": t.n}
    return {g: aggregate_group(g, m) for g, m in members.items() if m}


def _fewshot(task: Any, request: EvalRequest) -> int:
    return request.num_fewshot if request.num_fewshot is not None else int(getattr(task, "default_fewshot", 0))


def _clean(metrics: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float)) and not math.isnan(float(v))}


def _request_dict(request: EvalRequest, tasks: list[Any]) -> dict[str, Any]:
    """JSON-able request (asdict would deep-copy the task objects and their loaded docs)."""
    d = {f.name: getattr(request, f.name) for f in fields(request)}
    d["tasks"] = [t.name for t in tasks]
    d["data_dir"] = str(request.data_dir) if request.data_dir else None
    return d


def peak_rss_bytes() -> int:
    """Peak resident memory of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss if sys.platform == "darwin" else rss * 1024)
