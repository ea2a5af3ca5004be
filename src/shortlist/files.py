"""File helpers shared across layers, including the guarded reading of files users hand us.

Every reader of a user file (model folders, GGUF headers, leaderboard exports, lm-eval results,
custom task files) goes through these helpers, so that no file can make shortlist crash, recurse
without end or read more than a format allows: each failure is the format's FormatError, one line.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from shortlist.errors import FormatError

MiB = 2**20


def sha256_file(path: Path) -> str:
    """Content hash in 1 MiB chunks, so multi-GB model files never sit in memory at once."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_kind(path: Path) -> str | None:
    """'file', 'folder', 'other' (FIFO, socket, device) or None when nothing usable is there.

    Why not Path.is_file(): it raises on names too long for the file system or holding a NUL byte,
    and a FIFO named like a model file would block a reader forever.
    """
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
        return "file"
    return "folder" if stat.S_ISDIR(mode) else "other"


def require_file(path: Path, error: type[FormatError], what: str, hint: str | None = None) -> int:
    """The size of `path`, which must be a regular file; else the format's error naming what was expected."""
    kind = file_kind(path)
    if kind != "file":
        found = {"folder": "a folder", "other": "not a regular file", None: "missing or unreadable"}[kind]
        raise error(path, "", f"is {found}, expected {what}", hint)
    try:
        return path.stat().st_size
    except OSError as exc:
        raise error(path, "", f"cannot be read ({exc.strerror})", "check the file's permissions") from None


def read_bytes(path: Path, error: type[FormatError], what: str, max_bytes: int) -> bytes:
    """A whole regular file of at most `max_bytes`, or the format's error."""
    size = require_file(path, error, what)
    if size > max_bytes:
        raise error(path, "", f"is {size:,} bytes, more than the {max_bytes:,} a {what} can be",
                    "is this the right file?")
    try:
        with path.open("rb") as fh:
            return fh.read(max_bytes + 1)
    except OSError as exc:
        raise error(path, "", f"cannot be read ({exc.strerror})", "check the file's permissions") from None


def decode_utf8(raw: bytes, path: Path, error: type[FormatError], field: str = "") -> str:
    """UTF-8 text (a leading byte-order mark dropped), or an error naming the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(path, field or f"line {line}", f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not "
                    "UTF-8 text", "save the file as UTF-8") from None


def read_utf8(path: Path, error: type[FormatError], what: str, max_bytes: int) -> str:
    return decode_utf8(read_bytes(path, error, what, max_bytes), path, error)


def check_tree(value: Any, path: Path, error: type[FormatError], max_depth: int, max_nodes: int,
               field: str = "") -> None:
    """Refuse parsed data nested deeper than `max_depth` or holding more than `max_nodes` values.

    Why: code that walks parsed data (hashing, validation, printing) recurses, and YAML aliases can
    make a 1 KB file stand for billions of values; this walk is iterative and stops at the budget.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise error(path, field, f"holds more than {max_nodes:,} values (repeated YAML aliases?)",
                        "write the data out plainly")
        if isinstance(item, str):
            _check_text(item, path, error, field)
            continue
        if isinstance(item, dict):
            children: Any = item.values()
            for key in item:
                if isinstance(key, str):
                    _check_text(key, path, error, field)
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= max_depth and children:
            raise error(path, field, f"nested deeper than {max_depth} levels", "no file of this kind nests so deep")
        stack.extend((child, depth + 1) for child in children)


def _check_text(text: str, path: Path, error: type[FormatError], field: str) -> None:
    """Strings must be encodable text: JSON and YAML escapes can spell lone UTF-16 surrogates ("\\ud800")."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise error(path, field, f"holds an escaped lone surrogate ({text[exc.start]!a}), not text",
                        "fix the escape sequence") from None


def load_json(text: str | bytes, path: Path, error: type[FormatError], *, max_depth: int, field: str = "") -> Any:
    """json.loads with a depth guard and one-line errors (syntax, nesting, numbers too long)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = field or f"line {exc.lineno} column {exc.colno}"
        raise error(path, where, f"not valid JSON ({exc.msg})", "fix or re-create the file") from None
    except RecursionError:
        raise error(path, field, f"JSON nested deeper than {max_depth} levels", "is the file damaged?") from None
    except ValueError as exc:  # an integer beyond Python's digit limit
        raise error(path, field, _unreadable("JSON", exc), "fix the file") from None
    check_tree(data, path, error, max_depth, len(text) + 1, field)
    return data


def _unreadable(kind: str, exc: Exception) -> str:
    if "digits" in str(exc):
        return f"a {kind} number too long to read (more than {sys.get_int_max_str_digits():,} digits)"
    return f"unreadable {kind} value ({str(exc).split(':')[0][:120]})"


def load_yaml(text: str, path: Path, error: type[FormatError], *, max_depth: int) -> Any:
    """yaml.safe_load with a nesting guard, an alias budget and one-line errors."""
    import yaml

    class _Loader(yaml.SafeLoader):
        """The pure-Python safe loader (libyaml's composer recurses in C and crashes on deep nesting)."""

        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            self.depth += 1
            try:
                if self.depth > max_depth:
                    raise yaml.YAMLError(f"nested deeper than {max_depth} levels")
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(path, where, f"bad YAML ({problem})", "fix the file's syntax") from None
    except RecursionError:
        raise error(path, "", f"YAML nested deeper than {max_depth} levels", "flatten the file") from None
    except (ValueError, OverflowError, TypeError) as exc:  # digit limits, impossible dates
        raise error(path, "", _unreadable("YAML", exc), "fix the value") from None
    check_tree(data, path, error, max_depth, len(text) + 1000)
    return data


def load_toml(text: str, path: Path, error: type[FormatError], *, max_depth: int) -> Any:
    """tomllib.loads with a nesting guard and one-line errors."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(path, "", f"bad TOML ({exc})", "fix the file's syntax") from None
    except RecursionError:
        raise error(path, "", f"TOML nested deeper than {max_depth} levels", "flatten the file") from None
    except (ValueError, OverflowError) as exc:
        raise error(path, "", _unreadable("TOML", exc), "fix the value") from None
    check_tree(data, path, error, max_depth, len(text) + 1000)
    return data
