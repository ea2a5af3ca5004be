"""lm-evaluation-harness results JSON: a real run of lm-eval 0.4.13 and a leaderboard-shaped file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shortlist.catalog.importers import detect_format, import_file
from shortlist.catalog.scores import load_scores
from shortlist.errors import BadInput
from shortlist.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "lm.db")
    yield s
    s.close()


def _lm_eval_run(shared_data: Path, tmp_path: Path) -> Path:
    """Run lm-eval's own CLI (dummy model, local copies of ARC-Challenge and GSM8K) and return its results file."""
    pytest.importorskip("lm_eval")
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    arc_rows = []
    for line in (shared_data / "benchmarks" / "arc" / "ARC-Challenge-Test.jsonl").read_text().splitlines()[:20]:
        r = json.loads(line)  # AI2 schema -> the HF ai2_arc schema lm-eval's task reads
        q = r["question"]
        arc_rows.append({"id": r["id"], "question": q["stem"], "answerKey": r["answerKey"],
                         "choices": {"text": [c["text"] for c in q["choices"]],
                                     "label": [c["label"] for c in q["choices"]]}})
    (tmp_path / "arc.jsonl").write_text("".join(json.dumps(r) + "\n" for r in arc_rows))
    gsm = (shared_data / "benchmarks" / "gsm8k" / "test.jsonl").read_text().splitlines()[:10]
    (tmp_path / "gsm.jsonl").write_text("\n".join(gsm) + "\n")
    arc = {
        "task": "arc_challenge", "dataset_path": "json", "output_type": "multiple_choice", "test_split": "test",
        "dataset_kwargs": {"data_files": {"test": str(tmp_path / "arc.jsonl")}},
        "doc_to_text": "Question: {{question}}\nAnswer:", "doc_to_target": "{{choices.label.index(answerKey)}}",
        "doc_to_choice": "{{choices.text}}",
        "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True},
                        {"metric": "acc_norm", "aggregation": "mean", "higher_is_better": True}],
        "metadata": {"version": 1.0},
    }
    import lm_eval

    gsm8k = yaml.safe_load((Path(lm_eval.__file__).parent / "tasks" / "gsm8k" / "gsm8k.yaml").read_text())
    gsm8k.pop("tag", None)
    gsm8k.pop("dataset_name", None)
    gsm8k["dataset_path"] = "json"
    local = str(tmp_path / "gsm.jsonl")
    gsm8k["dataset_kwargs"] = {"data_files": {"test": local, "train": local}}
    (tasks / "arc_challenge.yaml").write_text(yaml.safe_dump(arc))
    (tasks / "gsm8k.yaml").write_text(yaml.safe_dump(gsm8k))
    out = tmp_path / "out"
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    subprocess.run(
        [sys.executable, "-m", "lm_eval", "run", "--model", "dummy", "--tasks", "arc_challenge,gsm8k",
         "--include_path", str(tasks), "--output_path", str(out),
         "--model_args", "pretrained=HuggingFaceTB/SmolLM2-135M-Instruct,dtype=bfloat16"],
        check=True, capture_output=True, env=env, timeout=600,
    )
    (results,) = out.rglob("results_*.json")
    return results


@pytest.mark.slow
def test_real_lm_eval_results_file(shared_data: Path, tmp_path: Path, store: Store) -> None:
    path = _lm_eval_run(shared_data, tmp_path)
    raw = json.loads(path.read_text())
    assert detect_format(path) == "lm-eval"
    report = import_file(store, path, own=True)
    assert (report.rows_read, report.rows_stored, report.scores_stored) == (1, 1, 2)
    assert report.source.startswith("lm_eval:HuggingFaceTB/SmolLM2-135M-Instruct@")
    s = load_scores(store).for_model("HuggingFaceTB/SmolLM2-135M-Instruct")
    arc = raw["results"]["arc_challenge"]
    assert s["arc_challenge"].value == arc["acc_norm,none"]
    assert s["arc_challenge"].stderr == arc["acc_norm_stderr,none"]
    assert s["arc_challenge"].n == 20 and s["gsm8k"].n == 10
    assert s["gsm8k"].value == raw["results"]["gsm8k"]["exact_match,strict-match"]
    assert s["gsm8k"].origin == "own" and s["gsm8k"].precision == "bfloat16"


