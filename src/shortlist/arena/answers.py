"""Answer rows: create, finish, show; and the conversation each side sees for its next turn.

One place writes answers, whatever produced them (batch generation, a live stream, a regeneration), so
every answer is stored with its input, settings, timing, token counts, finish reason, style counts and the
identity-leak flag, and a failure is always a `failed` row, never a short answer.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from shortlist.arena.clients.base import Answer
from shortlist.arena.common import dumps, now_iso
from shortlist.arena.contestants import spec_model_name
from shortlist.arena.identity import IdentityGuard, contestant_words
from shortlist.arena.schemas import AnswerView, Sampling
from shortlist.arena.style import style_counts

STARTED = ("running", "ok", "stopped")  # an answer a voter has seen begin
DONE = ("ok", "stopped")  # finished without failure


def guard_for(conn: sqlite3.Connection, arena_id: int) -> IdentityGuard:
    """The arena's identity-leak guard: vendor and model words plus its own contestants' names."""
    rows = conn.execute("SELECT name, spec FROM arena_contestants WHERE arena_id = ?", (arena_id,)).fetchall()
    names = [r["name"] for r in rows] + [spec_model_name(r["spec"]) for r in rows]
    return IdentityGuard(contestant_words(names))


def build_messages(prompt_messages: list[dict[str, str]], sampling: Sampling) -> list[dict[str, str]]:
    """The contestant's system prompt goes first unless the prompt set brings its own."""
    if sampling.system_prompt and not (prompt_messages and prompt_messages[0]["role"] == "system"):
        return [{"role": "system", "content": sampling.system_prompt}, *prompt_messages]
    return list(prompt_messages)


def create_pending(conn: sqlite3.Connection, arena_id: int, contestant_id: int, prompt_id: int,
                   battle_id: int | None, turn: int, messages: list[dict[str, str]], sampling: Sampling) -> int:
    cur = conn.execute(
        "INSERT INTO arena_answers (arena_id, contestant_id, prompt_id, battle_id, turn, messages_json, sampling_json,"
        " status) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
        (arena_id, contestant_id, prompt_id, battle_id, turn, dumps(messages), sampling.model_dump_json()))
    return int(cur.lastrowid)


def finish(conn: sqlite3.Connection, answer_id: int, ans: Answer, guard: IdentityGuard) -> None:
    """Store a finished, stopped or failed answer in its row (created pending)."""
    words = guard.check(ans.text) if ans.text else []
    style = style_counts(ans.text, ans.completion_tokens) if ans.status != "failed" else None
    conn.execute(
        "UPDATE arena_answers SET text = ?, status = ?, error = ?, finish_reason = ?, ttft_s = ?, tokens_per_s = ?,"
        " prompt_tokens = ?, completion_tokens = ?, wall_s = ?, flagged = ?, flagged_words = ?, style_json = ?,"
        " started_at = COALESCE(started_at, ?), finished_at = ? WHERE id = ?",
        (ans.text, ans.status, ans.error, ans.finish_reason, ans.ttft_s, ans.tokens_per_s, ans.prompt_tokens,
         ans.completion_tokens, round(ans.wall_s, 4), int(bool(words)), dumps(words) if words else None,
         dumps(style) if style else None, now_iso(), now_iso(), answer_id))


def mark_running(conn: sqlite3.Connection, answer_id: int) -> None:
    conn.execute("UPDATE arena_answers SET status = 'running', started_at = ? WHERE id = ? AND status = 'pending'",
                 (now_iso(), answer_id))


def view(row: sqlite3.Row | dict[str, Any]) -> AnswerView:
    words = json.loads(row["flagged_words"]) if row["flagged_words"] else []
    return AnswerView(id=row["id"], status=row["status"], text=row["text"], finish_reason=row["finish_reason"],
                      error=row["error"], ttft_s=row["ttft_s"], tokens_per_s=row["tokens_per_s"],
                      prompt_tokens=row["prompt_tokens"], completion_tokens=row["completion_tokens"],
                      flagged=bool(row["flagged"]), flagged_words=words)


def answer_row(conn: sqlite3.Connection, answer_id: int) -> sqlite3.Row:
    return conn.execute("SELECT * FROM arena_answers WHERE id = ?", (answer_id,)).fetchone()


def conversation(conn: sqlite3.Connection, battle_id: int, side: str, upto: int) -> list[dict[str, str]]:
    """What side `side` has seen before turn `upto`: its turn-0 input, then its own answers and the user's turns."""
    col = "answer_a" if side == "a" else "answer_b"
    turns = conn.execute(f"SELECT turn, user_text, {col} AS ans FROM arena_turns WHERE battle_id = ? AND turn < ? "
                         "ORDER BY turn", (battle_id, upto)).fetchall()
    messages: list[dict[str, str]] = []
    for t in turns:
        row = answer_row(conn, t["ans"])
        if t["turn"] == 0:
            messages = list(json.loads(row["messages_json"]))
        else:
            messages.append({"role": "user", "content": t["user_text"]})
        messages.append({"role": "assistant", "content": row["text"]})
    return messages
