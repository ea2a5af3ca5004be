"""The decision, in one file: the question, the answer with its tiers, the evidence, and how to reproduce it.

`build_report` calls the same library functions as `pick`, `fit` and `eval compare`, then renders one HTML
file (CSS, chart library and chart data inlined: it opens from file:// with no network) or Markdown for a wiki
or pull request. Same store and options -> byte-identical file: no clock is read; the only date inside is the
"data as of" date, the newest date among the figures used.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from shortlist import __version__
from shortlist.errors import BadInput, MissingExtra, ShortlistError
from shortlist.report import charts

SCHEMA_VERSION = 1
FIT_DETAILS = 3  # recommended models whose memory breakdown is shown


class FitDetail(BaseModel):
    model: str
    precision: str
    runtime: str
    total_bytes: int
    budget_bytes: int
    terms: list[dict[str, Any]]
    assumptions: list[str]
    verify_command: str


class Decision(BaseModel):
    """Everything the report shows (also `shortlist report --format json`)."""

    schema_version: int = SCHEMA_VERSION
    title: str
    version: str = __version__
    command: str
    data_as_of: str | None
    pick: Any  # rank.result.Shortlist
    recommendation: list[str]
    fit: list[FitDetail] = Field(default_factory=list)
    runs: list[Any] = Field(default_factory=list)  # evaluate.runs.RunDetail of the runs named
    paired: Any = None  # evaluate.compare.RunComparison of the top two's runs, when both have one
    arena: Any = None  # arena leaderboard when one is named
    sources: list[tuple[str, str]] = Field(default_factory=list)  # (source, date)
    assumptions: list[str] = Field(default_factory=list)


def _words(sl: Any) -> list[str]:
    """The recommendation in sentences a reader who did not run the tool understands."""
    if not sl.entries:
        return ["No model passes the constraints; see why not."]
    e = sl.entries
    out = [f"Try {e[0].model} first: task score {e[0].task_score * 100:.1f} "
           f"(95% CI {e[0].task_score_ci[0] * 100:.1f}-{e[0].task_score_ci[1] * 100:.1f})."]
    tied = [x for x in e[1:] if x.tier == 1]
    if tied:
        names = ", ".join(f"#{x.rank} {x.model}" for x in tied[:4])
        more = f" and {len(tied) - 4} more" if len(tied) > 4 else ""
        out.append(f"It is statistically tied with {names}{more}: choose among them with your own evaluation, "
                   "not by rank.")
    else:
        out.append("It is significantly ahead of the rest at the chosen significance level.")
    nxt = [x for x in e if x.tier == 2]
    if nxt:
        out.append(f"Tier 2 starts at #{nxt[0].rank} {nxt[0].model}.")
    return out


def _fit_details(sl: Any, req: Any) -> list[FitDetail]:
    from shortlist.catalog.gpus import choose_device
    from shortlist.catalog.models import get_model
    from shortlist.fit import FitRequest, estimate

    device, count, _ = choose_device(req.gpu, req.gpus)
    out = []
    for e in sl.entries[:FIT_DETAILS]:
        if e.access == "api" or not e.precision:
            continue
        try:
            spec = get_model(e.model)
            res = estimate(FitRequest(model=spec, gpu=device, gpus=count, precision=e.precision, mode=req.mode,
                                      context=min(req.context, spec.max_context)))
        except ShortlistError:
            continue
        out.append(FitDetail(model=e.model, precision=res.precision, runtime=res.runtime,
                             total_bytes=res.memory.total_bytes, budget_bytes=res.budget_bytes,
                             terms=[t.model_dump() for t in res.memory.terms], assumptions=res.basis.assumptions,
                             verify_command=res.basis.verify_command))
    return out


def _sources(sl: Any) -> list[tuple[str, str]]:
    seen: set[tuple[str, str]] = set()
    for e in sl.entries:
        for s in e.scores.values():
            if not s.imputed:
                seen.add((s.source, s.source_date or ""))
        for c in (e.cost, e.endpoint_cost):
            if c is not None:
                seen.add((c.basis, ""))
    return sorted(seen)


def _data_as_of(sources: list[tuple[str, str]]) -> str | None:
    dates = [d for _, d in sources if len(d) >= 10 and d[:4].isdigit()]
    return max(dates)[:10] if dates else None


def build_decision(req: Any, command: str, title: str | None = None, runs: list[str] | None = None,
                   db: str | Path | None = None) -> Decision:
    """Run pick with `req`, add the fit breakdowns, the named runs and the top two's paired comparison."""
    from shortlist.rank import pick

    sl = pick(req)
    sources = _sources(sl)
    decision = Decision(
        title=title or f"Choosing a model for {sl.task_name}",
        command=command, data_as_of=_data_as_of(sources), pick=sl, recommendation=_words(sl),
        fit=_fit_details(sl, req), sources=sources,
        assumptions=_assumptions(sl),
    )
    decision.runs, decision.paired = _runs(runs or [], sl, db)
    if sl.arena is not None:
        decision.arena = _arena_board(sl.arena.arena, db)
    return decision


