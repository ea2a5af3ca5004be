"""The shortlist as one serialisable object: what the table, --json and the report all print."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 2


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True)
class ScoreUsed:
    benchmark: str
    value: float  # raw: 0..1 fraction, or an arena rating
    stderr: float  # on the raw scale
    stderr_basis: str  # "published", "binomial n=541", "assumed n=500"
    normalized: float
    source: str
    source_date: str | None = None
    setting: str | None = None  # protocol as the source states it
    maker_reported: bool = False  # the model's maker published it
    imputed: bool = False  # predicted from the model's other scores, not measured


@dataclass
class Entry:
    """One shortlisted model."""

    rank: int
    tier: int
    model: str
    params_total: int | None
    precision: str | None
    memory_total_bytes: int | None
    headroom_bytes: int | None
    fits: bool
    task_score: float
    task_score_stderr: float
    task_score_ci: tuple[float, float]
    coverage: float
    scores: dict[str, ScoreUsed]
    license: str | None
    license_class: str
    context: int | None
    decode_tokens_per_s: float | None
    approximate: bool
    arena_rating: float | None = None  # LMArena text rating when known, weighted or not
    pareto: bool = False
    p_vs_first: float = 1.0
    tie_note: str = ""
    caveats: list[str] = field(default_factory=list)
    imputed: list[str] = field(default_factory=list)  # benchmarks predicted, not measured
    access: str = "open-weights"  # or "api"
    maker: str | None = None
    release_date: str | None = None
    cost: Any = None  # constraints.Cost, when a price is known
    community: str | None = None  # why it is not a maker's release (only with --include-community)
    pareto_cost: bool = False  # on the task score vs cost-per-request frontier
    endpoint_cost: Any = None  # cheapest pay-per-token endpoint of these weights, when one is listed

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "tier": self.tier,
            "model": self.model,
            "params_total": self.params_total,
            "precision": self.precision,
            "memory_total_bytes": self.memory_total_bytes,
            "headroom_bytes": self.headroom_bytes,
            "fits": self.fits,
            "task_score": round(self.task_score, 6),
            "task_score_stderr": round(self.task_score_stderr, 6),
            "task_score_ci": [round(self.task_score_ci[0], 6), round(self.task_score_ci[1], 6)],
            "coverage": round(self.coverage, 4),
            "p_vs_first": round(self.p_vs_first, 6),
            "tie_note": self.tie_note,
            "scores": {
                b: {
                    "value": round(s.value, 6),
                    "stderr": round(s.stderr, 6),
                    "stderr_basis": s.stderr_basis,
                    "normalized": round(s.normalized, 6),
                    "source": s.source,
                    "source_date": s.source_date,
                    "setting": s.setting,
                    "maker_reported": bool(s.maker_reported),
                    "imputed": s.imputed,
                }
                for b, s in self.scores.items()
            },
            "imputed": list(self.imputed),
            "access": self.access,
            "maker": self.maker,
            "release_date": self.release_date,
            "community": self.community,
            "cost": None if self.cost is None else {
                "kind": self.cost.kind,
                "usd_per_mtok_in": _r(self.cost.usd_per_mtok_in, 4),
                "usd_per_mtok_out": _r(self.cost.usd_per_mtok_out, 4),
                "usd_per_request": _r(self.cost.usd_per_request, 6),
                "basis": self.cost.basis,
            },
            "pareto_cost": self.pareto_cost,
            "endpoint_cost": None if self.endpoint_cost is None else {
                "usd_per_mtok_in": _r(self.endpoint_cost.usd_per_mtok_in, 4),
                "usd_per_mtok_out": _r(self.endpoint_cost.usd_per_mtok_out, 4),
                "usd_per_request": _r(self.endpoint_cost.usd_per_request, 6),
                "basis": self.endpoint_cost.basis,
            },
            "license": self.license,
            "license_class": self.license_class,
            "context": self.context,
            "decode_tokens_per_s": None if self.decode_tokens_per_s is None else round(self.decode_tokens_per_s, 1),
            "approximate": self.approximate,
            "arena_rating": self.arena_rating,
            "pareto": self.pareto,
            "caveats": list(self.caveats),
        }


@dataclass
class Excluded:
    """A model that scored above the last shortlisted one but failed a constraint."""

    model: str
    task_score: float | None
    coverage: float | None
    reason: str  # the first (most decisive) failure
    reasons: list[str]
    kinds: list[str]
    params_total: int | None = None
    task_score_stderr: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "task_score": None if self.task_score is None else round(self.task_score, 6),
            "task_score_stderr": _r(self.task_score_stderr, 6),
            "coverage": None if self.coverage is None else round(self.coverage, 4),
            "params_total": self.params_total,
            "reason": self.reason,
            "reasons": list(self.reasons),
            "kinds": list(self.kinds),
        }


@dataclass
class Shortlist:
    task: str
    task_name: str
    profile_source: str
    weights: dict[str, float]
    reasons: dict[str, str]
    constraints: dict[str, Any]
    device: dict[str, Any]
    alpha: float
    entries: list[Entry]
    excluded: list[Excluded]
    excluded_total: int  # excluded models ranked above the last shortlisted one (excluded lists the strongest)
    excluded_by_kind: dict[str, int]
    candidates_scored: int
    candidates_unscored: int
    caveats: list[str] = field(default_factory=list)
    workload: dict[str, Any] = field(default_factory=dict)  # typical request: prompt/output tokens, basis
    method: dict[str, Any] = field(default_factory=dict)  # imputation model, thresholds, data dates

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "task": self.task,
            "task_name": self.task_name,
            "profile_source": self.profile_source,
            "weights": dict(self.weights),
            "weight_reasons": dict(self.reasons),
            "constraints": dict(self.constraints),
            "device": dict(self.device),
            "alpha": self.alpha,
            "shortlist": [e.to_dict() for e in self.entries],
            "excluded": [x.to_dict() for x in self.excluded],
            "excluded_total": self.excluded_total,
            "excluded_by_kind": dict(self.excluded_by_kind),
            "candidates_scored": self.candidates_scored,
            "candidates_unscored": self.candidates_unscored,
            "caveats": list(self.caveats),
            "workload": dict(self.workload),
            "method": dict(self.method),
        }
