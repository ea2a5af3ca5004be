"""What every importer produces, and the careful CSV reading they share.

Importers only parse: they turn a file into `Parsed` rows or raise LeaderboardFileError (a BadInput)
naming the file, the line and the column. Matching to the catalog and writing to the store happen in one place
(importers/__init__.py), inside one transaction.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from shortlist.catalog.scores import LeaderboardModel
from shortlist.errors import BadInput, FormatError, NotFound, shown
from shortlist.files import MiB, file_kind, read_bytes


class LeaderboardFileError(FormatError):
    """A leaderboard export (CSV or parquet) that cannot be read as its format says."""

    format_name = "leaderboard file"


MAX_TEXT = 512 * MiB  # the largest real export (Open LLM Leaderboard v1, all rows) is about 10 MB
MAX_NAME = 300  # model names; Hub ids are at most 96 characters


@dataclass
class Row:
    """One leaderboard row as published: a model evaluated at one precision."""

    name: str
    precision: str  # "" when the source does not say
    values: dict[str, float]  # benchmark id -> raw value (0..1, or an arena rating)
    line: int
    stderr: dict[str, float] = field(default_factory=dict)
    n: dict[str, int] = field(default_factory=dict)
    weight: float | None = None  # the leaderboard average (or arena votes): breaks ties between rows
    facts: LeaderboardModel | None = None


@dataclass
class Parsed:
    source: str
    source_date: str
    format: str
    rows: list[Row]
    rows_read: int
    notes: list[str] = field(default_factory=list)  # e.g. lm-eval tasks with no registry benchmark


@dataclass(frozen=True)
class Options:
    """User options that some formats need (`--map`, `--scale`, `--source`, `--date`)."""

    mapping: dict[str, str] = field(default_factory=dict)
    scale: float | None = None
    source: str | None = None
    date: str | None = None


_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def snapshot_date(path: Path, explicit: str | None = None) -> str:
    """--date, else the date in the file name (…_2025-03-21.csv), else the file's modification date."""
    if explicit:
        try:
            return datetime.strptime(explicit, "%Y-%m-%d").date().isoformat()
        except ValueError:
            raise BadInput(f"--date '{explicit}' is not an ISO date", "use YYYY-MM-DD") from None
    m = _DATE_IN_NAME.search(path.name)
    if m:
        return m.group(1)
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date().isoformat()


def read_text(path: Path, max_bytes: int = MAX_TEXT) -> str:
    """A leaderboard file's text: a regular file, at most `max_bytes`, UTF-8 (a BOM is dropped)."""
    kind = file_kind(path)
    if kind is None:
        raise NotFound(f"no such file: {path}", "check the path")
    if kind == "folder":
        raise BadInput(f"{path} is a folder, not a leaderboard file", "pass the CSV or JSON file itself")
    raw = read_bytes(path, LeaderboardFileError, "leaderboard file", max_bytes)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LeaderboardFileError(path.name, f"line {line}", f"not readable as UTF-8 text (byte 0x{raw[exc.start]:02x}"
                                   f" at offset {exc.start})", "pass a CSV or JSON export saved as UTF-8; parquet "
                                   "needs the .parquet extension") from None


class CsvTable:
    """A CSV's header and rows, with the file line of each row for error messages."""

    def __init__(self, path: Path, text: str | None = None) -> None:
        self.path = path
        text = read_text(path) if text is None else text
        if "\x00" in text:
            raise LeaderboardFileError(path.name, "", "is not a CSV file (it holds binary data)", "pass a CSV export")
        self._reader = csv.reader(text.splitlines())
        try:
            self.header = [h.strip() for h in next(self._reader)]
        except StopIteration:
            raise LeaderboardFileError(path.name, "", "is empty", "pass a CSV with a header row") from None
        except csv.Error as exc:
            raise LeaderboardFileError(path.name, "line 1", f"not valid CSV: {exc}") from None
        check_header(path, self.header)
        self.columns = {h: i for i, h in enumerate(self.header)}

    def require(self, needed: Sequence[str], what: str) -> None:
        require_columns(self.path, self.header, needed, what)

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        width = len(self.header)
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise LeaderboardFileError(self.path.name, f"line {self._reader.line_num}",
                                           f"not valid CSV: {exc}") from None
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != width:
                raise LeaderboardFileError(self.path.name, f"line {self._reader.line_num}",
                                           f"{len(cells)} fields, the header has {width}",
                                           "check for unquoted commas in that row")
            yield self._reader.line_num, dict(zip(self.header, cells, strict=True))


def check_header(path: Path, header: Sequence[str]) -> None:
    """Column names must be unique (empty ones aside): a repeated name would silently hide a column."""
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise LeaderboardFileError(path.name, "header", f"column {shown(name)} appears twice, expected unique "
                                       "column names", "rename or drop one of them")
        seen.add(name)


def require_columns(path: Path, header: Sequence[str], needed: Sequence[str], what: str) -> None:
    """BadInput naming every required column the file lacks, and the columns it has."""
    have = set(header)
    missing = [c for c in needed if c not in have]
    if missing:
        found = ", ".join(shown(h, 40).strip("'\"") for h in header[:12])
        raise LeaderboardFileError(
            path.name, "header", f"is missing required {what} column(s): {', '.join(missing)}",
            f"found: {found}{' …' if len(header) > 12 else ''}",
        )


def number(path: Path, line: int, column: str, raw: str, *, optional: bool = False) -> float | None:
    """Parse a numeric cell, naming file, line and column when it is not a number."""
    text = raw.strip()
    if not text or text.lower() in {"nan", "none", "null", "-"}:
        if optional:
            return None
        raise LeaderboardFileError(path.name, f"line {line}", f"column '{column}' is empty",
                                   "every row needs a number there")
    try:
        value = float(text)
    except ValueError:
        raise LeaderboardFileError(path.name, f"line {line}", f"column '{column}' is not a number: {shown(raw)}",
                                   ) from None
    if not math.isfinite(value):
        if optional:
            return None
        raise LeaderboardFileError(path.name, f"line {line}", f"column '{column}' is not a finite number: "
                                   f"{shown(raw)}")
    return value


def model_name(path: Path, line: int, column: str, raw: str | None) -> str:
    """A row's model name: non-empty, at most MAX_NAME characters, one line."""
    name = (raw or "").strip()
    if not name:
        raise LeaderboardFileError(path.name, f"line {line}", f"column '{column}' is empty",
                                   "every row needs the model's name")
    if len(name) > MAX_NAME or not name.isprintable():
        raise LeaderboardFileError(path.name, f"line {line}", f"column '{column}' is {shown(name)}, expected a "
                                   f"model name of at most {MAX_NAME} printable characters")
    return name


def flag(raw: str | None) -> bool:
    return (raw or "").strip().lower() in {"true", "1", "yes", "y", "t"}


def opt_str(raw: str | None) -> str | None:
    text = (raw or "").strip()
    return text or None



def benchmark_id(name: str) -> str:
    """Registry id for a benchmark id or alias (NotFound names the closest ones)."""
    from shortlist.catalog.benchmarks import get_benchmark

    return get_benchmark(name).id
