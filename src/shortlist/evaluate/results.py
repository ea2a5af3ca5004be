"""Run and sample records: written to the store as they finish, exported as lm-eval JSON and own scores."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from shortlist.evaluate.migrations import MIGRATIONS
from shortlist.evaluate.types import Instance, MultipleChoiceInstance
from shortlist.store import Store

# Task -> (benchmark registry id, the metric leaderboards report for it).
LEADERBOARD_METRIC: dict[str, tuple[str, str]] = {
    "hellaswag": ("hellaswag", "acc_norm"),
    "arc_challenge": ("arc_challenge", "acc_norm"),
    "mmlu": ("mmlu", "acc"),
    "truthfulqa_mc2": ("truthfulqa_mc2", "mc2"),
    "winogrande": ("winogrande", "acc"),
    "gsm8k": ("gsm8k", "exact_match,strict-match"),
}


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
    """The results file lm-evaluation-harness writes (results/groups/configs/versions/n-shot/n-samples/config)."""
    results: dict[str, dict[str, Any]] = {}
    for name, t in run.tasks.items():
        entry: dict[str, Any] = {"alias": name}
        for key, value in t.metrics.items():
            if key != "n":
                entry[_lm_eval_key(key)] = value
        results[name] = entry
    groups = {g: {"alias": g, **{_lm_eval_key(k): v for k, v in m.items() if k != "n"}} for g, m in run.groups.items()}
    return {
        "results": {**groups, **results},
        "groups": groups,
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
        "date": run.started_at,
        "shortlist": {"run_id": run.run_id, "fingerprint": run.fingerprint, "wall_s": run.wall_s},
    }


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
    """Task or group name -> (metrics, n) for everything the run scored."""
    out = {name: (t.metrics, t.n) for name, t in run.tasks.items()}
    out.update({g: (m, int(m.get("n", 0))) for g, m in run.groups.items()})
    return out


def compare_with_leaderboard(store: Store, run: EvalRun, level: float = 0.95) -> None:
    """Put the published score and whether ours is within its confidence interval beside each result.

    Compared against imported/built-in scores, never against the user's own earlier runs.
    """
    from shortlist.catalog.scores import load_scores
    from shortlist.stats import z_for_level

    table = load_scores(store, include_own=False).for_model(run.model)
    z = z_for_level(level)
    for name, (metrics, _) in _scored(run).items():
        if name not in LEADERBOARD_METRIC:
            continue
        bench, metric = LEADERBOARD_METRIC[name]
        ref = table.get(bench)
        if ref is None or metric not in metrics:
            continue
        ours, se = metrics[metric], metrics.get(f"{metric}_stderr", 0.0)
        se = se if se == se else 0.0
        half = z * (se**2 + (ref.stderr or 0.0) ** 2) ** 0.5
        delta = ours - ref.value
        entry = {"benchmark": bench, "metric": metric, "published": ref.value, "published_stderr": ref.stderr,
                 "source": ref.source, "delta": delta, "ci_half_width": half, "within_ci": abs(delta) <= half,
                 "verdict": "reproduced" if abs(delta) <= half else f"differs by {delta:+.3f}, outside CI"}
        if name in run.tasks:
            run.tasks[name].leaderboard = entry
        else:
            run.leaderboard[name] = entry


def record_own_scores(store: Store, run: EvalRun) -> int:
    """The run's benchmark scores become the user's own scores (origin "own") for this model."""
    from shortlist.catalog import scores as S

    own = []
    for name, (metrics, n) in _scored(run).items():
        if name not in LEADERBOARD_METRIC:
            continue
        bench, metric = LEADERBOARD_METRIC[name]
        if metric in metrics:
            se = metrics.get(f"{metric}_stderr")
            own.append(S.Score(run.model, bench, metrics[metric], se if se == se else None, n,
                               f"shortlist:{run.run_id}", run.started_at[:10], "own", run.backend.get("dtype")))
    if own:
        S.record_own_scores(store, run.model, own)
    return len(own)
