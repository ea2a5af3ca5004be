"""Reading custom task files (YAML/TOML) and their data (JSONL/CSV), every value checked on load.

Task files and data rows are the user's own files, often exported by other tools: they may be
Latin-1, nested thousands of levels deep, hold 5,000-digit numbers or a `null` where a list belongs.
Everything here turns such input into one TaskFileError naming the file, the line or key, and what
was expected, before any model is contacted; the checks also bound the work (file sizes, nesting,
alias expansion, template widths).
"""

from __future__ import annotations

import csv
import re
import string
from pathlib import Path
from typing import Any

from shortlist.errors import FormatError, NotFound, shown
from shortlist.files import MiB, decode_utf8, file_kind, load_json, load_toml, load_yaml, read_bytes

DATA_SUFFIXES = (".jsonl", ".csv")
MAX_TASK_FILE = 1 * MiB  # task files are a few lines of settings
MAX_DATA_FILE = 512 * MiB
MAX_DEPTH = 32  # settings and rows are flat; judge options nest two or three levels
MAX_TEXT = 100_000  # characters in one setting (prompts and rubrics included)
MAX_WIDTH = 1_000  # the largest field width a prompt template may ask for
MAX_LIMITS = {"num_fewshot": 1_000, "answer_index_base": 1, "max_tokens": 1_000_000, "fewshot_seed": 2**32}


class TaskFileError(FormatError):
    """A custom task file or data file that cannot be used as written."""

    format_name = "task file"

    @staticmethod
    def where(path: str, field: str) -> str:
        """"d.jsonl line 7: …" for data rows (the style of every row message); "t.yaml: key: …" otherwise."""
        if field.startswith("line "):
            return f"{path} {field}: "
        return f"{path}: {field}: " if field else f"{path}: "


def data_path(where: Path, key: str, value: Any) -> Path:
    """A data file named in a task file, relative to it: a plain, sane string."""
    if not isinstance(value, str) or not value.strip() or "\x00" in value or len(value) > 4_096:
        raise TaskFileError(where, key, f"is {shown(value)}, expected the path of a .jsonl or .csv file, relative "
                            "to the task file")
    return where.parent / value


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) for each record of a JSONL or CSV file."""
    kind = file_kind(path)
    if kind is None:
        raise NotFound(f"data file {path} does not exist")
    if path.suffix.lower() not in DATA_SUFFIXES:
        raise TaskFileError(path, "", f"unknown data format '{path.suffix}'",
                            "use .jsonl (one JSON object per line) or .csv")
    text = decode_utf8(read_bytes(path, TaskFileError, "data file", MAX_DATA_FILE), path, TaskFileError)
    rows = _read_jsonl(path, text) if path.suffix.lower() == ".jsonl" else _read_csv(path, text)
    if not rows:
        raise TaskFileError(path, "", "has no rows", "add at least one row")
    return rows


def _read_jsonl(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        row = load_json(line, path, TaskFileError, max_depth=MAX_DEPTH, field=f"line {lineno}")
        if not isinstance(row, dict):
            raise TaskFileError(path, f"line {lineno}", f"expected a JSON object, got {shown(row)}")
        rows.append((lineno, row))
    return rows


def _read_csv(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    if "\x00" in text:
        raise TaskFileError(path, "", "holds binary data (a NUL byte), expected CSV text", "export it as CSV")
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = next(reader)
    except StopIteration:
        raise TaskFileError(path, "", "is empty", "the first line must name the columns") from None
    except csv.Error as exc:
        raise TaskFileError(path, "line 1", str(exc)) from None
    duplicated = sorted({h for h in header if header.count(h) > 1}) if len(header) < 10_000 else []
    if duplicated:
        raise TaskFileError(path, "line 1", f"column {shown(duplicated[0])} appears twice",
                            "give every column its own name")
    rows = []
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise TaskFileError(path, f"line {start}", str(exc)) from None
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise TaskFileError(path, f"line {start}", f"{len(values)} values but the header has {len(header)} "
                                "columns")
        rows.append((start, dict(zip(header, values, strict=True))))
    return rows


def parse_config(path: Path) -> Any:
    """A YAML or TOML task file's data, with size, UTF-8, nesting and alias guards."""
    text = decode_utf8(read_bytes(path, TaskFileError, "task file", MAX_TASK_FILE), path, TaskFileError)
    if path.suffix.lower() == ".toml":
        return load_toml(text, path, TaskFileError, max_depth=MAX_DEPTH)
    return load_yaml(text, path, TaskFileError, max_depth=MAX_DEPTH)


# --- typed settings ----------------------------------------------------------------------------


def text_setting(where: str, key: str, value: Any, max_len: int = MAX_TEXT) -> str:
    """A string setting; numbers are accepted as their text (`target_delimiter: 1` is the text "1")."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TaskFileError(where, key, f"is {shown(value)}, expected a string")
    text = value if isinstance(value, str) else str(value)
    if len(text) > max_len:
        raise TaskFileError(where, key, f"is {len(text):,} characters long, expected at most {max_len:,}")
    return text


def int_setting(where: str, key: str, value: Any) -> int:
    hi = MAX_LIMITS[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= hi:
        raise TaskFileError(where, key, f"must be an integer from 0 to {hi:,}, got {shown(value)}")
    return value


def until_setting(where: str, value: Any) -> tuple[str, ...]:
    """Stop sequences: one string or a list of up to 16 non-empty strings."""
    items = [value] if isinstance(value, str) else value
    if (not isinstance(items, list) or len(items) > 16
            or not all(isinstance(u, str) and 0 < len(u) <= 1_000 for u in items)):
        raise TaskFileError(where, "until", f"is {shown(value)}, expected a stop string or a list of up to 16 "
                            "non-empty strings")
    return tuple(items)


def fields_setting(where: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) and len(v) <= 1_000 for v in value.values()):
        raise TaskFileError(where, "fields", f"is {shown(value)}, expected a mapping of our names to your column "
                            "names", "e.g. fields: {question: q, answer: label}")
    return {str(k): v for k, v in value.items()}


def check_template(where: str, template: str, kind: str) -> None:
    """Placeholders are plain field names; widths stay small (a `{x:>999999999}` would build a gigabyte)."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TaskFileError(where, "prompt", f"bad prompt template ({exc})", "write literal braces as {{ and }}"
                            ) from None
    for _, name, spec, _ in parts:
        if name is None:
            continue
        if not name or name.isdigit() or re.search(r"[.\[\]]", name):
            raise TaskFileError(where, "prompt", f"placeholder {{{name}}} is not a field name",
                                "use plain names such as {question}; write literal braces as {{ and }}")
        if spec and ("{" in spec or any(len(w) > 6 or int(w) > MAX_WIDTH for w in re.findall(r"\d+", spec))):
            raise TaskFileError(where, "prompt", f"placeholder {{{name}:{spec}}} asks for a width over {MAX_WIDTH} "
                                "or a nested field", "drop the format spec")
    if kind == "generate" and any(name == "choices" for _, name, _, _ in parts):
        raise TaskFileError(where, "prompt", "{choices} is only for multiple_choice tasks")


def scalar_cell(path: Path, lineno: int, key: str, value: Any) -> str:
    """A cell used as text (a choice, a reference): strings and numbers only."""
    if isinstance(value, (dict, list)):
        raise TaskFileError(path, f"line {lineno}", f"'{key}' holds {shown(value)}, expected text or a number")
    return str(value)
