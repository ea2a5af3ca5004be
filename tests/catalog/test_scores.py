"""ScoreTable precedence, built-in facts, own runs, and load speed over the full v2 import."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from shortlist.catalog.importers import import_file
from shortlist.catalog.loader import data_path, read_yaml
from shortlist.catalog.scores import Score, ScoreTable, load_scores, record_own_scores
from shortlist.errors import BadInput
from shortlist.store import Store


def _s(origin: str, value: float, date: str = "2025-01-01", source: str = "x") -> Score:
    return Score("m", "ifeval", value, None, None, source, date, origin)  # type: ignore[arg-type]


def test_precedence_own_over_imported_over_builtin_then_newer() -> None:
    t = ScoreTable([_s("builtin", 0.1, "2030-01-01"), _s("imported", 0.2), _s("own", 0.3, "2020-01-01")])
    assert t.for_model("m")["ifeval"].value == 0.3
    t = ScoreTable([_s("imported", 0.2, "2024-01-01", "a"), _s("imported", 0.4, "2025-01-01", "b")])
    assert t.for_model("m")["ifeval"].source == "b"
    assert t.models() == ["m"] and t.benchmarks() == {"ifeval"} and t.for_model("nope") == {}


def test_builtin_scores_are_catalog_facts_with_source_and_date() -> None:
    from shortlist.catalog.hosted import load_hosted
    from shortlist.catalog.loader import load_models

    table = load_scores(None)
    known = set(load_models()) | {h.id for h in load_hosted().values() if h.access == "api"}
    assert table.models() and set(table.models()) <= known, sorted(set(table.models()) - known)[:5]
    assert table.leaderboard_models() == {}
    s = table.for_model("meta-llama/Llama-2-7b-hf")
    # v1 snapshot, float16 row: ARC 53.07 -> 0.5307; v2: IFEval raw 0.251893863836842
    assert s["arc_challenge"].value == pytest.approx(0.5307) and s["arc_challenge"].origin == "builtin"
    assert s["arc_challenge"].source_date == "2024-07-13"
    assert s["ifeval"].value == pytest.approx(0.251894, abs=1e-6) and s["ifeval"].source == "open_llm_leaderboard_v2"
    arena = table.for_model("google/gemma-2-27b-it")["lmarena_text"]
    assert arena.value == 1235 and arena.stderr == pytest.approx(2 / 1.96, abs=1e-3)  # "+2/-2"
    for path in data_path("scores").glob("*.yaml"):
        raw = read_yaml(path)
        assert raw["source"] and raw["source_date"], path.name
        assert raw.get("rule") or raw.get("method"), path.name  # how the figures were chosen or computed
        assert path.read_text().startswith(("# Built-in", "# GENERATED")), path.name


def test_maker_reported_scores_carry_their_page_date_and_setting() -> None:
    raw = read_yaml(data_path("scores", "reported_makers.yaml"))
    assert raw["kind"] == "maker-reported"
    count = 0
    for model, entry in raw["models"].items():
        for bench, fig in entry["scores"].items():
            assert fig["source"].startswith("http"), (model, bench)
            assert fig["date"] and fig["setting"], (model, bench)
            count += 1
    assert count >= 250
    s = load_scores(None).for_model("Qwen/Qwen3-235B-A22B-Instruct-2507")
    assert s["gpqa_diamond"].maker_reported and s["gpqa_diamond"].setting
    assert not s["arena_2025"].maker_reported  # ratings shortlist fitted itself are independent evidence


def test_record_own_scores_override_and_survive_reimport(shared_data: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "own.db") as store:
        record_own_scores(store, "meta-llama/Llama-2-7b-hf", [
            Score("ignored", "ifeval", 0.5, 0.02, 541, "shortlist:run-1", "2025-06-01", "imported"),
        ])
        import_file(store, shared_data / "leaderboards" / "open_llm_leaderboard_v2_2025-03-21.csv")
        s = load_scores(store).for_model("meta-llama/Llama-2-7b-hf")
        assert (s["ifeval"].value, s["ifeval"].origin, s["ifeval"].n) == (0.5, "own", 541)
        assert s["bbh"].origin == "imported"
        with pytest.raises(BadInput, match="finite"):
            record_own_scores(store, "m", [Score("m", "ifeval", float("nan"), None, None, "s", "2025-01-01", "own")])


def test_load_scores_over_full_v2_table_is_fast(shared_data: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "perf.db") as store:
        import_file(store, shared_data / "leaderboards" / "open_llm_leaderboard_v2_2025-03-21.csv")
        load_scores(store)  # warm: migrations checked, built-in YAML parsed
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            table = load_scores(store)
            best = min(best, time.perf_counter() - t0)
        assert len(table.models()) >= 4497
        assert best < 0.2, f"load_scores took {best:.3f} s"
