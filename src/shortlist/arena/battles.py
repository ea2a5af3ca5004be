"""Battles: pick the next pair and prompt, stream both answers, continue the conversation, regenerate, skip.

The page's loop is: next_battle (pre-generated answers, shown at once) or start_battle (a typed prompt,
answers generated live), then stream.stream_pair while `needs_generation`, then optionally continue_battle /
regenerate (each followed by stream_pair), then votes.record_vote. Sides are randomised per battle and the
names stay hidden (BattleView.revealed is None) until the battle has its vote.

A battle shows an answer only once it exists: next_battle never serves an answer that is not finished,
and an answer that fails marks its battle unfinished, which can never be voted on or counted.
"""

from __future__ import annotations

import json
import random
import sqlite3

import numpy as np

from shortlist.arena import answers as A
from shortlist.arena.common import arena_row, now_iso, voter_row
from shortlist.arena.errors import BattleClosed, CapReached, NothingToVote, NotVotable
from shortlist.arena.migrations import ready
from shortlist.arena.prompts import add_prompt, prompt_messages
from shortlist.arena.ratings import CountTable, fit_bradley_terry, is_connected, sandwich_cov
from shortlist.arena.sampling import DEFAULT_MAX_RATIO, STRATEGIES, pair_weights
from shortlist.arena.schemas import BattleView, Reveal, Sampling, Turn
from shortlist.errors import BadInput, NotFound
from shortlist.store import Store

MAX_TURNS = 50
RngLike = random.Random | int | None


def _rng(rng: RngLike) -> random.Random:
    return rng if isinstance(rng, random.Random) else random.Random(rng)


# --- reading ------------------------------------------------------------------------------------


