"""Run and sample records: written to the store as they finish, exported as lm-eval JSON and own scores."""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from shortlist.catalog.benchmarks import TaskMetric, task_metrics
from shortlist.evaluate.migrations import MIGRATIONS
from shortlist.evaluate.tasks import group_of
from shortlist.evaluate.types import Instance, MultipleChoiceInstance
from shortlist.store import Store


class _LeaderboardMetric(Mapping[str, tuple[str, str]]):
    """Task -> (benchmark registry id, the run's headline metric for it), read from the benchmark registry."""

    def _map(self) -> dict[str, tuple[str, str]]:
        return {task: (m.benchmark, m.metric) for task, m in task_metrics().items()}

    def __getitem__(self, task: str) -> tuple[str, str]:
        return self._map()[task]

    def __iter__(self) -> Iterator[str]:
        return iter(self._map())

    def __len__(self) -> int:
        return len(self._map())


LEADERBOARD_METRIC: Mapping[str, tuple[str, str]] = _LeaderboardMetric()


class SampleResult(BaseModel):
    """One scored doc: what the model said about it and what that earned."""

    task: str
    task_version: str
    doc_id: int
    prompt_hash: str
    loglikelihoods: list[float] | None = None
    is_greedy: list[bool] | None = None
    generation: str | None = None
    gold: Any = None
    pred: int | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    prompt: str | None = None  # what the model was shown (multiple choice: the shared context)
    choices: list[str] | None = None  # multiple choice: the continuations scored


class TaskResult(BaseModel):
    task: str
    version: str
    num_fewshot: int | None
    n: int
    n_computed: int
    n_reused: int
    metrics: dict[str, float]          # metric and f"{metric}_stderr"
    leaderboard: dict[str, Any] | None = None
    did_not_finish: int = 0            # generations the token limit cut before they ended


class SuiteScore(BaseModel):
    """One benchmark of a suite as its leaderboard shows it."""

    task: str                        # the lm-eval task or group it is read from
    raw: float                       # the value the leaderboard stores (0..1)
    normalized: float                # 0-100 above chance, the leaderboard's column
    n: int                           # docs scored
    subtasks: dict[str, float] = Field(default_factory=dict)   # per-subtask normalised scores (BBH, MuSR)
    complete: bool = True            # every subtask ran


class BenchmarkComparison(BaseModel):
    published: float
    source: str
    verdict: str | None = None       # "reproduced" / "differs by X, outside CI" / "not comparable: ..."
    delta: float | None = None
    within_ci: bool | None = None


class SuiteComparison(BaseModel):
    benchmarks: dict[str, BenchmarkComparison] = Field(default_factory=dict)
    all_reproduced: bool = False
    settings_differ: list[str] = Field(default_factory=list)   # why the run may not reproduce, in words


class SuiteResult(BaseModel):
    name: str
    title: str
    scores: dict[str, SuiteScore] = Field(default_factory=dict)
    average: float | None = None     # the plain mean of the normalised scores
    average_complete: bool = False   # every benchmark and subtask ran
    limit: int | None = None
    comparison: SuiteComparison | None = None


class EvalRun(BaseModel):
    run_id: str
    model: str
    fingerprint: str
    backend: dict[str, Any]
    request: dict[str, Any]
    started_at: str
    wall_s: float = 0.0
    tokens: int = 0
    tokens_per_s: float = 0.0
    peak_rss_bytes: int = 0
    tasks: dict[str, TaskResult] = Field(default_factory=dict)
    groups: dict[str, dict[str, float]] = Field(default_factory=dict)
    leaderboard: dict[str, dict[str, Any]] = Field(default_factory=dict)   # group name -> comparison
    items: dict[str, list[tuple[int, str]]] = Field(default_factory=dict)  # task -> (doc_id, prompt_hash) scored
    samples: dict[str, list[SampleResult]] = Field(default_factory=dict, exclude=True)  # task -> doc order
    suite: SuiteResult | None = None  # a preset's normalised scores and comparison (evaluate.suites)


def prompt_hash(inst: Instance) -> str:
    """Everything that decides a sample's numbers besides the model: prompt, choices, target."""
    if isinstance(inst, MultipleChoiceInstance):
        payload: list[Any] = ["mc", [[r.context, r.continuation] for r in inst.requests()], inst.gold]
    else:
        payload = ["gen", inst.prompt, list(inst.until), inst.max_tokens, inst.reference]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()[:24]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_store(store: Store) -> Store:
    store.migrate(MIGRATIONS)
    return store


