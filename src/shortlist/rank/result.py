"""The shortlist as one typed, versioned model: what `pick --json`, the web app and the report all print.

docs/json-pick.md documents these fields; tests check that every field of these models is documented.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shortlist.rank.constraints import Cost

SCHEMA_VERSION = 2


class _Model(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (plain types), as the CLI prints it and the web app serves it."""
        return self.model_dump(mode="json")


class ScoreUsed(_Model):
    benchmark: str
    value: float  # raw: 0..1 fraction, or an arena rating
    stderr: float  # on the raw scale
    stderr_basis: str  # "published", "binomial n=541", "assumed n=500", "prediction interval (factor model)"
    normalized: float
    normalized_stderr: float = 0.0  # the error on the common scale (what the task score and charts use)
    source: str
    source_date: str | None = None
    setting: str | None = None  # protocol as the source states it
    maker_reported: bool = False  # the model's maker published it
    imputed: bool = False  # predicted from the model's other scores, not measured


class Preference(_Model):
    """A shortlisted model's rating in the user's own blind arena (human votes, Bradley–Terry)."""

    arena: str
    contestant: str  # its name in the arena
    rating: float  # Elo scale, the arena's field mean at 1000
    ci_low: float  # 95% interval
    ci_high: float
    stderr: float
    votes: int
    rank: int  # by rating, among the arena's rated contestants
    rank_ub: int  # 1 + contestants separated above it
    of: int  # rated contestants in the arena
    provisional: bool  # too few votes to trust the rating
    in_score: bool  # mixed into the task score (--arena-weight > 0)


class Entry(_Model):
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
    tier_test: str = "unpaired"  # how the tier test compared it: unpaired, or paired on the user's own runs
    caveats: list[str] = Field(default_factory=list)
    imputed: list[str] = Field(default_factory=list)  # benchmarks predicted, not measured
    access: str = "open-weights"  # or "api"
    maker: str | None = None
    release_date: str | None = None
    cost: Cost | None = None  # when a price is known
    community: str | None = None  # why it is not a maker's release (only with --include-community)
    pareto_cost: bool = False  # on the task score vs cost-per-request frontier
    endpoint_cost: Cost | None = None  # cheapest pay-per-token endpoint of these weights, when one is listed
    failed: list[str] = Field(default_factory=list)  # constraints it fails (only when models are named: --models)
    latency: Any = None  # fit.Latency of the typical request for one user: TTFT, per token, whole request
    preference: Preference | None = None  # its rating in your own arena (--arena)


class ArenaUse(_Model):
    """How pick used an arena (`--arena`)."""

    arena: str
    votes: int
    method: str
    weight: float  # --arena-weight; 0 = shown beside the score, not in it
    matched: dict[str, str]  # contestant -> candidate model
    unmatched: list[str]  # contestants that match no candidate (--arena-map to match them)
    not_shortlisted: list[str]  # matched contestants whose model is not on the shortlist
    others: list[Entry] = Field(default_factory=list)  # those contestants' entries, scored on their own
    unscored: list[str] = Field(default_factory=list)  # matched contestants with no task score (no evidence)
    disagreements: list[str]  # pairs the voters separate that the benchmark tiers tie or reverse
    notes: list[str] = Field(default_factory=list)


class Excluded(_Model):
    """A model that scored above the last shortlisted one but failed a constraint."""

    model: str
    task_score: float | None
    coverage: float | None
    reason: str  # the first (most decisive) failure
    reasons: list[str]
    kinds: list[str]
    params_total: int | None = None
    task_score_stderr: float | None = None


class Shortlist(_Model):
    """`shortlist pick`'s answer (schema in docs/json-pick.md)."""

    schema_version: int = SCHEMA_VERSION
    task: str
    task_name: str
    profile_source: str
    weights: dict[str, float]
    weight_reasons: dict[str, str] = Field(default_factory=dict)
    constraints: dict[str, Any]
    device: dict[str, Any]
    alpha: float
    shortlist: list[Entry] = Field(default_factory=list)
    excluded: list[Excluded] = Field(default_factory=list)
    excluded_total: int  # excluded models ranked above the last shortlisted one
    excluded_by_kind: dict[str, int]
    candidates_scored: int
    candidates_unscored: int
    caveats: list[str] = Field(default_factory=list)
    workload: dict[str, Any] = Field(default_factory=dict)  # typical request: prompt/output tokens, basis
    method: dict[str, Any] = Field(default_factory=dict)  # imputation model, thresholds
    arena: ArenaUse | None = None  # your own arena's ratings, when --arena is given

    @property
    def entries(self) -> list[Entry]:
        return self.shortlist

    @property
    def reasons(self) -> dict[str, str]:
        return self.weight_reasons
