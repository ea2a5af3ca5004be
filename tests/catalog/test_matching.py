"""Name matching against the catalog, with real names from the leaderboard snapshots."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from shortlist.catalog.matching import Matcher, canonical, split_precision


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.from_catalog()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"),  # exact repo id
        ("META-LLAMA/llama-3.1-8b-instruct", "meta-llama/Llama-3.1-8B-Instruct"),  # case
        ("meta-llama/Meta-Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"),  # the old repo name
        ("Meta-Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"),  # arena display name
        ("Meta-Llama-3.1-405B-Instruct-bf16", "meta-llama/Llama-3.1-405B-Instruct"),
        ("Meta-Llama-3.1-405B-Instruct-fp8", "meta-llama/Llama-3.1-405B-Instruct"),
        ("qwen2.5-72b-instruct", "Qwen/Qwen2.5-72B-Instruct"),
        ("Qwen2.5-72B-Instruct", "Qwen/Qwen2.5-72B-Instruct"),
        ("gemma-2-27b-it", "google/gemma-2-27b-it"),
        ("Gemma-2-27B-it", "google/gemma-2-27b-it"),
        ("deepseek-r1", "deepseek-ai/DeepSeek-R1"),
        ("DeepSeek-R1-0528", "deepseek-ai/DeepSeek-R1-0528"),  # a later release has its own entry
        ("Llama-2-70B-chat", "meta-llama/Llama-2-70b-chat-hf"),  # arena drops Llama 2's "-hf"
        ("Llama-3-8B-Instruct", "meta-llama/Meta-Llama-3-8B-Instruct"),  # Llama 3 kept the "Meta-" prefix
        ("Mixtral-8x22b-Instruct-v0.1", "mistralai/Mixtral-8x22B-Instruct-v0.1"),
        ("Phi-4", "microsoft/phi-4"),
    ],
)
def test_spellings_of_catalog_models_match(matcher: Matcher, name: str, expected: str) -> None:
    assert matcher.match(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "Gemma-2-9B-it-SimPO",  # a Princeton fine-tune of gemma-2-9b-it
        "Llama-3.1-Nemotron-70B-Instruct",  # NVIDIA's fine-tune of Llama-3.1-70B-Instruct
        "Llama-3.1-Tulu-3-8B",
        "DeepSeek-V3.1-Terminus",  # a later release, not DeepSeek-V3.1
        "Qwen3-235B-A22B-no-thinking",
        "MaziyarPanahi/calme-2.4-rys-78b",
        "someone/Llama-3.1-8B-Instruct",  # a re-upload under another organisation
        "unsloth/gemma-2-9b-it",
        "Gemini-2.5-Pro",
        "",
    ],
)
def test_fine_tunes_reuploads_and_closed_models_do_not_match(matcher: Matcher, name: str) -> None:
    assert matcher.match(name) is None


def test_command_r_plus_is_not_command_r() -> None:
    m = Matcher({"CohereForAI/c4ai-command-r-08-2024": ["Command R (08-2024)"],
                 "CohereForAI/c4ai-command-r-plus-08-2024": ["Command R+ (08-2024)"]})
    assert m.match("Command R+ (08-2024)") == "CohereForAI/c4ai-command-r-plus-08-2024"
    assert m.match("Command R (08-2024)") == "CohereForAI/c4ai-command-r-08-2024"


def test_ambiguous_bare_names_do_not_match() -> None:
    m = Matcher({"a/Foo-7B": [], "b/Foo-7B": []})
    assert m.match("Foo-7B") is None
    assert m.match("a/Foo-7B") == "a/Foo-7B"


def test_helpers() -> None:
    assert split_precision("Meta-Llama-3.1-405B-Instruct-fp8") == ("Meta-Llama-3.1-405B-Instruct", "fp8")
    assert split_precision("Phi-4") == ("Phi-4", None)
    assert canonical("Meta-Llama-3.1-8B-Instruct") == canonical("Llama-3.1-8B-Instruct") == "llama318binstruct"


def test_arena_snapshot_report(shared_data: Path, matcher: Matcher) -> None:
    rows = list(csv.DictReader((shared_data / "leaderboards" / "lmarena_text_2025-08-06.csv").open(encoding="utf-8")))
    report = matcher.match_all(r["model"] for r in rows)
    assert report.matched["Gemma-3-27B-it"] == "google/gemma-3-27b-it"
    assert report.matched["Llama-3.3-70B-Instruct"] == "meta-llama/Llama-3.3-70B-Instruct"
    assert "GPT-4o-2024-05-13" in report.unmatched and "Claude 3 Opus" in report.unmatched
    assert len(report.unmatched) == len(set(report.unmatched))
    # fine-tunes named after their base never reach the catalog
    assert not [n for n in report.matched if any(t in n for t in ("SimPO", "Nemotron", "Tulu", "Athene"))]
