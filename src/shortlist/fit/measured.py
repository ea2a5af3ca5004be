"""Measured speeds (`shortlist measure`), stored with the device they ran on, and looked up by `fit` and `pick`.

The table lives in the fit layer so that fit and rank can read it without importing the evaluate layer that
measures: evaluate writes through `record`, everyone reads through `lookup`. A lookup never creates a database:
with no store file there is nothing measured.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from shortlist import paths
from shortlist.fit.schema import FitResult, Measured
from shortlist.store import MigrationSet, Store

MIGRATIONS = MigrationSet("fit")
MIGRATIONS.step("001_measurements", """
CREATE TABLE measurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model TEXT NOT NULL,            -- catalog id, GGUF path or served name (what `fit` is asked about)
    source TEXT NOT NULL,           -- the server URL or GGUF file measured
    precision TEXT,                 -- weight format when known (a GGUF's file type)
    device TEXT NOT NULL,           -- catalog GPU id or this machine's description
    gpus INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    concurrency INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    ttft_p50_s REAL NOT NULL, ttft_p95_s REAL NOT NULL,
    itl_p50_s REAL NOT NULL, itl_p95_s REAL NOT NULL,
    tokens_per_s_per_request REAL NOT NULL,
    tokens_per_s_total REAL NOT NULL,
    measured_at TEXT NOT NULL
);
CREATE INDEX measurements_lookup ON measurements (model, device);
""")


def record(store: Store, model: str, m: Measured, precision: str | None = None, gpus: int = 1) -> int:
    """Store one measured configuration (one concurrency level); returns its row id."""
    store.migrate(MIGRATIONS)
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO measurements (model, source, precision, device, gpus, prompt_tokens, output_tokens, "
            "concurrency, requests, errors, ttft_p50_s, ttft_p95_s, itl_p50_s, itl_p95_s, tokens_per_s_per_request, "
            "tokens_per_s_total, measured_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (model, m.source, precision, m.device, gpus, m.prompt_tokens, m.output_tokens, m.concurrency, m.requests,
             m.errors, m.ttft_p50_s, m.ttft_p95_s, m.itl_p50_s, m.itl_p95_s, m.tokens_per_s_per_request,
             m.tokens_per_s_total, m.measured_at))
        return int(cur.lastrowid or 0)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _row(r: sqlite3.Row) -> Measured:
    return Measured(measured_at=r["measured_at"], source=r["source"], device=r["device"],
                    prompt_tokens=r["prompt_tokens"], output_tokens=r["output_tokens"], concurrency=r["concurrency"],
                    requests=r["requests"], errors=r["errors"], ttft_p50_s=r["ttft_p50_s"], ttft_p95_s=r["ttft_p95_s"],
                    itl_p50_s=r["itl_p50_s"], itl_p95_s=r["itl_p95_s"],
                    tokens_per_s_per_request=r["tokens_per_s_per_request"], tokens_per_s_total=r["tokens_per_s_total"])


def lookup(store: Store, model: str, device: str, precision: str | None = None, gpus: int = 1) -> Measured | None:
    """The latest single-request (lowest concurrency) run of `model` on `device`, or None.

    A run of another weight format does not describe this one, so when both sides know the precision they
    must agree.
    """
    store.migrate(MIGRATIONS)
    rows = store.conn.execute(
        "SELECT * FROM measurements WHERE model = ? AND device = ? AND gpus = ? AND errors < requests "
        "ORDER BY concurrency ASC, measured_at DESC, id DESC", (model, device, gpus)).fetchall()
    for r in rows:
        if precision is None or r["precision"] is None or r["precision"] == precision:
            return _row(r)
    return None


def lookup_default(model: str, device: str, precision: str | None = None, gpus: int = 1,
                   db: str | Path | None = None) -> Measured | None:
    """`lookup` in the user's store (--db / SHORTLIST_DB / the data dir), or None when there is no store yet."""
    path = paths.db_path(db)
    if str(path) != ":memory:" and not path.is_file():
        return None
    with Store(path) as store:
        return lookup(store, model, device, precision, gpus)


def attach(result: FitResult, measured: Measured | None) -> FitResult:
    """The result with the measurement shown instead of the estimate (speeds and latency), when there is one."""
    if measured is None:
        return result
    from shortlist.fit.latency import measured_latency

    return result.model_copy(update={
        "measured": measured, "latency": measured_latency(measured),
        "decode_tokens_per_s": round(measured.tokens_per_s_per_request, 1),
        "decode_tokens_per_s_total": round(measured.tokens_per_s_total, 1),
        "prefill_tokens_per_s": round(measured.prompt_tokens / measured.ttft_p50_s, 1)
        if measured.ttft_p50_s > 0 else result.prefill_tokens_per_s,
    })


def measured_for(result: FitResult, db: str | Path | None = None) -> FitResult:
    """`fit`'s and `pick`'s hook: the result, with this model's measured run on this device when one is stored."""
    return attach(result, lookup_default(result.model, result.gpu, result.precision, result.gpus, db))
