"""LLM-judge votes through the same pipeline as human votes.

A judge model reads each battle's two conversations and a rubric and names the better one. Every battle
is judged twice, with the answers in both orders: a judge that prefers whichever answer comes first
(position bias, common in LLM judges) then contradicts itself, and a contradiction is recorded as a tie
instead of a win for the left side. The judge's votes are ordinary arena votes with `judge` set, so the
same Bradley-Terry code rates them (`leaderboard(judge=True)`), and agreement with the humans is measured
on the battles both voted on.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed

from shortlist.arena import answers as A
from shortlist.arena.agreement import agreement
from shortlist.arena.clients import client_for
from shortlist.arena.clients.base import ChatClient, run_answer
from shortlist.arena.common import arena_row, dumps, now_iso, now_ts
from shortlist.arena.contestants import check_env_name, parse_spec
from shortlist.arena.migrations import ready
from shortlist.arena.schemas import JudgeReport, Sampling
from shortlist.errors import BadInput
from shortlist.store import Store

DEFAULT_RUBRIC = (
    "You are the referee of a blind comparison between two AI assistants, A and B, who were given the same "
    "conversation. Decide which one served the user better: correct and relevant content first, then how well "
    "it follows what the user asked for, then clarity. Length and formatting only count when they help the "
    "user. The order in which the two are shown means nothing. Explain your reasoning in a few sentences, then "
    "end with exactly one verdict on its own line: [[A]] if A is better, [[B]] if B is better, [[TIE]] if they "
    "are about equally good, [[BOTH_BAD]] if neither is acceptable."
)
_VERDICT = re.compile(r"\[\[\s*(A|B|TIE|BOTH[ _]BAD)\s*\]\]", re.IGNORECASE)
_SWAP = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad"}
ProgressFn = Callable[[int, int], None]


def parse_verdict(text: str) -> str | None:
    """The judge's last [[...]] verdict as an outcome ('a', 'b', 'tie', 'both_bad'), or None."""
    found = _VERDICT.findall(text)
    if not found:
        return None
    v = found[-1].upper().replace(" ", "_")
    return {"A": "a", "B": "b", "TIE": "tie", "BOTH_BAD": "both_bad"}[v]


def render(convo_first: list[dict[str, str]], convo_second: list[dict[str, str]]) -> str:
    """The two conversations as the judge reads them: the first shown as A, the second as B. Raw text."""
    parts = []
    for label, convo in (("A", convo_first), ("B", convo_second)):
        lines = [f"=== Conversation with assistant {label} ==="]
        for m in convo:
            if m["role"] == "system":
                continue
            who = "User" if m["role"] == "user" else f"Assistant {label}"
            lines.append(f"[{who}]\n{m['content']}")
        parts.append("\n\n".join(lines))
    return "\n\n".join(parts) + "\n\nWhich assistant did better? End with your verdict."


def combine(first: str, second_swapped_back: str) -> str:
    """Both orders agree: that outcome; they disagree: a tie (position bias cancels out)."""
    if first == second_swapped_back:
        return first
    return "tie"


def _battles_to_judge(store: Store, arena_id: int, judge: str) -> list[int]:
    rows = store.conn.execute(
        "SELECT b.id FROM arena_battles b WHERE b.arena_id = ? AND b.unfinished = 0 AND b.status != 'skipped' "
        "AND NOT EXISTS (SELECT 1 FROM arena_votes v WHERE v.battle_id = b.id AND v.judge = ?) ORDER BY b.id",
        (arena_id, judge)).fetchall()
    ok = []
    for (bid,) in rows:
        states = store.conn.execute(
            "SELECT xa.status, xb.status FROM arena_turns t JOIN arena_answers xa ON xa.id = t.answer_a "
            "JOIN arena_answers xb ON xb.id = t.answer_b WHERE t.battle_id = ?", (bid,)).fetchall()
        if states and all(sa in A.DONE and sb in A.DONE for sa, sb in states):
            ok.append(bid)
    return ok


