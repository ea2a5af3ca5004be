"""Task profiles: the reviewed built-ins, --weights parsing and profile files, with their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from shortlist.errors import BadInput, NotFound
from shortlist.rank.profiles import get_profile, list_profiles, load_profile_file, parse_weights

REQUIRED = {"customer-support", "coding", "math", "reasoning", "rag-qa", "summarization", "creative-writing",
            "multilingual", "agents", "general-chat", "knowledge-qa"}
def _registry() -> set[str]:
    from shortlist.catalog.benchmarks import list_benchmarks

    return {b.id for b in list_benchmarks()}


def test_builtin_profiles_are_complete_and_reasoned() -> None:
    profiles = {p.id: p for p in list_profiles()}
    assert set(profiles) >= REQUIRED
    for p in profiles.values():
        assert set(p.weights) <= _registry(), p.id
        assert p.prompt_tokens > 0 and p.output_tokens > 0 and p.workload_reason, f"{p.id}: typical request"
        assert set(p.reasons) == set(p.weights), f"{p.id}: every weight needs a one-line reason"
        assert all(w > 0 for w in p.weights.values())
        assert p.description


def test_customer_support_is_dominated_by_instruction_following() -> None:
    p = get_profile("customer-support")
    # measured three ways: the harness, the makers, and human votes on instruction-following prompts
    assert p.share("ifeval") + p.share("ifeval_reported") + p.share("arena_2025_if") > 0.5
    assert max(p.weights, key=p.weights.__getitem__) in ("ifeval", "arena_2025_if")


def test_aliases_resolve() -> None:
    assert get_profile("tool-use").id == "agents"
    assert get_profile("Customer Support").id == "customer-support"


def test_unknown_task_suggests() -> None:
    with pytest.raises(NotFound) as exc:
        get_profile("custmer-suport")
    assert "customer-support" in str(exc.value)


def test_weights_resolve_benchmark_aliases() -> None:
    p = parse_weights("ifeval=2, truthfulqa=1,MMLU-PRO=0.5")
    assert p.weights == {"ifeval": 2.0, "truthfulqa_mc2": 1.0, "mmlu_pro": 0.5}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("ifeval=two", "ifeval=two"),
        ("ifeval", "'ifeval'"),
        ("ifeval=2,nosuchbench=1", "nosuchbench"),
        ("ifeval=-1", "ifeval=-1"),
        ("=3", "'=3'"),
        ("ifeval=0", "all weights are zero"),
        ("ifeval=1,IFEval=2", "given twice"),
    ],
)
def test_malformed_weights_name_the_bad_part(text: str, named: str) -> None:
    with pytest.raises(BadInput) as exc:
        parse_weights(text)
    assert named in str(exc.value)


def test_profile_file(tmp_path: Path) -> None:
    f = tmp_path / "support.yaml"
    f.write_text(
        "name: My support\nweights:\n  ifeval: {weight: 2, reason: format rules}\n  TruthfulQA: 1\n", encoding="utf-8"
    )
    p = load_profile_file(f)
    assert p.id == "support" and p.weights == {"ifeval": 2.0, "truthfulqa_mc2": 1.0}
    assert p.reasons == {"ifeval": "format rules"}


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("weights: {ifeval: 2, bogus_bench: 1}\n", "bogus_bench"),
        ("weights: []\n", "'weights' must be"),
        ("wieghts: {ifeval: 1}\n", "wieghts"),
        ("weights: {ifeval: {weight: x}}\n", "weights.ifeval"),
        ("weights: {ifeval: 1\n", "invalid YAML"),
    ],
)
def test_bad_profile_file(tmp_path: Path, body: str, named: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(BadInput) as exc:
        load_profile_file(f)
    assert named in str(exc.value)


def test_missing_profile_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        load_profile_file(tmp_path / "nope.yaml")
