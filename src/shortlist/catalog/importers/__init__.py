"""Leaderboard importers: format detection, catalog matching, and one transactional write per file.

Every row of a file is kept (`leaderboard_rows`, keyed by source + model + precision), but scores
are unique per (model, benchmark, source, origin), so when several rows describe one model the
importer keeps one, by this rule, in order: the official provider's row; the row whose name *is*
the catalog id (not an old spelling); bfloat16, then float16, then any other precision; the
higher leaderboard average (arena: more votes); the earlier line. Re-importing a file replaces
what that file wrote before, so importing it twice leaves the store exactly as once.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from shortlist.catalog.importers.base import CsvTable, Options, Parsed, Row, read_text
from shortlist.catalog.matching import Matcher
from shortlist.catalog.migrations import CATALOG_MIGRATIONS
from shortlist.catalog.scores import Score, dump_values, upsert_scores
from shortlist.errors import BadInput, NotFound
from shortlist.files import sha256_file
from shortlist.names import normalize
from shortlist.store import Store

# format name -> module (imported only when used)
_MODULES = {
    "v2": "openllm_v2",
    "v1": "openllm_v1",
    "lmarena": "lmarena",
    "lm-eval": "lm_eval_json",
    "csv": "mapped_csv",
}
FORMATS = ("auto", *_MODULES)
_PRECISION_RANK = {"bfloat16": 2, "float16": 1}
Progress = Callable[[int, int], None]


def _module(fmt: str) -> ModuleType:
    return importlib.import_module(f"shortlist.catalog.importers.{_MODULES[fmt]}")


def detect_format(path: Path, options: Options | None = None) -> str:
    """The importer for `path`, from its extension and header; BadInput when nothing fits."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "v2"
    if suffix == ".json":
        return "lm-eval"
    text = read_text(path)
    if text.lstrip().startswith("{"):
        return "lm-eval"
    header = CsvTable(path, text).header
    for fmt in ("v2", "v1", "lmarena"):
        if _module(fmt).sniff(header):
            return fmt
    if options and options.mapping:
        return "csv"
    raise BadInput(
        f"cannot tell the format of {path.name} from its header ({', '.join(header[:6])} …)",
        "pass --format v2|v1|lmarena|lm-eval, or --format csv --map model=<column>,<benchmark>=<column>",
    )


def parse_file(path: Path, fmt: str = "auto", options: Options | None = None) -> Parsed:
    opts = options or Options()
    if fmt not in FORMATS:
        raise BadInput(f"unknown format '{fmt}'", f"use one of: {', '.join(FORMATS)}")
    if not path.exists():
        raise NotFound(f"no such file: {path}", "check the path")
    if fmt == "auto":
        fmt = detect_format(path, opts)
    return _module(fmt).parse(path, opts)


@dataclass
class ImportReport:
    import_id: int
    source: str
    source_date: str
    format: str
    file: str
    origin: str
    rows_read: int
    rows_stored: int
    scores_stored: int
    matched: int
    unmatched: int
    unmatched_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_ranges(path: Path, parsed: Parsed) -> None:
    """Every value must fit its benchmark's scale (fraction 0-1, or an arena rating); nothing is stored otherwise."""
    from shortlist.catalog.benchmarks import check_value

    for row in parsed.rows:
        for bench, value in row.values.items():
            problem = check_value(bench, value)
            if problem:
                raise BadInput(f"{path.name}: line {row.line} ({row.name}): {problem}",
                               "fix the value, or declare the file's scale (--scale 100 for percentages)")


def _preference(row: Row, key: str) -> tuple[bool, bool, int, float, int]:
    official = bool(row.facts and row.facts.is_official)
    exact = normalize(row.name) == normalize(key)
    weight = row.weight if row.weight is not None else float("-inf")
    return (official, exact, _PRECISION_RANK.get(row.precision, 0), weight, -row.line)


def choose_rows(rows: list[Row], matches: dict[str, str]) -> dict[str, Row]:
    """One row per score key (catalog id when matched, else the leaderboard name), by the module rule."""
    best: dict[str, Row] = {}
    for row in rows:
        key = matches.get(row.name, row.name)
        cur = best.get(key)
        if cur is None or _preference(row, key) > _preference(cur, key):
            best[key] = row
    return best


def parse_checked(path: str | Path, fmt: str = "auto", options: Options | None = None) -> Parsed:
    """A file parsed and its values range-checked: everything that can be wrong with it, before any write."""
    parsed = parse_file(Path(path), fmt, options)
    check_ranges(Path(path), parsed)
    return parsed


