"""`shortlist leaderboard import | sync | list`: bring leaderboard scores into the local store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from shortlist.cli.output import DbOption, JsonOption, console, emit_json, err_console, progress

HELP = """Import leaderboard scores (Open LLM Leaderboard v1/v2, LMArena, lm-eval results, any CSV).

\b
Examples:
  shortlist leaderboard import open_llm_leaderboard_v2_2025-03-21.csv
  shortlist leaderboard import lmarena_text_2025-08-06.csv --json
  shortlist leaderboard import results_2025-01-01T10-00-00.json --own
  shortlist leaderboard import mine.csv --map "model=Model,ifeval=IF score" --scale 100
  shortlist leaderboard sync
  shortlist leaderboard list
"""

leaderboard_app = typer.Typer(name="leaderboard", help=HELP, no_args_is_help=True, rich_markup_mode="rich")


def _store(db: Path | None) -> Any:
    from shortlist.store import Store

    return Store(db)


def _progress_callback(bar: Any, task: Any) -> Any:
    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return update


def _run_with_progress(fn: Any, label: str) -> Any:
    """Run fn(progress_callback) with a transient bar on stderr when it is a terminal."""
    if not err_console.is_terminal:
        return fn(None)
    with progress(transient=True) as bar:
        task = bar.add_task(label, total=None, rate="")
        return fn(_progress_callback(bar, task))


def _report_json(report: Any) -> dict[str, Any]:
    return {
        "source": report.source,
        "source_date": report.source_date,
        "format": report.format,
        "file": report.file,
        "origin": report.origin,
        "rows_read": report.rows_read,
        "rows_stored": report.rows_stored,
        "scores_stored": report.scores_stored,
        "matched": report.matched,
        "unmatched": {"count": report.unmatched, "first": report.unmatched_names},
        "skipped": report.notes,
    }


def _print_report(report: Any) -> None:
    console.print(
        f"Imported [bold]{report.source}[/bold] ({report.format}, {report.source_date}): "
        f"{report.rows_read:,} rows read, {report.rows_stored:,} stored, {report.scores_stored:,} scores "
        f"({report.origin})."
    )
    console.print(f"Matched to the catalog: {report.matched:,} models; unmatched: {report.unmatched:,}.")
    if report.unmatched_names:
        console.print("  first unmatched: " + ", ".join(report.unmatched_names[:5]))
    if report.notes:
        console.print("  notes: " + "; ".join(report.notes[:8]))


@leaderboard_app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="CSV, parquet or lm-eval results JSON.")],
    format_: Annotated[
        str, typer.Option("--format", "-f", help="auto | v2 | v1 | lmarena | lm-eval | csv.")
    ] = "auto",
    map_: Annotated[
        str | None, typer.Option("--map", help='For --format csv: "model=<col>,<benchmark>=<col>,…".')
    ] = None,
    scale: Annotated[float | None, typer.Option("--scale", help="Divide scores by this (100 for 0..100).")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Source name to store (default per format).")] = None,
    date: Annotated[str | None, typer.Option("--date", help="Snapshot date YYYY-MM-DD (default: from file).")] = None,
    own: Annotated[bool, typer.Option("--own", help="Your own eval runs: they win over leaderboards.")] = False,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Import one leaderboard file; importing the same file again changes nothing.

    \b
    Examples:
      shortlist leaderboard import open_llm_leaderboard_v2_2025-03-21.csv
      shortlist leaderboard import results.json --own --json
      shortlist leaderboard import mine.csv --map "model=Model,ifeval=IF score" --scale 100
    """
    from shortlist.catalog.importers import import_file, parse_checked
    from shortlist.catalog.importers.base import Options
    from shortlist.catalog.importers.mapped_csv import parse_mapping

    options = Options(mapping=parse_mapping(map_) if map_ else {}, scale=scale, source=source, date=date)
    if map_ and format_ == "auto":
        format_ = "csv"
    parsed = parse_checked(file, format_, options)  # a malformed file stops here, before the store is opened
    _import_and_report(db, lambda store, cb: import_file(store, file, format_, options=options, own=own, progress=cb,
                                                         parsed=parsed), f"importing {file.name}", json_)


def _import_and_report(db: Path | None, work: Callable[[Any, Any], Any], label: str, json_: bool) -> None:
    """Run one import against the store with a progress bar, then print its report."""
    store = _store(db)
    try:
        report = _run_with_progress(lambda cb: work(store, cb), label)
    finally:
        store.close()
    if json_:
        emit_json(_report_json(report))
    else:
        _print_report(report)


@leaderboard_app.command("sync")
def sync_cmd(json_: JsonOption = False, db: DbOption = None) -> None:
    """Download the Open LLM Leaderboard v2 `contents` dataset (parquet) and import it.

    \b
    Needs the network and the hub extra (pip install 'shortlist[hub]' pyarrow); offline it stops
    with one line. Examples:
      shortlist leaderboard sync
      shortlist leaderboard sync --json
    """
    from shortlist.catalog.importers.hub import sync_open_llm_leaderboard

    _import_and_report(db, sync_open_llm_leaderboard, "importing contents", json_)


@leaderboard_app.command("list")
def list_cmd(json_: JsonOption = False, db: DbOption = None) -> None:
    """List the imports done and how many rows and scores each source holds.

    \b
    Examples:
      shortlist leaderboard list
      shortlist leaderboard list --json
    """
    from rich.table import Table

    from shortlist.catalog.importers import list_imports

    store = _store(db)
    try:
        data = list_imports(store)
    finally:
        store.close()
    if json_:
        emit_json(data)
        return
    if not data["imports"]:
        console.print("No imports yet. Try: shortlist leaderboard import FILE")
        return
    table = Table(title="Leaderboard imports")
    for col in ("id", "source", "date", "origin", "rows", "scores", "imported"):
        table.add_column(col, justify="right" if col in {"id", "rows", "scores"} else "left",
                         no_wrap=col != "source")
    for i in data["imports"]:
        table.add_row(str(i["id"]), i["source"], i["source_date"], i["origin"],
                      f"{i['rows_stored']:,}/{i['rows_read']:,}", f"{i['scores_stored']:,}", i["imported_at"][:10])
    console.print(table)
    totals = Table(title="Rows per source")
    for col in ("source", "rows", "scores"):
        totals.add_column(col, justify="left" if col == "source" else "right")
    for s in data["sources"]:
        totals.add_row(s["source"], f"{s['rows']:,}", f"{s['scores']:,}")
    console.print(totals)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the root app."""
    app.add_typer(leaderboard_app, name="leaderboard")
