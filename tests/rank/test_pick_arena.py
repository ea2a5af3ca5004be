"""Your own arena's ratings in `pick` (--arena): shown beside the task score, or mixed in by --arena-weight."""

from __future__ import annotations

import csv
import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from shortlist import arena as ar
from shortlist.rank import PickRequest, pick
from shortlist.rank.preference import spec_names
from shortlist.store import Store

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
QWEN = "Qwen/Qwen2.5-7B-Instruct"
MISTRAL = "mistralai/Mistral-7B-Instruct-v0.3"
# Strengths on the logit scale: the voters like Llama best and Mistral least; "my-finetune" names no model.
STRENGTH = {LLAMA: 1.0, QWEN: 0.0, MISTRAL: -0.5, "my-finetune": 0.3}


@pytest.fixture(scope="module")
def arena_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pickarena")
    rng = random.Random(7)
    names = list(STRENGTH)
    votes = folder / "votes.csv"
    with votes.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model_a", "model_b", "winner"])
        for _ in range(800):
            a, b = rng.sample(names, 2)
            p = 1 / (1 + math.exp(STRENGTH[b] - STRENGTH[a]))
            w.writerow([a, b, "model_a" if rng.random() < p else "model_b"])
    db = folder / "arena.db"
    store = Store(db)
    try:
        ar.create_arena(store, "mine")
        ar.import_votes(store, "mine", votes)
    finally:
        store.close()
    return db


def _req(db: Path, **kw: object) -> PickRequest:
    base: dict[str, object] = {"gpu": "H100", "task": "general-chat", "models": [QWEN, LLAMA, MISTRAL], "db": db}
    return PickRequest(**{**base, **kw})  # type: ignore[arg-type]


def _board(db: Path) -> dict[str, ar.schemas.LeaderboardRow]:
    store = Store(db)
    try:
        return {r.model: r for r in ar.leaderboard(store, "mine").rows}
    finally:
        store.close()


def test_ratings_are_shown_beside_the_score_without_changing_it(arena_db: Path) -> None:
    plain = pick(_req(arena_db))
    with_arena = pick(_req(arena_db, arena="mine"))
    assert [(e.model, e.task_score) for e in plain.entries] == [(e.model, e.task_score) for e in with_arena.entries]
    board = _board(arena_db)
    use = with_arena.arena
    assert use is not None and use.weight == 0 and use.votes == 800
    assert use.matched == {LLAMA: LLAMA, QWEN: QWEN, MISTRAL: MISTRAL}
    assert use.unmatched == ["my-finetune"]
    for e in with_arena.entries:
        p = e.preference
        assert p is not None and not p.in_score and p.of == 4
        row = board[e.model]
        assert (p.rating, p.ci_low, p.ci_high, p.votes, p.rank_ub) == (row.rating, row.ci_low, row.ci_high, row.votes,
                                                                         row.rank_ub)
    by_model = {e.model: e.preference.rating for e in with_arena.entries if e.preference}
    assert by_model[LLAMA] > by_model[QWEN] > by_model[MISTRAL]  # the strengths the votes were drawn from
    assert not any(b.startswith("own-arena:") for b in with_arena.weights)


def test_arena_weight_mixes_the_win_probability_into_the_task_score(arena_db: Path) -> None:
    res = pick(_req(arena_db, arena="mine", arena_weight=0.3, impute=False))
    bench = "own-arena:mine"
    assert res.weights[bench] == pytest.approx(0.3 * sum(res.weights.values()))
    board = _board(arena_db)
    centre = sum(r.rating for r in board.values()) / len(board)  # my-finetune is rated too: it is in the field
    for e in res.entries:
        used = e.scores[bench]
        expected_p = 1 / (1 + 10 ** ((centre - board[e.model].rating) / 400))
        assert used.normalized == pytest.approx(expected_p, abs=1e-9)
        assert e.preference is not None and e.preference.in_score
        # without prediction the task score is the weighted mean of what the model has
        num = sum(res.weights[b] * s.normalized for b, s in e.scores.items())
        den = sum(res.weights[b] for b in e.scores)
        assert e.task_score == pytest.approx(num / den, abs=1e-9)


def test_voters_and_benchmarks_disagreeing_is_said(arena_db: Path) -> None:
    res = pick(_req(arena_db, arena="mine"))
    assert res.arena is not None
    scores = {e.model: e.task_score for e in res.entries}
    # built-in evidence ranks Qwen2.5-7B above Llama-3.1-8B for general chat, the voters the other way round
    assert scores[QWEN] > scores[LLAMA]
    assert any(LLAMA in d and QWEN in d and "your voters prefer " + LLAMA in d for d in res.arena.disagreements)


def test_map_matches_a_contestant_and_others_are_scored(arena_db: Path) -> None:
    res = pick(PickRequest(gpu="RTX 4090", task="general-chat", db=arena_db, arena="mine", top=3,
                           arena_map=["my-finetune=Qwen/Qwen3-8B"]))
    use = res.arena
    assert use is not None and use.matched["my-finetune"] == "Qwen/Qwen3-8B" and use.unmatched == []
    shortlisted = {e.model for e in res.entries}
    others = {e.model: e for e in use.others}
    assert set(others) == {LLAMA, QWEN, MISTRAL, "Qwen/Qwen3-8B"} - shortlisted
    assert all(e.preference is not None for e in others.values())


