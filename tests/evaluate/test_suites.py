"""The open-llm-v2 preset: the leaderboard's normalisation and average, the comparison with an imported row and
the settings that differ, and the CLI's one-line errors and --dry-run (on the scripted fake backend)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shortlist.evaluate.results import EvalRun, TaskResult
from shortlist.evaluate.suites import compare_suite, get_suite, rescale, score_suite
from shortlist.evaluate.tasks import aggregate_group, group_members

BBH_CHOICES = {  # number of answer options of each BBH subtask (the leaderboard's lower bound is 1 / this)
    "boolean_expressions": 2, "causal_judgement": 2, "date_understanding": 6, "disambiguation_qa": 3,
    "formal_fallacies": 2, "geometric_shapes": 11, "hyperbaton": 2, "logical_deduction_five_objects": 5,
    "logical_deduction_seven_objects": 7, "logical_deduction_three_objects": 3, "movie_recommendation": 6,
    "navigate": 2, "object_counting": 19, "penguins_in_a_table": 5, "reasoning_about_colored_objects": 18,
    "ruin_names": 6, "salient_translation_error_detection": 6, "snarks": 2, "sports_understanding": 2,
    "temporal_sequences": 4, "tracking_shuffled_objects_five_objects": 5, "tracking_shuffled_objects_seven_objects": 7,
    "tracking_shuffled_objects_three_objects": 3, "web_of_lies": 2,
}
MUSR_CHOICES = {"murder_mysteries": 2, "object_placements": 5, "team_allocation": 3}


def _task(name: str, metrics: dict[str, float], n: int) -> TaskResult:
    full = {**metrics, **{f"{k}_stderr": 0.02 for k in metrics}, "n": float(n)}
    return TaskResult(task=name, version="1.0", num_fewshot=0, n=n, n_computed=n, n_reused=0, metrics=full)


def _full_run(model: str = "org/model") -> EvalRun:
    tasks: dict[str, TaskResult] = {}
    for i, name in enumerate(BBH_CHOICES):
        tasks[f"leaderboard_bbh_{name}"] = _task(f"leaderboard_bbh_{name}", {"acc_norm": 0.1 + 0.03 * i}, 100 + i)
    for i, name in enumerate(MUSR_CHOICES):
        tasks[f"leaderboard_musr_{name}"] = _task(f"leaderboard_musr_{name}", {"acc_norm": 0.3 + 0.1 * i}, 250)
    for i, name in enumerate(group_members("leaderboard_math_hard")):
        tasks[name] = _task(name, {"exact_match": 0.05 * i, "exact_match_original": 0.0}, 100 + 10 * i)
    for i, name in enumerate(group_members("leaderboard_gpqa")):
        tasks[name] = _task(name, {"acc_norm": 0.2 + 0.05 * i}, (198, 546, 448)[i])
    tasks["leaderboard_mmlu_pro"] = _task("leaderboard_mmlu_pro", {"acc": 0.31}, 12032)
    tasks["leaderboard_ifeval"] = _task("leaderboard_ifeval", {"prompt_level_strict_acc": 0.4,
                                                               "inst_level_strict_acc": 0.5}, 541)
    groups = {}
    for group in ("leaderboard_bbh", "leaderboard_musr", "leaderboard_math_hard", "leaderboard_gpqa"):
        groups[group] = aggregate_group(group, {t: tasks[t].metrics for t in group_members(group)})
    return EvalRun(run_id="r1", model=model, fingerprint="fp", backend={"dtype": "float32", "batch_size": 8},
                   request={"limit": None, "prompt_format": {"chat_template": True, "fewshot_as_multiturn": True}},
                   started_at="2025-01-01T00:00:00+00:00", tasks=tasks, groups=groups)


def leaderboard_formula(run: EvalRun) -> dict[str, float]:
    """The Open LLM Leaderboard v2's published normalisation, written out from its documentation."""
    def norm(value: float, lower: float) -> float:
        return max(value - lower, 0.0) / (1.0 - lower) * 100

    r = {name: t.metrics for name, t in run.tasks.items()} | run.groups
    bbh = sum(norm(r[f"leaderboard_bbh_{s}"]["acc_norm"], 1 / k) for s, k in BBH_CHOICES.items()) / len(BBH_CHOICES)
    musr = sum(norm(r[f"leaderboard_musr_{s}"]["acc_norm"], 1 / k) for s, k in MUSR_CHOICES.items()) / 3
    ife = r["leaderboard_ifeval"]
    ifeval = (ife["inst_level_strict_acc"] + ife["prompt_level_strict_acc"]) * 50
    out = {"ifeval": ifeval, "bbh": bbh, "math_lvl5": norm(r["leaderboard_math_hard"]["exact_match"], 0),
           "gpqa": norm(r["leaderboard_gpqa"]["acc_norm"], 0.25), "musr": musr,
           "mmlu_pro": norm(r["leaderboard_mmlu_pro"]["acc"], 0.1)}
    out["average"] = sum(out.values()) / 6
    return out


