"""Prompt sets from JSONL, CSV or YAML: `prompt`, optional `tags`, optional multi-turn `messages`.

Every row is checked before anything is stored, and a bad row stops the import with one line naming the
file and line, so a prompt set is either added whole or not at all. A prompt already in the arena (the
same conversation) is counted as a duplicate and left as it is, which makes re-adding a file harmless.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

from shortlist.arena.common import arena_row, dumps, now_iso
from shortlist.arena.migrations import ready
from shortlist.arena.schemas import PromptsAdded
from shortlist.errors import BadInput, NotFound
from shortlist.store import Store

MAX_FILE_BYTES = 200 * 2**20
MAX_PROMPT_CHARS = 200_000
MAX_TAGS = 20
MAX_TAG_CHARS = 64
MAX_MESSAGES = 100
ROLES = ("system", "user", "assistant")
KNOWN = {"prompt", "tags", "messages", "id", "category", "language"}


class PromptRow:
    """A checked prompt: the whole conversation (ending with a user message) and its tags."""

    def __init__(self, messages: list[dict[str, str]], tags: list[str]) -> None:
        self.messages = messages
        self.tags = tags

    @property
    def text(self) -> str:
        return self.messages[-1]["content"]

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(dumps(self.messages).encode("utf-8")).hexdigest()


def check_row(row: dict[str, Any], where: str) -> PromptRow:
    """One row -> PromptRow, or BadInput starting with `where` (file and line)."""
    unknown = sorted(set(row) - KNOWN)
    if unknown:
        raise BadInput(f"{where}: unknown field '{unknown[0]}'", "fields are prompt, tags, messages (and id)")
    prompt = row.get("prompt")
    messages_in = row.get("messages")
    if isinstance(messages_in, str) and messages_in.strip():
        try:
            messages_in = json.loads(messages_in)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{where}: messages is not valid JSON ({exc.msg})") from None
    elif isinstance(messages_in, str):
        messages_in = None
    messages: list[dict[str, str]] = []
    if messages_in is not None:
        if not isinstance(messages_in, list) or not messages_in:
            raise BadInput(f"{where}: messages must be a non-empty list of {{role, content}}")
        if len(messages_in) > MAX_MESSAGES:
            raise BadInput(f"{where}: {len(messages_in)} messages, at most {MAX_MESSAGES}")
        for i, m in enumerate(messages_in):
            if not isinstance(m, dict) or set(m) - {"role", "content"} or m.get("role") not in ROLES \
                    or not isinstance(m.get("content"), str):
                raise BadInput(f"{where}: messages[{i}] must be {{\"role\": system|user|assistant, "
                               "\"content\": text}")
            messages.append({"role": m["role"], "content": m["content"]})
    if prompt is not None and prompt != "":
        if not isinstance(prompt, str):
            raise BadInput(f"{where}: prompt must be text, got {type(prompt).__name__}")
        messages.append({"role": "user", "content": prompt})
    if not messages:
        raise BadInput(f"{where}: no prompt", "each row needs `prompt` (text) or `messages`")
    if messages[-1]["role"] != "user":
        raise BadInput(f"{where}: the conversation must end with a user message", "the contestants answer it")
    if not messages[-1]["content"].strip():
        raise BadInput(f"{where}: the prompt is empty")
    size = sum(len(m["content"]) for m in messages)
    if size > MAX_PROMPT_CHARS:
        raise BadInput(f"{where}: prompt of {size:,} characters, at most {MAX_PROMPT_CHARS:,}")
    return PromptRow(messages, _tags(row.get("tags", row.get("category")), where))


def _tags(value: Any, where: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items = [t.strip() for t in value.replace(";", ",").split(",")]
    elif isinstance(value, list) and all(isinstance(t, str) for t in value):
        items = [t.strip() for t in value]
    else:
        raise BadInput(f"{where}: tags must be a list of text or a comma-separated text")
    tags = sorted({t for t in items if t})
    if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG_CHARS for t in tags):
        raise BadInput(f"{where}: at most {MAX_TAGS} tags of at most {MAX_TAG_CHARS} characters")
    return tags


def read_prompt_file(path: Path) -> list[PromptRow]:
    """Every row of a .jsonl, .csv, .yaml/.yml file, checked; errors name the file and line."""
    if not path.is_file():
        raise NotFound(f"prompt file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv", ".yaml", ".yml", ".json"):
        raise BadInput(f"{path}: unknown prompt file type '{suffix}'", "use .jsonl, .csv or .yaml")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise BadInput(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MB", "split the prompt set")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not UTF-8 text (byte {exc.start})", "save it as UTF-8") from None
    if suffix in (".jsonl", ".json"):
        rows = _jsonl(path, text)
    elif suffix == ".csv":
        rows = _csv(path, text)
    else:
        rows = _yaml(path, text)
    if not rows:
        raise BadInput(f"{path} has no prompts")
    return [check_row(row, f"{path} line {line}") for line, row in rows]


def _jsonl(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deep"
            raise BadInput(f"{path} line {lineno}: bad JSON ({msg})") from None
        if not isinstance(row, dict):
            raise BadInput(f"{path} line {lineno}: expected a JSON object, got {type(row).__name__}")
        rows.append((lineno, row))
    return rows


def _csv(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return []
    except csv.Error as exc:
        raise BadInput(f"{path} line 1: {exc}") from None
    header = [h.strip() for h in header]
    if "prompt" not in header and "messages" not in header:
        raise BadInput(f"{path} line 1: no 'prompt' column", f"columns found: {', '.join(header[:8])}")
    rows = []
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                raise BadInput(f"{path} line {line}: {len(record)} fields, the header has {len(header)}")
            rows.append((line, {k: v for k, v in zip(header, record, strict=True) if k}))
    except csv.Error as exc:
        raise BadInput(f"{path} line {reader.line_num}: {exc}") from None
    return rows


def _yaml(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    """A list of mappings (or `prompts:` holding one); each item's line is where its mapping starts."""
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return []
        if isinstance(node, yaml.MappingNode):
            inner = [v for k, v in node.value if getattr(k, "value", None) == "prompts"]
            if not inner:
                raise BadInput(f"{path}: expected a list of prompts, or `prompts:` holding one")
            node = inner[0]
        if not isinstance(node, yaml.SequenceNode):
            raise BadInput(f"{path} line {node.start_mark.line + 1}: expected a list of prompts")
        rows = []
        for item in node.value:
            line = item.start_mark.line + 1
            value = loader.construct_object(item, deep=True)
            if isinstance(value, str):
                value = {"prompt": value}
            if not isinstance(value, dict):
                raise BadInput(f"{path} line {line}: expected a mapping with `prompt`, got {type(value).__name__}")
            rows.append((line, value))
        return rows
    except yaml.YAMLError as exc:
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)  # where the bad item began
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise BadInput(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    finally:
        loader.dispose()


def _insert(conn: Any, arena_id: int, row: PromptRow, source: str, pooled: bool) -> tuple[int, bool]:
    """(prompt id, created) for one checked prompt; an existing identical conversation is reused."""
    found = conn.execute("SELECT id FROM arena_prompts WHERE arena_id = ? AND content_hash = ?",
                         (arena_id, row.content_hash)).fetchone()
    if found:
        if pooled:
            conn.execute("UPDATE arena_prompts SET pooled = 1 WHERE id = ?", (found[0],))
        return int(found[0]), False
    cur = conn.execute(
        "INSERT INTO arena_prompts (arena_id, text, messages_json, tags_json, source, pooled, content_hash, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (arena_id, row.text, dumps(row.messages) if len(row.messages) > 1 else None, dumps(row.tags), source,
         int(pooled), row.content_hash, now_iso()))
    return int(cur.lastrowid), True