def test_two_contestants_of_one_model_keep_the_most_voted(tmp_path: Path) -> None:
    votes = tmp_path / "v.csv"
    rows = [("Qwen2.5-7B-Instruct.Q4_K_M", LLAMA, "model_a")] * 5 + [(QWEN, LLAMA, "model_b")] * 9
    votes.write_text("model_a,model_b,winner\n" + "".join(f"{a},{b},{w}\n" for a, b, w in rows))
    db = tmp_path / "a.db"
    store = Store(db)
    ar.create_arena(store, "dup")
    ar.import_votes(store, "dup", votes)
    store.close()
    res = pick(_req(db, arena="dup"))
    assert res.arena is not None
    assert res.arena.matched == {QWEN: QWEN, LLAMA: LLAMA}
    assert any("Qwen2.5-7B-Instruct.Q4_K_M also match" in n for n in res.arena.notes)


def test_spec_names() -> None:
    assert spec_names("openai:qwen2.5:7b@http://127.0.0.1:11434/v1") == ["qwen2.5:7b"]
    assert spec_names("hf:Qwen/Qwen2.5-7B-Instruct") == ["Qwen/Qwen2.5-7B-Instruct", "Qwen2.5-7B-Instruct"]
    assert spec_names("/models/Qwen2.5-7B-Instruct-Q4_K_M.gguf") == [
        "Qwen2.5-7B-Instruct-Q4_K_M.gguf", "Qwen2.5-7B-Instruct-Q4_K_M", "Qwen2.5-7B-Instruct"]
    assert spec_names("llamacpp:./SmolLM2-135M-Instruct.Q4_1.gguf")[-1] == "SmolLM2-135M-Instruct"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shortlist", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "100"}, check=False)


def test_cli_shows_the_arena_and_json_carries_it(arena_db: Path) -> None:
    res = _cli("pick", "--gpu", "H100", "--models", f"{QWEN},{LLAMA}", "--arena", "mine", "--db", str(arena_db))
    assert res.returncode == 0, res.stderr
    assert "Your arena 'mine' (800 human votes" in res.stdout
    assert "contestants matching no model (--arena-map NAME=MODEL): my-finetune" in res.stdout
    out = _cli("pick", "--gpu", "H100", "--models", f"{QWEN},{LLAMA}", "--arena", "mine", "--arena-weight", "0.2",
               "--db", str(arena_db), "--json")
    data = json.loads(out.stdout)
    assert data["arena"]["weight"] == 0.2 and data["shortlist"][0]["preference"]["in_score"] is True


@pytest.mark.parametrize(("args", "message"), [
    (["--arena", "nope"], "no arena named 'nope' (did you mean: mine)"),
    (["--arena", "mine", "--arena-weight", "1"], "--arena-weight must be a share from 0 to below 1"),
    (["--arena-weight", "0.3"], "need --arena NAME"),
    (["--arena", "mine", "--arena-map", "finetune"], "is not CONTESTANT=MODEL"),
    (["--arena", "mine", "--arena-map", "ghost=Qwen/Qwen3-8B"], "names no contestant of arena 'mine'"),
    (["--arena", "mine", "--arena-map", "my-finetune=not-a-model-at-all"], "no such model among pick's candidates"),
])
def test_bad_arena_options_are_one_line(arena_db: Path, args: list[str], message: str) -> None:
    res = _cli("pick", "--gpu", "H100", "--db", str(arena_db), *args)
    assert res.returncode == 2
    lines = [x for x in res.stderr.strip().splitlines() if x.strip()]
    assert len(lines) <= 2 and message in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_missing_database_is_one_line(tmp_path: Path) -> None:
    res = _cli("pick", "--gpu", "H100", "--arena", "mine", "--db", str(tmp_path / "none.db"))
    assert res.returncode == 2 and "no database at" in res.stderr


def test_report_has_the_arena_section(arena_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    res = _cli("report", "-o", str(out), "--format", "md", "--gpu", "H100", "--models", f"{QWEN},{LLAMA}",
               "--arena", "mine", "--db", str(arena_db))
    assert res.returncode == 0, res.stderr
    text = out.read_text()
    assert "## Your arena: mine" in text and "my-finetune" in text and "your voters prefer" in text


def test_a_named_model_without_any_evidence_is_reported_not_dropped() -> None:
    from shortlist.catalog.loader import load_models
    from shortlist.catalog.scores import load_scores

    table = load_scores(None)
    bare = [m for m in load_models() if not table.raw(m)]
    if not bare:
        pytest.skip("every catalog model has a built-in score: nothing to name")
    res = pick(PickRequest(gpu="H100", task="coding", models=[bare[0], QWEN]))
    assert [e.model for e in res.entries] == [QWEN]
    (x,) = [x for x in res.excluded if x.model == bare[0]]
    assert x.kinds == ["unscored"] and x.task_score is None and "no score on any benchmark" in x.reason


def test_a_short_name_means_the_open_weights_model_not_a_hosted_endpoint_of_it() -> None:
    """`gemma-3-12b-it` also names DeepInfra's endpoint of it; without --include-api it must still resolve."""
    from shortlist.catalog.hosted import find_hosted

    assert find_hosted("gemma-3-12b-it") is not None   # the ambiguity this guards against
    res = pick(PickRequest(gpu="H100", task="coding", models=["gemma-3-12b-it", "qwen2.5-7b-instruct"]))
    assert sorted(e.model for e in res.entries) == sorted(["google/gemma-3-12b-it", QWEN])