def import_file(
    store: Store,
    path: str | Path,
    fmt: str = "auto",
    *,
    options: Options | None = None,
    own: bool = False,
    matcher: Matcher | None = None,
    progress: Progress | None = None,
    parsed: Parsed | None = None,
) -> ImportReport:
    """Parse, match and store one leaderboard file in a single transaction (all or nothing).

    `parsed` is the file already through parse_checked (the CLI parses before it opens the store, so a
    malformed file leaves no trace, not even a new database file).
    """
    path = Path(path)
    if parsed is None:
        parsed = parse_checked(path, fmt, options)
    matcher = matcher or Matcher.from_catalog()
    origin = "own" if own else "imported"

    unique: dict[tuple[str, str], Row] = {}
    for row in parsed.rows:  # exact repeats of (model, precision) keep their first row
        unique.setdefault((row.name, row.precision), row)
    names = list(dict.fromkeys(r.name for r in unique.values()))
    report = matcher.match_all(names)
    chosen = choose_rows(list(unique.values()), report.matched)
    facts_rows = choose_rows(list(unique.values()), {})  # per leaderboard name, for its facts
    scores = [
        Score(key, bench, value, row.stderr.get(bench), row.n.get(bench), parsed.source, parsed.source_date,
              origin, row.precision or None)  # type: ignore[arg-type]
        for key, row in chosen.items()
        for bench, value in row.values.items()
    ]
    sha = sha256_file(path)
    total = len(unique) + len(facts_rows) + len(scores)
    store.migrate(CATALOG_MIGRATIONS)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO imports (source, format, file, sha256, source_date, origin, rows_read, rows_stored,"
            " scores_stored, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (source, sha256, origin) DO UPDATE SET format = excluded.format, file = excluded.file,"
            " source_date = excluded.source_date, rows_read = excluded.rows_read,"
            " rows_stored = excluded.rows_stored, scores_stored = excluded.scores_stored",
            (parsed.source, parsed.format, str(path.resolve()), sha, parsed.source_date, origin, parsed.rows_read,
             len(unique), len(scores), datetime.now(UTC).isoformat(timespec="seconds")),
        )
        import_id = conn.execute(
            "SELECT id FROM imports WHERE source = ? AND sha256 = ? AND origin = ?", (parsed.source, sha, origin)
        ).fetchone()[0]
        for table in ("scores", "leaderboard_models", "leaderboard_rows"):  # what this file wrote before
            conn.execute(f"DELETE FROM {table} WHERE import_id = ?", (import_id,))
        done = 0
        conn.executemany(
            "INSERT INTO leaderboard_rows (source, name, precision, average, values_json, import_id)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, name, precision) DO UPDATE SET"
            " average = excluded.average, values_json = excluded.values_json, import_id = excluded.import_id",
            [(parsed.source, r.name, r.precision, r.weight, dump_values(r.values), import_id) for r in unique.values()],
        )
        done += len(unique)
        if progress:
            progress(done, total)
        conn.executemany(
            "INSERT INTO leaderboard_models (name, source, params_b, architecture, license, is_merged, is_flagged,"
            " is_moe, is_official, available_on_hub, base_model, chat_template, catalog_id, import_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name, source) DO UPDATE SET"
            " params_b = excluded.params_b, architecture = excluded.architecture, license = excluded.license,"
            " is_merged = excluded.is_merged, is_flagged = excluded.is_flagged, is_moe = excluded.is_moe,"
            " is_official = excluded.is_official, available_on_hub = excluded.available_on_hub,"
            " base_model = excluded.base_model, chat_template = excluded.chat_template,"
            " catalog_id = excluded.catalog_id, import_id = excluded.import_id",
            [_facts_params(name, r, parsed.source, report.matched.get(name), import_id)
             for name, r in facts_rows.items()],
        )
        done += len(facts_rows)
        if progress:
            progress(done, total)
        leaderboard_names = {key: row.name for key, row in chosen.items()}
        upsert_scores(conn, scores, import_id, leaderboard_names)
        if progress:
            progress(total, total)
    return ImportReport(
        import_id=import_id, source=parsed.source, source_date=parsed.source_date, format=parsed.format,
        file=str(path.resolve()), origin=origin, rows_read=parsed.rows_read, rows_stored=len(unique),
        scores_stored=len(scores), matched=len(report.matched), unmatched=len(report.unmatched),
        unmatched_names=report.unmatched[:10], notes=parsed.notes,
    )


def _facts_params(name: str, row: Row, source: str, catalog_id: str | None, import_id: int) -> tuple[Any, ...]:
    f = row.facts
    if f is None:
        return (name, source, None, None, None, 0, 0, 0, 0, 1, None, None, catalog_id, import_id)
    chat = None if f.chat_template is None else int(f.chat_template)
    return (name, source, f.params_b, f.architecture, f.license, int(f.is_merged), int(f.is_flagged),
            int(f.is_moe), int(f.is_official), int(f.available_on_hub), f.base_model, chat, catalog_id, import_id)


def list_imports(store: Store) -> dict[str, Any]:
    """The imports done, and how many rows and scores each source holds now."""
    store.migrate(CATALOG_MIGRATIONS)
    conn = store.conn
    imports = [dict(r) for r in conn.execute(
        "SELECT id, source, format, file, source_date, origin, rows_read, rows_stored, scores_stored, imported_at"
        " FROM imports ORDER BY id")]
    rows = dict(conn.execute("SELECT source, COUNT(*) FROM leaderboard_rows GROUP BY source").fetchall())
    scores = dict(conn.execute("SELECT source, COUNT(*) FROM scores GROUP BY source").fetchall())
    sources = [
        {"source": s, "rows": rows.get(s, 0), "scores": scores.get(s, 0)}
        for s in sorted(set(rows) | set(scores))
    ]
    return {"imports": imports, "sources": sources}
