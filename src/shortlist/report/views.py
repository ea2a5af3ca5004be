"""What the model page and the compare page show, as typed models the web app, its JSON twins and the report share.

Every number keeps its source and date; nothing here ranks or fits by itself: it calls the catalog, fit, rank and
evaluate APIs and arranges their answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from shortlist.errors import BadInput, ShortlistError

SCHEMA_VERSION = 1
GRID_GPUS = ("RTX 4090", "RTX 5090", "L40S", "A100 80GB", "H100 SXM", "M3 Max 64GB")
GRID_PRECISIONS = ("bf16", "fp8", "q8_0", "q4_k_m")


class ScoreFact(BaseModel):
    benchmark: str
    name: str
    value: float
    stderr: float | None
    n: int | None
    source: str
    source_date: str
    origin: str  # builtin | imported | own
    setting: str | None = None
    maker_reported: bool = False
    scale: str = "fraction"


class FitCell(BaseModel):
    gpu: str
    mode: str
    precision: str
    fits: bool | None  # None: not estimable here (with the reason)
    memory_bytes: int | None = None
    max_context: int | None = None
    decode_tokens_per_s: float | None = None
    note: str | None = None


class Endpoint(BaseModel):
    id: str
    provider: str
    usd_per_mtok_in: float
    usd_per_mtok_out: float
    context: int
    source: str
    source_date: str


class ModelView(BaseModel):
    """Everything known about one model, each fact with its source (the model page and `model --json`)."""

    schema_version: int = SCHEMA_VERSION
    id: str
    kind: str  # catalog | api
    facts: dict[str, Any]
    source: str | None
    license: dict[str, Any]
    scores: list[ScoreFact]
    fit_grid: list[FitCell] = Field(default_factory=list)
    endpoints: list[Endpoint] = Field(default_factory=list)
    runs: list[Any] = Field(default_factory=list)  # evaluate.runs.RunSummary of this model's own runs
    verify: list[str] = Field(default_factory=list)


def _license(license_id: str) -> dict[str, Any]:
    from shortlist.catalog.licenses import get_license

    spec = get_license(license_id)
    return {"id": spec.id, "name": spec.name, "class": spec.license_class, "conditions": list(spec.conditions),
            "url": spec.url}


def _scores(model_id: str, db: str | Path | None) -> list[ScoreFact]:
    from shortlist.catalog.benchmarks import list_benchmarks
    from shortlist.rank.pick import open_scores

    specs = {b.id: b for b in list_benchmarks()}
    table = open_scores(db)
    out = []
    for bench, s in sorted(table.for_model(model_id).items()):
        spec = specs.get(bench)
        out.append(ScoreFact(benchmark=bench, name=spec.name if spec else bench, value=s.value, stderr=s.stderr,
                             n=s.n, source=s.source, source_date=s.source_date, origin=s.origin, setting=s.setting,
                             maker_reported=bool(s.maker_reported), scale=spec.scale if spec else "fraction"))
    return out


def fit_grid(spec: Any, gpus: tuple[str, ...] = GRID_GPUS) -> list[FitCell]:
    """Common GPUs x precisions for inference (4k context), and QLoRA (nf4, 2k sequences)."""
    from shortlist.catalog.gpus import get_gpu
    from shortlist.fit import FitRequest, estimate

    cells = []
    for gpu_name in gpus:
        gpu = get_gpu(gpu_name)
        for mode, precision, context in [*(("inference", p, 4096) for p in GRID_PRECISIONS), ("qlora", "nf4", 2048)]:
            try:
                res = estimate(FitRequest(model=spec, gpu=gpu, precision=precision, mode=mode,
                                          context=min(context, spec.max_context)))
            except ShortlistError as exc:
                cells.append(FitCell(gpu=gpu.id, mode=mode, precision=precision, fits=None, note=exc.message))
                continue
            cells.append(FitCell(gpu=gpu.id, mode=mode, precision=res.precision, fits=res.fits,
                                 memory_bytes=res.memory.total_bytes, max_context=res.max_context,
                                 decode_tokens_per_s=res.decode_tokens_per_s if res.fits else None))
    return cells


def model_view(name: str, db: str | Path | None = None, with_fit: bool = True) -> ModelView:
    """The model page: a catalog model or a hosted API model by id or alias."""
    from shortlist.catalog.hosted import endpoints_for, find_hosted
    from shortlist.catalog.models import get_model
    from shortlist.errors import NotFound

    try:
        spec = get_model(name)
    except NotFound:
        hosted = find_hosted(name)
        if hosted is None:
            raise
        facts = hosted.model_dump(mode="json", exclude={"source", "source_date", "aliases", "notes"})
        return ModelView(id=hosted.id, kind="api", facts=facts, source=f"{hosted.source} ({hosted.source_date})",
                         license=_license(hosted.license), scores=_scores(hosted.id, db),
                         verify=[f"shortlist pick --include-api --weights arena_2025=1 --json  # {hosted.id}"])
    facts = spec.model_dump(mode="json", exclude={"source", "aliases", "notes", "params_extra_reason"})
    facts["aliases"] = list(spec.aliases)
    facts["notes"] = spec.notes
    view = ModelView(id=spec.id, kind="catalog", facts=facts, source=spec.source, license=_license(spec.license),
                     scores=_scores(spec.id, db))
    view.endpoints = [Endpoint(id=h.id, provider=h.provider, usd_per_mtok_in=h.price_in_per_mtok,
                               usd_per_mtok_out=h.price_out_per_mtok, context=h.context, source=h.source,
                               source_date=str(h.source_date)) for h in endpoints_for(spec.id)]
    if with_fit:
        view.fit_grid = fit_grid(spec)
    view.runs = own_runs(spec.id, db)
    view.verify = [
        f"shortlist fit {spec.id} --gpu 'RTX 4090' --context 8k",
        f"shortlist fit {spec.id} --gpu 'A100 80GB' --mode qlora --context 4k",
        f"shortlist eval --model hf:{spec.id} --tasks arc_easy,hellaswag --limit 200",
    ]
    return view


def own_runs(model_id: str, db: str | Path | None) -> list[Any]:
    """Finished, interrupted and running evaluation runs recorded under this model's name."""
    from shortlist import paths

    path = paths.db_path(db)
    if not path.is_file():
        return []
    from shortlist.evaluate.runs import list_runs
    from shortlist.store import Store

    with Store(path) as store:
        return [r for r in list_runs(store).runs if r.model == model_id]


