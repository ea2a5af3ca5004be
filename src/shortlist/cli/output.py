"""Output shared by every command: the --json and --db options, JSON emission, tables, progress."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of a table.")]
DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar="SHORTLIST_DB", help="SQLite database file (default: the user data dir)."),
]

def comma_list(text: str | None) -> list[str] | None:
    """A comma-separated option as names: `a, b,,c` -> ["a", "b", "c"]; not given (None or "") -> None."""
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def _width() -> int | None:
    """Piped output is read in logs and editors, not an 80-column terminal: don't wrap wide tables."""
    import os

    if sys.stdout.isatty() or os.environ.get("COLUMNS"):
        return None
    return 200


console = Console(highlight=False, width=_width())
err_console = Console(stderr=True, highlight=False)


def _default(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    if isinstance(obj, (date, datetime)):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, set):
        return sorted(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def to_json(obj: Any) -> str:
    return json.dumps(obj, default=_default, indent=2, ensure_ascii=False)


def emit_json(obj: Any) -> None:
    sys.stdout.write(to_json(obj) + "\n")


def progress(transient: bool = False) -> Any:
    """A Rich progress bar with count, rate and ETA, written to stderr so --json stays clean."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err_console,
        transient=transient,
    )


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    gb = n / 1e9
    return f"{gb:,.1f} GB" if gb >= 1 else f"{n / 1e6:,.0f} MB"


def fmt_count(n: float | None) -> str:
    if n is None:
        return "-"
    if n >= 1e9:
        return f"{n / 1e9:.2f}B" if n < 1e10 else f"{n / 1e9:.1f}B"
    return f"{n / 1e6:.0f}M"