def _create_battles(store: Store, arena_id: int, seed: int) -> int:
    """A judge-only battle for every pooled prompt and pair of active contestants that both answered it and
    have no battle on it yet, sides drawn at random (seeded)."""
    conn = store.conn
    gen = random.Random(seed)
    pool: dict[int, dict[int, int]] = {}
    for cid, pid, aid in conn.execute(
            "SELECT x.contestant_id, x.prompt_id, x.id FROM arena_answers x JOIN arena_contestants c ON "
            "c.id = x.contestant_id WHERE x.arena_id = ? AND x.battle_id IS NULL AND x.status = 'ok' AND c.active = 1 "
            "ORDER BY x.contestant_id, x.prompt_id", (arena_id,)):
        pool.setdefault(cid, {})[pid] = aid
    existing = {(min(a, b), max(a, b), p) for a, b, p in conn.execute(
        "SELECT contestant_a, contestant_b, prompt_id FROM arena_battles WHERE arena_id = ?", (arena_id,))}
    ids = sorted(pool)
    made = 0
    with store.transaction() as tx:
        for k, i in enumerate(ids):
            for j in ids[k + 1:]:
                for pid in sorted(pool[i].keys() & pool[j].keys()):
                    if (i, j, pid) in existing:
                        continue
                    ca, cb = (i, j) if gen.random() < 0.5 else (j, i)
                    now = now_iso()
                    cur = tx.execute(
                        "INSERT INTO arena_battles (arena_id, prompt_id, contestant_a, contestant_b, strategy, status,"
                        " created_at, updated_at) VALUES (?, ?, ?, ?, 'judge', 'judge', ?, ?)",
                        (arena_id, pid, ca, cb, now, now))
                    text = tx.execute("SELECT text FROM arena_prompts WHERE id = ?", (pid,)).fetchone()[0]
                    tx.execute("INSERT INTO arena_turns (battle_id, turn, user_text, answer_a, answer_b) "
                               "VALUES (?, 0, ?, ?, ?)", (cur.lastrowid, text, pool[ca][pid], pool[cb][pid]))
                    made += 1
    return made


def judge_battles(store: Store, arena: str, judge_spec: str, *, name: str | None = None, rubric: str | None = None,
                  sampling: Sampling | None = None, api_key_env: str | None = None, concurrency: int | None = None,
                  limit: int | None = None, create_battles: bool = True, seed: int = 42,
                  progress: ProgressFn | None = None) -> JudgeReport:
    """Judge the arena's finished battles not yet judged by this judge, each in both orders.

    `judge_spec` is any contestant spec (openai:NAME@URL, hf:PATH, a .gguf); `name` labels its votes
    (default judge:<model>). With `create_battles`, pre-generated answer pairs nobody has seen yet get
    judge-only battles first, so a judge can rate an arena before any human votes.
    """
    ready(store)
    spec = parse_spec(judge_spec)
    judge = name or f"judge:{spec.default_name}"
    env = check_env_name(api_key_env)
    sampling = sampling or Sampling(temperature=0.0, max_tokens=1024)
    rubric = rubric or DEFAULT_RUBRIC
    a = arena_row(store, arena)
    if create_battles:
        _create_battles(store, a["id"], seed)
    todo = _battles_to_judge(store, a["id"], judge)
    already = store.conn.execute("SELECT COUNT(*) FROM arena_votes WHERE arena_id = ? AND judge = ?",
                                 (a["id"], judge)).fetchone()[0]
    if limit is not None:
        todo = todo[:max(limit, 0)]
    conn = store.conn
    jobs = []
    for bid in todo:
        turns = conn.execute("SELECT turn FROM arena_turns WHERE battle_id = ? ORDER BY turn DESC LIMIT 1",
                             (bid,)).fetchone()[0] + 1
        jobs.append((bid, A.conversation(conn, bid, "a", turns), A.conversation(conn, bid, "b", turns)))
    client = client_for(f"{spec.kind}:{spec.target}" if spec.kind != "openai" else judge_spec, env)
    workers = concurrency or (4 if spec.kind == "openai" else 1)
    counts: dict[str, int] = {}
    errors: list[str] = []
    failed = consistent = done = 0
    t0 = time.perf_counter()
    stop = threading.Event()
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(_judge_one, client, rubric, sampling, ca, cb, stop): bid for bid, ca, cb in jobs}
            for fut in as_completed(futures):
                bid = futures[fut]
                done += 1
                first, second, err = fut.result()
                if err:
                    failed += 1
                    if len(errors) < 5:
                        errors.append(f"battle {bid}: {err}")
                else:
                    assert first is not None and second is not None
                    outcome = combine(first, second)
                    consistent += first == second
                    counts[outcome] = counts.get(outcome, 0) + 1
                    details = {"ab": first, "ba": second, "consistent": first == second,
                               "rubric": rubric if rubric != DEFAULT_RUBRIC else "default"}
                    _store_vote(store, bid, judge, outcome, details)
                if progress is not None:
                    progress(done, len(jobs))
    finally:
        stop.set()
        client.close()
    judged = sum(counts.values())
    agree = agreement(conn, a["id"], judge)
    return JudgeReport(arena=arena, judge=judge, battles=judged, already_judged=already, failed=failed, votes=counts,
                       consistency=round(consistent / judged, 4) if judged else None,
                       wall_s=round(time.perf_counter() - t0, 3), errors=errors,
                       agreement=agree if agree.battles else None)


