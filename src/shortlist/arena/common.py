"""Lookups every arena module shares: arenas, contestants and voters by name, rows to result models."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from shortlist.arena.errors import UnknownVoter
from shortlist.arena.schemas import Contestant, Sampling, Voter
from shortlist.errors import NotFound
from shortlist.names import suggest
from shortlist.store import Store


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def now_ts() -> float:
    return time.time()


def arena_row(store: Store, arena: str) -> sqlite3.Row:
    row = store.conn.execute("SELECT * FROM arena_arenas WHERE name = ?", (arena,)).fetchone()
    if row is None:
        names = [r[0] for r in store.conn.execute("SELECT name FROM arena_arenas")]
        raise NotFound(f"no arena named '{arena}'", _hint(arena, names, "create it: shortlist arena create NAME"))
    return row


def _hint(name: str, names: list[str], fallback: str) -> str:
    close = suggest(name, names) if names else []
    return f"did you mean: {', '.join(close)}" if close else fallback


def arena_name(store: Store, arena_id: int) -> str:
    return str(store.conn.execute("SELECT name FROM arena_arenas WHERE id = ?", (arena_id,)).fetchone()[0])


def contestant_rows(store: Store, arena_id: int, active_only: bool = False) -> list[sqlite3.Row]:
    sql = "SELECT * FROM arena_contestants WHERE arena_id = ?" + (" AND active = 1" if active_only else "")
    return list(store.conn.execute(sql + " ORDER BY id", (arena_id,)))


def contestant_by_name(store: Store, arena_id: int, name: str) -> sqlite3.Row:
    row = store.conn.execute("SELECT * FROM arena_contestants WHERE arena_id = ? AND name = ?",
                             (arena_id, name)).fetchone()
    if row is None:
        names = [r["name"] for r in contestant_rows(store, arena_id)]
        raise NotFound(f"no contestant named '{name}' in this arena",
                       _hint(name, names, "list them: shortlist arena list NAME"))
    return row


def to_contestant(row: sqlite3.Row, arena: str, answers_ready: int = 0, votes: int = 0) -> Contestant:
    return Contestant(
        id=row["id"], arena=arena, name=row["name"], spec=row["spec"], kind=row["kind"],
        sampling=Sampling.model_validate_json(row["sampling_json"]), api_key_env=row["api_key_env"],
        concurrency=row["concurrency"], active=bool(row["active"]), added_at=row["added_at"],
        removed_at=row["removed_at"], answers_ready=answers_ready, votes=votes,
    )


def token_hash(token: str) -> str:
    """Voter tokens are stored hashed: a copied database does not hand out the tokens."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def voter_row(store: Store, arena_id: int, voter: str | None) -> sqlite3.Row | None:
    """The voter named `voter` (or None for an anonymous vote)."""
    if voter is None:
        return None
    row = store.conn.execute("SELECT * FROM arena_voters WHERE arena_id = ? AND name = ?",
                             (arena_id, voter)).fetchone()
    if row is None:
        raise UnknownVoter(f"no voter named '{voter}' in this arena", "add one: shortlist arena voters add ARENA NAME")
    return row


def to_voter(store: Store, row: sqlite3.Row, arena: str, token: str | None = None) -> Voter:
    votes = store.conn.execute("SELECT COUNT(*) FROM arena_votes WHERE voter_id = ?", (row["id"],)).fetchone()[0]
    return Voter(id=row["id"], arena=arena, name=row["name"], cap=row["cap"], votes=votes,
                 created_at=row["created_at"], token=token)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
