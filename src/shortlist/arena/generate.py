"""Pre-generate answers for every prompt x contestant, so voters never wait.

Resumable: each answer is committed as soon as it is done and a finished answer is never asked for again,
so an interrupted run (Ctrl-C, a crash, a server that went away) continues where it stopped; failed
answers are asked again on the next run. Concurrent per backend: every contestant has its own pool of
`concurrency` workers (4 for a server, 1 for a model in this process) and all contestants run at once,
so a slow API does not hold up a local model. Only the calling thread touches the database.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from shortlist.arena import answers as A
from shortlist.arena.clients import client_for
from shortlist.arena.clients.base import Answer, ChatClient, run_answer
from shortlist.arena.common import arena_row, contestant_by_name, contestant_rows
from shortlist.arena.identity import IdentityGuard
from shortlist.arena.migrations import ready
from shortlist.arena.prompts import prompt_messages
from shortlist.arena.schemas import ContestantRun, GenerateReport, Sampling
from shortlist.errors import BadInput
from shortlist.store import Store

ProgressFn = Callable[[int, int, str], None]  # (answers done, answers planned, contestant just finished)
MAX_ERRORS_SHOWN = 5


@dataclass
class _Tally:
    generated: int = 0
    failed: int = 0
    flagged: int = 0
    ttft: list[float] = field(default_factory=list)
    tps: list[float] = field(default_factory=list)


def generate(store: Store, arena: str, *, contestants: list[str] | None = None, limit: int | None = None,
             progress: ProgressFn | None = None, stop: threading.Event | None = None) -> GenerateReport:
    """Answer every pooled prompt with every active contestant that lacks a finished answer to it.

    `contestants` restricts the run to those names; `limit` to each contestant's first `limit` prompts
    (by id); `stop` ends the run early (answers in flight are dropped, finished ones kept).
    """
    ready(store)
    a = arena_row(store, arena)
    conn = store.conn
    rows = contestant_rows(store, a["id"], active_only=True)
    if contestants:
        wanted = [contestant_by_name(store, a["id"], n)["id"] for n in contestants]
        rows = [r for r in rows if r["id"] in wanted]
    rows = [r for r in rows if r["kind"] != "imported"]
    if not rows:
        raise BadInput(f"arena '{arena}' has no contestant that can answer", "add one: shortlist arena add ARENA SPEC")
    prompts = conn.execute("SELECT * FROM arena_prompts WHERE arena_id = ? AND pooled = 1 ORDER BY id",
                           (a["id"],)).fetchall()
    if not prompts:
        raise BadInput(f"arena '{arena}' has no prompts", "add a prompt set: shortlist arena prompts ARENA FILE")
    if limit is not None:
        prompts = prompts[:max(limit, 0)]
    done = set(map(tuple, conn.execute("SELECT contestant_id, prompt_id FROM arena_answers WHERE arena_id = ? "
                            "AND battle_id IS NULL AND status = 'ok'", (a["id"],)).fetchall()))
    plan = {r["id"]: [p for p in prompts if (r["id"], p["id"]) not in done] for r in rows}
    planned = sum(len(v) for v in plan.values())
    already = len(rows) * len(prompts) - planned
    guard = A.guard_for(conn, a["id"])
    names = {r["id"]: r["name"] for r in rows}
    tallies = {r["id"]: _Tally() for r in rows}
    errors: list[str] = []
    stop = stop or threading.Event()
    results: queue.Queue[tuple[int, int, list[dict[str, str]], Sampling, Answer]] = queue.Queue()
    t0 = time.perf_counter()
    pools: list[ThreadPoolExecutor] = []
    clients: list[ChatClient] = []
    try:
        for r in rows:
            todo = plan[r["id"]]
            if not todo:
                continue
            sampling = Sampling.model_validate_json(r["sampling_json"])
            try:
                client = client_for(r["spec"], r["api_key_env"])
            except Exception as exc:  # e.g. a missing extra: every answer of this contestant fails with it
                for p in todo:
                    results.put((r["id"], p["id"], [], sampling, Answer(status="failed", error=str(exc))))
                continue
            clients.append(client)
            pool = ThreadPoolExecutor(max_workers=r["concurrency"], thread_name_prefix=f"arena-gen-{r['id']}")
            pools.append(pool)
            for p in todo:
                messages = A.build_messages(prompt_messages(p), sampling)
                pool.submit(_answer_one, client, r["id"], p["id"], messages, sampling, stop, results)
        finished = 0
        while finished < planned:
            try:
                cid, pid, messages, sampling, ans = results.get(timeout=0.5)
            except queue.Empty:
                if stop.is_set():
                    break
                continue
            finished += 1
            _store_pool_answer(store, a["id"], cid, pid, messages, sampling, ans, guard, tallies[cid])
            if ans.status == "failed" and len(errors) < MAX_ERRORS_SHOWN:
                errors.append(f"{names[cid]}: {ans.error}")
            if progress is not None:
                progress(finished, planned, names[cid])
    finally:
        stop.set()
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)
        for client in clients:
            client.close()
    runs = [ContestantRun(contestant=names[cid], generated=t.generated, failed=t.failed, flagged=t.flagged,
                          mean_ttft_s=round(sum(t.ttft) / len(t.ttft), 4) if t.ttft else None,
                          mean_tokens_per_s=round(sum(t.tps) / len(t.tps), 2) if t.tps else None)
            for cid, t in tallies.items()]
    return GenerateReport(arena=arena, planned=planned, generated=sum(t.generated for t in tallies.values()),
                          failed=sum(t.failed for t in tallies.values()), already_done=already,
                          flagged=sum(t.flagged for t in tallies.values()), wall_s=round(time.perf_counter() - t0, 3),
                          contestants=runs, errors=errors)


def _answer_one(client: ChatClient, cid: int, pid: int, messages: list[dict[str, str]], sampling: Sampling,
                stop: threading.Event, results: queue.Queue) -> None:
    if stop.is_set():
        return
    results.put((cid, pid, messages, sampling, run_answer(client, messages, sampling, stop)))


def _store_pool_answer(store: Store, arena_id: int, cid: int, pid: int, messages: list[dict[str, str]],
                       sampling: Sampling, ans: Answer, guard: IdentityGuard, tally: _Tally) -> None:
    """One transaction per answer: a crash loses at most the answers in flight."""
    if ans.status == "stopped":
        return  # the run was interrupted mid-answer: ask again next time
    try:
        with store.transaction() as conn:
            answer_id = A.create_pending(conn, arena_id, cid, pid, None, 0, messages, sampling)
            A.finish(conn, answer_id, ans, guard)
            if ans.status == "ok":
                conn.execute("DELETE FROM arena_answers WHERE contestant_id = ? AND prompt_id = ? "
                             "AND battle_id IS NULL AND status = 'failed'", (cid, pid))
    except sqlite3.IntegrityError:
        return  # another run stored this answer first
    if ans.status == "ok":
        tally.generated += 1
        flagged = store.conn.execute("SELECT flagged FROM arena_answers WHERE id = ?", (answer_id,)).fetchone()[0]
        tally.flagged += int(flagged)
        if ans.ttft_s is not None:
            tally.ttft.append(ans.ttft_s)
        if ans.tokens_per_s is not None:
            tally.tps.append(ans.tokens_per_s)
    else:
        tally.failed += 1


def add_answer(store: Store, arena: str, contestant: str, prompt_id: int, text: str, *,
               finish_reason: str = "stop", completion_tokens: int | None = None) -> int:
    """Store an answer produced elsewhere (outputs you already have) as the contestant's pooled answer."""
    ready(store)
    a = arena_row(store, arena)
    c = contestant_by_name(store, a["id"], contestant)
    p = store.conn.execute("SELECT * FROM arena_prompts WHERE id = ? AND arena_id = ?", (prompt_id, a["id"])).fetchone()
    if p is None:
        raise BadInput(f"arena '{arena}' has no prompt {prompt_id}")
    sampling = Sampling.model_validate_json(c["sampling_json"])
    ans = Answer(text=text, finish_reason=finish_reason, completion_tokens=completion_tokens)
    guard = A.guard_for(store.conn, a["id"])
    try:
        with store.transaction() as conn:
            answer_id = A.create_pending(conn, a["id"], c["id"], prompt_id, None, 0,
                                         A.build_messages(prompt_messages(p), sampling), sampling)
            A.finish(conn, answer_id, ans, guard)
    except sqlite3.IntegrityError:
        raise BadInput(f"{contestant} already has an answer to prompt {prompt_id}") from None
    return answer_id
