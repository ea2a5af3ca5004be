"""Each constraint either passes a model or says, in one sentence, why it does not.

The checks are pure functions over a Candidate (plain facts about one model) and the user's
Constraints, plus a FitOutcome from the fit layer. Sentences name the number that failed and the
option that would change the outcome, e.g. "needs 41.3 GiB at int4, RTX 4090 has 24 GiB".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shortlist.names import normalize

LICENSE_USES = ("commercial", "non-commercial", "research", "any")
# Which license classes permit each intended use (a commercial license also permits research use).
_PERMITS: dict[str, frozenset[str]] = {
    "commercial": frozenset({"commercial"}),
    "non-commercial": frozenset({"commercial", "non-commercial"}),
    "research": frozenset({"commercial", "non-commercial", "research"}),
    "any": frozenset({"commercial", "non-commercial", "research", "needs-review"}),
}
MODES = ("inference", "lora", "qlora", "full")


@dataclass(frozen=True)
class Candidate:
    """What ranking needs to know about one model, from the catalog or a leaderboard row."""

    id: str  # catalog id, or the leaderboard's repo id
    params_total: int | None
    architecture: str | None
    family: str | None = None
    license_id: str | None = None  # registry id ("apache-2.0"); None when unknown
    license_label: str | None = None  # as shown to the user: id, or the raw spelling when unrecognised
    license_class: str = "needs-review"  # commercial | non-commercial | research | needs-review
    license_conditions: tuple[str, ...] = ()
    context: int | None = None  # max context in tokens; None = unknown (leaderboard-only)
    open_weights: bool = True
    is_merged: bool = False
    is_flagged: bool = False
    approximate: bool = False  # architecture approximated from size (leaderboard-only model)
    community: str | None = None  # why this is not a maker's own release (None: it is)
    api: bool = False  # served only behind a hosted API (no weights to fit)
    maker: str | None = None
    release_date: str | None = None
    kind: str | None = None  # base | instruct | reasoning; None when a leaderboard does not say
    spec: Any = field(default=None, compare=False, repr=False)  # catalog ModelSpec, when known
    hosted: Any = field(default=None, compare=False, repr=False)  # HostedModel, for API-only models


@dataclass(frozen=True)
class FitOutcome:
    """The fit layer's answer for one model on the chosen hardware."""

    fits: bool
    precision: str | None
    memory_total_bytes: int | None
    headroom_bytes: int | None = None
    max_context: int | None = None
    decode_tokens_per_s: float | None = None
    approximate: bool = False
    detail: str | None = None  # why no estimate could be made
    lower_bound: bool = False  # memory_total_bytes is only the weights' lower bound (far over budget anyway)


@dataclass(frozen=True)
class Cost:
    """What serving the model costs: a hosted list price, or rented cards divided by throughput."""

    kind: str  # "api" | "self-hosted" | "endpoint" (an open model's pay-per-token endpoint)
    usd_per_mtok_in: float | None
    usd_per_mtok_out: float | None
    usd_per_request: float | None  # the profile's typical request (prompt + output tokens)
    basis: str


@dataclass(frozen=True)
class Constraints:
    license: str = "any"
    allow_unknown_license: bool = False
    min_context: int | None = None
    include_api: bool = False
    include_community: bool = False
    include_base: bool = False
    max_params_b: float | None = None
    family: str | None = None
    min_coverage: float = 0.0
    max_cost_per_mtok: float | None = None
    mode: str = "inference"
    context: int = 4096
    gpus: int = 1
    device_label: str = "GPU"  # e.g. "RTX 4090" or "2x RTX 4090"
    device_memory_bytes: int | None = None  # what the fit was checked against, for the sentence


@dataclass(frozen=True)
class Failure:
    kind: str  # fit | size | license | context | api | cost | params | family | base | community | evidence | coverage
    reason: str


def gib(n: float) -> str:
    text = f"{n / 2**30:.1f}"
    return f"{text.removesuffix('.0')} GiB"


