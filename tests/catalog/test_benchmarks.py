"""Benchmark registry: leaderboard settings, item counts checked against the real datasets, v2 normalisation."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
import yaml

from shortlist.catalog.benchmarks import get_benchmark, list_benchmarks, normalize_score, normalized
from shortlist.errors import BadInput, NotFound


@pytest.mark.parametrize(
    ("bench_id", "fewshot", "metric", "n_items", "baseline"),
    [
        ("arc_challenge", 25, "acc_norm", 1172, 0.25),
        ("hellaswag", 10, "acc_norm", 10042, 0.25),
        ("mmlu", 5, "acc", 14042, 0.25),
        ("truthfulqa_mc2", 0, "mc2", 817, 0.25),
        ("winogrande", 5, "acc", 1267, 0.5),
        ("gsm8k", 5, "exact_match", 1319, 0.0),
        ("bbh", 3, "acc_norm", 5761, None),
        ("math_lvl5", 4, "exact_match", 1324, 0.0),
        ("gpqa", 0, "acc_norm", 1192, 0.25),
        ("musr", 0, "acc_norm", 756, None),
        ("mmlu_pro", 5, "acc", 12032, 0.1),
        ("humaneval", 0, "pass@1", 164, 0.0),
        ("mbpp", 3, "pass@1", 500, 0.0),
    ],
)
def test_leaderboard_settings(bench_id, fewshot, metric, n_items, baseline):
    b = get_benchmark(bench_id)
    assert (b.fewshot, b.metric, b.n_items) == (fewshot, metric, n_items)
    if baseline is not None:
        assert b.random_baseline == baseline
    assert get_benchmark("ifeval").n_items == 541 and get_benchmark("ifeval").random_baseline == 0


def test_leaderboard_membership():
    v1 = {b.id for b in list_benchmarks(leaderboard="open_llm_v1")}
    v2 = {b.id for b in list_benchmarks(leaderboard="open_llm_v2")}
    assert v1 == {"arc_challenge", "hellaswag", "mmlu", "truthfulqa_mc2", "winogrande", "gsm8k"}
    assert v2 == {"ifeval", "bbh", "math_lvl5", "gpqa", "musr", "mmlu_pro"}
    arena = get_benchmark("lmarena_text")
    assert arena.scale == "elo" and arena.skill == "human-preference" and arena.n_items is None


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [("IFEval", "ifeval"), ("MATH Lvl 5", "math_lvl5"), ("MMLU-PRO", "mmlu_pro"), ("ARC", "arc_challenge"),
     ("TruthfulQA", "truthfulqa_mc2"), ("BBH", "bbh"), ("GPQA", "gpqa"), ("MUSR", "musr"), ("HellaSwag", "hellaswag"),
     ("Winogrande", "winogrande"), ("GSM8K", "gsm8k"), ("MMLU", "mmlu"), ("Chatbot Arena", "lmarena_text"),
     ("leaderboard_math_hard", "math_lvl5"), ("HumanEval", "humaneval")],
)
def test_leaderboard_column_spellings(spelling, expected):
    assert get_benchmark(spelling).id == expected


def test_unknown_benchmark_and_skill():
    with pytest.raises(NotFound) as err:
        get_benchmark("hellaswog")
    assert "hellaswag" in str(err.value)
    with pytest.raises(BadInput):
        list_benchmarks(skill="vibes")
    assert {b.id for b in list_benchmarks(skill="math")} == {"gsm8k", "math_lvl5", "math_500", "aime_2024",
                                                              "aime_2025", "arena_2025_math"}


def test_grouped_baselines_are_item_weighted_chance_rates():
    bbh = get_benchmark("bbh")
    assert len(bbh.subtasks) == 24
    # causal_judgement 187 and snarks 178 (2 choices), penguins 146 (5), the other 21 tasks 250 items each.
    choices = {"boolean_expressions": 2, "causal_judgement": 2, "date_understanding": 6, "disambiguation_qa": 3,
               "formal_fallacies": 2, "geometric_shapes": 11, "hyperbaton": 2, "logical_deduction_five_objects": 5,
               "logical_deduction_seven_objects": 7, "logical_deduction_three_objects": 3,
               "movie_recommendation": 6, "navigate": 2, "object_counting": 19, "penguins_in_a_table": 5,
               "reasoning_about_colored_objects": 18, "ruin_names": 6, "salient_translation_error_detection": 6,
               "snarks": 2, "sports_understanding": 2, "temporal_sequences": 4,
               "tracking_shuffled_objects_five_objects": 5, "tracking_shuffled_objects_seven_objects": 7,
               "tracking_shuffled_objects_three_objects": 3, "web_of_lies": 2}
    items = {t: 250 for t in choices} | {"causal_judgement": 187, "snarks": 178, "penguins_in_a_table": 146}
    expected = sum(items[t] / choices[t] for t in choices) / 5761
    assert bbh.random_baseline == pytest.approx(expected, abs=1e-6)
    musr = get_benchmark("musr")
    assert musr.random_baseline == pytest.approx((250 / 2 + 256 / 5 + 250 / 3) / 756, abs=1e-6)


def _lm_eval_tasks() -> Path:
    lm_eval = pytest.importorskip("lm_eval")
    return Path(lm_eval.__file__).parent / "tasks"


def test_bbh_subtask_baselines_match_lm_eval_choice_lists():
    folder = _lm_eval_tasks() / "leaderboard" / "bbh_mc"
    for sub in get_benchmark("bbh").subtasks:
        doc = yaml.safe_load((folder / (sub.id.removeprefix("leaderboard_bbh_") + ".yaml")).read_text())
        assert sub.random_baseline == pytest.approx(1 / len(doc["doc_to_choice"]), abs=1e-6), sub.id


def test_lm_eval_task_names_exist():
    tasks = _lm_eval_tasks()
    text = "\n".join(p.read_text(errors="ignore") for p in tasks.rglob("*.yaml"))
    for b in list_benchmarks():
        if b.lm_eval_task:
            assert f"task: {b.lm_eval_task}" in text or f"group: {b.lm_eval_task}" in text, b.lm_eval_task


def _rows(path: Path) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


def test_item_counts_match_the_real_datasets(shared_data):
    b = shared_data / "benchmarks"
    assert _rows(b / "hellaswag" / "hellaswag_val.jsonl.gz") == get_benchmark("hellaswag").n_items
    assert _rows(b / "arc" / "ARC-Challenge-Test.jsonl") == get_benchmark("arc_challenge").n_items
    assert _rows(b / "arc" / "ARC-Easy-Test.jsonl") == get_benchmark("arc_easy").n_items
    assert _rows(b / "mmlu" / "mmlu_test.jsonl") == get_benchmark("mmlu").n_items
    assert _rows(b / "gsm8k" / "test.jsonl") == get_benchmark("gsm8k").n_items
    assert _rows(b / "winogrande" / "winogrande_xl_validation.jsonl") == get_benchmark("winogrande").n_items
    assert _rows(b / "ifeval" / "input_data.jsonl") == get_benchmark("ifeval").n_items
    assert _rows(b / "mmlu_pro" / "mmlu_pro_test.jsonl") == get_benchmark("mmlu_pro").n_items
    assert _rows(b / "humaneval" / "HumanEval.jsonl.gz") == get_benchmark("humaneval").n_items
    assert len(json.loads((b / "truthfulqa" / "v0" / "mc_task.json").read_text())) == 817
    for sub in get_benchmark("bbh").subtasks:
        data = json.loads((b / "bbh" / "data" / (sub.id.removeprefix("leaderboard_bbh_") + ".json")).read_text())
        assert len(data["examples"]) == sub.n_items, sub.id


@pytest.mark.parametrize("bench", ["ifeval", "math", "gpqa", "mmlu_pro"])
def test_v2_normalisation_reproduces_the_leaderboard(shared_data, bench):
    spec = get_benchmark("math_lvl5" if bench == "math" else bench)
    path = shared_data / "leaderboards" / "open_llm_leaderboard_v2_2025-03-21.csv"
    checked = 0
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            raw, shown = row[f"evaluations_{bench}_value"], row[f"evaluations_{bench}_normalized_score"]
            if raw and shown:
                assert normalized(spec, float(raw)) * 100 == pytest.approx(float(shown), abs=1e-6)
                checked += 1
    assert checked > 4000


def test_normalisation_rules():
    assert normalize_score(0.2, 0.25) == 0.0  # below chance clips to 0
    assert normalize_score(0.625, 0.25) == pytest.approx(0.5)
    musr = get_benchmark("musr")
    values = {"leaderboard_musr_murder_mysteries": 0.75, "leaderboard_musr_object_placements": 0.2,
              "leaderboard_musr_team_allocation": 1.0}
    assert normalized(musr, 0.0, values) == pytest.approx((0.5 + 0.0 + 1.0) / 3)
    with pytest.raises(BadInput):
        normalized(get_benchmark("lmarena_text"), 1200.0)
    with pytest.raises(BadInput):
        normalized(musr, 0.5, {"leaderboard_musr_murder_mysteries": 0.6})