class ModelColumn(BaseModel):
    id: str
    known: bool = True  # False: only a name of evaluation runs (no catalog or hosted entry)
    license: dict[str, Any]
    context: int | None
    params_total: int | None
    fit: FitCell | None
    scores: dict[str, Any]  # benchmark -> ScoreUsed-like dict (normalized, stderr, imputed, source ...)
    task_score: float | None = None
    task_score_ci: tuple[float, float] | None = None


class CompareView(BaseModel):
    """2-4 models side by side on one task and one machine, plus item-level comparisons of their own runs."""

    schema_version: int = SCHEMA_VERSION
    task: str
    gpu: str
    gpus: int
    context: int
    benchmarks: list[str]
    models: list[ModelColumn]
    paired: list[Any] = Field(default_factory=list)  # evaluate.compare.RunComparison for model pairs with runs
    notes: list[str] = Field(default_factory=list)


def compare_view(models: list[str], task: str = "general-chat", gpu: str = "RTX 4090", gpus: int = 1,
                 context: int = 4096, db: str | Path | None = None) -> CompareView:
    """Scores on the task's whole profile (predicted where missing), fit on the chosen machine, paired runs."""
    from shortlist.catalog.models import get_model
    from shortlist.rank import PickRequest, pick

    if not 2 <= len(models) <= 4:
        raise BadInput(f"compare takes 2 to 4 models, got {len(models)}", "e.g. ?models=A,B")
    from shortlist.catalog.hosted import find_hosted
    from shortlist.errors import NotFound

    ids = []
    known = []
    runs_only = set(_run_models(db))
    for m in models:
        hosted = find_hosted(m)
        if hosted is not None:
            ids.append(hosted.id)
            known.append(hosted.id)
            continue
        try:
            ids.append(get_model(m).id)
            known.append(ids[-1])
        except NotFound:
            if m not in runs_only:  # neither in the catalog nor the name of an evaluation run
                raise
            ids.append(m)
    if len(set(ids)) != len(ids):
        raise BadInput("the same model is named twice", "compare different models")
    sl = pick(PickRequest(task=task, gpu=gpu, gpus=gpus, context=context, db=db, models=known or None,
                          include_api=True, include_community=True, include_base=True, allow_unknown_license=True,
                          top=1 if not known else 10))
    by_id = {e.model: e for e in sl.entries}
    cols = []
    notes = []
    for mid in ids:
        e = by_id.get(mid) if mid in known else None
        if e is None:
            notes.append(f"{mid}: no usable evidence for {task}" if mid in known else
                         f"{mid}: not a catalog model: only its own evaluation runs are compared")
            cols.append(ModelColumn(id=mid, known=mid in known, license={}, context=None, params_total=None, fit=None,
                                    scores={}))
            continue
        notes += [f"{mid}: {why}" for why in e.failed]
        fit = None
        if e.access != "api":
            fit = FitCell(gpu=sl.device["name"], mode="inference", precision=e.precision or "-", fits=e.fits,
                          memory_bytes=e.memory_total_bytes, decode_tokens_per_s=e.decode_tokens_per_s)
        cols.append(ModelColumn(id=mid, license={"id": e.license, "class": e.license_class}, context=e.context,
                                params_total=e.params_total, fit=fit,
                                scores={b: s.model_dump(mode="json") for b, s in e.scores.items()},
                                task_score=e.task_score, task_score_ci=e.task_score_ci))
    view = CompareView(task=sl.task, gpu=sl.device["name"], gpus=sl.device["count"], context=context,
                       benchmarks=[b for b, w in sorted(sl.weights.items(), key=lambda kv: -kv[1]) if w > 0],
                       models=cols, notes=notes)
    view.paired = paired_runs(ids, db)
    return view


def _run_models(db: str | Path | None) -> list[str]:
    """Model names under which evaluation runs are stored (they can be compared without a catalog entry)."""
    from shortlist import paths

    path = paths.db_path(db)
    if not path.is_file():
        return []
    from shortlist.evaluate.runs import list_runs
    from shortlist.store import Store

    with Store(path) as store:
        return sorted({r.model for r in list_runs(store).runs})


def paired_runs(ids: list[str], db: str | Path | None) -> list[Any]:
    """For the first model against each other one: their latest finished runs compared on shared items."""
    from shortlist import paths

    path = paths.db_path(db)
    if not path.is_file():
        return []
    from shortlist.evaluate.compare import compare_runs
    from shortlist.evaluate.runs import list_runs
    from shortlist.store import Store

    out = []
    with Store(path) as store:
        runs = [r for r in list_runs(store).runs if r.status == "finished"]
        latest = {}
        for r in runs:  # newest first
            latest.setdefault(r.model, r)
        first = latest.get(ids[0])
        for other in ids[1:]:
            if first is None or other not in latest:
                continue
            try:
                out.append(compare_runs(store, first.run_id, latest[other].run_id))
            except BadInput:
                continue
    return out
