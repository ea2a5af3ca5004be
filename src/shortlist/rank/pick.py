"""pick(): fit -> constraints -> task scores on equal footing -> tiers -> cost, as one Shortlist.

Everything here is offline: the built-in catalog, hosted-model table and scores, plus whatever the user
imported into the store (leaderboard snapshots, own eval runs). A missing database file means built-in
data only; `pick` never creates one.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from shortlist import paths
from shortlist.errors import BadInput
from shortlist.rank.candidates import MIN_BITS, Fitter, build_candidates
from shortlist.rank.constraints import LICENSE_USES, MODES, Candidate, Constraints, Cost, FitOutcome, gib
from shortlist.rank.cost import Workload, hosted_cost, self_hosted_cost
from shortlist.rank.evidence import evidence_matrix, observations
from shortlist.rank.impute import CALIBRATION, FactorModel, fit_factor_model, lower_bounds
from shortlist.rank.noise import DEFAULT_ALPHA
from shortlist.rank.preference import ArenaEvidence, OverlayTable, annotate, load_arena, parse_map, share_to_weight
from shortlist.rank.profiles import Profile, get_profile, load_profile_file, parse_weights, profile_from_mapping
from shortlist.rank.ranking import LOW_COVERAGE, MAX_TASK_STDERR, MIN_EVIDENCE, rank
from shortlist.rank.result import Excluded, Shortlist

DEFAULT_TASK = "general-chat"
# A benchmark joins the factor model once this many maker-released models have it: fewer cannot
# estimate its loadings, and its missing cells then stay missing rather than guessed.
MIN_MODELS_PER_BENCHMARK = 8


@dataclass
class PickRequest:
    task: str | None = None
    weights: str | dict[str, float] | None = None
    profile_file: str | Path | None = None
    gpu: str | None = None
    gpus: int | None = None
    mode: str = "inference"
    context: int = 4096
    min_context: int | None = None
    license: str = "any"
    allow_unknown_license: bool = False
    include_api: bool = False
    include_community: bool = False
    include_base: bool | None = None  # None: only when fine-tuning (--mode lora/qlora/full)
    max_params_b: float | None = None
    family: str | None = None
    min_coverage: float | None = None  # None: 0 with prediction on; half the coverable weight without it
    min_bits: float = MIN_BITS
    top: int = 10
    alpha: float = DEFAULT_ALPHA
    db: str | Path | None = None
    free_memory_bytes: int | None = None
    impute: bool = True
    max_cost_per_mtok: float | None = None
    gpu_price: float | None = None  # $/h per card, replacing the built-in median
    prompt_tokens: int | None = None  # typical request; None: the profile's
    output_tokens: int | None = None
    hosted_file: str | Path | None = None
    models: list[str] | None = None  # only these (catalog ids, hosted ids, leaderboard names), even if they fail
    arena: str | None = None  # your own arena in the store: its ratings shown beside (or in) the task score
    arena_map: dict[str, str] | list[str] | None = None  # contestant -> model, where names do not match
    arena_weight: float = 0.0  # the arena's share of the task score (0: shown, not scored)


def resolve_profile(req: PickRequest) -> Profile:
    given = [x for x in (req.task, req.weights, req.profile_file) if x]
    if len(given) > 1:
        raise BadInput("give one of --task, --weights or --profile-file", "they each define the task's weights")
    if req.weights:
        if isinstance(req.weights, str):
            return parse_weights(req.weights)
        return profile_from_mapping({"weights": dict(req.weights)}, "weights")
    if req.profile_file:
        return load_profile_file(req.profile_file)
    return get_profile(req.task or DEFAULT_TASK)


def _validate(req: PickRequest) -> None:
    if req.mode not in MODES:
        raise BadInput(f"unknown mode '{req.mode}'", f"use one of: {', '.join(MODES)}")
    if req.license not in LICENSE_USES:
        raise BadInput(f"unknown license use '{req.license}'", f"use one of: {', '.join(LICENSE_USES)}")
    if req.top < 1:
        raise BadInput(f"--top must be at least 1, got {req.top}")
    if not 0.0 < req.alpha < 1.0:
        raise BadInput(f"--alpha must be between 0 and 1, got {req.alpha}", "0.05 is the usual level")
    if req.gpus is not None and req.gpus < 1:
        raise BadInput(f"--gpus must be at least 1, got {req.gpus}")
    if req.context < 1 or (req.min_context is not None and req.min_context < 1):
        raise BadInput("context lengths must be positive", "write them like 8192 or 8k")
    if req.min_coverage is not None and not 0.0 <= req.min_coverage <= 1.0:
        raise BadInput(f"--min-coverage must be between 0 and 1, got {req.min_coverage}")
    if req.max_params_b is not None and req.max_params_b <= 0:
        raise BadInput(f"--max-params must be positive, got {req.max_params_b}", "write it like 14b")
    for name in ("max_cost_per_mtok", "gpu_price"):
        value = getattr(req, name)
        if value is not None and not (value > 0 and np.isfinite(value)):
            raise BadInput(f"--{name.replace('_', '-')} must be a positive number, got {value}")
    for name in ("prompt_tokens", "output_tokens"):
        value = getattr(req, name)
        if value is not None and not 0 < value <= 10_000_000:
            raise BadInput(f"--{name.replace('_', '-')} must be from 1 to 10M tokens, got {value}")
    if req.family:
        from shortlist.catalog.models import families
        from shortlist.names import normalize, suggest

        if normalize(req.family) not in {normalize(f) for f in families()}:
            from shortlist.errors import NotFound

            close = suggest(req.family, families())
            hint = f"did you mean: {', '.join(close)}?" if close else "see `shortlist models` for the families"
            raise NotFound(f"unknown model family '{req.family}'", hint)


def _check_context(req: PickRequest, hosted: list[Any]) -> None:
    """A context no model supports is one line, not an empty table."""
    from shortlist.catalog.loader import load_models

    longest = max(load_models().values(), key=lambda m: m.max_context)
    need = max(req.context, req.min_context or 0)
    best_api = max((h for h in hosted if h.access == "api"), key=lambda h: h.context, default=None)
    api_ok = req.include_api and best_api is not None and best_api.context >= need
    if need > longest.max_context and not api_ok:
        hint = f"the longest open-weight context is {longest.max_context:,} tokens ({longest.id})"
        if best_api is not None:
            hint += f"; the longest API context is {best_api.context:,} ({best_api.id}, --include-api)"
        raise BadInput(f"no model supports a context of {need:,} tokens", hint)


_TABLES: dict[tuple[Any, ...], Any] = {}


def _stamp(path: Path) -> tuple[Any, ...]:
    """What changes when the database changes: the file and its write-ahead log."""
    out: list[Any] = [str(path.resolve())]
    for f in (path, path.with_name(path.name + "-wal")):
        try:
            st = f.stat()
            out += [st.st_mtime_ns, st.st_size]
        except OSError:
            out += [None, None]
    return tuple(out)


def open_scores(db: str | Path | None) -> Any:
    """Built-in scores, plus the store's when its file exists (pick never creates a database).

    A long-lived process (the web app) asks again and again: the table is kept until the file changes.
    """
    from shortlist.catalog.scores import load_scores

    path = paths.db_path(db)
    paths.check_db(path, paths.db_given_explicitly(db), reading=True)
    if not path.is_file():
        return load_scores(None)
    key = _stamp(path)
    hit = _TABLES.get(key)
    if hit is not None:
        return hit
    from shortlist.store import Store

    store = Store(path)
    try:
        table = load_scores(store)
    finally:
        store.close()
    _TABLES.clear()  # one database at a time is the common case; keep memory flat
    _TABLES[key] = table
    return table


def _official(c: Candidate) -> bool:
    return c.community is None and not c.is_merged and not c.is_flagged


COVARIATES = ("reasoning",)


def covariates(c: Candidate) -> list[float]:
    """The factor model's known facts about a model: does it think before answering (kind: reasoning)?"""
    return [1.0 if c.kind == "reasoning" else 0.0]