def test_normalisation_and_average_are_the_leaderboards() -> None:
    run = _full_run()
    suite = score_suite("open-llm-v2", run)
    expected = leaderboard_formula(run)
    for bench, value in expected.items():
        got = suite.average if bench == "average" else suite.scores[bench].normalized
        assert got == pytest.approx(value, abs=1e-12), bench
    assert suite.average_complete and all(s.complete for s in suite.scores.values())
    assert suite.scores["bbh"].raw == run.groups["leaderboard_bbh"]["acc_norm"]   # the size-weighted raw value
    assert set(suite.scores["bbh"].subtasks) == {f"leaderboard_bbh_{s}" for s in BBH_CHOICES}
    assert rescale(0.1, 0.25) == 0.0   # clipped at chance


def test_partial_runs_say_so() -> None:
    run = _full_run()
    for name in list(run.tasks):
        if name.startswith(("leaderboard_gpqa", "leaderboard_musr_team")):
            del run.tasks[name]
    del run.groups["leaderboard_gpqa"]
    suite = score_suite("open-llm-v2", run)
    assert "gpqa" not in suite.scores and not suite.scores["musr"].complete and not suite.average_complete


def test_comparison_with_the_imported_row_names_the_settings_that_differ() -> None:
    from shortlist.catalog.scores import LeaderboardModel, Score, ScoreTable

    run = _full_run("org/model")
    suite = score_suite("open-llm-v2", run)
    run.suite = suite
    for bench, s in suite.scores.items():   # what compare_with_leaderboard leaves for each row
        entry = {"verdict": "reproduced", "delta": 0.0, "within_ci": True} if bench != "bbh" else \
            {"verdict": "differs by -0.120, outside CI", "delta": -0.12, "within_ci": False}
        if s.task in run.tasks:
            run.tasks[s.task].leaderboard = entry
        else:
            run.leaderboard[s.task] = entry
    scores = [Score("org/model", b, s.raw + (0.12 if b == "bbh" else 0.0), None, None, "open_llm_leaderboard_v2",
                    "2025-03-21", "imported", "bfloat16") for b, s in suite.scores.items()]
    lb = LeaderboardModel("org/model", 7.0, None, None, False, False, False, False, True, None, chat_template=False)
    table = ScoreTable(scores, {"org/model": lb})
    cmp = compare_suite(run, table)
    assert cmp is not None and not cmp.all_reproduced
    assert cmp.benchmarks["bbh"].verdict.startswith("differs by") and cmp.benchmarks["ifeval"].within_ci
    text = " | ".join(cmp.settings_differ)
    assert "chat template: yours on, the leaderboard's off" in text
    assert "dtype: yours float32, the leaderboard's bfloat16" in text and "batch size" in text and "revision" in text


def test_suite_preset_runs_end_to_end_on_the_fake_backend(tmp_path: Path, shared_data: Path) -> None:
    from shortlist.evaluate import EvalRequest, run
    from shortlist.evaluate.backends.fake import FakeBackend
    from shortlist.store import Store

    backend = FakeBackend("suite", generate=[{"text": "Final Answer: The final answer is $2$. I hope it is correct."}],
                          chat_template="chatml")
    preset = get_suite("open-llm-v2")
    req = EvalRequest(model="fake:suite", tasks=["leaderboard_bbh", "leaderboard_ifeval", "leaderboard_mmlu_pro"],
                      limit=2, data_dir=shared_data / "benchmarks", suite=preset.name,
                      apply_chat_template=preset.apply_chat_template, fewshot_as_multiturn=True)
    with Store(tmp_path / "db.sqlite") as store:
        result = run(req, store=store, backend=backend)
    assert result.request["prompt_format"]["chat_template"] and result.request["prompt_format"]["fewshot_as_multiturn"]
    assert set(result.suite.scores) == {"bbh", "ifeval", "mmlu_pro"} and not result.suite.average_complete
    assert result.suite.limit == 2 and result.groups["leaderboard_bbh"]["n"] == 48
    assert result.tasks["leaderboard_ifeval"].did_not_finish == 0


def _shortlist(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shortlist", *args], capture_output=True, text=True,
                          env={**os.environ}, timeout=300)


