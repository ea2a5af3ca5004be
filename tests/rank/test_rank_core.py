"""The ranking core on a small hand-built world: scores, constraints walked best-first, why-not."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from shortlist.rank.constraints import Candidate, Constraints, FitOutcome
from shortlist.rank.profiles import Profile
from shortlist.rank.ranking import rank

GIB = 2**30


@dataclass(frozen=True)
class Bench:
    id: str
    n_items: int | None
    random_baseline: float
    scale: str = "fraction"


@dataclass(frozen=True)
class S:
    value: float
    stderr: float | None = None
    n: int | None = None
    source: str = "test"
    source_date: str = "2025-01-01"


BENCHES = {
    "ifeval": Bench("ifeval", 541, 0.0),
    "truthfulqa_mc2": Bench("truthfulqa_mc2", 817, 0.25),
    "mmlu_pro": Bench("mmlu_pro", 12032, 0.1),
    "lmarena_text": Bench("lmarena_text", None, 0.0, "elo"),
}

SCORES = {
    "big-70b": {"ifeval": S(0.90), "truthfulqa_mc2": S(0.70), "mmlu_pro": S(0.55)},
    "mid-14b": {"ifeval": S(0.80), "truthfulqa_mc2": S(0.60), "mmlu_pro": S(0.45)},
    "nc-8b": {"ifeval": S(0.82), "mmlu_pro": S(0.40)},
    "small-8b": {"ifeval": S(0.75), "truthfulqa_mc2": S(0.55), "mmlu_pro": S(0.35)},
    "tqa-only-7b": {"truthfulqa_mc2": S(0.66)},
    "merge-7b": {"ifeval": S(0.95), "truthfulqa_mc2": S(0.80), "mmlu_pro": S(0.50)},
    "tiny-1b": {"ifeval": S(0.50), "truthfulqa_mc2": S(0.40), "mmlu_pro": S(0.15)},
}


def _cand(name: str, params_b: float, cls: str = "commercial", **kw: object) -> Candidate:
    return Candidate(id=name, params_total=int(params_b * 1e9), architecture="LlamaForCausalLM",
                     license_id="x", license_label="x-license", license_class=cls, context=32768, **kw)


CANDS = [
    _cand("big-70b", 70),
    _cand("mid-14b", 14),
    _cand("nc-8b", 8, "non-commercial"),
    _cand("small-8b", 8),
    _cand("tqa-only-7b", 7),
    _cand("merge-7b", 7, is_merged=True),
    _cand("tiny-1b", 1.2, "needs-review"),
    _cand("unscored-3b", 3),
]


def fit_4bit(c: Candidate) -> FitOutcome:
    """A closed-form stand-in for the fit layer: 4-bit weights plus 1 GiB."""
    mem = int(c.params_total * 0.5 + GIB)
    return FitOutcome(fits=mem <= 24 * GIB, precision="int4", memory_total_bytes=mem, decode_tokens_per_s=50.0)


PROFILE = Profile(id="cs", name="cs", weights={"ifeval": 3, "truthfulqa_mc2": 2, "mmlu_pro": 1})
K = Constraints(license="commercial", device_label="RTX 4090", device_memory_bytes=24 * GIB)


def _run(profile: Profile = PROFILE, k: Constraints = K, top: int = 10):
    return rank(CANDS, lambda m: SCORES.get(m, {}), BENCHES, profile, k, fit_4bit, top=top)


def test_shortlist_respects_constraints_and_explains_exclusions() -> None:
    r = _run()
    names = [e.model for e in r.entries]
    assert "big-70b" not in names and "merge-7b" not in names and "nc-8b" not in names
    assert "tiny-1b" not in names  # unknown license is not commercial
    assert all(e.memory_total_bytes <= 24 * GIB for e in r.entries)
    why = {x.model: x for x in r.excluded}
    # 70e9 * 0.5 + 1 GiB = 35e9 + 2^30 bytes = 33.6 GiB
    assert why["big-70b"].reason == "needs 33.6 GiB at int4, RTX 4090 has 24 GiB"
    assert why["merge-7b"].kinds == ["community"]
    assert why["nc-8b"].reason == "license x-license is non-commercial, not commercial"
    assert r.unscored == 1


def test_missing_score_is_not_zero() -> None:
    r = _run()
    by = {e.model: e for e in r.entries}
    # tqa-only-7b has only TruthfulQA: (0.66 - 0.25) / 0.75 = 0.54667, coverage 2/6
    assert by["tqa-only-7b"].task_score == pytest.approx(0.41 / 0.75)
    assert by["tqa-only-7b"].coverage == pytest.approx(1 / 3)
    assert any(c.startswith("low coverage") for c in by["tqa-only-7b"].caveats)
    # mid-14b: (3*0.80 + 2*(0.35/0.75) + 1*(0.35/0.9)) / 6
    assert by["mid-14b"].task_score == pytest.approx((2.4 + 2 * 0.35 / 0.75 + 0.35 / 0.9) / 6)


@pytest.mark.parametrize("bench", ["ifeval", "truthfulqa_mc2", "mmlu_pro"])
def test_single_benchmark_weights_pick_the_best_passing_model(bench: str) -> None:
    r = _run(Profile(id="one", name="one", weights={bench: 1.0}))
    passing = {e.model for e in _run(Profile(id="all", name="all", weights={b: 1.0 for b in BENCHES}), top=99).entries}
    best = max((m for m in passing if bench in SCORES[m]), key=lambda m: SCORES[m][bench].value)
    assert r.entries[0].model == best


def test_options_widen_the_shortlist() -> None:
    wide = _run(k=Constraints(license="any", include_community=True, device_memory_bytes=24 * GIB))
    assert wide.entries[0].model == "merge-7b"
    assert any("merged model" in c for c in wide.entries[0].caveats)
    assert "tiny-1b" in {e.model for e in wide.entries}


def test_top_limits_and_marks_pareto() -> None:
    r = _run(top=2)
    assert [e.rank for e in r.entries] == [1, 2]
    assert r.entries[0].pareto  # the best score is always on the frontier
    assert r.entries[0].tier == 1 and r.entries[0].tie_note == "leader"