def load_samples(store: Store, fingerprint: str, task: str, version: str) -> dict[tuple[int, str], SampleResult]:
    rows = store.conn.execute(
        "SELECT * FROM eval_samples WHERE fingerprint = ? AND task = ? AND task_version = ?",
        (fingerprint, task, version),
    )
    out = {}
    for r in rows:
        s = SampleResult(
            task=r["task"], task_version=r["task_version"], doc_id=r["doc_id"], prompt_hash=r["prompt_hash"],
            loglikelihoods=_loads(r["loglikelihoods_json"]), is_greedy=_loads(r["is_greedy_json"]),
            generation=r["generation"], gold=json.loads(r["gold_json"]), pred=r["pred"],
            metrics=json.loads(r["metrics_json"]), prompt=r["prompt"], choices=_loads(r["choices_json"]),
        )
        out[(s.doc_id, s.prompt_hash)] = s
    return out


def save_samples(store: Store, fingerprint: str, run_id: str, samples: Sequence[SampleResult]) -> None:
    """One transaction per batch: a killed run keeps every finished batch and no partial one."""
    stamp = now()
    with store.transaction() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO eval_samples (fingerprint, task, task_version, doc_id, prompt_hash, run_id,"
            " loglikelihoods_json, is_greedy_json, generation, gold_json, pred, metrics_json, created_at, prompt,"
            " choices_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (fingerprint, s.task, s.task_version, s.doc_id, s.prompt_hash, run_id,
                 _dumps(s.loglikelihoods), _dumps(s.is_greedy), s.generation, json.dumps(s.gold), s.pred,
                 json.dumps(s.metrics), stamp, s.prompt, _dumps(s.choices))
                for s in samples
            ],
        )


def start_run(store: Store, run: EvalRun) -> None:
    """Record a new run, and mark runs whose process died mid-run as 'interrupted' (their samples stay)."""
    with store.transaction() as conn:
        running = conn.execute("SELECT run_id, pid FROM eval_runs WHERE status = 'running'").fetchall()
        dead = [(r[0],) for r in running if not _process_alive(r[1])]
        conn.executemany("UPDATE eval_runs SET status = 'interrupted' WHERE run_id = ?", dead)
        conn.execute(
            "INSERT INTO eval_runs (run_id, model, fingerprint, backend_json, request_json, status, started_at, pid)"
            " VALUES (?, ?, ?, ?, ?, 'running', ?, ?)",
            (run.run_id, run.model, run.fingerprint, json.dumps(run.backend), json.dumps(run.request),
             run.started_at, os.getpid()),
        )


def set_total(store: Store, run_id: str, docs_to_compute: int) -> None:
    """How many docs this run computes (reused ones excluded): a running run's progress is its samples / this."""
    with store.transaction() as conn:
        conn.execute("UPDATE eval_runs SET total_docs = ? WHERE run_id = ?", (docs_to_compute, run_id))


def _process_alive(pid: int | None) -> bool:
    if pid is None or pid == os.getpid():
        return pid is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def finish_run(store: Store, run: EvalRun) -> None:
    with store.transaction() as conn:
        conn.execute(
            "UPDATE eval_runs SET status = 'finished', finished_at = ?, wall_s = ?, tokens = ?, tokens_per_s = ?,"
            " peak_rss_bytes = ?, results_json = ? WHERE run_id = ?",
            (now(), run.wall_s, run.tokens, run.tokens_per_s, run.peak_rss_bytes, run.model_dump_json(),
             run.run_id),
        )


def lm_eval_json(run: EvalRun) -> dict[str, Any]:
    """The results file lm-evaluation-harness writes (results/groups/group_subtasks/configs/versions/n-shot/
    n-samples/config/date), metrics under lm-eval's own keys (truthfulqa_mc2's mc2 is its "acc,none")."""
    known = task_metrics()

    def entry(name: str, metrics: dict[str, float]) -> dict[str, Any]:
        keys = _key_map(known.get(name))
        out: dict[str, Any] = {"alias": name}
        for key, value in metrics.items():
            if key != "n":
                out[keys.get(key) or _lm_eval_key(key)] = value if value == value else "N/A"
        return out

    results = {name: entry(name, t.metrics) for name, t in run.tasks.items()}
    groups = {g: entry(g, m) for g, m in run.groups.items()}
    subtasks: dict[str, list[str]] = {}
    for name in run.tasks:
        group = group_of(name)
        if group in groups:
            subtasks.setdefault(group, []).append(name)
    return {
        "results": {**groups, **results},
        "groups": groups,
        "group_subtasks": subtasks,
        "configs": {
            name: {"task": name, "num_fewshot": t.num_fewshot, "metadata": {"version": t.version}}
            for name, t in run.tasks.items()
        },
        "versions": {name: t.version for name, t in run.tasks.items()},
        "n-shot": {name: t.num_fewshot for name, t in run.tasks.items()},
        "n-samples": {name: {"original": t.n, "effective": t.n} for name, t in run.tasks.items()},
        "config": {
            "model": run.backend.get("backend", "hf"),
            "model_args": f"pretrained={run.backend.get('ref', run.model)},dtype={run.backend.get('dtype')}",
            "batch_size": run.backend.get("batch_size"),
            "device": run.backend.get("device"),
            "limit": run.request.get("limit"),
        },
        "model_name": run.model,
        "date": datetime.fromisoformat(run.started_at).timestamp(),   # lm-eval writes a UNIX time
        "shortlist": {"run_id": run.run_id, "fingerprint": run.fingerprint, "wall_s": run.wall_s},
    }


