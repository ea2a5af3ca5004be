"""How often an LLM judge agrees with the humans on the same battles.

Both-bad counts as a tie here: the judge is asked which answer is better, and "both bad" and "tie" both
say "neither". Reported with the judge's own consistency (its two orders of the same battle agreeing),
which bounds how much agreement to expect.
"""

from __future__ import annotations

import json
import sqlite3

from shortlist.arena.schemas import Agreement


def _fold(outcome: str) -> str:
    return "tie" if outcome == "both_bad" else outcome


def judges(conn: sqlite3.Connection, arena_id: int) -> list[str]:
    """Judges with votes in the arena, most votes first."""
    rows = conn.execute("SELECT judge, COUNT(*) FROM arena_votes WHERE arena_id = ? AND judge IS NOT NULL "
                        "GROUP BY judge ORDER BY 2 DESC, 1", (arena_id,)).fetchall()
    return [r[0] for r in rows]


def agreement(conn: sqlite3.Connection, arena_id: int, judge: str) -> Agreement:
    rows = conn.execute(
        "SELECT h.outcome, j.outcome, j.details_json FROM arena_votes h "
        "JOIN arena_votes j ON j.battle_id = h.battle_id AND j.judge = ? JOIN arena_battles b ON b.id = h.battle_id "
        "WHERE h.arena_id = ? AND h.judge IS NULL AND b.unfinished = 0", (judge, arena_id)).fetchall()
    agree = sum(_fold(h) == _fold(j) for h, j, _ in rows)
    decisive = [(h, j) for h, j, _ in rows if h in ("a", "b")]
    consistent = total = 0
    for (details,) in conn.execute("SELECT details_json FROM arena_votes WHERE arena_id = ? AND judge = ?",
                                   (arena_id, judge)):
        d = json.loads(details) if details else {}
        if "consistent" in d:
            total += 1
            consistent += bool(d["consistent"])
    return Agreement(judge=judge, battles=len(rows), agree=agree, rate=round(agree / len(rows), 4) if rows else None,
                     decisive_battles=len(decisive), decisive_agree=sum(h == j for h, j in decisive),
                     judge_consistency=round(consistent / total, 4) if total else None)