def _license(c: Candidate, k: Constraints) -> Failure | None:
    if c.license_class == "needs-review":
        if k.license == "any" or k.allow_unknown_license:
            return None
        label = "no license given" if c.license_label in (None, "none given") else f"license '{c.license_label}'"
        return Failure("license", f"{label}: class unknown, needs review (--allow-unknown-license to include)")
    if c.license_class in _PERMITS[k.license]:
        return None
    return Failure("license", f"license {c.license_label or c.license_id} is {c.license_class}, not {k.license}")


def static_failures(c: Candidate, k: Constraints) -> list[Failure]:
    """Every constraint that needs no memory estimate, most informative first."""
    out: list[Failure] = []
    if not c.open_weights and not k.include_api:
        out.append(Failure("api", "API-only model, no open weights (--include-api to include)"))
    community = community_of(c)
    if community and not k.include_community:
        out.append(Failure("community", f"{community}, not the maker's release (--include-community to include)"))
    lic = _license(c, k)
    if lic:
        out.append(lic)
    if k.min_context:
        if c.context is None:
            why = f"context length unknown, --min-context {k.min_context:,} cannot be confirmed"
            out.append(Failure("context", why))
        elif c.context < k.min_context:
            out.append(Failure("context", f"context {c.context:,} tokens < --min-context {k.min_context:,}"))
    if k.max_params_b is not None and c.params_total is not None and c.params_total > k.max_params_b * 1e9:
        out.append(Failure("params", f"{c.params_total / 1e9:.1f}B params > --max-params {k.max_params_b:g}B"))
    if k.family and not _in_family(c, k.family):
        out.append(Failure("family", f"family {c.family or 'unknown'} is not {k.family}"))
    if c.kind == "base" and k.mode == "inference" and not k.include_base:
        out.append(Failure("base", "base model, not instruction-tuned: a starting point for --mode lora/qlora/full, "
                                   "not for serving as is (--include-base to include)"))
    return out


def cost_failure(cost: Cost | None, k: Constraints) -> Failure | None:
    if k.max_cost_per_mtok is None:
        return None
    if cost is None or cost.usd_per_mtok_out is None:
        return Failure("cost", f"cost unknown, --max-cost-per-mtok {k.max_cost_per_mtok:g} cannot be confirmed "
                               "(give --gpu-price)")
    if cost.usd_per_mtok_out > k.max_cost_per_mtok:
        return Failure("cost", f"${cost.usd_per_mtok_out:.2f} per 1M output tokens ({cost.kind}) > "
                               f"--max-cost-per-mtok {k.max_cost_per_mtok:g}")
    return None


def community_of(c: Candidate) -> str | None:
    """Why a candidate is not a maker's own release; merged and flagged rows always count."""
    if c.community:
        return c.community
    if c.is_flagged:
        return "flagged on the leaderboard"
    if c.is_merged:
        return "merged model"
    return None


def _in_family(c: Candidate, family: str) -> bool:
    """Catalog models by their family; leaderboard rows when the family name is part of the repo name."""
    wanted = normalize(family)
    if c.family is not None:
        return normalize(c.family) == wanted
    return wanted in normalize(c.id)


def fit_failure(c: Candidate, fit: FitOutcome, k: Constraints) -> Failure | None:
    if fit.fits:
        if c.context is not None and c.context < k.context:
            return Failure("context", f"context {c.context:,} tokens < --context {k.context:,}")
        return None
    if fit.memory_total_bytes is None:
        return Failure("size", fit.detail or "size unknown, cannot check that it fits")
    have = f", {k.device_label} has {gib(k.device_memory_bytes)}" if k.device_memory_bytes else ""
    mode = "" if k.mode == "inference" else f" for {k.mode}"
    at_least = ">= " if fit.lower_bound else ""
    return Failure("fit", f"needs {at_least}{gib(fit.memory_total_bytes)} at {fit.precision}{mode}{have}")


def order(failures: list[Failure]) -> list[Failure]:
    """Hardware first: it is the constraint users can least negotiate, then license, then the rest; an unknown
    size (a data gap, not a hardware limit) and thin evidence come last."""
    rank = {"fit": 0, "license": 1, "context": 2, "api": 3, "cost": 4, "params": 5, "family": 6,
            "base": 7, "community": 8, "size": 9, "evidence": 10, "coverage": 11}
    return sorted(failures, key=lambda f: rank.get(f.kind, 99))