def pool_matrix(table: Any, candidates: list[Candidate], specs: dict[str, Any], include_base: bool = False) -> tuple[
        list[str], list[str], np.ndarray, np.ndarray, np.ndarray]:
    """The maker-released models' normalised scores: the matrix the factor model learns from.

    Base (pre-trained only) models join only when they are being ranked (fine-tuning modes): their profile
    (strong knowledge, weak instruction following, no human-preference votes) is a different population, and
    mixing it in teaches the model that knowledge predicts chat preference less than it does after tuning.
    """
    # Leaderboard-only rows join only when their name says they are post-trained (or base models are wanted):
    # an unknown training stage would let base models into the post-trained population.
    pool = [c for c in candidates if _official(c) and (
        c.kind in ("instruct", "reasoning") or (include_base and (c.kind == "base" or c.kind is None)))]
    ev = [observations(table.for_model(c.id), specs) for c in pool]
    keep = [(c, e) for c, e in zip(pool, ev, strict=True) if e]
    counts = Counter(b for _, e in keep for b in e)
    benches = [b for b in specs if counts[b] >= MIN_MODELS_PER_BENCHMARK]
    values, errors = evidence_matrix([c.id for c, _ in keep], benches, [e for _, e in keep])
    x = np.array([covariates(c) for c, _ in keep]).reshape(len(keep), len(COVARIATES))
    rows = ~np.all(np.isnan(values), axis=1)
    return [c.id for (c, _), r in zip(keep, rows, strict=True) if r], benches, values[rows], errors[rows], x[rows]