def _one_line(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def test_unknown_suite_is_one_line_exit_2() -> None:
    _one_line(_shortlist("eval", "--model", "fake:x", "--suite", "open-llm-v3"), "unknown suite", "open-llm-v2")


def test_missing_gated_data_is_one_line_exit_2(tmp_path: Path) -> None:
    _one_line(_shortlist("eval", "--model", "fake:x", "--suite", "open-llm-v2", "--tasks", "leaderboard_gpqa",
                         "--data-dir", str(tmp_path)), "GPQA", "Idavidrein/gpqa", "--data-dir", "gated")
    assert not Path(os.environ["SHORTLIST_DB"]).exists()   # nothing ran


def test_dry_run_prints_the_plan_only(tmp_path: Path, shared_data: Path) -> None:
    proc = _shortlist("eval", "--model", "fake:x", "--suite", "open-llm-v2", "--tasks",
                      "leaderboard_ifeval,leaderboard_bbh_navigate", "--limit", "3", "--data-dir",
                      str(shared_data / "benchmarks"), "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    plan = out["plan"]
    assert out["dry_run"] and plan["generations"] == 3 and plan["loglikelihood_requests"] == 3 * 2
    assert plan["max_new_tokens"] == 3 * 1280 and plan["est_seconds"] is not None
    text = _shortlist("eval", "--model", "fake:x", "--tasks", "leaderboard_ifeval", "--limit", "3", "--data-dir",
                      str(shared_data / "benchmarks"), "--dry-run")
    assert text.returncode == 0 and "3 requests" in text.stdout and "token budget" in text.stdout


def test_missing_data_with_the_hub_unreachable_is_one_line_and_quick(tmp_path: Path) -> None:
    """Not told to be offline, but the Hub cannot be reached: one line at once, not the Hub client's retries."""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")}
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"   # the discard port: nothing listens there
    proc = subprocess.run([sys.executable, "-m", "shortlist", "eval", "--model", "fake:x", "--tasks",
                           "leaderboard_musr_team_allocation", "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=60)
    _one_line(proc, "MuSR", "TAUR-Lab/MuSR", "cannot be reached", "--data-dir")


def test_a_hub_model_with_the_hub_unreachable_is_one_line(tmp_path: Path, shared_data: Path) -> None:
    pytest.importorskip("transformers")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")}
    env.update(HF_ENDPOINT="http://127.0.0.1:9", HF_HUB_CACHE=str(tmp_path / "cache"), SHORTLIST_DB=str(tmp_path / "d"))
    proc = subprocess.run([sys.executable, "-m", "shortlist", "eval", "--model", "hf:some-org/some-model", "--tasks",
                           "arc_easy", "--limit", "1", "--data-dir", str(shared_data / "benchmarks")],
                          capture_output=True, text=True, env=env, timeout=120)
    _one_line(proc, "some-org/some-model", "not in the local Hugging Face cache", "cannot be reached")


SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"   # has an Open LLM Leaderboard v2 row in the built-in scores


def test_part_of_a_group_is_neither_compared_nor_recorded_and_few_items_are_not_called_significant(
        tmp_path: Path, shared_data: Path) -> None:
    """One BBH subtask is not BBH: no verdict against the published BBH, no own BBH score. And 3 items whose sample
    stderr is 0 do not make a difference from the published MMLU-Pro "outside CI"."""
    from shortlist.catalog.scores import load_scores
    from shortlist.evaluate import EvalRequest, run
    from shortlist.evaluate.backends.fake import FakeBackend
    from shortlist.store import Store

    preset = get_suite("open-llm-v2")
    req = EvalRequest(model="fake:m", tasks=["leaderboard_bbh_navigate", "leaderboard_mmlu_pro"], limit=3,
                      data_dir=shared_data / "benchmarks", suite=preset.name, model_name=SMOL)
    with Store(tmp_path / "db.sqlite") as store:
        result = run(req, store=store, backend=FakeBackend("m"))
        own = load_scores(store).for_model(SMOL)
    assert "leaderboard_bbh" in result.groups and "leaderboard_bbh" not in result.leaderboard
    assert own["bbh"].origin != "own"   # still the leaderboard's figure
    bbh = result.suite.comparison.benchmarks["bbh"]
    assert bbh.verdict.startswith("not comparable") and bbh.within_ci is None
    mmlu_pro = result.tasks["leaderboard_mmlu_pro"].leaderboard
    published = mmlu_pro["published"]
    floor = 1.96 * (published * (1 - published) / 3) ** 0.5
    assert mmlu_pro["ci_half_width"] >= floor
    assert mmlu_pro["within_ci"] == (abs(mmlu_pro["delta"]) <= mmlu_pro["ci_half_width"])
    assert not result.suite.comparison.all_reproduced
