"""Stored evaluation runs, read back: the list, one run with its status and progress, and its samples.

A run's samples are stored per (model fingerprint, task, version, doc), shared by every run of the same weights
and numerics, so a run's own items are the docs its request covered, wherever they were first computed.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from shortlist.errors import NotFound
from shortlist.evaluate.results import EvalRun, SampleResult, load_samples, open_store
from shortlist.store import Store

SCHEMA_VERSION = 1


class RunSummary(BaseModel):
    """One row of the runs list."""

    run_id: str
    model: str
    fingerprint: str
    status: str  # running | finished | interrupted
    started_at: str
    finished_at: str | None = None
    tasks: list[str] = Field(default_factory=list)
    limit: int | None = None
    wall_s: float | None = None
    docs_done: int = 0  # samples this run computed so far
    docs_total: int | None = None  # samples this run computes (reused ones excluded)
    headline: dict[str, float] = Field(default_factory=dict)  # task -> its leaderboard (or first) metric


class RunList(BaseModel):
    schema_version: int = SCHEMA_VERSION
    runs: list[RunSummary]


class RunDetail(BaseModel):
    """One run: its summary, its results (when finished) and, on request, its samples."""

    schema_version: int = SCHEMA_VERSION
    summary: RunSummary
    result: EvalRun | None = None
    samples: dict[str, list[SampleResult]] = Field(default_factory=dict)


def _headline(result: EvalRun) -> dict[str, float]:
    from shortlist.evaluate.results import LEADERBOARD_METRIC

    out = {}
    for name, t in result.tasks.items():
        metric = LEADERBOARD_METRIC.get(name, (name, ""))[1]
        if metric not in t.metrics:
            metric = next((m for m in t.metrics if not m.endswith("_stderr") and m != "n"), "")
        if metric:
            out[name] = t.metrics[metric]
    return out


def _summary(store: Store, row: Any) -> RunSummary:
    request = json.loads(row["request_json"])
    result = EvalRun.model_validate_json(row["results_json"]) if row["results_json"] else None
    done = store.conn.execute("SELECT COUNT(*) FROM eval_samples WHERE run_id = ?", (row["run_id"],)).fetchone()[0]
    return RunSummary(
        run_id=row["run_id"], model=row["model"], fingerprint=row["fingerprint"], status=row["status"],
        started_at=row["started_at"], finished_at=row["finished_at"],
        tasks=[t if isinstance(t, str) else t.get("name", str(t)) for t in request.get("tasks", [])],
        limit=request.get("limit"), wall_s=row["wall_s"], docs_done=int(done), docs_total=row["total_docs"],
        headline=_headline(result) if result else {},
    )


def list_runs(store: Store) -> RunList:
    """Every stored run, newest first; a run whose process died shows as interrupted."""
    from shortlist.evaluate.results import _process_alive

    open_store(store)
    rows = store.conn.execute("SELECT * FROM eval_runs ORDER BY started_at DESC, run_id").fetchall()
    out = []
    for row in rows:
        summary = _summary(store, row)
        if summary.status == "running" and not _process_alive(row["pid"]):
            summary.status = "interrupted"
        out.append(summary)
    return RunList(runs=out)


def get_run(store: Store, run_id: str, with_samples: bool = False) -> RunDetail:
    """One run by id (or a unique prefix of it); NotFound names the close ones."""
    open_store(store)
    rows = store.conn.execute("SELECT * FROM eval_runs WHERE run_id LIKE ? ORDER BY run_id", (f"{run_id}%",)).fetchall()
    if len(rows) != 1:
        known = [r[0] for r in store.conn.execute("SELECT run_id FROM eval_runs ORDER BY started_at DESC LIMIT 5")]
        what = "no" if not rows else "more than one"
        raise NotFound(f"{what} evaluation run matches '{run_id}'",
                       f"recent runs: {', '.join(known)}" if known else "run `shortlist eval` first")
    row = rows[0]
    detail = RunDetail(summary=_summary(store, row))
    if row["results_json"]:
        detail.result = EvalRun.model_validate_json(row["results_json"])
    if with_samples:
        detail.samples = run_samples(store, detail)
    return detail


def run_samples(store: Store, detail: RunDetail) -> dict[str, list[SampleResult]]:
    """task -> the run's samples in doc order (the docs its request covered)."""
    out: dict[str, list[SampleResult]] = {}
    result = detail.result
    if result is None:  # still running or interrupted: what it has computed itself so far
        rows = store.conn.execute("SELECT task, task_version FROM eval_samples WHERE run_id = ? GROUP BY task, "
                                  "task_version", (detail.summary.run_id,)).fetchall()
        versions = {r[0]: r[1] for r in rows}
    else:
        versions = {name: t.version for name, t in result.tasks.items()}
    for task, version in versions.items():
        samples = load_samples(store, detail.summary.fingerprint, task, version)
        keys = result.items.get(task) if result is not None else None
        if keys:  # exactly the items this run scored, in its order
            out[task] = [samples[(d, h)] for d, h in keys if (d, h) in samples]
        else:  # a run still going (or from before items were recorded): what it computed itself
            mine = store.conn.execute("SELECT doc_id, prompt_hash FROM eval_samples WHERE run_id = ? AND task = ?",
                                      (detail.summary.run_id, task)).fetchall()
            out[task] = sorted((samples[(r[0], r[1])] for r in mine if (r[0], r[1]) in samples),
                               key=lambda x: x.doc_id)
    return out
