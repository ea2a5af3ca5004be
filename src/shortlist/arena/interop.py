"""Votes in and out in LMArena's columns, and battles out with their prompts and answers.

Columns (CSV or JSONL, .gz accepted on import): `model_a`, `model_b`, `winner` in model_a / model_b / tie /
tie (bothbad) (both_bad accepted), plus `judge` (who voted: LMArena's voter id, or ours), `tstamp` (Unix
seconds), optional `turn`, `language`, and the extensions shortlist writes so a round trip loses nothing
the board uses: `id` (dedupes re-imports), `tags`, `flagged`, `conv_metadata` (LMArena's per-side token
and markdown counts, for style control). A file written by export_votes and imported into another arena
gives that arena exactly the same count table, hence exactly the same ratings. Rows with `anony` false
(named, non-blind votes in LMArena's logs) are skipped, as LMArena does.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shortlist.arena.common import arena_row, dumps, now_iso, now_ts
from shortlist.arena.migrations import ready
from shortlist.arena.schemas import ExportReport, ImportReport, Sampling
from shortlist.arena.style import battle_styles
from shortlist.errors import BadInput, NotFound
from shortlist.store import Store

_WINNER = {"model_a": "a", "model_b": "b", "tie": "tie", "tie (bothbad)": "both_bad", "both_bad": "both_bad",
           "bothbad": "both_bad", "both bad": "both_bad"}
_LABEL = {"a": "model_a", "b": "model_b", "tie": "tie", "both_bad": "tie (bothbad)"}
COLUMNS = ("id", "model_a", "model_b", "winner", "judge", "tstamp", "turn", "language", "tags", "flagged",
           "conv_metadata")
_BATCH = 5000


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix.lower() == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _format(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".jsonl", ".json")):
        return "jsonl"
    raise BadInput(f"{path}: unknown vote file type", "use .csv or .jsonl (optionally .gz)")


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    fmt = _format(path)
    with _open_text(path) as fh:
        if fmt == "csv":
            reader = csv.DictReader(fh)
            if reader.fieldnames is None:
                return
            missing = {"model_a", "model_b", "winner"} - set(reader.fieldnames)
            if missing:
                raise BadInput(f"{path} line 1: no column {sorted(missing)[0]}",
                               "vote files need model_a, model_b and winner (LMArena's columns)")
            try:
                for row in reader:
                    yield reader.line_num, row
            except csv.Error as exc:
                raise BadInput(f"{path} line {reader.line_num}: {exc}") from None
        else:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise BadInput(f"{path} line {lineno}: bad JSON ({exc.msg})") from None
                if not isinstance(row, dict):
                    raise BadInput(f"{path} line {lineno}: expected a JSON object")
                yield lineno, row


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes")


def _style(value: Any, where: str) -> str | None:
    """LMArena's conv_metadata -> our per-side counts {"a": {...}, "b": {...}} (JSON), or None."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise BadInput(f"{where}: conv_metadata is not JSON") from None
    if not isinstance(value, dict):
        raise BadInput(f"{where}: conv_metadata must be an object")

    def side(s: str) -> dict[str, int] | None:
        tokens = value.get(f"sum_assistant_{s}_tokens")
        if tokens is None:
            return None
        return {"tokens": int(tokens), "headers": int(sum((value.get(f"header_count_{s}") or {}).values())),
                "lists": int(sum((value.get(f"list_count_{s}") or {}).values())),
                "bold": int(sum((value.get(f"bold_count_{s}") or {}).values()))}

    a, b = side("a"), side("b")
    return dumps({"a": a, "b": b}) if a and b else None