def _arena_board(name: str, db: str | Path | None) -> Any:
    """The arena's full board (every contestant, not only the shortlisted ones) for the report's section."""
    from shortlist import arena as ar
    from shortlist import paths
    from shortlist.store import Store

    store = Store(paths.db_path(db))
    try:
        return ar.leaderboard(store, name)
    finally:
        store.close()


def _assumptions(sl: Any) -> list[str]:
    out = [
        "Scores are baseline-normalised (0 = chance, 100 = perfect; arena ratings as win probability against "
        "the board's reference) and mixed by the task profile's weights.",
        "Benchmarks a model lacks are predicted from its other scores (a factor model over maker-released "
        "models); the prediction's error is part of the interval.",
        "Tiers: a model stays in a tier while a two-sided z-test at alpha cannot tell it from the tier's first.",
        f"Memory: per card, {sl.constraints['mode']}, context {sl.constraints['context']:,}; the fit layer's "
        "estimates carry the error bands of docs/fit-method.md.",
        f"Cost: a typical request of {sl.workload.get('prompt_tokens')} tokens in and "
        f"{sl.workload.get('output_tokens')} out; self-hosted = rented cards' hourly price / serving throughput.",
    ]
    method = sl.method.get("imputation")
    if method:
        out.append(f"Prediction model: rank {method['rank']}, intervals widened x{method['interval_scale']}, "
                   f"{len(method['benchmarks'])} benchmarks.")
    return out


def _runs(names: list[str], sl: Any, db: str | Path | None) -> tuple[list[Any], Any]:
    from shortlist import paths

    path = paths.db_path(db)
    if not path.is_file():
        if names:
            raise BadInput(f"--runs given but there is no database at {path}", "run `shortlist eval` first")
        return [], None
    from shortlist.evaluate.compare import compare_runs
    from shortlist.evaluate.runs import get_run, list_runs
    from shortlist.store import Store

    with Store(path) as store:
        details = [get_run(store, n) for n in names]
        finished = [r for r in list_runs(store).runs if r.status == "finished"]
        latest: dict[str, Any] = {}
        for r in finished:
            latest.setdefault(r.model, r)
        pair = None
        top_two = [e.model for e in sl.entries[:2]]
        if len(details) >= 2:
            pair = (details[0].summary.run_id, details[1].summary.run_id)
        elif len(top_two) == 2 and all(m in latest for m in top_two):
            pair = (latest[top_two[0]].run_id, latest[top_two[1]].run_id)
        paired = None
        if pair is not None:
            try:
                paired = compare_runs(store, *pair)
            except BadInput:
                paired = None
    return details, paired


def _plotly_js() -> str:
    try:
        from plotly.offline import get_plotlyjs
    except ImportError:
        raise MissingExtra("plotly", "web") from None
    return get_plotlyjs()


def _figures(d: Decision) -> list[dict[str, Any]]:
    sl = d.pick
    benches = [b for b, w in sorted(sl.weights.items(), key=lambda kv: -kv[1]) if w > 0]
    figs = [
        charts.benchmark_bars([(e.model, e.scores) for e in sl.entries[:5]], benches,
                              "Per-benchmark breakdown of the top 5"),
        charts.score_vs_memory(sl.entries),
        charts.score_vs_cost(sl.entries),
    ]
    if d.paired is not None:
        figs.append(charts.paired_differences(d.paired.tasks, d.paired.model_a, d.paired.model_b))
    if d.arena is not None:
        figs.append(charts.arena_ratings(d.arena.rows))
    return [f for f in figs if f is not None]


def render_html(d: Decision) -> str:
    """One self-contained HTML file (deterministic for the same Decision)."""
    env = _env()
    figures = _figures(d)
    specs = [json.dumps(f, sort_keys=True, separators=(",", ":")).replace("</", "<\\/") for f in figures]
    return env.get_template("report.html").render(
        d=d, sl=d.pick, figures=specs, plotly=_plotly_js().replace("</script", "<\\/script"),
        css=(Path(__file__).parent / "templates" / "report.css").read_text(encoding="utf-8"),
        benches=[b for b, w in sorted(d.pick.weights.items(), key=lambda kv: -kv[1]) if w > 0],
        why_not=_why_not(d.pick),
    )


def render_markdown(d: Decision) -> str:
    return _env(markdown=True).get_template("report.md").render(
        d=d, sl=d.pick, benches=[b for b, w in sorted(d.pick.weights.items(), key=lambda kv: -kv[1]) if w > 0],
        why_not=_why_not(d.pick))


def _why_not(sl: Any) -> list[tuple[str, list[Any]]]:
    groups: dict[str, list[Any]] = {}
    for x in sl.excluded:
        groups.setdefault(x.kinds[0], []).append(x)
    return sorted(groups.items())


def _env(markdown: bool = False) -> Any:
    try:
        import jinja2
    except ImportError:
        raise MissingExtra("jinja2", "web") from None
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
                             autoescape=not markdown, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["pct"] = lambda x: "-" if x is None else f"{x * 100:.1f}"
    env.filters["gib"] = lambda n: "-" if n is None else f"{n / 2**30:.1f} GiB"
    env.filters["md"] = _md_cell
    return env


def _md_cell(text: Any) -> str:
    """Markdown table cells: escaped HTML (wikis render it), no pipes or newlines breaking the row."""
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")
