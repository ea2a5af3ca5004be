"""`pick` for today's models: 2025 evidence, equal footing, makers' releases by default, API models."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shortlist.cli import app
from shortlist.rank import PickRequest, pick

# Open-weight families released in 2025 (the "Qwen3 / Gemma 3 / gpt-oss / Llama 4 / GLM-4.5 class").
MODERN = ("Qwen/Qwen3", "google/gemma-3", "openai/gpt-oss", "meta-llama/Llama-4", "zai-org/GLM-4.5",
          "deepseek-ai/DeepSeek-R1-0528", "deepseek-ai/DeepSeek-V3", "moonshotai/Kimi-K2", "mistralai/Mistral-Small-3",
          "mistralai/Magistral", "microsoft/Phi-4")


def _modern(model: str) -> bool:
    return model.startswith(MODERN)


@pytest.mark.parametrize(("gpu", "gpus", "task", "license_"), [
    ("RTX 4090", 1, "customer-support", "commercial"),  # the lesson's scenario
    ("RTX 4090", 2, "coding", "commercial"),
    ("H100 SXM", 8, "general-chat", "any"),
])
def test_built_in_data_shortlists_2025_models_with_sources(gpu: str, gpus: int, task: str, license_: str) -> None:
    sl = pick(PickRequest(gpu=gpu, gpus=gpus, task=task, license=license_))
    top = sl.entries[:5]
    assert sum(_modern(e.model) for e in top) >= 3, [e.model for e in top]
    assert _modern(sl.entries[0].model)
    for e in sl.entries:
        assert e.release_date, e.model
        for bench, s in e.scores.items():
            if s.imputed:
                assert bench in e.imputed and s.stderr > 0
            else:
                assert s.source and s.source_date, (e.model, bench)  # every figure with its source and date


def test_every_shortlisted_model_is_scored_on_the_whole_profile() -> None:
    sl = pick(PickRequest(gpu="RTX 4090", task="customer-support", license="commercial"))
    profile = {b for b, w in sl.weights.items() if w > 0}
    predictable = set(sl.method["imputation"]["benchmarks"])
    for e in sl.entries:
        assert profile & predictable <= set(e.scores), e.model
        measured = {b for b, s in e.scores.items() if not s.imputed}
        assert set(e.imputed) == set(e.scores) - measured
        if e.imputed:  # a prediction widens the interval beyond what the measured part alone would give
            assert any("predicted, not measured" in c for c in e.caveats)


def test_coder_is_not_below_weaker_coders_unless_tied() -> None:
    """Qwen2.5-Coder-32B-Instruct on coding (2x 24 GiB): every model ranked above it whose measured code scores
    are all lower must sit in its tier (statistically tied)."""
    sl = pick(PickRequest(gpu="RTX 4090", gpus=2, task="coding", license="commercial", top=60))
    names = [e.model for e in sl.entries]
    coder = sl.entries[names.index("Qwen/Qwen2.5-Coder-32B-Instruct")]
    code = [b for b in ("humaneval", "livecodebench", "swe_bench_verified") if not coder.scores[b].imputed]
    assert code, "the coder has measured code scores"
    for e in sl.entries[: coder.rank - 1]:
        measured = [b for b in code if b in e.scores and not e.scores[b].imputed]
        if measured and all(e.scores[b].value < coder.scores[b].value for b in measured):
            assert e.tier == coder.tier, (e.model, e.tier, coder.tier)


def _v2_csv(shared_data: Path) -> Path:
    return shared_data / "leaderboards" / "open_llm_leaderboard_v2_2025-03-21.csv"


@pytest.fixture(scope="module")
def v2_db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("today") / "v2.db"
    res = CliRunner().invoke(app, ["leaderboard", "import", str(_v2_csv(shared_data)), "--db", str(db)])
    assert res.exit_code == 0, res.output
    return db


def _community_names(shared_data: Path) -> set[str]:
    """Rows that are neither official-provider rows nor from a maker's organisation, read from the CSV itself."""
    import yaml

    from shortlist.catalog.loader import data_path

    orgs = {o.lower() for m in yaml.safe_load(data_path("makers.yaml").read_text())["makers"] for o in m["orgs"]}
    with _v2_csv(shared_data).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {r["model_name"] for r in rows
            if r["features_is_official_provider"] != "TRUE" and r["model_name"].split("/")[0].lower() not in orgs}


def test_imported_leaderboard_does_not_flood_the_top_with_community_models(v2_db: Path, shared_data: Path) -> None:
    community = _community_names(shared_data)
    assert len(community) > 3000
    sl = pick(PickRequest(gpu="RTX 4090", task="customer-support", license="commercial", db=v2_db))
    assert not {e.model for e in sl.entries} & community
    assert any("community model" in c for c in sl.caveats)
    wide = pick(PickRequest(gpu="RTX 4090", task="customer-support", license="commercial", db=v2_db,
                            include_community=True, allow_unknown_license=True))
    assert {e.model for e in wide.entries} & community  # they are there when asked for
    assert all(e.community for e in wide.entries if e.model in community)


def test_api_models_take_part_only_when_asked() -> None:
    plain = pick(PickRequest(gpu="RTX 4090", task="general-chat", top=10))
    assert all(e.access == "open-weights" for e in plain.entries)
    assert any(x.kinds[0] == "api" for x in plain.excluded)
    with_api = pick(PickRequest(gpu="RTX 4090", task="general-chat", include_api=True, top=10))
    api = [e for e in with_api.entries if e.access == "api"]
    assert api and all(e.cost is not None and e.cost.kind == "api" for e in api)
    assert any(e.pareto_cost for e in with_api.entries)


def test_lmarena_names_resolve_to_one_hosted_entry() -> None:
    from shortlist.catalog.hosted import find_hosted, list_hosted

    assert find_hosted("gemini-2.5-pro").id == "google/gemini-2.5-pro"
    assert find_hosted("claude-opus-4-20250514-thinking-16k").id == "anthropic/claude-opus-4-20250514"
    seen: dict[str, str] = {}
    for h in list_hosted("api"):
        for alias in h.aliases:
            assert seen.setdefault(alias, h.id) == h.id, alias  # no name means two models


def test_fast_normalisation_equals_the_evidence_record() -> None:
    from shortlist.catalog.benchmarks import list_benchmarks
    from shortlist.catalog.scores import load_scores
    from shortlist.rank.evidence import evidence_of, normalized_pair

    specs = {b.id: b for b in list_benchmarks()}
    table = load_scores(None)
    checked = 0
    for model in table.models():
        for bench, s in table.for_model(model).items():
            e = evidence_of(s, specs[bench])
            assert normalized_pair(s, specs[bench]) == pytest.approx((e.normalized, e.normalized_stderr), rel=1e-12)
            checked += 1
    assert checked > 2000