def _key_map(known: TaskMetric | None) -> dict[str, str]:
    """Our metric (and its stderr) -> lm-eval's key, where the registry says they differ."""
    if known is None:
        return {}
    out = {}
    for ours, theirs in zip(known.metrics, known.lm_eval_keys, strict=True):
        metric, _, flt = theirs.partition(",")
        out[ours] = theirs
        out[f"{ours}_stderr"] = f"{metric}_stderr,{flt}"
    return out


def _lm_eval_key(key: str) -> str:
    """acc -> "acc,none"; acc_stderr -> "acc_stderr,none"; "exact_match,strict-match_stderr" -> filter kept."""
    stderr = key.endswith("_stderr")
    base = key.removesuffix("_stderr")
    metric, _, flt = base.partition(",")
    return f"{metric}{'_stderr' if stderr else ''},{flt or 'none'}"


def iter_sample_lines(samples: Iterable[SampleResult]) -> Iterable[str]:
    for s in samples:
        yield json.dumps({"task": s.task, "doc_id": s.doc_id, "loglikelihoods": s.loglikelihoods, "gold": s.gold,
                          "pred": s.pred, "generation": s.generation, "metrics": s.metrics}, ensure_ascii=False)


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _loads(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _scored(run: EvalRun) -> dict[str, tuple[dict[str, float], int]]:
    """Task or group name -> (metrics, n) for everything the run scored as a whole benchmark.

    A group only counts when every member task ran: MMLU from one subject, or BBH from one of its 24 tasks, is
    not MMLU or BBH, and must neither be compared with a published score nor recorded as the user's own."""
    from shortlist.evaluate.tasks import group_members

    out = {name: (t.metrics, t.n) for name, t in run.tasks.items()}
    for g, m in run.groups.items():
        if all(member in run.tasks for member in group_members(g)):
            out[g] = (m, int(m.get("n", 0)))
    return out


def compare_with_leaderboard(store: Store, run: EvalRun, level: float = 0.95) -> None:
    """Put the published score and whether ours is within its confidence interval beside each result.

    Compared against imported/built-in scores, never against the user's own earlier runs.
    """
    from shortlist.catalog.scores import load_scores
    from shortlist.stats import z_for_level

    table = load_scores(store, include_own=False).for_model(run.model)
    z = z_for_level(level)
    known = task_metrics()
    for name, (metrics, n) in _scored(run).items():
        value = benchmark_value(known.get(name), metrics)
        if value is None:
            continue
        bench, metric = known[name].benchmark, known[name].metric
        ref = table.get(bench)
        if ref is None:
            continue
        ours, se = value
        se = se if se is not None else 0.0
        if n > 0 and 0.0 <= ours <= 1.0 and 0.0 < ref.value < 1.0:
            # a proportion from n items: its sampling error is at least the binomial one at the published rate
            # (3 of 3 right has a sample stderr of 0, which would call any difference significant)
            se = max(se, (ref.value * (1.0 - ref.value) / n) ** 0.5)
        half = z * (se**2 + (ref.stderr or 0.0) ** 2) ** 0.5
        delta = ours - ref.value
        entry = {"benchmark": bench, "metric": metric, "published": ref.value, "published_stderr": ref.stderr,
                 "source": ref.source, "delta": delta, "ci_half_width": half, "within_ci": abs(delta) <= half,
                 "verdict": "reproduced" if abs(delta) <= half else f"differs by {delta:+.3f}, outside CI"}
        if name in run.tasks:
            run.tasks[name].leaderboard = entry
        else:
            run.leaderboard[name] = entry


def benchmark_value(known: TaskMetric | None, metrics: dict[str, float]) -> tuple[float, float | None] | None:
    """A task's benchmark value (the mean of the registry's metrics) and a standard error (the mean of the
    finite ones; IFEval's instruction level has none), or None when the run lacks one of them."""
    if known is None or any(m not in metrics for m in known.metrics):
        return None
    value = sum(metrics[m] for m in known.metrics) / len(known.metrics)
    errs = [e for m in known.metrics if (e := metrics.get(f"{m}_stderr")) is not None and math.isfinite(e)]
    return value, (sum(errs) / len(errs) if errs else None)


def record_own_scores(store: Store, run: EvalRun) -> int:
    """The run's benchmark scores become the user's own scores (origin "own") for this model."""
    from shortlist.catalog import scores as S

    own = []
    known = task_metrics()
    for name, (metrics, n) in _scored(run).items():
        value = benchmark_value(known.get(name), metrics)
        if value is not None:
            own.append(S.Score(run.model, known[name].benchmark, value[0], value[1], n, f"shortlist:{run.run_id}",
                               run.started_at[:10], "own", run.backend.get("dtype")))
    if own:
        S.record_own_scores(store, run.model, own)
    return len(own)
