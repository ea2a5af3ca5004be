"""Recording a vote: one transaction, acknowledged only after it commits, never counted twice.

- The whole check-and-insert runs inside BEGIN IMMEDIATE, so two requests for the same battle or the same
  idempotency key are serialised: the second sees the first's committed row.
- A request that carries an idempotency key the arena already recorded gets the original acknowledgement
  back (duplicate=True) and changes nothing: a client may retry after a timeout without double counting.
  The same key with a different battle or outcome is a client bug and is refused (IdempotencyConflict).
- A battle takes one human vote (a unique index backs this up), and only while both answers have started
  and none failed. The acknowledgement reveals the two names.
- The arena's connection syncs each commit to disk (migrations.ready), so an acknowledged vote survives a
  crash of the process or the machine.
"""

from __future__ import annotations

import json
import sqlite3
import uuid

from shortlist.arena.answers import STARTED, answer_row
from shortlist.arena.common import now_iso, now_ts
from shortlist.arena.errors import BattleClosed, CapReached, IdempotencyConflict, NotVotable, UnknownVoter
from shortlist.arena.migrations import ready
from shortlist.arena.schemas import VoteAck
from shortlist.errors import BadInput, NotFound
from shortlist.store import Store

OUTCOMES = ("a", "b", "tie", "both_bad")
MAX_KEY = 200


def record_vote(store: Store, battle_id: int, voter: str | None, outcome: str,
                idempotency_key: str | None = None) -> VoteAck:
    """Record `outcome` ('a', 'b', 'tie' or 'both_bad', for the sides as shown: a = left) for a battle.

    `voter` is the voter's name (None for an anonymous vote, when the arena has no voter list); a battle
    served to a named voter takes only that voter's vote. Without an idempotency key a random one is used,
    so retries are then only protected by the one-vote-per-battle rule.
    """
    if outcome not in OUTCOMES:
        raise BadInput(f"unknown vote '{outcome}'", f"use one of: {', '.join(OUTCOMES)}")
    if idempotency_key is not None and (not idempotency_key or len(idempotency_key) > MAX_KEY):
        raise BadInput(f"an idempotency key must be 1-{MAX_KEY} characters")
    ready(store)
    key = idempotency_key or f"auto:{uuid.uuid4()}"
    with store.transaction() as conn:
        b = conn.execute("SELECT * FROM arena_battles WHERE id = ?", (battle_id,)).fetchone()
        if b is None:
            raise NotFound(f"no battle {battle_id}")
        earlier = conn.execute("SELECT * FROM arena_votes WHERE arena_id = ? AND idempotency_key = ?",
                               (b["arena_id"], key)).fetchone()
        if earlier is not None:
            if earlier["battle_id"] != battle_id or earlier["outcome"] != outcome or earlier["voter"] != voter:
                raise IdempotencyConflict(f"idempotency key '{key}' already recorded a different vote",
                                          "use a new key for each vote")
            return _ack(conn, earlier, duplicate=True)
        v = None
        if voter is not None:
            v = conn.execute("SELECT * FROM arena_voters WHERE arena_id = ? AND name = ?",
                             (b["arena_id"], voter)).fetchone()
            if v is None:
                raise UnknownVoter(f"no voter named '{voter}' in this arena")
        if b["voter_id"] is not None and (v is None or v["id"] != b["voter_id"]):
            raise BattleClosed(f"battle {battle_id} was served to another voter")
        if b["status"] != "open":
            raise BattleClosed(f"battle {battle_id} is {b['status']}: it takes no vote",
                               "votes lock after one; start a new round")
        if b["unfinished"]:
            raise NotVotable(f"battle {battle_id} is unfinished (an answer failed): it cannot be voted on",
                             "regenerate it or start a new round")
        turns = conn.execute("SELECT * FROM arena_turns WHERE battle_id = ? ORDER BY turn", (battle_id,)).fetchall()
        latest = turns[-1]
        for col in ("answer_a", "answer_b"):
            if answer_row(conn, latest[col])["status"] not in STARTED:
                raise NotVotable(f"battle {battle_id}: both answers must have started before a vote")
        if v is not None and v["cap"] is not None:
            used = conn.execute("SELECT COUNT(*) FROM arena_votes WHERE voter_id = ?", (v["id"],)).fetchone()[0]
            if used >= v["cap"]:
                raise CapReached(f"voter '{voter}' has cast {used} of {v['cap']} allowed votes")
        tags = conn.execute("SELECT tags_json FROM arena_prompts WHERE id = ?", (b["prompt_id"],)).fetchone()[0]
        try:
            cur = conn.execute(
                "INSERT INTO arena_votes (arena_id, battle_id, contestant_a, contestant_b, outcome, voter_id, voter, "
                "source, idempotency_key, tags_json, turns, tstamp, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'live', ?, ?, ?, ?, ?)",
                (b["arena_id"], battle_id, b["contestant_a"], b["contestant_b"], outcome,
                 v["id"] if v is not None else None, voter, key, tags, len(turns), now_ts(), now_iso()))
        except sqlite3.IntegrityError:
            raise BattleClosed(f"battle {battle_id} already has its vote") from None
        conn.execute("UPDATE arena_battles SET status = 'voted', updated_at = ? WHERE id = ?", (now_iso(), battle_id))
        row = conn.execute("SELECT * FROM arena_votes WHERE id = ?", (cur.lastrowid,)).fetchone()
        ack = _ack(conn, row, duplicate=False)
    return ack  # only now: the transaction has committed


def _ack(conn: sqlite3.Connection, vote: sqlite3.Row, duplicate: bool) -> VoteAck:
    names = dict(conn.execute("SELECT id, name FROM arena_contestants WHERE id IN (?, ?)",
                              (vote["contestant_a"], vote["contestant_b"])).fetchall())
    unfinished = conn.execute("SELECT unfinished FROM arena_battles WHERE id = ?", (vote["battle_id"],)).fetchone()
    return VoteAck(vote_id=vote["id"], battle_id=vote["battle_id"], outcome=vote["outcome"],
                   model_a=names[vote["contestant_a"]], model_b=names[vote["contestant_b"]], voter=vote["voter"],
                   duplicate=duplicate, counted=not (unfinished and unfinished[0]), recorded_at=vote["created_at"])


def votes_of(store: Store, battle_id: int) -> list[dict]:
    """Every vote on a battle (the human's and any judge's), for exports and the page's history."""
    rows = store.conn.execute("SELECT * FROM arena_votes WHERE battle_id = ? ORDER BY id", (battle_id,)).fetchall()
    keys = rows[0].keys() if rows else []  # a sqlite3.Row iterates its values, not its keys
    return [{k: (json.loads(r[k]) if k.endswith("_json") and r[k] else r[k]) for k in keys} for r in rows]


__all__ = ["OUTCOMES", "record_vote", "votes_of"]
