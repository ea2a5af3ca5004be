"""Who takes part: catalog models and leaderboard-only rows as Candidates, and a cached fit check.

Leaderboard-only models have no architecture facts, so the fit layer approximates one from the
published size and architecture name; those answers are marked approximate. Fit results are cached
per (architecture, size to 3 significant digits): thousands of leaderboard fine-tunes share a
handful of base shapes, so `pick` over the whole v2 table needs only a few hundred estimates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from shortlist.errors import BadInput, ShortlistError
from shortlist.fit import DEFAULT_MIN_BITS, precisions_at_least
from shortlist.rank.constraints import Candidate, FitOutcome

_API_LICENSES = {"proprietary"}
FAR_OVER = 1.5  # weights alone at 1.5x the card's memory: out without an exact estimate
MIN_BITS = DEFAULT_MIN_BITS


def inference_precisions(min_bits: float) -> tuple[str, ...]:
    return precisions_at_least(min_bits)


def _sig3(n: int) -> int:
    if n <= 0:
        return n
    digits = 3 - math.floor(math.log10(n)) - 1
    return int(round(n, digits))


def _license_facts(raw: str | None, cache: dict[str | None, tuple[Any, ...]]) -> tuple[Any, ...]:
    """(id or None, label, class, conditions) for a license spelling; unknown spellings need review."""
    hit = cache.get(raw)
    if hit is not None:
        return hit
    from shortlist.catalog.licenses import get_license

    spec = get_license(raw)
    if spec.license_class == "needs-review":
        label = raw if raw and raw.strip() else "none given"
        facts: tuple[Any, ...] = (None, label, "needs-review", ())
    else:
        facts = (spec.id, spec.id, spec.license_class, tuple(spec.conditions))
    cache[raw] = facts
    return facts


def catalog_candidate(spec: Any, lic_cache: dict[str | None, tuple[Any, ...]]) -> Candidate:
    from shortlist.catalog.makers import maker_of_family

    lic_id, label, cls, conditions = _license_facts(spec.license, lic_cache)
    maker = maker_of_family(spec.family)
    return Candidate(
        id=spec.id,
        params_total=spec.params_total,
        architecture=spec.architecture,
        family=spec.family,
        license_id=lic_id,
        license_label=label,
        license_class=cls,
        license_conditions=conditions,
        context=spec.max_context,
        open_weights=bool(spec.open_weights) and lic_id not in _API_LICENSES,
        maker=maker.name if maker else None,
        release_date=str(spec.release_date) if spec.release_date else None,
        kind=spec.kind,
        spec=spec,
    )


def hosted_candidate(h: Any, lic_cache: dict[str | None, tuple[Any, ...]]) -> Candidate:
    """An API-only model: no weights to fit; its context and price come from the hosted table."""
    lic_id, label, cls, conditions = _license_facts(h.license, lic_cache)
    return Candidate(
        id=h.id, params_total=None, architecture=None, family=None, license_id=lic_id, license_label=label,
        license_class=cls, license_conditions=conditions, context=h.context, open_weights=False, api=True,
        maker=h.maker, release_date=str(h.release_date) if h.release_date else None, kind=h.kind, hosted=h,
    )


_POST_TRAINED = re.compile(r"(instruct|chat|[-_]it\b|[-_]it[-_]|rlhf|dpo|sft|assistant)", re.IGNORECASE)
_BASE = re.compile(r"([-_]base\b|[-_]pt\b|pretrain)", re.IGNORECASE)


def kind_from_name(name: str) -> str | None:
    """What a leaderboard-only repo name says about its training stage: instruct, base, or None (unknown)."""
    short = name.split("/")[-1]
    if _POST_TRAINED.search(short):
        return "instruct"
    if _BASE.search(short):
        return "base"
    return None


def leaderboard_candidate(name: str, lb: Any, lic_cache: dict[str | None, tuple[Any, ...]]) -> Candidate:
    """A row known only from a leaderboard (lb is a LeaderboardModel, or None for a bare score name)."""
    raw_license = getattr(lb, "license", None)
    lic_id, label, cls, conditions = _license_facts(raw_license, lic_cache)
    from shortlist.catalog.makers import community_reason

    params_b = getattr(lb, "params_b", None)
    params = int(params_b * 1e9) if params_b and params_b > 0 else None
    community = community_reason(name, bool(getattr(lb, "is_official", False)),
                                 bool(getattr(lb, "is_merged", False)), bool(getattr(lb, "is_flagged", False)))
    return Candidate(
        id=name,
        kind=kind_from_name(name),
        params_total=params,
        architecture=getattr(lb, "architecture", None) or None,
        family=None,
        license_id=lic_id,
        license_label=label,
        license_class=cls,
        license_conditions=conditions,
        context=None,
        open_weights=lic_id not in _API_LICENSES,
        is_merged=bool(getattr(lb, "is_merged", False)),
        is_flagged=bool(getattr(lb, "is_flagged", False)),
        approximate=True,
        community=community,
    )


def build_candidates(table: Any, models: Iterable[Any], hosted: Iterable[Any] = ()) -> list[Candidate]:
    """Every catalog model, every API-only hosted model, plus every scored name neither knows."""
    lic_cache: dict[str | None, tuple[Any, ...]] = {}
    out: list[Candidate] = []
    known: set[str] = set()
    for spec in models:
        out.append(catalog_candidate(spec, lic_cache))
        known.add(spec.id)
    for h in hosted:
        if h.access == "api" and h.id not in known:
            out.append(hosted_candidate(h, lic_cache))
            known.add(h.id)
    lb_models = table.leaderboard_models()
    for name in table.models():
        if name not in known:
            out.append(leaderboard_candidate(name, lb_models.get(name), lic_cache))
            known.add(name)
    return out


class Fitter:
    """shortlist.fit's best_fit for each candidate, cached by shape; errors become reasons, not crashes."""

    def __init__(
        self, gpu: Any, gpus: int, mode: str, context: int, free_memory_bytes: int | None = None,
        min_bits: float = MIN_BITS,
    ) -> None:
        self.gpu, self.gpus, self.mode, self.context = gpu, gpus, mode, context
        self.free_memory_bytes = free_memory_bytes
        self.precisions = inference_precisions(min_bits) if mode == "inference" else None
        if self.precisions == ():
            raise BadInput(f"no precision has at least {min_bits:g} bits per weight", "use --min-bits 16 or lower")
        self._cache: dict[Any, FitOutcome] = {}
        self._serving: dict[Any, tuple[int, float, float]] = {}
        self._latency: dict[Any, Any] = {}
        self.calls = 0

    def _request(self, spec: Any, context: int) -> Any:
        from shortlist.fit import FitRequest

        return FitRequest(model=spec, gpu=self.gpu, gpus=self.gpus, context=context, mode=self.mode,
                          free_memory_bytes=self.free_memory_bytes)

    def _best(self, req: Any) -> Any:
        """best_fit, but a model that misses even at the smallest allowed precision costs one estimate."""
        from shortlist.fit import best_fit, estimate

        if self.precisions:
            smallest = self.precisions[-1]  # the quality order ends with the smallest format (iq4_xs at 4 bits)
            self.calls += 1
            probe = estimate(req.model_copy(update={"precision": smallest}))
            if not probe.fits:
                return probe
        self.calls += 1
        return best_fit(req, precisions=self.precisions)

    def _far_too_big(self, spec: Any, approximate: bool) -> FitOutcome | None:
        """A cheap answer for models whose weights alone, at the smallest allowed format, are far over budget.

        Such a model cannot fit whatever the exact per-tensor count says; the sentence then gives the weights'
        lower bound ("needs >= ...") instead of paying for an exact estimate of a model that is out anyway.
        """
        if not self.precisions:
            return None
        from shortlist.fit.formats import get_format

        smallest = self.precisions[-1]
        budget = self.gpu.usable_bytes if self.free_memory_bytes is None else min(
            self.gpu.usable_bytes, self.free_memory_bytes)
        weights = int(spec.params_total * get_format(smallest).nominal_bytes * 0.85 / self.gpus)
        if weights <= FAR_OVER * budget:
            return None
        return FitOutcome(False, smallest, weights, approximate=approximate, lower_bound=True)

    def _outcome(self, spec: Any, context: int, approximate: bool) -> FitOutcome:
        far = self._far_too_big(spec, approximate)
        if far is not None:
            return far
        try:
            res = self._best(self._request(spec, context))
        except ShortlistError as exc:
            return FitOutcome(False, None, None, approximate=approximate, detail=f"cannot estimate memory: {exc}")
        return FitOutcome(
            fits=bool(res.fits),
            precision=res.precision,
            memory_total_bytes=int(res.memory.total_bytes),
            headroom_bytes=None if res.headroom_bytes is None else int(res.headroom_bytes),
            max_context=res.max_context,
            decode_tokens_per_s=res.decode_tokens_per_s,
            approximate=approximate,
        )

    def serving(self, c: Candidate, precision: str, sequence_tokens: int) -> tuple[int, float, float]:
        """(batch, aggregate decode tok/s, prefill tok/s) serving requests of sequence_tokens on this hardware."""
        from shortlist.fit import serving_estimate

        key = ("serving", c.id, precision, sequence_tokens)
        if key not in self._serving:
            try:
                self._serving[key] = serving_estimate(self._request(c.spec, sequence_tokens).model_copy(
                    update={"precision": precision}), sequence_tokens)
            except ShortlistError:
                self._serving[key] = (0, 0.0, 0.0)
        return self._serving[key]

    def latency(self, c: Candidate, precision: str, prompt_tokens: int, output_tokens: int) -> Any:
        """What one user of c feels here (shortlist.fit.Latency: TTFT, per token, whole request, band and basis):
        a stored `shortlist measure` run of this model on this device when there is one, else the estimate.
        None when it does not fit or has no weights to fit."""
        from shortlist.fit import estimate, measured_for

        key = (c.id, precision, prompt_tokens, output_tokens)
        if key not in self._latency:
            result = None
            if c.spec is not None:
                try:
                    req = self._request(c.spec, min(prompt_tokens + output_tokens, c.spec.max_context))
                    result = measured_for(estimate(req.model_copy(update={
                        "precision": precision, "prompt_tokens": prompt_tokens, "output_tokens": output_tokens})))
                except ShortlistError:
                    result = None
            self._latency[key] = result.latency if result is not None else None
        return self._latency[key]

    def __call__(self, c: Candidate) -> FitOutcome:
        if c.spec is not None:
            key: Any = ("catalog", c.id)
            if key not in self._cache:
                context = min(self.context, c.context or self.context)  # too-short contexts are a separate reason
                self._cache[key] = self._outcome(c.spec, context, approximate=False)
            return self._cache[key]
        if c.params_total is None:
            return FitOutcome(False, None, None, approximate=True,
                              detail="parameter count unknown, cannot check that it fits")
        key = ("approx", c.architecture, _sig3(c.params_total))
        if key not in self._cache:
            from shortlist.fit import approximate_spec

            try:
                spec = approximate_spec(key[2], c.architecture, c.id)
            except (BadInput, ValueError) as exc:
                self._cache[key] = FitOutcome(False, None, None, approximate=True,
                                              detail=f"cannot approximate {c.architecture}: {exc}")
            else:
                self._cache[key] = self._outcome(spec, self.context, approximate=True)
        return self._cache[key]