def battle_row(conn: sqlite3.Connection, battle_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM arena_battles WHERE id = ?", (battle_id,)).fetchone()
    if row is None:
        raise NotFound(f"no battle {battle_id}")
    return row


def _view(conn: sqlite3.Connection, battle_id: int) -> BattleView:
    b = battle_row(conn, battle_id)
    p = conn.execute("SELECT * FROM arena_prompts WHERE id = ?", (b["prompt_id"],)).fetchone()
    turns = []
    for t in conn.execute("SELECT * FROM arena_turns WHERE battle_id = ? ORDER BY turn", (battle_id,)):
        turns.append(Turn(index=t["turn"], user=t["user_text"], a=A.view(A.answer_row(conn, t["answer_a"])),
                          b=A.view(A.answer_row(conn, t["answer_b"]))))
    latest = turns[-1] if turns else None
    started = latest is not None and latest.a.status in A.STARTED and latest.b.status in A.STARTED
    vote = conn.execute("SELECT outcome FROM arena_votes WHERE battle_id = ? AND judge IS NULL",
                        (battle_id,)).fetchone()
    revealed = None
    if vote is not None:
        names = dict(conn.execute("SELECT id, name FROM arena_contestants WHERE id IN (?, ?)",
                                  (b["contestant_a"], b["contestant_b"])).fetchall())
        revealed = Reveal(model_a=names[b["contestant_a"]], model_b=names[b["contestant_b"]])
    voter = None
    if b["voter_id"] is not None:
        voter = conn.execute("SELECT name FROM arena_voters WHERE id = ?", (b["voter_id"],)).fetchone()[0]
    return BattleView(
        id=b["id"], arena=arena_name_conn(conn, b["arena_id"]), prompt_id=b["prompt_id"],
        tags=json.loads(p["tags_json"]), context=prompt_messages(p)[:-1], turns=turns, status=b["status"],
        unfinished=bool(b["unfinished"]),
        votable=b["status"] == "open" and not b["unfinished"] and started and vote is None,
        needs_generation=latest is not None and "pending" in (latest.a.status, latest.b.status),
        outcome=vote[0] if vote else None, revealed=revealed, voter=voter, created_at=b["created_at"],
    )


def arena_name_conn(conn: sqlite3.Connection, arena_id: int) -> str:
    return str(conn.execute("SELECT name FROM arena_arenas WHERE id = ?", (arena_id,)).fetchone()[0])


def get_battle(store: Store, battle_id: int) -> BattleView:
    """A battle as the page shows it (names only after its vote)."""
    ready(store)
    return _view(store.conn, battle_id)


# --- choosing the next battle -----------------------------------------------------------------------


def _ratings_for_sampling(conn: sqlite3.Connection, arena_id: int) -> tuple[dict[int, float], dict]:
    """Current log-strengths and covariance of the rated contestants (empty when ratings are undefined)."""
    rows = conn.execute("SELECT v.contestant_a, v.contestant_b, v.outcome, COUNT(*) FROM arena_votes v "
                        "LEFT JOIN arena_battles b ON b.id = v.battle_id WHERE v.arena_id = ? AND v.judge IS NULL "
                        "AND COALESCE(b.unfinished, 0) = 0 GROUP BY 1, 2, 3", (arena_id,)).fetchall()
    ids = sorted({r[0] for r in rows} | {r[1] for r in rows})
    if len(ids) < 2:
        return {}, {}
    index = {c: i for i, c in enumerate(ids)}
    counts = np.zeros((len(ids), len(ids), 4), dtype=np.int64)
    code = {"a": 0, "b": 1, "tie": 2, "both_bad": 3}
    for ca, cb, outcome, n in rows:
        if ca != cb:
            counts[index[ca], index[cb], code[outcome]] += n
    table = CountTable(tuple(str(i) for i in ids), counts)
    wins = table.wins()
    if not is_connected(wins):
        return {}, {}
    theta = fit_bradley_terry(wins)
    cov = sandwich_cov(counts, theta)
    return ({c: float(theta[i]) for c, i in index.items()},
            {(c, d): float(cov[i, j]) for c, i in index.items() for d, j in index.items()})


def next_battle(store: Store, arena: str, voter: str | None = None, *, strategy: str = "uniform",
                rng: RngLike = None, tag: str | None = None, max_ratio: float = DEFAULT_MAX_RATIO) -> BattleView:
    """A new battle on pre-generated answers: a pair (by `strategy`), a prompt both answered, random sides.

    The prompt is the one this pair has been shown least (and this voter not yet, when possible), preferring
    answers the identity-leak guard did not flag. Raises NothingToVote when no two active contestants have
    finished answers to a common prompt (run generate), CapReached when the voter has used their cap.
    """
    ready(store)
    if strategy not in STRATEGIES:
        raise BadInput(f"unknown strategy '{strategy}'", f"use one of: {', '.join(STRATEGIES)}")
    gen = _rng(rng)
    a = arena_row(store, arena)
    conn = store.conn
    v = voter_row(store, a["id"], voter)
    _check_cap(conn, v)
    ready_rows = conn.execute(
        "SELECT x.contestant_id, x.prompt_id, x.id, x.flagged, p.tags_json FROM arena_answers x "
        "JOIN arena_contestants c ON c.id = x.contestant_id JOIN arena_prompts p ON p.id = x.prompt_id "
        "WHERE x.arena_id = ? AND x.battle_id IS NULL AND x.status = 'ok' AND c.active = 1", (a["id"],)).fetchall()
    pool: dict[int, dict[int, tuple[int, int]]] = {}
    for cid, pid, aid, flagged, tags in ready_rows:
        if tag is None or tag in json.loads(tags):
            pool.setdefault(cid, {})[pid] = (aid, flagged)
    ids = sorted(pool)
    pairs = [(i, j) for k, i in enumerate(ids) for j in ids[k + 1:] if pool[i].keys() & pool[j].keys()]
    if not pairs:
        where = f" tagged '{tag}'" if tag else ""
        raise NothingToVote(f"arena '{arena}' has no two contestants with answers to a common prompt{where}",
                            f"pre-generate answers: shortlist arena generate {arena}")
    votes: dict[int, int] = dict.fromkeys(ids, 0)
    for ca, cb, n in conn.execute("SELECT contestant_a, contestant_b, COUNT(*) FROM arena_votes WHERE arena_id = ? "
                                  "AND judge IS NULL GROUP BY 1, 2", (a["id"],)):
        votes[ca] = votes.get(ca, 0) + n
        votes[cb] = votes.get(cb, 0) + n
    theta, cov = _ratings_for_sampling(conn, a["id"]) if strategy == "adaptive" else ({}, {})
    weights = pair_weights(pairs, strategy, votes, theta, cov, max_ratio)
    i, j = pairs[_weighted_index(gen, weights)]
    shared = sorted(pool[i].keys() & pool[j].keys())
    shown = dict(conn.execute(
        "SELECT prompt_id, COUNT(*) FROM arena_battles WHERE arena_id = ? AND ((contestant_a = ? AND contestant_b = ?)"
        " OR (contestant_a = ? AND contestant_b = ?)) GROUP BY prompt_id", (a["id"], i, j, j, i)).fetchall())
    seen: set[int] = set()
    if v is not None:
        seen = {r[0] for r in conn.execute("SELECT DISTINCT prompt_id FROM arena_battles WHERE voter_id = ? AND "
                                           "contestant_a IN (?, ?) AND contestant_b IN (?, ?)", (v["id"], i, j, i, j))}

    def key(pid: int) -> tuple[int, int, int]:
        flagged = pool[i][pid][1] + pool[j][pid][1]
        return (pid in seen, flagged, shown.get(pid, 0))

    best = min(key(pid) for pid in shared)
    pid = gen.choice([pid for pid in shared if key(pid) == best])
    if gen.random() < 0.5:
        i, j = j, i
    with store.transaction() as tx:
        battle_id = _insert_battle(tx, a["id"], pid, i, j, v, strategy, "open")
        tx.execute("INSERT INTO arena_turns (battle_id, turn, user_text, answer_a, answer_b) VALUES (?, 0, ?, ?, ?)",
                   (battle_id, _prompt_text(tx, pid), pool[i][pid][0], pool[j][pid][0]))
    return _view(conn, battle_id)


def _weighted_index(gen: random.Random, weights: np.ndarray) -> int:
    x = gen.random() * float(weights.sum())
    acc = 0.0
    for k, w in enumerate(weights):
        acc += float(w)
        if x < acc:
            return k
    return len(weights) - 1


def _check_cap(conn: sqlite3.Connection, v: sqlite3.Row | None) -> None:
    if v is None or v["cap"] is None:
        return
    used = conn.execute("SELECT COUNT(*) FROM arena_votes WHERE voter_id = ?", (v["id"],)).fetchone()[0]
    if used >= v["cap"]:
        raise CapReached(f"voter '{v['name']}' has cast {used} of {v['cap']} allowed votes", "thank you!")


def _insert_battle(conn: sqlite3.Connection, arena_id: int, prompt_id: int, ca: int, cb: int, v: sqlite3.Row | None,
                   strategy: str, status: str) -> int:
    now = now_iso()
    cur = conn.execute(
        "INSERT INTO arena_battles (arena_id, prompt_id, contestant_a, contestant_b, voter_id, strategy, status, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (arena_id, prompt_id, ca, cb, v["id"] if v is not None else None, strategy, status, now, now))
    return int(cur.lastrowid)


def _prompt_text(conn: sqlite3.Connection, prompt_id: int) -> str:
    return str(conn.execute("SELECT text FROM arena_prompts WHERE id = ?", (prompt_id,)).fetchone()[0])


def start_battle(store: Store, arena: str, prompt: str | None = None, *, messages: list[dict[str, str]] | None = None,
                 tags: list[str] | None = None, voter: str | None = None, strategy: str = "uniform",
                 rng: RngLike = None, pair: tuple[str, str] | None = None,
                 max_ratio: float = DEFAULT_MAX_RATIO) -> BattleView:
    """A battle on a prompt typed in the page: its answers are generated live (call stream_pair next).

    `pair` names the two contestants (random sides still); otherwise the pair is drawn by `strategy` among
    active contestants that can answer. Answers already pre-generated for the same prompt are reused.
    """
    ready(store)
    gen = _rng(rng)
    a = arena_row(store, arena)
    conn = store.conn
    v = voter_row(store, a["id"], voter)
    _check_cap(conn, v)
    rows = {r["id"]: r for r in conn.execute("SELECT * FROM arena_contestants WHERE arena_id = ? AND active = 1 "
                                             "AND kind != 'imported' ORDER BY id", (a["id"],))}
    if pair is not None:
        by_name = {r["name"]: cid for cid, r in rows.items()}
        missing = [n for n in pair if n not in by_name]
        if missing or pair[0] == pair[1]:
            raise BadInput(f"pair {pair} must name two different active contestants", f"active: {', '.join(by_name)}")
        i, j = by_name[pair[0]], by_name[pair[1]]
    else:
        ids = sorted(rows)
        pairs = [(x, y) for k, x in enumerate(ids) for y in ids[k + 1:]]
        if not pairs:
            raise NothingToVote(f"arena '{arena}' needs two active contestants that can answer",
                                "add models: shortlist arena add ARENA SPEC")
        votes: dict[int, int] = dict.fromkeys(ids, 0)
        for ca, cb, n in conn.execute("SELECT contestant_a, contestant_b, COUNT(*) FROM arena_votes "
                                      "WHERE arena_id = ? AND judge IS NULL GROUP BY 1, 2", (a["id"],)):
            votes[ca] = votes.get(ca, 0) + n
            votes[cb] = votes.get(cb, 0) + n
        theta, cov = _ratings_for_sampling(conn, a["id"]) if strategy == "adaptive" else ({}, {})
        i, j = pairs[_weighted_index(gen, pair_weights(pairs, strategy, votes, theta, cov, max_ratio))]
    if gen.random() < 0.5:
        i, j = j, i
    prompt_id = add_prompt(store, arena, prompt, messages=messages, tags=tags)
    p = conn.execute("SELECT * FROM arena_prompts WHERE id = ?", (prompt_id,)).fetchone()
    with store.transaction() as tx:
        battle_id = _insert_battle(tx, a["id"], prompt_id, i, j, v, strategy, "open")
        ids_ab = []
        for cid in (i, j):
            pooled = tx.execute("SELECT id FROM arena_answers WHERE contestant_id = ? AND prompt_id = ? AND "
                                "battle_id IS NULL AND status = 'ok'", (cid, prompt_id)).fetchone()
            if pooled:
                ids_ab.append(pooled[0])
                continue
            sampling = Sampling.model_validate_json(rows[cid]["sampling_json"])
            msgs = A.build_messages(prompt_messages(p), sampling)
            ids_ab.append(A.create_pending(tx, a["id"], cid, prompt_id, battle_id, 0, msgs, sampling))
        tx.execute("INSERT INTO arena_turns (battle_id, turn, user_text, answer_a, answer_b) VALUES (?, 0, ?, ?, ?)",
                   (battle_id, p["text"], ids_ab[0], ids_ab[1]))
    return _view(conn, battle_id)


# --- continuing, regenerating, skipping ---------------------------------------------------------------


def _open_for_change(conn: sqlite3.Connection, battle_id: int, what: str) -> tuple[sqlite3.Row, sqlite3.Row]:
    b = battle_row(conn, battle_id)
    if b["status"] != "open":
        raise BattleClosed(f"battle {battle_id} is {b['status']}: it cannot {what}")
    turn = conn.execute("SELECT * FROM arena_turns WHERE battle_id = ? ORDER BY turn DESC LIMIT 1",
                        (battle_id,)).fetchone()
    states = [A.answer_row(conn, turn[c])["status"] for c in ("answer_a", "answer_b")]
    if any(s in ("pending", "running") for s in states):
        raise NotVotable(f"battle {battle_id}'s answers are still being generated",
                         "wait for both to finish (or close the stream) first")
    return b, turn


def continue_battle(store: Store, battle_id: int, message: str) -> BattleView:
    """Add a user turn to both conversations before voting; the vote then covers the whole conversation.

    Each side sees its own earlier answers. Returns the battle with the new turn pending: call stream_pair.
    """
    ready(store)
    if not isinstance(message, str) or not message.strip():
        raise BadInput("the follow-up message is empty")
    with store.transaction() as tx:
        b, turn = _open_for_change(tx, battle_id, "continue")
        if b["unfinished"]:
            raise BattleClosed(f"battle {battle_id} is unfinished (an answer failed)", "regenerate it first")
        n = turn["turn"] + 1
        if n >= MAX_TURNS:
            raise BattleClosed(f"battle {battle_id} has reached {MAX_TURNS} turns", "vote now")
        ids = []
        for side in ("a", "b"):
            prev = A.answer_row(tx, turn["answer_" + side])
            sampling = Sampling.model_validate_json(prev["sampling_json"])
            msgs = [*A.conversation(tx, battle_id, side, n), {"role": "user", "content": message}]
            ids.append(A.create_pending(tx, b["arena_id"], b["contestant_" + side], b["prompt_id"], battle_id, n,
                                        msgs, sampling))
        tx.execute("INSERT INTO arena_turns (battle_id, turn, user_text, answer_a, answer_b) VALUES (?, ?, ?, ?, ?)",
                   (battle_id, n, message, ids[0], ids[1]))
        tx.execute("UPDATE arena_battles SET updated_at = ? WHERE id = ?", (now_iso(), battle_id))
    return _view(store.conn, battle_id)


def regenerate(store: Store, battle_id: int) -> BattleView:
    """New answers for the latest turn, both sides, same inputs (before the vote). The replaced answers are
    kept in the store but no longer part of the battle; a battle unfinished by a failed answer becomes
    votable again once the new answers arrive. Call stream_pair next."""
    ready(store)
    with store.transaction() as tx:
        b, turn = _open_for_change(tx, battle_id, "be regenerated")
        ids = []
        for side in ("a", "b"):
            prev = A.answer_row(tx, turn["answer_" + side])
            sampling = Sampling.model_validate_json(prev["sampling_json"])
            ids.append(A.create_pending(tx, b["arena_id"], b["contestant_" + side], b["prompt_id"], battle_id,
                                        turn["turn"], json.loads(prev["messages_json"]), sampling))
        tx.execute("UPDATE arena_turns SET answer_a = ?, answer_b = ? WHERE battle_id = ? AND turn = ?",
                   (ids[0], ids[1], battle_id, turn["turn"]))
        tx.execute("UPDATE arena_battles SET unfinished = 0, updated_at = ? WHERE id = ?", (now_iso(), battle_id))
    return _view(store.conn, battle_id)


def skip_battle(store: Store, battle_id: int) -> BattleView:
    """The voter passes on this battle: it is closed without a vote (a new round is next_battle)."""
    ready(store)
    with store.transaction() as tx:
        b = battle_row(tx, battle_id)
        if b["status"] != "open":
            raise BattleClosed(f"battle {battle_id} is {b['status']}: it cannot be skipped")
        tx.execute("UPDATE arena_battles SET status = 'skipped', updated_at = ? WHERE id = ?", (now_iso(), battle_id))
    return _view(store.conn, battle_id)


__all__ = ["continue_battle", "get_battle", "next_battle", "regenerate", "skip_battle", "start_battle"]