def add_prompts(store: Store, arena: str, path: str | Path) -> PromptsAdded:
    """Add a prompt set file to the arena's pool (the prompts `generate` pre-answers); all or nothing."""
    ready(store)
    a = arena_row(store, arena)
    path = Path(path)
    rows = read_prompt_file(path)
    added = 0
    with store.transaction() as conn:
        for row in rows:
            added += _insert(conn, a["id"], row, f"file:{path.name}", pooled=True)[1]
    tags: dict[str, int] = {}
    for row in rows:
        for t in row.tags:
            tags[t] = tags.get(t, 0) + 1
    total = store.conn.execute("SELECT COUNT(*) FROM arena_prompts WHERE arena_id = ?", (a["id"],)).fetchone()[0]
    return PromptsAdded(arena=arena, source=str(path), read=len(rows), added=added, duplicates=len(rows) - added,
                        total=total, tags=dict(sorted(tags.items())))


def add_prompt(store: Store, arena: str, prompt: str | None = None, *, messages: list[dict[str, str]] | None = None,
               tags: list[str] | None = None, pooled: bool = False, source: str = "typed") -> int:
    """One prompt (typed in the page): its id. Typed prompts are not pooled unless asked, so `generate`
    does not pre-answer every passing question."""
    ready(store)
    a = arena_row(store, arena)
    row = check_row({"prompt": prompt, "messages": messages, "tags": tags or []}, "prompt")
    with store.transaction() as conn:
        return _insert(conn, a["id"], row, source, pooled)[0]


def prompt_messages(prompt_row: Any) -> list[dict[str, str]]:
    """The stored conversation of a prompt row (ending with the user's message)."""
    if prompt_row["messages_json"]:
        return list(json.loads(prompt_row["messages_json"]))
    return [{"role": "user", "content": prompt_row["text"]}]