def evidence_pool(db: str | Path | None = None, include_base: bool = False) -> tuple[
        list[str], list[str], np.ndarray, np.ndarray, np.ndarray]:
    """pool_matrix over the built-in data plus the store at `db` (for bench/imputation.py)."""
    from shortlist.catalog.benchmarks import list_benchmarks
    from shortlist.catalog.hosted import list_hosted
    from shortlist.catalog.loader import load_models

    table = open_scores(db)
    candidates = build_candidates(table, load_models().values(), list_hosted())
    return pool_matrix(table, candidates, {b.id: b for b in list_benchmarks()}, include_base)


@lru_cache(maxsize=4)
def _fitted(key: str, benches: tuple[str, ...], values: bytes, errors: bytes, covs: bytes, shape: tuple[int, int],
            pool: str, lower: bytes) -> FactorModel:
    """The fit for one exact matrix; kept on disk too, since the same data are ranked again and again."""
    import pickle

    cache = paths.cache_dir() / "factor-models" / f"{key}.pickle"
    try:
        with cache.open("rb") as fh:
            found = pickle.load(fh)
        if isinstance(found, FactorModel) and found.benchmarks == benches and found.lower is not None:
            return found
    except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError):
        pass
    y = np.frombuffer(values).reshape(shape)
    s = np.frombuffer(errors).reshape(shape)
    x = np.frombuffer(covs).reshape(shape[0], len(COVARIATES))
    rank, scale = CALIBRATION[pool]
    lo = np.frombuffer(lower)
    model = fit_factor_model(benches, y, s, rank=rank, interval_scale=scale, covariates=x, covariate_names=COVARIATES,
                             lower=lo)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(cache)
    except OSError:
        pass
    return model


def factor_model_for(table: Any, candidates: list[Candidate], specs: dict[str, Any],
                     include_base: bool = False) -> FactorModel | None:
    """The factor model fitted on this score table's maker releases (cached per identical matrix)."""
    _, benches, y, s, x = pool_matrix(table, candidates, specs, include_base)
    if not benches or len(y) < 2 * MIN_MODELS_PER_BENCHMARK:
        return None
    import hashlib

    pool = "all" if include_base else "post-trained"
    rank, scale = CALIBRATION[pool]
    lower = lower_bounds(benches, specs)  # bounded benchmarks are fitted on the logit scale
    key = hashlib.sha1(y.tobytes() + s.tobytes() + x.tobytes() + lower.tobytes() + "|".join(benches).encode()
                       + f"|{pool}|{rank}|{scale}|{COVARIATES}|logit".encode()).hexdigest()[:24]
    return _fitted(key, tuple(benches), y.tobytes(), s.tobytes(), x.tobytes(), y.shape, pool, lower.tobytes())


class Coster:
    """Cost per request for one shortlist: hosted list prices, or rented cards / serving throughput."""

    def __init__(self, fitter: Fitter, device: Any, count: int, work: Workload, gpu_price: float | None,
                 hosted_file: str | Path | None) -> None:
        from shortlist.catalog.prices import hourly_price

        self.fitter, self.count, self.work, self.hosted_file = fitter, count, work, hosted_file
        self.price = hourly_price(device.id, gpu_price)

    def __call__(self, c: Candidate, fit: FitOutcome | None) -> Cost | None:
        if c.api and c.hosted is not None:
            return hosted_cost(c.hosted, self.work)
        if fit is None or not fit.fits or fit.precision is None or c.spec is None or self.price is None:
            return None
        batch, decode, prefill = self.fitter.serving(c, fit.precision, self.work.sequence_tokens)
        if batch == 0:
            return None
        return self_hosted_cost(self.price.usd_per_hour, self.count, decode, prefill, batch, self.work,
                                self.price.basis)

    def endpoint(self, model_id: str) -> Cost | None:
        from shortlist.catalog.hosted import endpoints_for

        found = endpoints_for(model_id, self.hosted_file)
        return hosted_cost(found[0], self.work) if found else None


