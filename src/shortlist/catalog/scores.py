"""Benchmark scores: the packaged built-in facts, leaderboard imports and the user's own runs, merged.

Precedence per (model, benchmark) is own > imported > builtin, then the newer source date, so a
user's own eval always overrides a leaderboard and a re-imported snapshot overrides the packaged one.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Literal

from shortlist.catalog.loader import data_path
from shortlist.errors import BadInput
from shortlist.store import Store

Origin = Literal["builtin", "imported", "own"]
_ORIGIN_RANK = {"builtin": 0, "imported": 1, "own": 2}


@dataclass(frozen=True, slots=True)
class Score:
    model: str  # catalog id when matched, else the leaderboard's own name
    benchmark: str  # benchmark registry id
    value: float  # raw 0..1 fraction, or an arena rating for lmarena_text
    stderr: float | None
    n: int | None
    source: str
    source_date: str
    origin: Origin
    precision: str | None = None
    setting: str | None = None  # protocol as the source states it ("5-shot CoT", "thinking; pass@1 avg of 64")
    maker_reported: bool = False  # published by the model's own maker, not measured independently


@dataclass(frozen=True, slots=True)
class LeaderboardModel:
    """A model known only from a leaderboard: the facts the leaderboard publishes about it."""

    name: str
    params_b: float | None
    architecture: str | None
    license: str | None
    is_merged: bool
    is_flagged: bool
    is_moe: bool
    is_official: bool
    available_on_hub: bool
    base_model: str | None
    chat_template: bool | None


# A score as stored: (model, benchmark, value, stderr, n, source, source_date, origin, precision, setting,
# maker_reported). The table keeps these tuples and builds Score objects only for the models asked about,
# which keeps loading tens of thousands of leaderboard scores cheap.
ScoreRow = tuple[str, str, float, float | None, int | None, str, str, str, str | None, str | None, bool]


def _rank(row: ScoreRow) -> tuple[int, str, str]:
    return (_ORIGIN_RANK[row[7]], row[6], row[5])


class ScoreTable:
    """Every score known, with one winner per (model, benchmark) by precedence."""

    def __init__(
        self, scores: Iterable[Score | ScoreRow], leaderboard_models: dict[str, LeaderboardModel] | None = None
    ) -> None:
        best: dict[str, dict[str, ScoreRow]] = {}
        for item in scores:
            row: ScoreRow = _as_row(item) if isinstance(item, Score) else item
            per = best.get(row[0])
            if per is None:
                best[row[0]] = {row[1]: row}
                continue
            cur = per.get(row[1])
            if cur is None or _rank(row) > _rank(cur):
                per[row[1]] = row
        self._best = best
        self._lb = leaderboard_models or {}

    def raw(self, model: str) -> dict[str, ScoreRow]:
        """The winning rows of one model as stored tuples (no Score objects: for hot loops)."""
        return self._best.get(model, {})

    def for_model(self, model: str) -> dict[str, Score]:
        return {bench: Score(*row) for bench, row in self._best.get(model, {}).items()}  # type: ignore[arg-type]

    def models(self) -> list[str]:
        return sorted(self._best)

    def leaderboard_models(self) -> dict[str, LeaderboardModel]:
        return dict(self._lb)

    def benchmarks(self) -> set[str]:
        return {b for per in self._best.values() for b in per}

    def __len__(self) -> int:
        return sum(len(per) for per in self._best.values())


def _as_row(s: Score) -> ScoreRow:
    return (s.model, s.benchmark, s.value, s.stderr, s.n, s.source, s.source_date, s.origin, s.precision,
            s.setting, s.maker_reported)


def _builtin_file_rows(raw: dict) -> list[ScoreRow]:
    """One packaged score file. Two shapes share the loader:

    - leaderboard snapshots and single-report files: file-level source/date, `scores: {bench: value}`,
      optional `stderr:` and `n:` maps per model;
    - maker-reported collections (`kind: maker-reported`): per score `{value, setting, source, date}`, each
      figure with the page it was published on.
    """
    source, date = str(raw["source"]), str(raw["source_date"])
    maker = raw.get("kind") == "maker-reported"
    out: list[ScoreRow] = []
    for model, entry in (raw.get("models") or {}).items():
        stderrs = entry.get("stderr") or {}
        counts = entry.get("n") or {}
        precision = entry.get("precision")
        for bench, value in entry["scores"].items():
            if isinstance(value, dict):
                out.append((model, bench, float(value["value"]), None, None, str(value.get("source") or source),
                            str(value.get("date") or date), "builtin", precision, value.get("setting"), maker))
                continue
            se, n = stderrs.get(bench), counts.get(bench)
            out.append((model, bench, float(value), None if se is None else float(se), None if n is None else int(n),
                        source, date, "builtin", precision, entry.get("setting"), maker))
    return out


@cache
def builtin_rows() -> tuple[ScoreRow, ...]:
    """The reviewed score facts packaged in catalog/data/scores/*.yaml, checked against the registry."""
    from shortlist.catalog.benchmarks import check_value
    from shortlist.catalog.loader import read_yaml

    out: list[ScoreRow] = []
    for path in sorted(data_path("scores").glob("*.yaml")):
        raw = read_yaml(path) or {}
        try:
            rows = _builtin_file_rows(raw)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise BadInput(f"{path.name}: malformed built-in scores: {exc!r}", "regenerate it with its "
                           "scripts/build_*.py") from None
        for row in rows:
            problem = check_value(row[1], row[2])
            if problem:
                raise BadInput(f"{path.name}: {row[0]}: {problem}", "fix the generator or the source figure")
        out.extend(rows)
    return tuple(out)


def _plain_cursor(store: Store) -> sqlite3.Cursor:
    cur = store.conn.cursor()
    cur.row_factory = None  # plain tuples: sqlite3.Row costs more than the rest of the load
    return cur


def _stored_rows(store: Store) -> list[ScoreRow]:
    return _plain_cursor(store).execute(
        "SELECT model, benchmark, value, stderr, n, source, source_date, origin, precision, NULL, 0 FROM scores"
    ).fetchall()


def _stored_leaderboard_models(store: Store) -> dict[str, LeaderboardModel]:
    rows = _plain_cursor(store).execute(
        "SELECT m.name, m.params_b, m.architecture, m.license, m.is_merged, m.is_flagged, m.is_moe,"
        " m.is_official, m.available_on_hub, m.base_model, m.chat_template"
        " FROM leaderboard_models m JOIN imports i ON i.id = m.import_id"
        " WHERE m.catalog_id IS NULL ORDER BY i.source_date, i.id"
    ).fetchall()
    out: dict[str, LeaderboardModel] = {}
    for r in rows:  # later snapshots overwrite earlier facts about the same name
        out[r[0]] = LeaderboardModel(
            r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]), bool(r[6]), bool(r[7]), bool(r[8]), r[9],
            None if r[10] is None else bool(r[10]),
        )
    return out


def load_scores(store: Store | None = None, include_own: bool = True) -> ScoreTable:
    """Built-in scores, plus (with a store) everything imported and the user's own runs.

    include_own=False gives the published picture only, to compare a new run against.
    """
    builtin = builtin_rows()
    if store is None:
        return ScoreTable(builtin)
    from shortlist.catalog.migrations import CATALOG_MIGRATIONS

    store.migrate(CATALOG_MIGRATIONS)
    stored = _stored_rows(store)
    if not include_own:
        stored = [r for r in stored if r[7] != "own"]
    return ScoreTable([*builtin, *stored], _stored_leaderboard_models(store))


def upsert_scores(conn: sqlite3.Connection, scores: Iterable[Score], import_id: int | None,
                  leaderboard_names: dict[str, str] | None = None) -> int:
    """Write scores so that writing the same ones again changes nothing; returns how many were written."""
    names = leaderboard_names or {}
    rows = [
        (s.model, s.benchmark, s.value, s.stderr, s.n, s.source, s.source_date, s.origin, s.precision,
         names.get(s.model), import_id)
        for s in scores
    ]
    conn.executemany(
        "INSERT INTO scores (model, benchmark, value, stderr, n, source, source_date, origin, precision,"
        " leaderboard_name, import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (model, benchmark, source, origin) DO UPDATE SET value = excluded.value,"
        " stderr = excluded.stderr, n = excluded.n, source_date = excluded.source_date,"
        " precision = excluded.precision, leaderboard_name = excluded.leaderboard_name,"
        " import_id = excluded.import_id",
        rows,
    )
    return len(rows)


def record_own_scores(store: Store, model: str, scores: list[Score]) -> None:
    """Store the user's own eval results for `model`; they win over any leaderboard figure."""
    from shortlist.catalog.migrations import CATALOG_MIGRATIONS

    for s in scores:
        if not math.isfinite(s.value):
            raise BadInput(f"score for {s.benchmark} is not a finite number: {s.value}")
    own = [
        Score(model, s.benchmark, s.value, s.stderr, s.n, s.source, s.source_date, "own", s.precision, s.setting)
        for s in scores
    ]
    store.migrate(CATALOG_MIGRATIONS)
    with store.transaction() as conn:
        upsert_scores(conn, own, None)


def dump_values(values: dict[str, float | None]) -> str:
    """Stable JSON for a leaderboard row's values, so identical rows store identical text."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"))
