"""LMArena (Chatbot Arena) text leaderboard: an Elo-scale rating with its 95% interval.

The stored stderr is the interval's half-width / 1.96 (the mean of both sides when asymmetric).
A name's serving-precision suffix ("-bf16", "-fp8") becomes the row's precision.
"""

from __future__ import annotations

import re
from pathlib import Path

from shortlist.catalog.importers.base import (
    CsvTable,
    LeaderboardFileError,
    Options,
    Parsed,
    Row,
    model_name,
    number,
    opt_str,
    snapshot_date,
)
from shortlist.catalog.matching import split_precision
from shortlist.catalog.scores import LeaderboardModel
from shortlist.errors import shown

FORMAT = "lmarena"
SOURCE = "lmarena_text"
BENCHMARK = "lmarena_text"
Z95 = 1.959963984540054
_CI = re.compile(r"^\s*\+\s*([0-9.]+)\s*/\s*-\s*([0-9.]+)\s*$")
_CLOSED = {"proprietary", "propretary"}


def sniff(header: list[str]) -> bool:
    return "arena_score" in header and "model" in header


def ci_stderr(path: Path, line: int, raw: str) -> float | None:
    """"+5/-5" -> 5 / 1.96; empty -> None."""
    if not raw.strip():
        return None
    m = _CI.match(raw)
    if not m:
        raise LeaderboardFileError(path.name, f"line {line}", f"column '95_pct_ci' is {shown(raw)}, expected the "
                                   "form +a/-b")
    return (float(m.group(1)) + float(m.group(2))) / 2.0 / Z95


def parse(path: Path, opts: Options) -> Parsed:
    table = CsvTable(path)
    table.require(["model", "arena_score"], "LMArena")
    rows: list[Row] = []
    read = 0
    for line, rec in table.rows():
        read += 1
        display = model_name(path, line, "model", rec["model"])
        value = number(path, line, "arena_score", rec["arena_score"])
        se = ci_stderr(path, line, rec.get("95_pct_ci", ""))
        votes = number(path, line, "votes", rec.get("votes", ""), optional=True)
        _, precision = split_precision(display)
        license_ = opt_str(rec.get("license"))
        facts = LeaderboardModel(
            name=display, params_b=None, architecture=None, license=license_,
            is_merged=False, is_flagged=False, is_moe=False, is_official=False,
            # the arena publishes no repo id; a proprietary license means no open weights on the Hub
            available_on_hub=(license_ or "").lower() not in _CLOSED,
            base_model=None, chat_template=None,
        )
        rows.append(
            Row(display, precision or "", {BENCHMARK: value}, line,  # type: ignore[dict-item]
                stderr={BENCHMARK: se} if se is not None else {}, weight=votes, facts=facts)
        )
    return Parsed(opts.source or SOURCE, snapshot_date(path, opts.date), FORMAT, rows, read)
