"""The ranking core over plain inputs: task scores on equal footing, constraints walked best-first, tiers.

Every candidate is scored first (point estimates only; cheap, vectorised when a factor model predicts the
benchmarks a model lacks), then walked from the best task score down. Full scores with errors,
constraints, the memory fit and the cost are computed only for the models the walk reaches; the walk stops
once `top` models pass. Every excluded model it passes on the way scored above the last shortlisted one,
which is what "why not" needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from shortlist.rank.constraints import (
    Candidate,
    Constraints,
    Cost,
    Failure,
    FitOutcome,
    community_of,
    cost_failure,
    fit_failure,
    order,
    static_failures,
)
from shortlist.rank.evidence import BenchmarkLike, ScoreLike, constants, evidence_of, fast_pair, normalized_pair
from shortlist.rank.impute import FactorModel, Observation
from shortlist.rank.noise import DEFAULT_ALPHA, TaskScore, assign_tiers, imputed_task_score, raw_stderr
from shortlist.rank.normalize import normalize, normalize_stderr
from shortlist.rank.pareto import pareto_flags
from shortlist.rank.profiles import Profile
from shortlist.rank.result import Entry, Excluded, ScoreUsed

LOW_COVERAGE = 0.5
# Raw scores at which a benchmark is near its ceiling: differences there are mostly noise and
# contamination (test items seen in training) becomes the likelier explanation of a top score.
SATURATION = {"gsm8k": 0.90, "mmlu": 0.85, "hellaswag": 0.90, "arc_challenge": 0.90, "winogrande": 0.90,
              "math_500": 0.95, "humaneval": 0.92}
FULL_REASONS = 40  # the strongest excluded models get every failed constraint, fit included
# Filters of policy rather than hardware or license: models failing only these skip the memory estimate.
POLICY_KINDS = frozenset({"community", "api", "coverage", "evidence", "base"})
# Too little evidence to predict from: fewer measured benchmarks than this (among those the factor model
# knows), or a task score whose standard error exceeds MAX_TASK_STDERR (normalised) once predicted.
MIN_EVIDENCE = 2
MAX_TASK_STDERR = 0.08

FitFn = Callable[[Candidate], FitOutcome]
CostFn = Callable[[Candidate, FitOutcome | None], Cost | None]


@dataclass
class Ranked:
    entries: list[Entry]
    excluded: list[Excluded]
    scored: int
    unscored: int


def score_parts(
    scores: Mapping[str, ScoreLike], weights: Mapping[str, float], benchmarks: Mapping[str, BenchmarkLike]
) -> tuple[dict[str, tuple[float, float]], dict[str, ScoreUsed]]:
    """Normalised (value, stderr) per weighted benchmark the model has, plus what was used."""
    parts: dict[str, tuple[float, float]] = {}
    used: dict[str, ScoreUsed] = {}
    for bench, w in weights.items():
        s = scores.get(bench)
        spec = benchmarks.get(bench)
        if s is None or spec is None or w <= 0:
            continue
        e = evidence_of(s, spec)
        parts[bench] = (e.normalized, e.normalized_stderr)
        used[bench] = ScoreUsed(benchmark=bench, value=s.value, stderr=e.raw_stderr, stderr_basis=e.stderr_basis,
                                normalized=e.normalized, normalized_stderr=e.normalized_stderr, source=s.source,
                                source_date=e.source_date,
                                setting=e.setting, maker_reported=e.maker_reported)
    return parts, used


def _imputed_used(ts: TaskScore, benchmarks: Mapping[str, BenchmarkLike]) -> dict[str, ScoreUsed]:
    out: dict[str, ScoreUsed] = {}
    for bench, mean, sd in ts.imputed:
        spec = benchmarks[bench]
        raw = _denormalize(mean, spec)
        raw_sd = abs(_denormalize(mean + sd, spec) - raw)
        out[bench] = ScoreUsed(benchmark=bench, value=raw, stderr=raw_sd,
                               stderr_basis="prediction interval (factor model)", normalized=mean,
                               normalized_stderr=sd,
                               source="predicted from this model's other scores", imputed=True)
    return out


def _normalized_bounds(spec: BenchmarkLike) -> tuple[float, float]:
    if spec.scale == "elo":
        return -math.inf, math.inf
    return normalize(0.0, spec.scale, spec.random_baseline), 1.0


def _denormalize(value: float, spec: BenchmarkLike) -> float:
    """The raw score that normalises to `value` (inverse of rank.normalize)."""
    if spec.scale == "elo":
        ref = getattr(spec, "reference_rating", None) or 1200.0
        p = min(max(value, 1e-6), 1 - 1e-6)
        return ref + 400.0 * math.log10(p / (1.0 - p))
    return spec.random_baseline + value * (1.0 - spec.random_baseline)


class Scorer:
    """Task scores for candidates, with the factor model filling benchmarks a model lacks (when given)."""

    def __init__(self, scores_of: Callable[[str], Mapping[str, ScoreLike]], benchmarks: Mapping[str, BenchmarkLike],
                 profile: Profile, model: FactorModel | None,
                 rows_of: Callable[[str], Mapping[str, tuple]] | None = None,
                 covariates_of: Callable[[Candidate], list[float]] | None = None) -> None:
        self.scores_of, self.benchmarks, self.profile, self.model = scores_of, benchmarks, profile, model
        self.covariates_of = covariates_of  # the factor model's known facts about a candidate (reasoning or not)
        self.rows_of = rows_of  # ScoreTable.raw: the same scores as stored tuples, for the ordering pass
        self.consts = {b: constants(spec) for b, spec in benchmarks.items()}
        self.weights = {b: w for b, w in profile.weights.items() if w > 0 and b in benchmarks}
        self.known = frozenset(model.benchmarks) if model else frozenset()
        # A prediction cannot leave the benchmark's scale: fractions stay within 0..1 raw.
        self.bounds = {b: _normalized_bounds(spec) for b, spec in benchmarks.items()}

    def clip(self, bench: str, value: float) -> float:
        lo, hi = self.bounds.get(bench, (-math.inf, math.inf))
        return min(max(value, lo), hi)

    def observations(self, scores: Mapping[str, ScoreLike]) -> dict[str, tuple[float, float]]:
        """Every registry benchmark of one model as (normalised value, stderr)."""
        out = {}
        for bench, s in scores.items():
            spec = self.benchmarks.get(bench)
            if spec is not None:
                out[bench] = normalized_pair(s, spec)
        return out

    def fast_observations(self, model: str) -> dict[str, tuple[float, float]]:
        """observations() from stored tuples (value, stderr, n at 2..4; maker_reported last)."""
        if self.rows_of is None:
            return self.observations(self.scores_of(model))
        consts = self.consts
        out = {}
        for bench, row in self.rows_of(model).items():
            c = consts.get(bench)
            if c is not None:
                out[bench] = fast_pair(row[2], row[3], row[4], bool(row[-1]), c)
        return out

    def points(self, candidates: list[Candidate]) -> list[tuple[float, float, Candidate]]:
        """(point estimate, measured weight, candidate) for every candidate with any usable evidence."""
        obs = [self.fast_observations(c.id) for c in candidates]
        pred = None
        if self.model is not None and candidates:
            cols = {b: i for i, b in enumerate(self.model.benchmarks)}
            y = np.full((len(candidates), len(cols)), np.nan)
            s = np.full_like(y, np.nan)
            for r, o in enumerate(obs):
                for b, (v, e) in o.items():
                    i = cols.get(b)
                    if i is not None:
                        y[r, i], s[r, i] = v, e
            has = (~np.isnan(y)).sum(axis=1)
            x = np.array([self.covariates_of(c) for c in candidates]) if self.covariates_of else None
            mean, _ = self.model.predict_batch(y, s, x)
            pred = (cols, mean, has)
        out = []
        for r, (c, o) in enumerate(zip(candidates, obs, strict=True)):
            num = den = measured = 0.0
            for bench, w in self.weights.items():
                if bench in o:
                    num += w * o[bench][0]
                    den += w
                    measured += w
                elif pred is not None and bench in pred[0] and pred[2][r] > 0:
                    num += w * self.clip(bench, float(pred[1][r, pred[0][bench]]))
                    den += w
            if den > 0 and (measured > 0 or (pred is not None and pred[2][r] > 0)):
                out.append((num / den, measured, c))
        return out

    def full(self, scores: Mapping[str, ScoreLike], c: Candidate | None = None) -> tuple[
            TaskScore | None, dict[str, ScoreUsed], int]:
        """The task score with its error, the scores shown for it, and how many benchmarks the model has."""
        x = self.covariates_of(c) if (self.covariates_of and c is not None) else None
        parts, used = score_parts(scores, self.weights, self.benchmarks)
        obs = self.observations(scores)
        known = [b for b in obs if b in self.known]
        predict = None
        if self.model is not None and known:
            model = self.model
            observed = {b: Observation(*obs[b]) for b in known}

            def predict(targets: list[str]) -> tuple[list[float], list[list[float]]]:
                pr = model.predict(observed, targets, x)
                return [self.clip(t, float(m)) for t, m in zip(targets, pr.mean, strict=True)], pr.cov.tolist()

        ts = imputed_task_score(parts, self.weights, predict, self.known)
        if ts is not None:
            used.update(_imputed_used(ts, self.benchmarks))
        return ts, used, len(known)


def _caveats(
    c: Candidate, ts: TaskScore, used: Mapping[str, ScoreUsed], fit: FitOutcome | None, low_coverage: float
) -> list[str]:
    out: list[str] = []
    if ts.imputed:
        names = ", ".join(b for b, _, _ in ts.imputed)
        out.append(f"predicted, not measured: {names} ({1 - ts.coverage:.0%} of the weight, from its other scores)")
    elif ts.coverage < low_coverage:
        out.append(
            f"low coverage: {len(ts.used)} of {len(ts.used) + len(ts.missing)} benchmarks "
            f"({ts.coverage:.0%} of the weight); missing {', '.join(ts.missing)}"
        )
    if ts.missing and ts.imputed:
        out.append(f"no evidence and no prediction for {', '.join(ts.missing)}; left out of the score")
    makers = sorted(b for b, s in used.items() if s.maker_reported)
    if makers:
        out.append(f"maker-reported (not independently measured): {', '.join(makers)}")
    for bench, limit in SATURATION.items():
        s = used.get(bench)
        if s is not None and not s.imputed and s.value >= limit:
            out.append(f"{bench} {s.value:.2f} is near saturation: possible contamination, differences are noise")
    community = community_of(c)
    if community:
        out.append(f"community model: {community}; merges can inherit contamination from their parents"
                   if c.is_merged else f"community model: {community}")
    if c.approximate or (fit is not None and fit.approximate):
        out.append("memory from an approximate architecture (leaderboard-only model, size from the leaderboard)")
    if c.license_conditions:
        out.append("license conditions: " + "; ".join(c.license_conditions))
    if c.license_class == "needs-review":
        out.append(f"license {c.license_label or 'unknown'} needs review before use")
    return out


def _exclusion(c: Candidate, score: float | None, coverage: float | None, failures: list[Failure],
               stderr: float | None = None) -> Excluded:
    ordered = order(failures)
    return Excluded(
        model=c.id,
        task_score=score,
        coverage=coverage,
        reason=ordered[0].reason,
        reasons=[f.reason for f in ordered],
        kinds=[f.kind for f in ordered],
        params_total=c.params_total,
        task_score_stderr=stderr,
    )


def _evidence_failure(ts: TaskScore, n_known: int, min_coverage: float, imputing: bool) -> Failure | None:
    if not imputing:
        if ts.coverage < min_coverage:
            return Failure("coverage", f"thin evidence: scores for {ts.coverage:.0%} of the weight, under "
                                       f"{min_coverage:.0%} (--min-coverage 0 to rank it)")
        return None
    if ts.coverage < min_coverage:
        return Failure("coverage", f"measured share {ts.coverage:.0%} of the weight, under --min-coverage "
                                   f"{min_coverage:.0%}")
    if ts.imputed and n_known < MIN_EVIDENCE:
        return Failure("evidence", f"too little evidence: {n_known} benchmark(s) to predict "
                                   f"{len(ts.imputed)} from (needs {MIN_EVIDENCE})")
    if ts.stderr > MAX_TASK_STDERR:
        return Failure("evidence", f"too little evidence: task score uncertain by ±{1.96 * ts.stderr * 100:.1f} "
                                   f"points once predicted (limit ±{1.96 * MAX_TASK_STDERR * 100:.1f})")
    return None


def rank(
    candidates: Iterable[Candidate],
    scores_of: Callable[[str], Mapping[str, ScoreLike]],
    benchmarks: Mapping[str, BenchmarkLike],
    profile: Profile,
    constraints: Constraints,
    fit_fn: FitFn,
    top: int = 10,
    alpha: float = DEFAULT_ALPHA,
    low_coverage: float = LOW_COVERAGE,
    factor_model: FactorModel | None = None,
    cost_fn: CostFn | None = None,
    rows_of: Callable[[str], Mapping[str, tuple]] | None = None,
    covariates_of: Callable[[Candidate], list[float]] | None = None,
    keep_failing: bool = False,
) -> Ranked:
    """Shortlist the `top` best-scoring candidates that pass; low_coverage is where the caveat starts.

    With a factor model every candidate is scored on the whole profile (missing benchmarks predicted);
    without one the score averages the measured benchmarks only, as shortlist 0.1 did.
    """
    cands = list(candidates)
    scorer = Scorer(scores_of, benchmarks, profile, factor_model, rows_of, covariates_of)
    points = _cached_points(scorer, cands, scores_of)
    unscored = len(cands) - len(points)
    points.sort(key=lambda t: (-t[0], -t[1], t[2].id))

    entries: list[Entry] = []
    excluded: list[Excluded] = []
    for point, measured, c in points:
        if len(entries) >= top:
            break
        failures = static_failures(c, constraints)
        if len(excluded) >= FULL_REASONS and any(f.kind in POLICY_KINDS for f in failures):
            # Far down a long list of policy exclusions (thousands of community rows after a leaderboard
            # import): the point estimate is enough to say where it stood.
            total = sum(scorer.weights.values())
            excluded.append(_exclusion(c, point, measured / total if total else None, failures))
            continue
        scores = scores_of(c.id)
        ts, used, n_known = scorer.full(scores, c)
        if ts is None:
            continue
        thin = _evidence_failure(ts, n_known, constraints.min_coverage, factor_model is not None)
        if thin:
            failures.append(thin)
        fit: FitOutcome | None = None
        policy = any(f.kind in POLICY_KINDS for f in failures)
        if c.open_weights and not c.api and (not policy or len(excluded) < FULL_REASONS):
            fit = fit_fn(c)
            bad = fit_failure(c, fit, constraints)
            if bad:
                failures.append(bad)
        elif c.api and c.context is not None and c.context < constraints.context:
            failures.append(Failure("context", f"context {c.context:,} tokens < --context {constraints.context:,}"))
        cost = None
        if cost_fn is not None and not failures:
            cost = cost_fn(c, fit)
            bad_cost = cost_failure(cost, constraints)
            if bad_cost:
                failures.append(bad_cost)
        if failures and not keep_failing:
            excluded.append(_exclusion(c, ts.score, ts.coverage, failures, ts.stderr))
            continue
        entries.append(
            Entry(
                rank=len(entries) + 1,
                tier=1,
                model=c.id,
                params_total=c.params_total,
                precision=fit.precision if fit else None,
                memory_total_bytes=fit.memory_total_bytes if fit else None,
                headroom_bytes=fit.headroom_bytes if fit else None,
                fits=fit.fits if fit else True,
                task_score=ts.score,
                task_score_stderr=ts.stderr,
                task_score_ci=ts.ci(alpha),
                coverage=ts.coverage,
                scores=used,
                license=c.license_label or c.license_id,
                license_class=c.license_class,
                context=c.context,
                decode_tokens_per_s=fit.decode_tokens_per_s if fit else None,
                approximate=c.approximate or bool(fit and fit.approximate),
                arena_rating=getattr(scores.get("lmarena_text"), "value", None),
                caveats=_caveats(c, ts, used, fit, low_coverage),
                imputed=[b for b, _, _ in ts.imputed],
                access="api" if c.api else "open-weights",
                maker=c.maker,
                release_date=c.release_date,
                cost=cost,
                community=community_of(c),
                failed=[f.reason for f in order(failures)],
            )
        )
    mark_tiers(entries, alpha)
    for e, on in zip(entries, pareto_flags([(e.task_score, e.memory_total_bytes) for e in entries]), strict=True):
        e.pareto = on
    costs = [(e.task_score, e.cost.usd_per_request if e.cost else None) for e in entries]
    for e, on in zip(entries, pareto_flags(costs), strict=True):
        e.pareto_cost = on
    return Ranked(entries, excluded, scored=len(points), unscored=unscored)


_POINTS: dict[tuple[Any, ...], tuple[tuple[Any, ...], list[tuple[float, float, Candidate]]]] = {}


def _cached_points(scorer: Scorer, cands: list[Candidate], scores_of: Any) -> list[tuple[float, float, Candidate]]:
    """The ordering pass depends on the scores, the profile and the factor model, not on the hardware: a process
    asked many questions (the web app) computes it once per profile. The cache holds the very objects it was
    computed from and checks their identity, so a new table that happens to reuse an old one's id never hits."""
    owner = getattr(scores_of, "__self__", None)
    if owner is None:
        return scorer.points(cands)
    refs = (owner, scorer.model, cands)
    key = (id(owner), tuple(sorted(scorer.weights.items())), id(scorer.model), id(cands))
    hit = _POINTS.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], refs, strict=True)):
        return list(hit[1])
    if len(_POINTS) >= 32:
        _POINTS.clear()
    points = scorer.points(cands)
    _POINTS[key] = (refs, points)
    return list(points)


def mark_tiers(entries: list[Entry], alpha: float,
               diff_se: Callable[[Entry, Entry], tuple[float, str | None]] | None = None) -> None:
    """Tier, p-value against #1 and the words, best first; diff_se pairs models with own runs on shared items."""
    pair = (lambda i, j: diff_se(entries[i], entries[j])) if diff_se else None
    marks = assign_tiers([(e.task_score, e.task_score_stderr) for e in entries], alpha, pair)
    for e, m in zip(entries, marks, strict=True):
        e.tier, e.p_vs_first, e.tier_test = m.tier, m.p_vs_first, m.test
        if e.rank == 1:
            e.tie_note = "leader"
        elif m.tier == 1:
            e.tie_note = f"statistically tied with #1 (p={m.p_vs_first:.2f})"
        elif m.leader == e.rank - 1:
            e.tie_note = f"significantly below tier {m.tier - 1}; leads tier {m.tier}"
        else:
            e.tie_note = f"statistically tied with #{m.leader + 1} (p={m.p_value:.2f})"


__all__ = ["LOW_COVERAGE", "Ranked", "Scorer", "normalize", "normalize_stderr", "rank", "raw_stderr", "score_parts"]