def import_votes(store: Store, arena: str, path: str | Path) -> ImportReport:
    """Import a vote file into an arena; unknown model names become contestants (`imported:NAME`, not runnable).

    The whole file is checked and stored in one transaction: a bad row (line named) leaves nothing behind.
    Rows with an `id` already imported into this arena are skipped, so importing a file twice is harmless.
    """
    ready(store)
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"vote file {path} does not exist")
    a = arena_row(store, arena)
    conn = store.conn
    known = {r["name"]: r["id"] for r in conn.execute("SELECT id, name FROM arena_contestants WHERE arena_id = ?",
                                                     (a["id"],))}
    created: list[str] = []
    rows = imported = duplicates = self_votes = not_blind = 0
    batch: list[tuple] = []
    tag_json: dict[tuple[str, ...], str] = {}
    now = now_iso()
    with store.transaction() as tx:
        def contestant(name: str) -> int:
            if name not in known:
                cur = tx.execute("INSERT INTO arena_contestants (arena_id, name, spec, kind, sampling_json, active, "
                                 "added_at) VALUES (?, ?, ?, 'imported', ?, 1, ?)",
                                 (a["id"], name, f"imported:{name}", Sampling().model_dump_json(), now))
                known[name] = int(cur.lastrowid)
                created.append(name)
            return known[name]

        def flush() -> int:
            before = tx.total_changes
            tx.executemany(
                "INSERT OR IGNORE INTO arena_votes (arena_id, contestant_a, contestant_b, outcome, voter, source, "
                "idempotency_key, flagged, tags_json, language, turns, style_json, tstamp, created_at) "
                "VALUES (?, ?, ?, ?, ?, 'import', ?, ?, ?, ?, ?, ?, ?, ?)", batch)
            stored = tx.total_changes - before
            batch.clear()
            return stored

        for line, row in _rows(path):
            rows += 1
            where = f"{path} line {line}"
            if "anony" in row and str(row["anony"]).strip().lower() in ("false", "0"):
                not_blind += 1
                continue
            ma, mb = str(row.get("model_a") or "").strip(), str(row.get("model_b") or "").strip()
            if not ma or not mb:
                raise BadInput(f"{where}: model_a and model_b must name models")
            label = str(row.get("winner") or "").strip().lower()
            if label not in _WINNER:
                raise BadInput(f"{where}: unknown winner '{row.get('winner')}'",
                               "use model_a, model_b, tie or tie (bothbad)")
            if ma == mb:
                self_votes += 1
                continue
            tags = row.get("tags", row.get("category"))
            if isinstance(tags, str):
                tags = [t.strip() for t in tags.replace(";", ",").split(",") if t.strip()]
            tags_key = tuple(sorted(set(tags))) if isinstance(tags, list) else ()
            tags_json = tag_json.get(tags_key)
            if tags_json is None:
                tags_json = tag_json[tags_key] = dumps(list(tags_key))
            try:
                tstamp = float(row["tstamp"]) if row.get("tstamp") not in (None, "") else now_ts()
                turn = int(row["turn"]) if row.get("turn") not in (None, "") else None
            except (TypeError, ValueError):
                raise BadInput(f"{where}: tstamp and turn must be numbers") from None
            key = f"import:{row['id']}" if row.get("id") not in (None, "") else None
            batch.append((a["id"], contestant(ma), contestant(mb), _WINNER[label],
                          str(row["judge"]) if row.get("judge") not in (None, "") else None, key,
                          int(_flag(row.get("flagged", False))), tags_json, row.get("language") or None, turn,
                          _style(row.get("conv_metadata"), where), tstamp, now))
            if len(batch) >= _BATCH:
                imported += flush()
        imported += flush()
    duplicates = rows - imported - self_votes - not_blind
    return ImportReport(arena=arena, file=str(path), rows=rows, imported=imported, duplicates=duplicates,
                        self_votes=self_votes, not_blind=not_blind, contestants_created=created)


def _export_rows(store: Store, arena_id: int, judge: bool | str) -> Iterator[dict[str, Any]]:
    who = "v.judge IS NULL" if not judge else ("v.judge IS NOT NULL" if judge is True else "v.judge = ?")
    params: list[Any] = [arena_id] + ([judge] if isinstance(judge, str) else [])
    flag = ("(v.flagged = 1 OR EXISTS (SELECT 1 FROM arena_turns t JOIN arena_answers x ON x.id IN (t.answer_a, "
            "t.answer_b) WHERE t.battle_id = v.battle_id AND x.flagged = 1))")
    sql = (f"SELECT v.*, ca.name AS name_a, cb.name AS name_b, {flag} AS any_flag FROM arena_votes v "
           "JOIN arena_contestants ca ON ca.id = v.contestant_a JOIN arena_contestants cb ON cb.id = v.contestant_b "
           "LEFT JOIN arena_battles b ON b.id = v.battle_id "
           f"WHERE v.arena_id = ? AND {who} AND COALESCE(b.unfinished, 0) = 0 ORDER BY v.id")
    styles: dict[int, tuple[dict, dict]] | None = None
    for r in store.conn.execute(sql, params):
        style = json.loads(r["style_json"]) if r["style_json"] else None
        if style is None and r["battle_id"] is not None:
            if styles is None:
                styles = battle_styles(store.conn, arena_id)
            pair = styles.get(r["battle_id"])
            style = {"a": pair[0], "b": pair[1]} if pair and pair[0] and pair[1] else None
        meta = None
        if style:
            meta = {}
            for s in ("a", "b"):
                meta[f"sum_assistant_{s}_tokens"] = style[s].get("tokens", 0)
                meta[f"header_count_{s}"] = {"h": style[s].get("headers", 0)}
                meta[f"list_count_{s}"] = {"items": style[s].get("lists", 0)}
                meta[f"bold_count_{s}"] = {"**": style[s].get("bold", 0)}
        key = r["idempotency_key"]
        yield {
            "id": key.removeprefix("import:") if key and key.startswith("import:") else f"{r['arena_id']}-{r['id']}",
            "model_a": r["name_a"], "model_b": r["name_b"], "winner": _LABEL[r["outcome"]],
            "judge": r["judge"] or r["voter"] or "", "tstamp": r["tstamp"], "turn": r["turns"],
            "language": r["language"], "tags": json.loads(r["tags_json"]) if r["tags_json"] else [],
            "flagged": bool(r["any_flag"]), "conv_metadata": meta,
        }