def pick(req: PickRequest) -> Shortlist:
    """The shortlist for one task on one machine; see docs/ranking-method.md for the method."""
    _validate(req)
    profile = resolve_profile(req)
    from shortlist.catalog.benchmarks import list_benchmarks
    from shortlist.catalog.gpus import choose_device
    from shortlist.catalog.hosted import load_hosted

    hosted = list(load_hosted(req.hosted_file).values())
    _check_context(req, hosted)
    device, count, chosen = choose_device(req.gpu, req.gpus)
    # The fit layer budgets per card (the busiest one when sharded), so the sentences do too.
    label = f"each of {count}x {device.id}" if count > 1 else device.id
    usable = device.usable_bytes
    if req.free_memory_bytes is not None:
        usable = min(usable, req.free_memory_bytes)

    table = open_scores(req.db)
    present = table.benchmarks()
    specs = {b.id: b for b in list_benchmarks()}
    candidates = _candidates(table, hosted, req.hosted_file)
    include_base = req.mode != "inference" if req.include_base is None else req.include_base
    model = factor_model_for(table, candidates, specs, include_base) if req.impute else None
    arena = _arena(req, candidates)
    ranked_table, ranked_specs = table, specs
    if arena is not None and arena.weight > 0:
        profile, ranked_table, ranked_specs = _with_arena(profile, table, specs, arena)
    ranked_pool = _only(candidates, req.models) if req.models else candidates
    available = sum(profile.share(b) for b in present if b in profile.weights)
    if req.min_coverage is not None:
        min_coverage = req.min_coverage
    else:
        min_coverage = 0.0 if model is not None else LOW_COVERAGE * available
    k = Constraints(
        license=req.license, allow_unknown_license=req.allow_unknown_license, min_context=req.min_context,
        include_api=req.include_api, include_community=req.include_community, include_base=include_base,
        max_params_b=req.max_params_b,
        family=req.family, min_coverage=min_coverage, max_cost_per_mtok=req.max_cost_per_mtok, mode=req.mode,
        context=req.context, gpus=count, device_label=label, device_memory_bytes=usable,
    )
    work = Workload(req.prompt_tokens or profile.prompt_tokens, req.output_tokens or profile.output_tokens)
    fitter = _fitter(device, count, req.mode, req.context, req.free_memory_bytes, req.min_bits)
    coster = Coster(fitter, device, count, work, req.gpu_price, req.hosted_file)
    ranked = rank(ranked_pool, ranked_table.for_model, ranked_specs, profile, k, fitter,
                  top=len(ranked_pool) if req.models else req.top, alpha=req.alpha, keep_failing=bool(req.models),
                  low_coverage=LOW_COVERAGE * available, factor_model=model, cost_fn=coster,
                  rows_of=ranked_table.raw, covariates_of=covariates)
    _paired_tiers(ranked.entries, profile, ranked_specs, req)
    if req.models:
        ranked.excluded += _unscored(ranked_pool, ranked)
    others: list[Any] = []
    if arena is not None:
        wanted = set(arena.model_of.values()) - {e.model for e in ranked.entries}
        rest = [c for c in candidates if c.id in wanted]
        if rest:
            others = rank(rest, ranked_table.for_model, ranked_specs, profile, k, fitter, top=len(rest),
                          alpha=req.alpha, keep_failing=True, low_coverage=LOW_COVERAGE * available,
                          factor_model=model, cost_fn=coster, rows_of=ranked_table.raw,
                          covariates_of=covariates).entries
    by_id = {c.id: c for c in ranked_pool}
    for e in ranked.entries:
        if e.access == "open-weights" and (e.cost is None or req.include_api):
            e.endpoint_cost = coster.endpoint(e.model)
        c = by_id.get(e.model)
        if c is not None and e.fits and e.precision and c.spec is not None and req.mode == "inference":
            e.latency = fitter.latency(c, e.precision, work.prompt_tokens, work.output_tokens)

    caveats = _caveats(req, profile, present, ranked, model, min_coverage, candidates)
    by_kind = Counter(x.kinds[0] for x in ranked.excluded)
    return Shortlist(
        task=profile.id,
        task_name=profile.name,
        profile_source=profile.source,
        weights=dict(profile.weights),
        weight_reasons=dict(profile.reasons),
        constraints={
            "license": req.license, "allow_unknown_license": req.allow_unknown_license, "mode": req.mode,
            "context": req.context, "min_context": req.min_context, "gpus": count,
            "include_api": req.include_api, "include_community": req.include_community, "include_base": include_base,
            "max_params_b": req.max_params_b, "family": req.family, "min_coverage": round(min_coverage, 4),
            "min_bits": req.min_bits, "max_cost_per_mtok": req.max_cost_per_mtok, "top": req.top,
            "impute": req.impute,
        },
        device={"name": device.id, "count": count, "chosen_by": chosen, "memory_bytes": usable,
                "memory": gib(usable), "kind": device.kind,
                "usd_per_hour": coster.price.usd_per_hour if coster.price else None,
                "price_basis": coster.price.basis if coster.price else None},
        alpha=req.alpha,
        shortlist=ranked.entries,
        excluded=ranked.excluded,
        excluded_total=len(ranked.excluded),
        excluded_by_kind=dict(by_kind),
        candidates_scored=ranked.scored,
        candidates_unscored=ranked.unscored,
        caveats=caveats,
        workload={"prompt_tokens": work.prompt_tokens, "output_tokens": work.output_tokens,
                  "basis": "given" if req.prompt_tokens or req.output_tokens else
                  (profile.workload_reason or "default typical request")},
        method=_method(model),
        arena=annotate(ranked.entries, arena, others) if arena is not None else None,
    )


