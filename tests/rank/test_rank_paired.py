"""pick's tiers test two models pairwise when the user's own runs scored both on the same items."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from shortlist.evaluate import results as R
from shortlist.rank import PickRequest, pick
from shortlist.rank.paired import paired_variance
from shortlist.store import Store

A, B = "meta-llama/Llama-3.2-3B-Instruct", "Qwen/Qwen2.5-3B-Instruct"


def _store_run(store: Store, model: str, correct: np.ndarray, run_id: str) -> None:
    samples = [R.SampleResult(task="arc_challenge", task_version="1", doc_id=i, prompt_hash=f"p{i}",
                              metrics={"acc": float(c), "acc_norm": float(c)}, pred=0, gold=0)
               for i, c in enumerate(correct)]
    n = len(correct)
    acc = float(correct.mean())
    se = math.sqrt(acc * (1 - acc) / (n - 1))
    run = R.EvalRun(run_id=run_id, model=model, fingerprint=f"fp-{model}", backend={"dtype": "float32"},
                    request={"tasks": ["arc_challenge"]}, started_at="2026-01-01T00:00:00+00:00",
                    tasks={"arc_challenge": R.TaskResult(task="arc_challenge", version="1", num_fewshot=0, n=n,
                                                         n_computed=n, n_reused=0,
                                                         metrics={"acc_norm": acc, "acc_norm_stderr": se})},
                    items={"arc_challenge": [(s.doc_id, s.prompt_hash) for s in samples]})
    R.start_run(store, run)
    R.save_samples(store, run.fingerprint, run_id, samples)
    R.finish_run(store, run)
    R.record_own_scores(store, run)


def test_tiers_pair_the_models_that_share_items(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    difficulty = rng.random(600)
    a = (difficulty < 0.55).astype(float)  # A solves the easier 55%
    b = (difficulty < 0.58).astype(float)  # B solves those and 3% more: a small, consistent gain
    db = tmp_path / "own.db"
    with Store(db) as store:
        R.open_store(store)
        _store_run(store, A, a, "runa")
        _store_run(store, B, b, "runb")
    sl = pick(PickRequest(gpu="RTX 4090", weights="arc_challenge=1", db=db, models=[A, B]))
    by = {e.model: e for e in sl.entries}
    assert by[A].scores["arc_challenge"].value == pytest.approx(a.mean())  # own runs win over the leaderboard
    paired = [e for e in sl.entries if e.tier_test.startswith("paired on own runs: arc_challenge (n=600)")]
    assert paired, [e.tier_test for e in sl.entries]
    # unpaired: 3 points on 600 items is inside the noise; paired (B never loses an item) it is not
    gap = abs(by[B].task_score - by[A].task_score)
    unpaired_z = gap / math.hypot(by[A].task_score_stderr, by[B].task_score_stderr)
    assert unpaired_z < 1.96
    var, n = paired_variance({("x", i): v for i, v in enumerate(a)}, {("x", i): v for i, v in enumerate(b)})
    assert n == 600 and gap / (math.sqrt(var) / 0.75) > 1.96  # arc_challenge chance is 0.25
    assert by[B].rank == 1 and by[A].tier == 2


def test_without_shared_items_the_test_stays_unpaired() -> None:
    sl = pick(PickRequest(gpu="RTX 4090", task="coding"))
    assert all(e.tier_test == "unpaired" for e in sl.entries)