def _leaderboard_results(path: Path) -> Path:
    """A results file in lm-eval's shape for Llama-2-7b-hf on two leaderboard tasks (one a group)."""
    data = {
        "results": {
            "leaderboard_bbh": {"name": "leaderboard_bbh", "alias": "leaderboard_bbh", "sample_len": 500},
            "leaderboard_bbh_navigate": {"alias": " - navigate", "acc_norm,none": 0.52, "acc_norm_stderr,none": 0.0316,
                                         "sample_len": 250},
            "leaderboard_bbh_snarks": {"alias": " - snarks", "acc_norm,none": 0.48, "acc_norm_stderr,none": 0.0316,
                                       "sample_len": 250},
            "leaderboard_ifeval": {"alias": "leaderboard_ifeval", "sample_len": 541,
                                   "prompt_level_strict_acc,none": 0.18484288354898337,
                                   "prompt_level_strict_acc_stderr,none": 0.0167,
                                   "inst_level_strict_acc,none": 0.31894484412470026,
                                   "inst_level_strict_acc_stderr,none": "N/A"},
            "custom_thing": {"alias": "custom_thing", "acc,none": 0.9},
        },
        "groups": {"leaderboard_bbh": {"name": "leaderboard_bbh", "alias": "leaderboard_bbh",
                                       "acc_norm,none": 0.5, "acc_norm_stderr,none": 0.0223}},
        "group_subtasks": {"leaderboard_bbh": ["leaderboard_bbh_navigate", "leaderboard_bbh_snarks"],
                           "leaderboard_ifeval": [], "custom_thing": []},
        "n-shot": {"leaderboard_bbh_navigate": 3, "leaderboard_bbh_snarks": 3, "leaderboard_ifeval": 0},
        "n-samples": {"leaderboard_bbh_navigate": {"original": 250, "effective": 250},
                      "leaderboard_bbh_snarks": {"original": 178, "effective": 178},
                      "leaderboard_ifeval": {"original": 541, "effective": 541}},
        "config": {"model": "hf", "model_args": "pretrained=meta-llama/Llama-2-7b-hf,dtype=float16",
                   "batch_size": "auto"},
        "date": 1735725600.0,  # 2025-01-01T10:00:00Z
        "model_name": "meta-llama/Llama-2-7b-hf",
    }
    path.write_text(json.dumps(data, indent=2))
    return path


def test_leaderboard_tasks_map_to_registry_ids(tmp_path: Path, store: Store) -> None:
    path = _leaderboard_results(tmp_path / "results_2025-01-01T10-00-00.json")
    report = import_file(store, path, own=True)
    assert report.source == "lm_eval:meta-llama/Llama-2-7b-hf@2025-01-01T10:00:00Z"
    assert report.source_date == "2025-01-01"
    # bbh subtasks count through their group, not as unknown tasks
    assert report.notes == ["skipped custom_thing (no registry benchmark)"]
    s = load_scores(store).for_model("meta-llama/Llama-2-7b-hf")
    assert s["ifeval"].value == pytest.approx(0.251893863836842, abs=1e-12)  # as the v2 leaderboard lists it
    assert s["ifeval"].stderr is None  # one of the two stderrs is "N/A"
    assert s["bbh"].value == 0.5 and s["bbh"].stderr == 0.0223
    assert s["bbh"].n == 250 + 178  # summed over the group's subtasks
    assert s["ifeval"].n == 541 and s["ifeval"].precision == "float16"


def test_own_run_beats_the_leaderboard(shared_data: Path, tmp_path: Path, store: Store) -> None:
    import_file(store, shared_data / "leaderboards" / "open_llm_leaderboard_v2_2025-03-21.csv")
    path = _leaderboard_results(tmp_path / "results.json")
    data = json.loads(path.read_text())
    data["groups"]["leaderboard_bbh"]["acc_norm,none"] = 0.61
    path.write_text(json.dumps(data))
    import_file(store, path, own=True)
    s = load_scores(store).for_model("meta-llama/Llama-2-7b-hf")
    assert (s["bbh"].origin, s["bbh"].value) == ("own", 0.61)
    assert s["gpqa"].origin == "imported" and s["gpqa"].source == "open_llm_leaderboard_v2"


def test_results_without_known_tasks_or_model(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"results": {"my_task": {"acc,none": 0.5}}, "config": {"model_args": "pretrained=x/y"}}))
    with pytest.raises(BadInput, match="no results for a known task"):
        import_file(store, path)
    path.write_text(json.dumps({"results": {"gsm8k": {"exact_match,strict-match": 0.5}}, "config": {}}))
    with pytest.raises(BadInput, match="does not name its model"):
        import_file(store, path)
    path.write_text('{"results": {"gsm8k": ')
    with pytest.raises(BadInput, match=r"line 1 column \d+: not valid JSON"):
        import_file(store, path)