def _unscored(named: list[Candidate], ranked: Any) -> list[Excluded]:
    """Models the user named that have no evidence for this task: said, not silently dropped."""
    seen = {e.model for e in ranked.entries} | {x.model for x in ranked.excluded}
    why = ("no score on any benchmark of this task, measured or predictable (import a leaderboard with "
           "`shortlist leaderboard import`, or run `shortlist eval`)")
    return [Excluded(model=c.id, task_score=None, coverage=0.0, reason=why, reasons=[why], kinds=["unscored"],
                     params_total=c.params_total) for c in named if c.id not in seen]


def _arena(req: PickRequest, candidates: list[Candidate]) -> ArenaEvidence | None:
    if not req.arena:
        if req.arena_map or req.arena_weight:
            raise BadInput("--arena-map and --arena-weight need --arena NAME", "name the arena whose votes to use")
        return None
    mapping = parse_map(req.arena_map) if isinstance(req.arena_map, list) else dict(req.arena_map or {})
    return load_arena(req.db, req.arena, (c.id for c in candidates), mapping, req.arena_weight)


def _with_arena(profile: Profile, table: Any, specs: dict[str, Any], arena: ArenaEvidence) -> tuple[
        Profile, Any, dict[str, Any]]:
    """The profile, scores and registry with the arena as one more weighted, Elo-scale benchmark."""
    bench = arena.benchmark
    weight = share_to_weight(arena.weight, profile.weights)
    profile = replace(profile, weights={**profile.weights, bench.id: weight},
                      reasons={**profile.reasons, bench.id: f"your own blind arena ({arena.weight:.0%} of the score)"})
    return profile, OverlayTable(table, arena.score_rows()), {**specs, bench.id: bench}


# A long-lived process (the web app) asks many questions of the same data: candidates are kept per score
# table, fitters (with their per-model estimates) per hardware question. Both are small and bounded.
_CANDIDATES: dict[tuple[int, str], list[Candidate]] = {}
_FITTERS: dict[tuple[Any, ...], Fitter] = {}
_KEEP = 16


def _candidates(table: Any, hosted: list[Any], hosted_file: str | Path | None) -> list[Candidate]:
    from shortlist.catalog.loader import load_models

    key = (id(table), str(hosted_file))
    hit = _CANDIDATES.get(key)
    if hit is None:
        if len(_CANDIDATES) >= _KEEP:
            _CANDIDATES.clear()
        hit = _CANDIDATES[key] = build_candidates(table, load_models().values(), hosted)
    return hit


def _fitter(device: Any, count: int, mode: str, context: int, free: int | None, min_bits: float) -> Fitter:
    key = (device.id, device.usable_bytes, count, mode, context, free, min_bits)
    hit = _FITTERS.get(key)
    if hit is None:
        if len(_FITTERS) >= _KEEP:
            _FITTERS.pop(next(iter(_FITTERS)))
        hit = _FITTERS[key] = Fitter(device, count, mode, context, free, min_bits)
    return hit


