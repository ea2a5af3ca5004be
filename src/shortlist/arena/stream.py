"""Streaming both answers of a battle at once, as events a web page can forward to the browser.

Each side generates on its own thread and pushes its text into one queue; the iterator turns that into
events and writes the answers as they start and finish. It never uses the caller's connection after the
first read, so a server may advance it from any worker thread, and closing it stops both generations.
"""

from __future__ import annotations

import contextlib
import json
import queue
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

from shortlist.arena import answers as A
from shortlist.arena.battles import battle_row
from shortlist.arena.clients import client_for
from shortlist.arena.clients.base import Answer, run_answer
from shortlist.arena.common import now_iso
from shortlist.arena.identity import IdentityGuard
from shortlist.arena.migrations import ready
from shortlist.arena.schemas import Sampling, StreamEvent
from shortlist.errors import NotFound
from shortlist.store import Store


@contextlib.contextmanager
def _writer(store: Store) -> Iterator[sqlite3.Connection]:
    """A write transaction usable from whichever thread runs the stream.

    A web server may advance a generator from a different worker thread at each step, and a sqlite3
    connection belongs to the thread that made it; so each write opens its own short-lived connection to
    the same file (an in-memory store has only the one connection, used as is).
    """
    if str(store.path) == ":memory:":
        with store.transaction() as conn:
            yield conn
        return
    own = ready(Store(store.path))
    try:
        with own.transaction() as conn:
            yield conn
    finally:
        own.close()


def stream_pair(store: Store, battle_id: int) -> Iterator[StreamEvent]:
    """Generate the latest turn's missing answers on both sides at once, as a stream of events.

    Events: `start` (a side's first token arrived; the battle becomes votable once both have started),
    `delta` (new text for a side), `done` (a side finished; its stored answer), `error` (a side failed: the
    battle is now unfinished), and one final `end`. Sides already answered get their `done` at once, so the
    page has one code path. Closing the iterator early (the voter voted or left) stops both generations and
    keeps what was written as `stopped` answers. `votable` in each event is as of that event (a vote cast
    meanwhile is not reflected). The battle is read here, in the caller's thread, with `store`; after that
    the iterator never touches `store`'s connection (each write opens its own, see _writer), so a web
    server may advance it from any worker thread. Each side generates on its own thread.
    """
    ready(store)
    conn = store.conn
    b = battle_row(conn, battle_id)
    turn = conn.execute("SELECT * FROM arena_turns WHERE battle_id = ? ORDER BY turn DESC LIMIT 1",
                        (battle_id,)).fetchone()
    if turn is None:
        raise NotFound(f"battle {battle_id} has no turns")
    rows = {"a": A.answer_row(conn, turn["answer_a"]), "b": A.answer_row(conn, turn["answer_b"])}
    specs = {side: conn.execute("SELECT spec, api_key_env FROM arena_contestants WHERE id = ?",
                                (b["contestant_" + side],)).fetchone() for side in ("a", "b")}
    guard = A.guard_for(conn, b["arena_id"])
    return _stream(store, battle_id, b, rows, specs, guard)


def _stream(store: Store, battle_id: int, b: sqlite3.Row, rows: dict[str, sqlite3.Row],
            specs: dict[str, sqlite3.Row], guard: IdentityGuard) -> Iterator[StreamEvent]:
    status = {side: rows[side]["status"] for side in rows}
    unfinished = bool(b["unfinished"])

    def votable() -> bool:
        return b["status"] == "open" and not unfinished and all(s in A.STARTED for s in status.values())

    for side in ("a", "b"):
        if status[side] not in ("pending",):
            kind = "error" if status[side] == "failed" else "done"
            yield StreamEvent(battle_id=battle_id, kind=kind, side=side, answer=A.view(rows[side]),  # type: ignore[arg-type]
                              text=(rows[side]["error"] or "") if kind == "error" else "", votable=votable(),
                              unfinished=unfinished)
    todo = [side for side in ("a", "b") if status[side] == "pending"]
    events: queue.Queue[tuple[str, str, Any]] = queue.Queue()
    stop = threading.Event()
    threads = []
    for side in todo:
        sampling = Sampling.model_validate_json(rows[side]["sampling_json"])
        messages = json.loads(rows[side]["messages_json"])
        t = threading.Thread(target=_stream_side, args=(side, specs[side], messages, sampling, stop, events),
                             daemon=True, name=f"arena-stream-{battle_id}-{side}")
        t.start()
        threads.append(t)
    pending = set(todo)
    try:
        while pending:
            kind, side, payload = events.get()
            if kind == "delta":
                if status[side] == "pending":
                    status[side] = "running"
                    with _writer(store) as tx:
                        A.mark_running(tx, rows[side]["id"])
                    yield StreamEvent(battle_id=battle_id, kind="start", side=side, votable=votable())  # type: ignore[arg-type]
                yield StreamEvent(battle_id=battle_id, kind="delta", side=side, text=payload,  # type: ignore[arg-type]
                                  votable=votable())
                continue
            pending.discard(side)
            ans: Answer = payload
            status[side] = ans.status
            with _writer(store) as tx:
                A.finish(tx, rows[side]["id"], ans, guard)
                if ans.status == "failed":
                    unfinished = True
                    tx.execute("UPDATE arena_battles SET unfinished = 1, updated_at = ? WHERE id = ?",
                               (now_iso(), battle_id))
                stored = A.view(A.answer_row(tx, rows[side]["id"]))
            yield StreamEvent(battle_id=battle_id, kind="error" if ans.status == "failed" else "done",  # type: ignore[arg-type]
                              side=side, text=(ans.error or "") if ans.status == "failed" else "", answer=stored,
                              votable=votable(), unfinished=unfinished)
        yield StreamEvent(battle_id=battle_id, kind="end", votable=votable(), unfinished=unfinished)
    finally:
        if pending:  # closed early: stop both, keep what was written
            stop.set()
            for t in threads:
                t.join(timeout=30)
            while pending:
                try:
                    kind, side, payload = events.get(timeout=1)
                except queue.Empty:
                    break
                if kind == "done":
                    pending.discard(side)
                    with _writer(store) as tx:
                        A.finish(tx, rows[side]["id"], payload, guard)


def _stream_side(side: str, spec: sqlite3.Row, messages: list[dict[str, str]], sampling: Sampling,
                 stop: threading.Event, events: queue.Queue) -> None:
    try:
        client = client_for(spec["spec"], spec["api_key_env"])
    except Exception as exc:
        events.put(("done", side, Answer(status="failed", error=str(exc))))
        return
    try:
        ans = run_answer(client, messages, sampling, stop, on_text=lambda text: events.put(("delta", side, text)))
    finally:
        client.close()
    events.put(("done", side, ans))
