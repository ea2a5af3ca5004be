"""The one embedded SQLite database, with append-only named migration sets.

Each area (catalog, evaluate, arena) owns a `MigrationSet` and applies it when it opens the
store, so lower layers never need to know about higher ones. A shipped migration is never
edited: schema changes are new steps appended to the set.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from shortlist import paths
from shortlist.errors import BadInput

Step = str | Callable[[sqlite3.Connection], None]


@dataclass
class MigrationSet:
    """An ordered list of named schema steps owned by one area."""

    name: str
    steps: list[tuple[str, Step]] = field(default_factory=list)

    def step(self, step_id: str, sql_or_fn: Step) -> None:
        if any(existing == step_id for existing, _ in self.steps):
            raise ValueError(f"duplicate migration {self.name}:{step_id}")
        self.steps.append((step_id, sql_or_fn))


class Store:
    """A connection to the shortlist database; every write goes through a transaction."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = paths.db_path(path) if path != ":memory:" else Path(":memory:")
        if str(self.path) != ":memory:":
            paths.check_db(self.path, paths.db_given_explicitly(path), reading=False)
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA foreign_keys = ON")
            if str(self.path) != ":memory:":
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS _migrations ("
                " set_name TEXT NOT NULL, step_id TEXT NOT NULL, applied_at TEXT NOT NULL,"
                " PRIMARY KEY (set_name, step_id))"
            )
        except sqlite3.DatabaseError as exc:
            raise BadInput(
                f"{self.path} is not a usable shortlist database: {exc}",
                "point --db / SHORTLIST_DB at another file",
            ) from None
        self._applied_sets: set[str] = set()

    def migrate(self, migrations: MigrationSet) -> None:
        """Apply the steps of `migrations` not yet recorded, each in its own transaction."""
        if migrations.name in self._applied_sets:
            return
        done = {
            row[0]
            for row in self.conn.execute(
                "SELECT step_id FROM _migrations WHERE set_name = ?", (migrations.name,)
            )
        }
        for step_id, step in migrations.steps:
            if step_id in done:
                continue
            with self.transaction() as conn:
                if callable(step):
                    step(conn)
                else:
                    for statement in _split_sql(step):
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO _migrations (set_name, step_id, applied_at) VALUES (?, ?, ?)",
                    (migrations.name, step_id, datetime.now(UTC).isoformat(timespec="seconds")),
                )
        self._applied_sets.add(migrations.name)

    def applied(self) -> list[tuple[str, str]]:
        return [
            (r[0], r[1])
            for r in self.conn.execute("SELECT set_name, step_id FROM _migrations ORDER BY rowid")
        ]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error so nothing is half-written."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _split_sql(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