def _only(candidates: list[Candidate], names: list[str]) -> list[Candidate]:
    """The candidates the user named, in their order; NotFound for a name nothing knows."""
    from shortlist.catalog.hosted import find_hosted
    from shortlist.catalog.models import get_model
    from shortlist.errors import NotFound

    by_id = {c.id: c for c in candidates}
    out = []
    for name in names:
        if name in by_id:
            out.append(by_id[name])
            continue
        keys = []   # the open-weights model first: a short name also matches its hosted endpoints
        with contextlib.suppress(NotFound):
            keys.append(get_model(name).id)
        hosted = find_hosted(name)
        if hosted is not None:
            keys += [hosted.id, *([hosted.weights] if hosted.weights else [])]
        if not keys:
            raise NotFound(f"unknown model '{name}'", "use a catalog id, an API model or an imported name")
        key = next((k for k in keys if k in by_id), keys[0])
        if key not in by_id:
            raise NotFound(f"'{name}' has no candidate entry", "it needs scores or a catalog entry")
        out.append(by_id[key])
    return out


def _paired_tiers(entries: list[Any], profile: Profile, specs: dict[str, Any], req: PickRequest) -> None:
    """Re-test the tiers pairwise where shortlisted models have own runs on the same items (rank.paired)."""
    from shortlist.rank.paired import diff_stderr, own_items
    from shortlist.rank.ranking import mark_tiers

    weights = {b: w for b, w in profile.weights.items() if w > 0 and b in specs}
    items = own_items([e.model for e in entries], weights, req.db)
    if len(items) < 2:
        return
    baselines = {b: specs[b].random_baseline for b in weights}
    mark_tiers(entries, req.alpha, lambda a, b: diff_stderr(a, b, weights, baselines, items))


def _method(model: FactorModel | None) -> dict[str, Any]:
    if model is None:
        return {"imputation": None}
    return {
        "imputation": {
            "model": "factor analysis (EM) over maker-released models' normalised scores "
                     "(bounded benchmarks on the logit scale)",
            "rank": model.rank, "benchmarks": list(model.benchmarks),
            "models_per_benchmark": {b: int(n) for b, n in zip(model.benchmarks, model.observed_models, strict=True)},
            "interval_scale": model.interval_scale,
            "min_evidence": MIN_EVIDENCE, "max_task_stderr": MAX_TASK_STDERR,
        },
    }


def _caveats(req: PickRequest, profile: Profile, present: set[str], ranked: Any, model: FactorModel | None,
             min_coverage: float, candidates: list[Candidate]) -> list[str]:
    caveats: list[str] = []
    predictable = set(model.benchmarks) if model else set()
    unused = [b for b, w in profile.weights.items() if w > 0 and b not in present and b not in predictable]
    if unused:
        share = sum(profile.share(b) for b in unused)
        caveats.append(
            f"no model has scores for {', '.join(unused)} ({share:.0%} of the weight); the ranking rests on the "
            "other benchmarks (import more with `shortlist leaderboard import`, or run `shortlist eval`)"
        )
    tier1 = [e for e in ranked.entries if e.tier == 1]
    if len(tier1) > 1:
        caveats.append(
            f"#1-#{len(tier1)} are statistically tied at alpha={req.alpha:g}: choose among them with your "
            "own evals (`shortlist eval`), not by rank"
        )
    imputed = sum(1 for e in ranked.entries if e.imputed)
    if imputed:
        caveats.append(f"{imputed} of {len(ranked.entries)} shortlisted models have benchmarks predicted from their "
                       "other scores (marked; their intervals include the prediction error)")
    thin = sum(1 for x in ranked.excluded if x.kinds[0] in ("coverage", "evidence"))
    if thin:
        caveats.append(f"{thin} higher-scoring model(s) have too little evidence to rank (see why not)")
    community = sum(1 for x in ranked.excluded if "community" in x.kinds)
    if community:
        caveats.append(f"{community} community model(s) (fine-tunes, merges, modified variants) scored higher and are "
                       "left out by default (--include-community)")
    if any(e.approximate for e in ranked.entries):
        caveats.append("memory for leaderboard-only models comes from an approximate architecture (marked ~)")
    if len(ranked.entries) < req.top:
        caveats.append(f"only {len(ranked.entries)} model(s) pass the constraints")
    dates = sorted(e.release_date for e in ranked.entries if e.release_date)
    if dates and dates[-1] < "2025-01-01":
        caveats.append(f"the newest shortlisted model was released {dates[-1]}: newer models may lack evidence here")
    return caveats