def export_votes(store: Store, arena: str, path: str | Path, *, judge: bool | str = False) -> ExportReport:
    """Write the arena's counted votes (human by default; `judge` as in leaderboard) in LMArena's columns.

    Votes on unfinished battles are left out: they never count, so the file rates exactly like the board.
    """
    ready(store)
    path = Path(path)
    fmt = _format(path)
    a = arena_row(store, arena)
    n = 0
    opener = gzip.open(path, "wt", encoding="utf-8", newline="") if path.suffix == ".gz" else \
        open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
    with opener as fh:
        if fmt == "csv":
            writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
            writer.writeheader()
            for row in _export_rows(store, a["id"], judge):
                row["tags"] = ",".join(row["tags"])
                row["flagged"] = int(row["flagged"])
                row["conv_metadata"] = dumps(row["conv_metadata"]) if row["conv_metadata"] else ""
                row["turn"] = "" if row["turn"] is None else row["turn"]
                row["language"] = row["language"] or ""
                writer.writerow(row)
                n += 1
        else:
            for row in _export_rows(store, a["id"], judge):
                fh.write(dumps(row) + "\n")
                n += 1
    return ExportReport(arena=arena, file=str(path), format=fmt, rows=n)  # type: ignore[arg-type]


def export_battles(store: Store, arena: str, path: str | Path) -> ExportReport:
    """JSONL, one battle per line: prompt, tags, both conversations (OpenAI message lists, the answers raw),
    per-answer figures, the vote and any judge votes, and whether it was unfinished or flagged."""
    ready(store)
    path = Path(path)
    if _format(path) != "jsonl":
        raise BadInput("battles export as JSONL", "name the file .jsonl")
    a = arena_row(store, arena)
    conn = store.conn
    names = dict(conn.execute("SELECT id, name FROM arena_contestants WHERE arena_id = ?", (a["id"],)).fetchall())
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for b in conn.execute("SELECT * FROM arena_battles WHERE arena_id = ? ORDER BY id", (a["id"],)).fetchall():
            p = conn.execute("SELECT * FROM arena_prompts WHERE id = ?", (b["prompt_id"],)).fetchone()
            sides: dict[str, list] = {"a": [], "b": []}
            answers: dict[str, list] = {"a": [], "b": []}
            for t in conn.execute("SELECT * FROM arena_turns WHERE battle_id = ? ORDER BY turn", (b["id"],)):
                for s in ("a", "b"):
                    x = conn.execute("SELECT * FROM arena_answers WHERE id = ?", (t["answer_" + s],)).fetchone()
                    if t["turn"] == 0:
                        sides[s] = list(json.loads(x["messages_json"]))
                    else:
                        sides[s].append({"role": "user", "content": t["user_text"]})
                    sides[s].append({"role": "assistant", "content": x["text"]})
                    answers[s].append({k: x[k] for k in ("status", "finish_reason", "ttft_s", "tokens_per_s",
                                                          "prompt_tokens", "completion_tokens", "flagged", "error")})
            votes = conn.execute("SELECT outcome, voter, judge, tstamp, details_json FROM arena_votes "
                                 "WHERE battle_id = ? ORDER BY id", (b["id"],)).fetchall()
            human = next((v for v in votes if v["judge"] is None), None)
            record = {
                "id": b["id"], "arena": arena, "prompt": json.loads(p["messages_json"]) if p["messages_json"]
                else [{"role": "user", "content": p["text"]}], "tags": json.loads(p["tags_json"]),
                "model_a": names[b["contestant_a"]], "model_b": names[b["contestant_b"]],
                "conversation_a": sides["a"], "conversation_b": sides["b"], "answers_a": answers["a"],
                "answers_b": answers["b"], "status": b["status"], "unfinished": bool(b["unfinished"]),
                "winner": _LABEL[human["outcome"]] if human else None, "voter": human["voter"] if human else None,
                "tstamp": human["tstamp"] if human else None,
                "judges": [{"judge": v["judge"], "winner": _LABEL[v["outcome"]],
                            "details": json.loads(v["details_json"]) if v["details_json"] else None}
                           for v in votes if v["judge"] is not None],
                "created_at": b["created_at"],
            }
            fh.write(dumps(record) + "\n")
            n += 1
    return ExportReport(arena=arena, file=str(path), format="jsonl", rows=n)
