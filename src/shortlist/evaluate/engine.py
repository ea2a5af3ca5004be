"""The evaluation loop: plan batches, score them, store each batch at once, aggregate.

Samples are keyed by (model fingerprint, task, task version, doc_id, prompt hash), so a killed
run resumes where it stopped and an identical re-run is served entirely from the store.

Each batch is scored with one `process_results_batch` call per task (an LLM judge grades the whole
batch concurrently). Generations are scored after `<think>` blocks are removed (evaluate.generation;
`keep_think` scores them as written), and one cut by the token limit counts as "did not finish" in its
task's `did_not_finish` count. A chat template, when asked for, comes from the backend's tokenizer.
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

from shortlist.catalog.scores import load_scores
from shortlist.errors import BadInput
from shortlist.evaluate import custom
from shortlist.evaluate import results as R
from shortlist.evaluate.backends import Backend, load_backend
from shortlist.evaluate.generation import strip_think
from shortlist.evaluate.protocol import PLAIN, ChatTemplate, PromptFormat, Result, Task, task_fewshot_seed
from shortlist.evaluate.suites import compare_suite, score_suite
from shortlist.evaluate.tasks import aggregate_group, expand_tasks, group_of
from shortlist.evaluate.types import GenerationInstance, Instance, MultipleChoiceInstance
from shortlist.store import Store

ProgressFn = Callable[[str, int, int], None]   # (task, done, total) after each stored batch
DID_NOT_FINISH = "did_not_finish"   # per-sample metric of generation tasks: 1.0 when cut by the token limit


@dataclass
class EvalRequest:
    """What to evaluate and how; `tasks` are names, task-file paths or Task objects.

    apply_chat_template: True renders prompts with the model's chat template (an error when it has none),
    None when it has one (the Open LLM Leaderboard's rule), False never (lm-eval's default).
    """

    model: str
    tasks: Sequence[str | Task]
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
    fewshot_seed: int | None = None          # None: each task's own (a task file's fewshot_seed), else 1234
    apply_chat_template: bool | None = False
    fewshot_as_multiturn: bool = False
    system_instruction: str | None = None
    keep_think: bool = False                 # score <think> blocks as written
    suite: str | None = None                 # a preset's name (evaluate.suites), recorded with the run


@dataclass
class _Pending:
    task: Task
    instances: list[Instance]
    done: dict[int, R.SampleResult]      # doc_id -> stored or computed sample
    todo: list[Instance]


def resolve_tasks(specs: Sequence[str | Task]) -> list[Task]:
    """Task objects for names (groups expanded), task-file paths and Task objects, each name once, order kept."""
    out: list[Task] = []
    seen: set[str] = set()
    for spec in specs:
        if not isinstance(spec, str):
            found: list[Task] = [spec]
        elif custom.is_task_file(spec):
            found = list(custom.load_task_file(spec))
        else:
            found = expand_tasks([spec])
        for task in found:
            if task.name not in seen:
                seen.add(task.name)
                out.append(task)
    if not out:
        raise BadInput("no tasks to run", "pass --tasks hellaswag,arc_easy")
    return out


def chat_template_of(backend: Backend) -> ChatTemplate | None:
    """The backend's `chat_template` (messages -> prompt; hf and llamacpp read the model's own), else None."""
    own = getattr(backend, "chat_template", None)
    return own if callable(own) else None


def prompt_format(request: EvalRequest, backend: Backend) -> PromptFormat:
    if request.apply_chat_template is False:
        if request.fewshot_as_multiturn:
            raise BadInput("few-shot examples as chat turns need the chat template", "add --chat-template")
        return PromptFormat(system_instruction=request.system_instruction) if request.system_instruction else PLAIN
    template = chat_template_of(backend)
    if template is None:
        if request.apply_chat_template is None:  # "when the model has one"
            return PromptFormat(system_instruction=request.system_instruction)
        raise BadInput(f"{backend.name} has no chat template", "drop --chat-template, or use a chat model")
    return PromptFormat(template, request.fewshot_as_multiturn, request.system_instruction)


def prepare(request: EvalRequest, tasks: list[Task], docs: list[list[Any]], backend: Backend,
            ) -> tuple[PromptFormat, list[tuple[Task, list[Instance]]]]:
    """Every task's instances under the request's prompt format, few-shot setting, seed and limit."""
    fmt = prompt_format(request, backend)
    prepared = []
    for task, task_docs in zip(tasks, docs, strict=True):
        instances = task.instances(task_docs, num_fewshot=request.num_fewshot, limit=request.limit,
                                   fewshot_seed=task_fewshot_seed(task, request.fewshot_seed), prompt_format=fmt)
        preflight = getattr(task, "preflight", None)   # optional: a task whose scorer needs something absent
        if callable(preflight):
            preflight(instances)
        prepared.append((task, instances))
    return fmt, prepared


@dataclass
class Prepared:
    """A request made ready against a loaded backend: its tasks and every instance, in the prompt format used."""

    tasks: list[Task]
    fmt: PromptFormat
    instances: list[tuple[Task, list[Instance]]]


def load_docs(request: EvalRequest) -> tuple[list[Task], list[list[Any]]]:
    tasks = resolve_tasks(request.tasks)
    return tasks, [t.load_docs(request.data_dir) for t in tasks]   # missing data fails before the model loads


def prepare_run(request: EvalRequest, backend: Backend, loaded: tuple[list[Task], list[list[Any]]] | None = None,
                ) -> Prepared:
    tasks, docs = loaded or load_docs(request)
    fmt, instances = prepare(request, tasks, docs, backend)
    return Prepared(tasks, fmt, instances)


def run(request: EvalRequest, *, store: Store | None = None, backend: Backend | None = None,
        on_progress: ProgressFn | None = None, prepared: Prepared | None = None) -> R.EvalRun:
    """Evaluate `request.model` on `request.tasks`; every finished batch is committed as it ends."""
    loaded = load_docs(request) if prepared is None else None
    if backend is None:
        backend = load_backend(request.model, dtype=request.dtype, device=request.device,
                               batch_size=request.batch_size)
    prepared = prepared or prepare_run(request, backend, loaded)
    own_store = store is None
    store = R.open_store(store or Store())
    try:
        return _run(request, prepared.tasks, prepared.instances, store, backend, on_progress, prepared.fmt)
    finally:
        if own_store:
            store.close()


def _run(request: EvalRequest, tasks: list[Task], prepared: list[tuple[Task, list[Instance]]], store: Store,
         backend: Backend, on_progress: ProgressFn | None, fmt: PromptFormat = PLAIN) -> R.EvalRun:
    start = time.perf_counter()
    fp = backend.fingerprint()
    desc = backend.describe()
    run = R.EvalRun(run_id=uuid.uuid4().hex[:12], model=request.model_name or desc.get("model", request.model),
                    fingerprint=fp, backend=desc, request=_request_dict(request, tasks, fmt), started_at=R.now())
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
            samples = _score(p.task, batch, backend, request.keep_think)
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
            metrics=p.task.aggregate(per_doc) if per_doc else {},
            did_not_finish=sum(int(d.get(DID_NOT_FINISH, 0.0)) for d in per_doc))
    run.groups = _groups(run)
    run.samples = {p.task.name: [p.done[i.doc_id] for i in p.instances] for p in pending}
    run.items = {p.task.name: [(i.doc_id, R.prompt_hash(i)) for i in p.instances] for p in pending}
    R.compare_with_leaderboard(store, run)
    if request.suite:
        run.suite = score_suite(request.suite, run)
        run.suite.comparison = compare_suite(run, load_scores(store, include_own=False))
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


def _score(task: Task, batch: list[Instance], backend: Backend, keep_think: bool = False) -> list[R.SampleResult]:
    """Answers for one batch from the backend, scored by the task in one call."""
    samples: list[R.SampleResult] = []
    if isinstance(batch[0], MultipleChoiceInstance):
        mc = [i for i in batch if isinstance(i, MultipleChoiceInstance)]
        results = backend.loglikelihood([i.requests() for i in mc])
        scores = task.process_results_batch(mc, results)
        for inst, res, metrics in zip(mc, results, scores, strict=True):
            lls = [r.logprob for r in res]
            samples.append(R.SampleResult(
                task=task.name, task_version=task.version, doc_id=inst.doc_id, prompt_hash=R.prompt_hash(inst),
                loglikelihoods=lls, is_greedy=[r.is_greedy for r in res], gold=_json_gold(inst.gold),
                pred=max(range(len(lls)), key=lls.__getitem__), metrics=_clean(metrics),
                prompt=inst.context, choices=list(inst.contexts or inst.continuations)))
        return samples
    gen = [i for i in batch if isinstance(i, GenerationInstance)]
    outputs = backend.generate([i.request() for i in gen])
    texts = [getattr(out, "text", out) for out in outputs]   # GenerationResult (a plain str from older fakes)
    answers: list[Result] = [t if keep_think else strip_think(t) for t in texts]
    scores = task.process_results_batch(gen, answers)
    for inst, out, text, metrics in zip(gen, outputs, texts, scores, strict=True):
        clean = _clean(metrics)
        # 1.0 when the token limit cut the generation ("did not finish"), stored with the sample
        clean[DID_NOT_FINISH] = float(getattr(out, "finish_reason", "stop") == "length")
        samples.append(R.SampleResult(
            task=task.name, task_version=task.version, doc_id=inst.doc_id, prompt_hash=R.prompt_hash(inst),
            generation=text, gold=inst.reference, metrics=clean, prompt=inst.prompt))
    return samples


def _json_gold(gold: int | tuple[int, ...]) -> int | list[int]:
    return list(gold) if isinstance(gold, tuple) else gold


def _check_capable(task: Task, instances: list[Instance], backend: Backend) -> None:
    needs_ll = any(isinstance(i, MultipleChoiceInstance) for i in instances)
    needs_gen = any(isinstance(i, GenerationInstance) for i in instances)
    if (needs_ll and not backend.capabilities.loglikelihood) or (needs_gen and not backend.capabilities.generate):
        what = "log-likelihoods" if needs_ll else "generation"
        raise BadInput(f"task {task.name} needs {what}, which {backend.name} cannot give",
                       "pick a generation task or a backend with log-probabilities")


def _groups(run: R.EvalRun) -> dict[str, dict[str, float]]:
    """lm-eval's group scores (mmlu over its subjects, leaderboard_bbh over its 24 tasks, ...)."""
    members: dict[str, dict[str, Any]] = {}
    for name, t in run.tasks.items():
        group = group_of(name)
        if group:
            members.setdefault(group, {})[name] = {**t.metrics, "n": t.n}
    return {g: aggregate_group(g, m) for g, m in members.items() if m}


def _fewshot(task: Task, request: EvalRequest) -> int:
    return request.num_fewshot if request.num_fewshot is not None else int(getattr(task, "default_fewshot", 0))


def _clean(metrics: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float)) and not math.isnan(float(v))}


def _request_dict(request: EvalRequest, tasks: list[Task], fmt: PromptFormat = PLAIN) -> dict[str, Any]:
    """JSON-able request (asdict would deep-copy the task objects and their loaded docs), with the prompt
    format actually used (a chat template asked for "when the model has one" may not have been)."""
    d = {f.name: getattr(request, f.name) for f in fields(request)}
    d["tasks"] = [t.name for t in tasks]
    d["data_dir"] = str(request.data_dir) if request.data_dir else None
    d["prompt_format"] = fmt.describe()
    return d


def peak_rss_bytes() -> int:
    """Peak resident memory of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss if sys.platform == "darwin" else rss * 1024)