def _judge_one(client: ChatClient, rubric: str, sampling: Sampling, convo_a: list[dict[str, str]],
               convo_b: list[dict[str, str]], stop: threading.Event) -> tuple[str | None, str | None, str | None]:
    """(verdict with a shown first, verdict with b shown first mapped back to battle sides, error)."""
    verdicts = []
    for first, second, swapped in ((convo_a, convo_b, False), (convo_b, convo_a, True)):
        messages = [{"role": "system", "content": rubric}, {"role": "user", "content": render(first, second)}]
        ans = run_answer(client, messages, sampling, stop)
        if ans.status == "failed":
            return None, None, ans.error
        v = parse_verdict(ans.text)
        if v is None:
            return None, None, f"no [[A]]/[[B]]/[[TIE]]/[[BOTH_BAD]] verdict in: {' '.join(ans.text.split())[-120:]!r}"
        verdicts.append(_SWAP[v] if swapped else v)
    return verdicts[0], verdicts[1], None


def _store_vote(store: Store, battle_id: int, judge: str, outcome: str, details: dict) -> None:
    with store.transaction() as tx:
        b = tx.execute("SELECT * FROM arena_battles WHERE id = ?", (battle_id,)).fetchone()
        tags = tx.execute("SELECT tags_json FROM arena_prompts WHERE id = ?", (b["prompt_id"],)).fetchone()[0]
        turns = tx.execute("SELECT COUNT(*) FROM arena_turns WHERE battle_id = ?", (battle_id,)).fetchone()[0]
        tx.execute(
            "INSERT OR IGNORE INTO arena_votes (arena_id, battle_id, contestant_a, contestant_b, outcome, judge, "
            "source, idempotency_key, tags_json, turns, details_json, tstamp, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 'judge', ?, ?, ?, ?, ?, ?)",
            (b["arena_id"], battle_id, b["contestant_a"], b["contestant_b"], outcome, judge,
             f"judge:{judge}:{battle_id}", tags, turns, dumps(details), now_ts(), now_iso()))


def check_judge_spec(spec: str) -> None:
    if not parse_spec(spec).runnable:
        raise BadInput(f"judge {spec} cannot run", "use openai:NAME@URL, hf:PATH or a .gguf file")
