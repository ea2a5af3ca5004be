"""Arenas, their contestants and their voters: create, list, describe, add, remove.

Removing a contestant only retires it (no new battles, no generation); its votes stay on the board, because
a vote is a fact about two answers a person compared, whatever happens to the model afterwards.
"""

from __future__ import annotations

import json
import re
import secrets

from shortlist.arena.common import (
    arena_row,
    contestant_by_name,
    contestant_rows,
    now_iso,
    to_contestant,
    to_voter,
    token_hash,
)
from shortlist.arena.contestants import check_env_name, parse_spec
from shortlist.arena.errors import UnknownVoter
from shortlist.arena.migrations import ready
from shortlist.arena.schemas import ArenaInfo, ArenaList, ArenaSummary, Contestant, Sampling, Voter
from shortlist.errors import BadInput
from shortlist.store import Store

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,99}$")


def _check_name(name: str, what: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise BadInput(f"bad {what} name '{name}'",
                       "use 1-100 letters, digits and . _ - : @ / +, starting with a letter or digit")
    return name


def create_arena(store: Store, name: str, description: str = "") -> ArenaInfo:
    """Create an empty arena; the name must be new."""
    ready(store)
    name = _check_name(name, "arena")
    with store.transaction() as conn:
        if conn.execute("SELECT 1 FROM arena_arenas WHERE name = ?", (name,)).fetchone():
            raise BadInput(f"an arena named '{name}' already exists", "pick another name or use it")
        conn.execute("INSERT INTO arena_arenas (name, description, created_at) VALUES (?, ?, ?)",
                     (name, description, now_iso()))
    return get_arena(store, name)


def list_arenas(store: Store) -> ArenaList:
    """Every arena with its active contestants, prompts and human votes, oldest first."""
    ready(store)
    rows = store.conn.execute(
        """SELECT a.name, a.description, a.created_at,
                  (SELECT COUNT(*) FROM arena_contestants c WHERE c.arena_id = a.id AND c.active = 1),
                  (SELECT COUNT(*) FROM arena_prompts p WHERE p.arena_id = a.id),
                  (SELECT COUNT(*) FROM arena_votes v WHERE v.arena_id = a.id AND v.judge IS NULL)
           FROM arena_arenas a ORDER BY a.id"""
    ).fetchall()
    return ArenaList(arenas=[ArenaSummary(name=r[0], description=r[1], created_at=r[2], contestants=r[3],
                                          prompts=r[4], votes=r[5]) for r in rows])


def get_arena(store: Store, name: str) -> ArenaInfo:
    """One arena in full: contestants (with finished answers and votes), prompts by tag, battles, votes."""
    ready(store)
    a = arena_row(store, name)
    conn = store.conn
    ready_by = dict(conn.execute(
        "SELECT contestant_id, COUNT(*) FROM arena_answers WHERE arena_id = ? AND battle_id IS NULL AND status = 'ok' "
        "GROUP BY contestant_id", (a["id"],)).fetchall())
    votes_by: dict[int, int] = {}
    for ca, cb, n in conn.execute("SELECT contestant_a, contestant_b, COUNT(*) FROM arena_votes "
                                  "WHERE arena_id = ? AND judge IS NULL GROUP BY 1, 2", (a["id"],)):
        votes_by[ca] = votes_by.get(ca, 0) + n
        votes_by[cb] = votes_by.get(cb, 0) + n
    contestants = [to_contestant(r, name, ready_by.get(r["id"], 0), votes_by.get(r["id"], 0))
                   for r in contestant_rows(store, a["id"])]
    tags: dict[str, int] = {}
    for (tags_json,) in conn.execute("SELECT tags_json FROM arena_prompts WHERE arena_id = ?", (a["id"],)):
        for t in json.loads(tags_json):
            tags[t] = tags.get(t, 0) + 1

    def count(sql: str) -> int:
        return int(conn.execute(sql, (a["id"],)).fetchone()[0])

    return ArenaInfo(
        id=a["id"], name=a["name"], description=a["description"], created_at=a["created_at"],
        contestants=contestants,
        prompts=count("SELECT COUNT(*) FROM arena_prompts WHERE arena_id = ?"),
        tags=dict(sorted(tags.items())),
        answers_ready=sum(ready_by.values()),
        battles=count("SELECT COUNT(*) FROM arena_battles WHERE arena_id = ?"),
        unfinished_battles=count("SELECT COUNT(*) FROM arena_battles WHERE arena_id = ? AND unfinished = 1"),
        votes=count("SELECT COUNT(*) FROM arena_votes WHERE arena_id = ? AND judge IS NULL"),
        judge_votes=count("SELECT COUNT(*) FROM arena_votes WHERE arena_id = ? AND judge IS NOT NULL"),
        voters=count("SELECT COUNT(*) FROM arena_voters WHERE arena_id = ?"),
    )


def add_contestant(store: Store, arena: str, spec: str, *, name: str | None = None,
                   sampling: Sampling | None = None, api_key_env: str | None = None,
                   concurrency: int | None = None) -> Contestant:
    """Add a model to an arena. The spec is checked now (a .gguf must exist); nothing is loaded or contacted.

    `concurrency` is how many answers `generate` asks of this contestant at once: 4 by default for a
    server, 1 for a model run in this process (one model instance cannot decode two streams at once).
    Adding back a removed contestant with the same spec reactivates it, with the new sampling settings.
    """
    ready(store)
    parsed = parse_spec(spec)
    if parsed.kind == "imported":
        raise BadInput("imported: contestants are created by `arena import`", "add a model you can run")
    a = arena_row(store, arena)
    name = _check_name(name or parsed.default_name, "contestant")
    env = check_env_name(api_key_env)
    conc = concurrency if concurrency is not None else (4 if parsed.kind == "openai" else 1)
    if not 1 <= conc <= 64:
        raise BadInput(f"concurrency must be 1..64, got {conc}")
    sampling = sampling or Sampling()
    stored_spec = spec.strip() if parsed.kind == "openai" else f"{parsed.kind}:{parsed.target}"
    with store.transaction() as conn:
        old = conn.execute("SELECT * FROM arena_contestants WHERE arena_id = ? AND name = ?",
                           (a["id"], name)).fetchone()
        if old is not None:
            if old["active"] or old["spec"] != stored_spec:
                raise BadInput(f"arena '{arena}' already has a contestant named '{name}'",
                               "give this one another name with --name")
            conn.execute("UPDATE arena_contestants SET active = 1, removed_at = NULL, sampling_json = ?, "
                         "api_key_env = ?, concurrency = ? WHERE id = ?",
                         (sampling.model_dump_json(), env, conc, old["id"]))
        else:
            conn.execute(
                "INSERT INTO arena_contestants (arena_id, name, spec, kind, sampling_json, api_key_env, concurrency,"
                " active, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)",
                (a["id"], name, stored_spec, parsed.kind, sampling.model_dump_json(), env, conc, now_iso()))
    return _full(store, a["id"], name, arena)


def _full(store: Store, arena_id: int, name: str, arena: str) -> Contestant:
    """A contestant with its finished answers and votes counted."""
    row = contestant_by_name(store, arena_id, name)
    ready_n = store.conn.execute("SELECT COUNT(*) FROM arena_answers WHERE contestant_id = ? AND battle_id IS NULL "
                                 "AND status = 'ok'", (row["id"],)).fetchone()[0]
    votes = store.conn.execute("SELECT COUNT(*) FROM arena_votes WHERE judge IS NULL AND ? IN (contestant_a, "
                               "contestant_b)", (row["id"],)).fetchone()[0]
    return to_contestant(row, arena, ready_n, votes)


def remove_contestant(store: Store, arena: str, name: str) -> Contestant:
    """Retire a contestant: no new battles or answers; its votes and answers stay (and still count)."""
    ready(store)
    a = arena_row(store, arena)
    row = contestant_by_name(store, a["id"], name)
    with store.transaction() as conn:
        conn.execute("UPDATE arena_contestants SET active = 0, removed_at = ? WHERE id = ? AND active = 1",
                     (now_iso(), row["id"]))
    return _full(store, a["id"], name, arena)


def add_voter(store: Store, arena: str, name: str, *, token: str | None = None, cap: int | None = None) -> Voter:
    """Register a voter. Returns the voter with its token, shown this once (a random one if none is given).

    The page identifies voters by token (a link per voter); only the token's hash is stored.
    `cap` limits how many votes this voter may cast.
    """
    ready(store)
    a = arena_row(store, arena)
    name = _check_name(name, "voter")
    if cap is not None and cap < 0:
        raise BadInput(f"cap must be >= 0, got {cap}")
    token = token or secrets.token_urlsafe(18)
    if len(token) < 8:
        raise BadInput("a voter token needs at least 8 characters", "leave it out to get a random one")
    with store.transaction() as conn:
        if conn.execute("SELECT 1 FROM arena_voters WHERE arena_id = ? AND name = ?", (a["id"], name)).fetchone():
            raise BadInput(f"arena '{arena}' already has a voter named '{name}'")
        if conn.execute("SELECT 1 FROM arena_voters WHERE token_hash = ?", (token_hash(token),)).fetchone():
            raise BadInput("that token is already in use", "choose another, or leave it out")
        conn.execute("INSERT INTO arena_voters (arena_id, name, token_hash, cap, created_at) VALUES (?, ?, ?, ?, ?)",
                     (a["id"], name, token_hash(token), cap, now_iso()))
    row = store.conn.execute("SELECT * FROM arena_voters WHERE arena_id = ? AND name = ?", (a["id"], name)).fetchone()
    return to_voter(store, row, arena, token=token)


def list_voters(store: Store, arena: str) -> list[Voter]:
    ready(store)
    a = arena_row(store, arena)
    rows = store.conn.execute("SELECT * FROM arena_voters WHERE arena_id = ? ORDER BY id", (a["id"],)).fetchall()
    return [to_voter(store, r, arena) for r in rows]


def voter_for_token(store: Store, arena: str, token: str) -> Voter:
    """The voter a token belongs to (how the page authenticates a voter link); UnknownVoter otherwise."""
    ready(store)
    a = arena_row(store, arena)
    row = store.conn.execute("SELECT * FROM arena_voters WHERE arena_id = ? AND token_hash = ?",
                             (a["id"], token_hash(token))).fetchone()
    if row is None:
        raise UnknownVoter("unknown voter token for this arena", "ask the arena owner for your link")
    return to_voter(store, row, arena)
