"""An import that fails inside its write transaction leaves the store exactly as it was."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from shortlist.catalog import importers
from shortlist.catalog.importers import import_file
from shortlist.store import Store

V2_HEADER = ("model_name,model_precision,model_average_score,evaluations_ifeval_value,evaluations_bbh_value,"
             "evaluations_math_value,evaluations_gpqa_value,evaluations_musr_value,evaluations_mmlu_pro_value\n")


def v2_file(path: Path, *models: str) -> Path:
    path.write_text(V2_HEADER + "".join(f"{m},bfloat16,30.0,0.7,0.5,0.1,0.3,0.4,0.35\n" for m in models))
    return path


def digest(db: Path) -> str:
    conn = sqlite3.connect(str(db))
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


@pytest.fixture
def stocked(tmp_path: Path) -> tuple[Path, Path]:
    """A store holding one earlier import, and that import's file."""
    db = tmp_path / "store.db"
    first = v2_file(tmp_path / "open_llm_leaderboard_v2_2025-01-01.csv", "meta-llama/Llama-3.1-8B-Instruct")
    with Store(db) as store:
        import_file(store, first)
    return db, first


def test_failure_while_writing_scores_rolls_back(stocked, tmp_path, monkeypatch):
    db, _ = stocked
    before = digest(db)

    def fail(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(importers, "upsert_scores", fail)  # after the rows and models of the import are written
    second = v2_file(tmp_path / "open_llm_leaderboard_v2_2025-02-01.csv", "Qwen/Qwen2.5-7B-Instruct", "acme/x-7b")
    with Store(db) as store, pytest.raises(sqlite3.OperationalError):
        import_file(store, second)
    assert digest(db) == before


def test_interrupted_reimport_keeps_the_earlier_rows(stocked, monkeypatch):
    """Re-importing deletes what the file wrote before, inside the transaction: an interrupt undoes the delete."""
    db, first = stocked
    before = digest(db)
    calls = []

    def interrupt(done: int, total: int) -> None:
        calls.append(done)
        raise KeyboardInterrupt

    with Store(db) as store, pytest.raises(KeyboardInterrupt):
        import_file(store, first, progress=interrupt)
    assert calls, "the progress callback runs inside the transaction"
    assert digest(db) == before
    with Store(db) as store:
        rows = store.conn.execute("SELECT COUNT(*) FROM leaderboard_rows").fetchone()[0]
    assert rows == 1


def test_a_file_that_fails_to_parse_creates_no_store(tmp_path, capsys):
    """The CLI parses before it opens the store: a malformed file leaves no database file behind."""
    from shortlist.cli import main

    bad = tmp_path / "open_llm_leaderboard_v2_2025-03-01.csv"
    bad.write_text(V2_HEADER + "acme/x-7b,bfloat16,30.0,NaN,0.5,0.1,0.3,0.4,0.35\n")
    db = tmp_path / "fresh.db"
    with pytest.raises(SystemExit) as exit_:
        main(["leaderboard", "import", str(bad), "--db", str(db)])
    assert exit_.value.code == 2
    assert "line 2: column 'evaluations_ifeval_value' is empty" in capsys.readouterr().err
    assert not db.exists()
