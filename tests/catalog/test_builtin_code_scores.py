"""Built-in HumanEval/MBPP figures copied from model makers' reports and cards (scores/report_*.yaml).

The spot checks pin cells read by hand from the publications; each quotes the row it comes from.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shortlist.catalog.benchmarks import get_benchmark
from shortlist.catalog.loader import data_path, load_models, read_yaml
from shortlist.catalog.scores import builtin_rows, load_scores
from shortlist.cli import app

REPORTS = sorted(data_path("scores").glob("report_*.yaml"))
CODE_BENCHMARKS = {"humaneval", "mbpp", "humaneval_plus", "mbpp_plus"}
_LOCATOR = re.compile(r"https?://\S+|arXiv \d{4}\.\d{4,5}")


def test_there_are_report_files() -> None:
    assert len(REPORTS) >= 10, [p.name for p in REPORTS]


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
def test_report_file_is_well_formed(path: Path) -> None:
    raw = read_yaml(path)
    assert path.read_text().startswith("# Built-in"), "header comment says what the file is"
    source = raw["source"]
    assert _LOCATOR.search(source), f"source names no URL or arXiv id: {source}"
    assert re.search(r"\btables?\b", source, re.IGNORECASE), f"source names no table: {source}"
    published = dt.date.fromisoformat(str(raw["source_date"]))
    assert dt.date(2023, 1, 1) <= published <= dt.date.today()
    assert raw["models"], "a report file with no models is noise"


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
def test_report_models_are_catalog_ids_with_code_scores_in_range(path: Path) -> None:
    catalog = load_models()
    for model, entry in read_yaml(path)["models"].items():
        assert model in catalog, f"{path.name}: {model} is not a catalog id"
        assert entry["scores"], f"{path.name}: {model} has no scores"
        for bench, value in entry["scores"].items():
            assert bench in CODE_BENCHMARKS, f"{path.name}: {bench} is not a code benchmark id"
            spec = get_benchmark(bench)
            assert spec.id == bench and spec.skill == "code"
            assert 0 < float(value) <= 1, f"{path.name}: {model} {bench}={value} is not a 0..1 fraction"


def test_no_model_benchmark_pair_comes_from_two_reports() -> None:
    # Precedence would silently pick the newer publication; every pair is meant to have one source.
    pairs = Counter((r[0], r[1]) for r in builtin_rows() if r[1] in CODE_BENCHMARKS)
    assert [pair for pair, n in pairs.items() if n > 1] == []


def test_evalplus_registry_entries() -> None:
    he_plus, mbpp_plus = get_benchmark("humaneval_plus"), get_benchmark("mbpp_plus")
    assert (he_plus.n_items, he_plus.metric, he_plus.skill) == (164, "pass@1", "code")
    assert (mbpp_plus.n_items, mbpp_plus.metric, mbpp_plus.skill) == (378, "pass@1", "code")
    assert get_benchmark("HumanEval Plus").id == "humaneval_plus" and get_benchmark("mbpp plus").id == "mbpp_plus"


def _scores(model: str) -> dict[str, float]:
    return {bench: s.value for bench, s in load_scores(None).for_model(model).items() if bench in CODE_BENCHMARKS}


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # Llama 3.1 card, instruction tuned: "HumanEval | 0 | pass@1 | 60.4 | 72.6 | 81.7 | 80.5 | 89.0"
        # (columns L3 8B, L3.1 8B, L3 70B, L3.1 70B, L3.1 405B); the "MBPP ++ base version" row is EvalPlus.
        ("meta-llama/Llama-3.1-8B-Instruct", {"humaneval": 0.726}),
        ("meta-llama/Llama-3.1-405B-Instruct", {"humaneval": 0.890}),
        # Llama 4 card, pre-trained: "MBPP | 3 | pass@1 | 66.4 | 74.4 | 67.8 | 77.6"
        # (columns Llama 3.1 70B, 3.1 405B, Scout, Maverick)
        ("meta-llama/Llama-4-Scout-17B-16E", {"mbpp": 0.678}),
        # Gemma 3 card, STEM and code (IT 1B/4B/12B/27B): "[MBPP][mbpp] | 3-shot | 35.2 | 63.2 | 73.0 | 74.4"
        # and "[HumanEval][humaneval] | 0-shot | 41.5 | 71.3 | 85.4 | 87.8"
        ("google/gemma-3-27b-it", {"humaneval": 0.878, "mbpp": 0.744}),
        # Gemma 2 card (PT 2B/9B/27B): "[HumanEval][humaneval] | pass@1 | 17.7 | 40.2 | 51.8", "[MBPP][mbpp] | 3-shot |
        # 29.6 | 52.4 | 62.6"
        ("google/gemma-2-9b", {"humaneval": 0.402, "mbpp": 0.524}),
        # Phi-3.5-MoE card: "Code Generation | HumanEval (0-shot) | 70.7 | ..." and "| | MBPP (3-shot) | 80.8 | ..."
        ("microsoft/Phi-3.5-MoE-instruct", {"humaneval": 0.707, "mbpp": 0.808}),
        # Qwen2.5-Coder report Table 16: "Qwen2.5-Coder-32B-Instruct | 32B | 92.7 | 87.2 | 90.2 | 75.1" (HE, HE+,
        # EvalPlus MBPP, MBPP+); the EvalPlus MBPP cell is deliberately not stored as mbpp.
        ("Qwen/Qwen2.5-Coder-32B-Instruct", {"humaneval": 0.927, "humaneval_plus": 0.872, "mbpp_plus": 0.751}),
        # Qwen2.5 report Table 4 / blog: "HumanEval | 29.3 | 33.5 | 37.8 | 51.2 | 57.9", "HumanEval+ | ... | 50.6",
        # "MBPP+ | ... | 62.9"; Qwen3 report Table 6 (MBPP-3shot): "MBPP 48.40 63.40 69.00 69.80" (Llama-3-8B,
        # Qwen2.5-7B, Qwen2.5-14B, Qwen3-8B) -> two publications merge for one model.
        ("Qwen/Qwen2.5-7B", {"humaneval": 0.579, "humaneval_plus": 0.506, "mbpp_plus": 0.629, "mbpp": 0.634}),
        ("Qwen/Qwen3-8B-Base", {"mbpp": 0.698}),
        # DeepSeek-V2-Lite card, base (DeepSeek 7B, DeepSeekMoE 16B, V2-Lite): "**HumanEval** | Code | 26.2 | 26.8 |
        # 29.9" and "**MBPP** | Code | 39.0 | 39.2 | 43.2"
        ("deepseek-ai/DeepSeek-V2-Lite", {"humaneval": 0.299, "mbpp": 0.432}),
        # phi-4 report Table 1: "HumanEval | 82.6 | ..." and "HumanEval+ | 82.8 | ..."
        ("microsoft/phi-4", {"humaneval": 0.826, "humaneval_plus": 0.828}),
    ],
)
def test_spot_checks_against_the_publications(model: str, expected: dict[str, float]) -> None:
    assert _scores(model) == pytest.approx(expected, abs=1e-9)


def test_report_scores_carry_their_publication_as_source() -> None:
    s = load_scores(None).for_model("Qwen/Qwen2.5-7B")
    assert s["humaneval"].origin == "builtin" and s["humaneval"].source.startswith("Qwen2.5 Technical Report")
    assert s["mbpp"].source.startswith("Qwen3 Technical Report") and s["mbpp"].source_date == "2025-05-14"


def test_coding_pick_shows_code_evidence() -> None:
    """The coding profile sees measured code benchmarks (reports, makers' figures) for models that fit 24 GiB."""
    result = CliRunner().invoke(app, ["pick", "--task", "coding", "--gpu", "RTX 4090", "--json", "--top", "40"])
    assert result.exit_code == 0, result.output
    shortlist = json.loads(result.output)["shortlist"]
    code = ("humaneval", "livecodebench", "swe_bench_verified")
    measured = [row["model"] for row in shortlist[:10]
                if any(b in row["scores"] and not row["scores"][b]["imputed"] for b in code)]
    assert len(measured) >= 5
    gemma = next(row for row in shortlist if row["model"] == "google/gemma-3-27b-it")
    assert gemma["scores"]["humaneval"]["value"] == pytest.approx(0.878)
    assert not gemma["scores"]["humaneval"]["imputed"]
