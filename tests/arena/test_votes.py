"""Votes: one transaction each, idempotent, locked after one, durable through kill -9, exact under concurrency."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from shortlist import arena as ar
from shortlist.arena.errors import BattleClosed, IdempotencyConflict, NotVotable
from shortlist.errors import BadInput
from shortlist.store import Store


def test_idempotent_retry_and_locked_battle(store, fill) -> None:
    fill(store, "i", contestants=2, prompts=3)
    b = ar.next_battle(store, "i", rng=1)
    ack = ar.record_vote(store, b.id, None, "b", idempotency_key="req-1")
    assert not ack.duplicate and ack.counted and ack.outcome == "b"
    again = ar.record_vote(store, b.id, None, "b", idempotency_key="req-1")  # the client retried
    assert again.duplicate and again.vote_id == ack.vote_id
    with pytest.raises(IdempotencyConflict):
        ar.record_vote(store, b.id, None, "a", idempotency_key="req-1")
    with pytest.raises(BattleClosed, match="takes no vote"):
        ar.record_vote(store, b.id, None, "a", idempotency_key="req-2")  # locked after one vote
    with pytest.raises(BadInput, match="unknown vote 'left'"):
        ar.record_vote(store, b.id, None, "left")
    assert store.conn.execute("SELECT COUNT(*) FROM arena_votes").fetchone()[0] == 1
    skipped = ar.skip_battle(store, ar.next_battle(store, "i", rng=2).id)
    assert skipped.status == "skipped" and not skipped.votable
    with pytest.raises(BattleClosed):
        ar.record_vote(store, skipped.id, None, "a")


def test_pending_and_failed_answers_are_not_votable(store, fill) -> None:
    fill(store, "u", contestants=2, prompts=2)
    live = ar.start_battle(store, "u", "typed in the page", rng=4)
    assert live.needs_generation and not live.votable
    with pytest.raises(NotVotable, match="must have started"):
        ar.record_vote(store, live.id, None, "a")
    # the answers' server (port 9, discard) is unreachable: both answers fail, the battle is unfinished
    events = list(ar.stream_pair(store, live.id))
    assert [e.kind for e in events].count("error") == 2 and events[-1].kind == "end" and events[-1].unfinished
    view = ar.get_battle(store, live.id)
    assert view.unfinished and not view.votable and view.turns[0].a.status == "failed"
    with pytest.raises(NotVotable, match="unfinished"):
        ar.record_vote(store, live.id, None, "a")
    assert ar.leaderboard(store, "u", resamples=0).votes == 0


def test_twenty_concurrent_writers_fifty_votes_each(tmp_path: Path, fill) -> None:
    """20 threads, each with its own connection, each casting 50 votes (and retrying every vote once with
    the same key): exactly 1,000 votes stored, no duplicates, no errors, within a time bound."""
    db = tmp_path / "concurrent.db"
    with Store(db) as s:
        fill(s, "c", contestants=4, prompts=25)
    errors: list[BaseException] = []
    acks: list[tuple[int, bool]] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def voter(k: int) -> None:
        rng = random.Random(k)
        try:
            with Store(db) as s:
                start.wait()
                for i in range(50):
                    b = ar.next_battle(s, "c", rng=rng)
                    key = f"w{k}-v{i}"
                    first = ar.record_vote(s, b.id, None, rng.choice(["a", "b", "tie", "both_bad"]), key)
                    retry = ar.record_vote(s, b.id, None, first.outcome, key)
                    with lock:
                        acks.append((first.vote_id, first.duplicate))
                        assert retry.duplicate and retry.vote_id == first.vote_id
        except BaseException as exc:  # collected and asserted below
            with lock:
                errors.append(exc)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=voter, args=(k,)) for k in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    elapsed = time.perf_counter() - t0
    assert not errors, errors[:3]
    assert len(acks) == 1000 and not any(dup for _, dup in acks)
    with Store(db) as s:
        n, keys, battles = s.conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT idempotency_key), COUNT(DISTINCT battle_id) FROM arena_votes").fetchone()
        assert (n, keys, battles) == (1000, 1000, 1000)
        assert ar.leaderboard(s, "c", resamples=0).votes == 1000
    assert elapsed < 180, f"1,000 concurrent votes took {elapsed:.1f} s"


VOTER_SCRIPT = textwrap.dedent("""
    import random, sys
    from shortlist import arena as ar
    from shortlist.store import Store
    s = Store(sys.argv[1])
    rng = random.Random(0)
    for i in range(100000):
        b = ar.next_battle(s, "k", rng=rng)
        ack = ar.record_vote(s, b.id, None, rng.choice(["a", "b", "tie"]), idempotency_key=f"key-{i}")
        print(f"ACK {ack.vote_id} key-{i}", flush=True)
""")


def test_every_acknowledged_vote_survives_kill_9(tmp_path: Path, fill) -> None:
    """A process records votes as fast as it can and prints each acknowledgement; it is killed with SIGKILL
    mid-stream. Every vote it acknowledged is in the database, which is intact."""
    db = tmp_path / "kill.db"
    with Store(db) as s:
        fill(s, "k", contestants=3, prompts=20)
    proc = subprocess.Popen([sys.executable, "-c", VOTER_SCRIPT, str(db)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    acked: list[str] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    while len(acked) < 150 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acked.append(line.split()[2])
    os.kill(proc.pid, signal.SIGKILL)
    rest, err = proc.communicate(timeout=30)
    acked += [ln.split()[2] for ln in rest.splitlines() if ln.startswith("ACK ")]
    assert proc.returncode == -signal.SIGKILL
    assert len(acked) >= 150, err[-2000:]
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {r[0] for r in conn.execute("SELECT idempotency_key FROM arena_votes")}
    finally:
        conn.close()
    missing = [k for k in acked if k not in stored]
    assert not missing, f"{len(missing)} acknowledged votes lost, e.g. {missing[:3]}"
    assert len(stored) - len(acked) <= 1  # at most the vote committed just before the kill, not yet printed
