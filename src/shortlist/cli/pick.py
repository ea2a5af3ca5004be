"""`shortlist pick` and `shortlist tasks`: the ranked shortlist for a task on your hardware."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from shortlist.cli.output import DbOption, JsonOption, comma_list, console, emit_json
from shortlist.cli.pick_options import (
    ContextOption,
    GpuOption,
    GpusOption,
    IncludeApiOption,
    LicenseOption,
    MaxParamsOption,
    MinContextOption,
    ModeOption,
    TaskOption,
    TopOption,
    WeightsOption,
)
from shortlist.errors import BadInput
from shortlist.units import parse_params_b, parse_tokens

PICK_HELP = """Rank the models that fit your hardware and license for a task, with noise-aware tiers.

\b
Examples:
  shortlist pick --gpu "RTX 4090" --task customer-support --license commercial
  shortlist pick --gpu 4090 --task coding --mode qlora --context 8k
  shortlist pick --gpu "A100 80GB" --gpus 2 --task rag-qa --min-context 32k --json
  shortlist pick --weights ifeval=2,truthfulqa=1 --top 5
  shortlist pick --gpu H100 --gpus 8 --task general-chat --include-api --max-cost-per-mtok 2
  shortlist pick --gpu 4090 --task coding --why-not fit
  shortlist pick --profile-file my-task.yaml --include-community --allow-unknown-license
  shortlist pick --gpu 4090 --task customer-support --arena bots --arena-weight 0.3
  shortlist pick --gpu 4090 --models Qwen/Qwen3-8B,meta-llama/Llama-3.1-8B-Instruct
"""

TASKS_HELP = """List the task profiles: each a weighted mix of benchmarks with a reason per weight.

\b
Examples:
  shortlist tasks
  shortlist tasks customer-support
  shortlist tasks --json
"""

_SHORT = {"truthfulqa_mc2": "TQA", "lmarena_text": "LMArena", "math_lvl5": "MATH5", "mmlu_pro": "MMLUP",
          "arc_challenge": "ARC", "hellaswag": "HSwag", "winogrande": "Wino", "humaneval": "HumEv",
          "humaneval_plus": "HumEv+", "mbpp_plus": "MBPP+", "arena_2025": "Arena25", "arena_2025_if": "ArIF",
          "arena_2025_math": "ArMath", "arena_2025_creative": "ArCrea", "arena_2025_hard": "ArHard",
          "mmlu_pro_reported": "MMLUPr", "gpqa_diamond": "GPQA-D", "ifeval_reported": "IFEvr",
          "math_500": "MATH5h", "aime_2024": "AIME24", "aime_2025": "AIME25", "livecodebench": "LCB",
          "arena_hard": "ArHrdA", "bfcl": "BFCL", "swe_bench_verified": "SWE-V"}
_KIND_WORDS = {"fit": "does not fit", "size": "size unknown", "license": "license", "context": "context too short",
               "api": "API only", "cost": "too expensive", "params": "too large (--max-params)", "family": "family",
               "community": "community models", "evidence": "too little evidence", "coverage": "thin evidence",
               "unscored": "named but not scored, no evidence at all"}
_LICENSE_SHORT = {"commercial": "comm", "non-commercial": "non-c", "research": "resrch", "needs-review": "review"}
WHY_NOT_SHOWN = 4  # names per reason group before folding


def _short(bench: str) -> str:
    if bench.startswith("own-arena:"):
        return "YourAr"
    return _SHORT.get(bench, bench.upper() if len(bench) <= 6 else bench[:6])


def _fmt_score(bench: str, entry: Any) -> str:
    s = entry.scores.get(bench)
    if s is None:
        return "[dim]-[/]"
    rating = bench in ("lmarena_text",) or bench.startswith(("arena_2025", "own-arena:"))
    text = f"{s.value:.0f}" if rating else f"{s.value * 100:.1f}"
    if s.imputed:
        return f"[italic dim]{text}p[/]"
    return text + ("[dim]m[/]" if s.maker_reported else "")


def _fmt_cost(e: Any) -> str:
    c = e.cost or e.endpoint_cost
    if c is None or c.usd_per_mtok_out is None:
        return "-"
    text = f"{c.usd_per_mtok_out:.2f}" if c.usd_per_mtok_out < 100 else f"{c.usd_per_mtok_out:.0f}"
    return text if e.cost is not None else f"[dim]{text}e[/]"


def _fmt_fit(e: Any) -> str:
    if e.access == "api":
        return "API"
    if not e.memory_total_bytes:
        return "-"
    approx = "~" if e.approximate else ""
    return f"{e.precision} {approx}{e.memory_total_bytes / 2**30:.0f}G"


def _tier_lines(sl: Any) -> list[str]:
    out: list[str] = []
    tiers: dict[int, list[Any]] = {}
    for e in sl.entries:
        tiers.setdefault(e.tier, []).append(e)
    for t, members in tiers.items():
        span = f"#{members[0].rank}" if len(members) == 1 else f"#{members[0].rank}-#{members[-1].rank}"
        if t == 1:
            what = "statistically tied with #1" if len(members) > 1 else "clearly ahead of the rest"
        else:
            what = f"significantly below tier {t - 1}" + (f", tied with #{members[0].rank}" if len(members) > 1 else "")
        out.append(f"Tier {t}: {span} {what}")
    paired = [e for e in sl.entries if e.tier_test != "unpaired"]
    if paired:
        out.append(f"Tier tests paired on your own runs for {', '.join('#' + str(e.rank) for e in paired)} "
                   f"({paired[0].tier_test.removeprefix('paired on own runs: ')}); the others unpaired")
    return out


def _columns_that_fit(width: int, benches: list[str], with_cost: bool) -> int:
    """How many benchmark columns fit beside the fixed ones at this terminal width."""
    fixed = 4 + 4 + 26 + 11 + 10 + 6 + 7 + 8 + (8 if with_cost else 0)  # T, #, model, score, fit, tok/s, req, lic, $
    room = width - fixed
    return max(1, min(len(benches), room // 8))


def render(sl: Any, width: int | None = None) -> None:
    from rich import box
    from rich.table import Table

    d = sl.device
    width = width or console.width
    title = (
        f"{sl.task_name} on {d['name'] if d['count'] == 1 else str(d['count']) + 'x ' + d['name']} "
        f"({d['memory']} usable), {sl.constraints['mode']}, context {sl.constraints['context']:,}, "
        f"license {sl.constraints['license']}"
    )
    if not sl.entries:
        console.print(f"[bold]{title}[/]\nNo model passes the constraints; the strongest were excluded for the "
                      "reasons below.")
        _render_why_not(sl)
        _render_caveats(sl)
        return
    benches = [b for b, w in sorted(sl.weights.items(), key=lambda kv: -kv[1]) if w > 0]
    with_cost = any(e.cost or e.endpoint_cost for e in sl.entries)
    shown = benches[:_columns_that_fit(width, benches, with_cost)]
    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True)
    table.add_column("T", justify="right", no_wrap=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Model", overflow="fold", min_width=18, ratio=1)
    table.add_column("Score±CI", justify="right", no_wrap=True)
    for b in shown:
        table.add_column(f"{_short(b)}\n×{sl.weights[b]:.3g}", justify="right", no_wrap=True)
    table.add_column("Fits as", no_wrap=True)
    table.add_column("tok/s", justify="right", no_wrap=True)
    with_latency = any(e.latency for e in sl.entries)
    if with_latency:
        table.add_column("req s", justify="right", no_wrap=True)
    if with_cost:
        table.add_column("$/Mtok", justify="right", no_wrap=True)
    table.add_column("Lic", no_wrap=True)
    for e in sl.entries:
        half = (e.task_score_ci[1] - e.task_score_ci[0]) / 2
        star = ("[green]*[/]" if e.pareto else "") + ("[cyan]$[/]" if e.pareto_cost else "")
        row = [str(e.tier), str(e.rank), e.model + (" " + star if star else ""),
               f"{e.task_score * 100:.1f}±{half * 100:.1f}", *(_fmt_score(b, e) for b in shown), _fmt_fit(e),
               f"{e.decode_tokens_per_s:.0f}" if e.decode_tokens_per_s else "-"]
        if with_latency:
            lat = e.latency
            row.append("-" if lat is None else f"{lat.e2e_s:.1f}" + ("[green]m[/]" if lat.basis == "measured" else ""))
        if with_cost:
            row.append(_fmt_cost(e))
        row.append(_LICENSE_SHORT.get(e.license_class, e.license_class))
        table.add_row(*row)
    console.print(table)
    hidden = [b for b in benches if b not in shown]
    legend = (
        f"Score: weighted mean of baseline-normalised scores x100, whole profile ({int((1 - sl.alpha) * 100)}% CI). "
        "Benchmarks raw x100 (arena: rating); p = predicted from the model's other scores; m = maker-reported; "
        "* = Pareto frontier score vs memory; $ = score vs cost; ~ = approximate memory."
    )
    if with_cost:
        w = sl.workload
        legend += (f" $/Mtok: per 1M output tokens (e = cheapest hosted endpoint); typical request "
                   f"{w['prompt_tokens']:,} in / {w['output_tokens']:,} out.")
    if any(e.latency for e in sl.entries):
        legend += " req s: one user's typical request end to end (m = measured with `shortlist measure`)."
    if hidden:
        legend += f" Not shown at this width: {', '.join(hidden)} (--json has all)."
    console.print(f"[dim]{legend}[/]")
    for line in _tier_lines(sl):
        console.print(f"  {line}")
    _render_arena(sl)
    _render_why_not(sl)
    _render_caveats(sl)


def _as(e: Any) -> str:
    """The contestant's arena name, when it is not the model's own."""
    return "" if e.preference.contestant == e.model else f" (as {e.preference.contestant})"


def _render_arena(sl: Any) -> None:
    """Your own arena's ratings for the shortlisted models, and where voters and benchmarks disagree."""
    use = sl.arena
    if use is None:
        return
    how = f"{use.weight:.0%} of the score" if use.weight > 0 else "shown beside the score, not in it (--arena-weight)"
    console.print(f"\n[bold]Your arena[/] '{use.arena}' ({use.votes:,} human votes, {use.method}, 95% CI; {how}):")
    rated = [e for e in sl.entries if e.preference is not None]
    for e in rated:
        p = e.preference
        flag = " [yellow]provisional[/]" if p.provisional else ""
        console.print(f"  #{e.rank} {e.model}{_as(e)}: {p.rating:.0f} [{p.ci_low:.0f}, {p.ci_high:.0f}], "
                      f"{p.rank} of {p.of} in the arena, {p.votes} votes{flag}")
    for e in use.others:
        p = e.preference
        if p is None:
            continue
        why = f"fails: {'; '.join(e.failed)}" if e.failed else "passes the constraints"
        console.print(f"  not shortlisted: {e.model}{_as(e)}: {p.rating:.0f} [{p.ci_low:.0f}, "
                      f"{p.ci_high:.0f}], {p.rank} of {p.of}; task score {e.task_score * 100:.1f} ({why})")
    if not rated and not use.others:
        console.print("  no contestant of this arena has a task score here")
    for line in use.disagreements:
        console.print(f"  [bold]![/] {line}")
    if use.unscored:
        console.print(f"  [dim]contestants with no evidence to score: {', '.join(use.unscored)}[/]")
    if use.unmatched:
        console.print(f"  [dim]contestants matching no model (--arena-map NAME=MODEL): {', '.join(use.unmatched)}[/]")
    for note in use.notes:
        console.print(f"  [dim]{note}[/]")


def why_not_groups(sl: Any) -> list[tuple[str, list[Any]]]:
    """Excluded models grouped by their first reason, groups in the order the reasons matter."""
    groups: dict[str, list[Any]] = {}
    for x in sl.excluded:
        groups.setdefault(x.kinds[0], []).append(x)
    order = list(_KIND_WORDS)
    return sorted(groups.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)


def _short_reason(x: Any) -> str:
    reason = x.reason
    for cut in (", RTX", ", each of", " (--", ", not the maker"):
        if cut in reason:
            reason = reason[: reason.index(cut)]
    return reason


def _render_why_not(sl: Any, expand: str | None = None) -> None:
    if not sl.excluded:
        return
    last = sl.entries[-1].task_score * 100 if sl.entries else None
    head = f"stronger on this task than #{len(sl.entries)} ({last:.1f})" if last is not None else "stronger"
    console.print(f"\n[bold]Why not[/] ({head}, but excluded), by reason:")
    for kind, members in why_not_groups(sl):
        everything = expand in (kind, "all")
        names = members if everything else members[:WHY_NOT_SHOWN]
        parts = [f"{x.model} {x.task_score * 100:.1f}" + (f" ({_short_reason(x)})" if kind in ("fit", "license",
                 "context", "evidence", "cost", "params") else "") if x.task_score is not None else x.model
                 for x in names]
        more = len(members) - len(names)
        line = f"  [bold]{_KIND_WORDS.get(kind, kind)}[/] ({len(members)}): " + "; ".join(parts)
        if more > 0:
            line += f"; [dim]+{more} more (--why-not {kind})[/]"
        console.print(line)


def _render_caveats(sl: Any) -> None:
    lines = list(sl.caveats)
    for e in sl.entries:
        lines += [f"#{e.rank} {e.model}: {c}" for c in e.caveats
                  if not c.startswith(("license conditions", "memory from an approximate", "predicted, not"))]
    if lines:
        console.print("\n[bold]Caveats[/]")
        for line in lines:
            console.print(f"  - {line}")


def register(app: typer.Typer) -> None:
    """Attach `pick` and `tasks` to the root app."""

    @app.command("pick", help=PICK_HELP)
    def pick_cmd(
        gpu: GpuOption = None,
        gpus: GpusOption = None,
        task: TaskOption = None,
        weights: WeightsOption = None,
        profile_file: Annotated[Path | None, typer.Option("--profile-file", help="Profile YAML file.")] = None,
        license_: LicenseOption = "any",
        mode: ModeOption = "inference",
        context: ContextOption = "4096",
        min_context: MinContextOption = None,
        top: TopOption = 10,
        alpha: Annotated[float, typer.Option("--alpha", help="Significance level for tiers.")] = 0.05,
        max_params: MaxParamsOption = None,
        family: Annotated[str | None, typer.Option("--family", help="Only this model family.")] = None,
        min_coverage: Annotated[
            float | None, typer.Option("--min-coverage", help="Least share of the weight measured, not predicted.")
        ] = None,
        min_bits: Annotated[float, typer.Option("--min-bits", help="Lowest weight precision tried.")] = 4.0,
        include_community: Annotated[bool, typer.Option(
            "--include-community", "--include-merges",
            help="Also rank community fine-tunes, merges and modified variants from imported leaderboards.")] = False,
        allow_unknown_license: Annotated[
            bool, typer.Option("--allow-unknown-license", help="Keep models whose license needs review.")
        ] = False,
        include_api: IncludeApiOption = False,
        no_impute: Annotated[bool, typer.Option(
            "--no-impute", help="Average only measured benchmarks (no prediction of missing ones).")] = False,
        max_cost: Annotated[float | None, typer.Option(
            "--max-cost-per-mtok", help="Most $ per 1M output tokens (API price or self-hosted).")] = None,
        gpu_price: Annotated[float | None, typer.Option(
            "--gpu-price", help="$ per hour per card (default: median on-demand list price).")] = None,
        prompt_tokens: Annotated[int | None, typer.Option(
            "--prompt-tokens", help="Typical prompt length for cost (default: the task's).")] = None,
        output_tokens: Annotated[int | None, typer.Option(
            "--output-tokens", help="Typical answer length for cost (default: the task's).")] = None,
        hosted_file: Annotated[Path | None, typer.Option(
            "--hosted-file", help="YAML of hosted models/prices that overrides the built-in table.")] = None,
        why_not: Annotated[str | None, typer.Option(
            "--why-not", help="List every excluded model of one reason (fit, license, community, ...) or 'all'.")
        ] = None,
        models: Annotated[str | None, typer.Option(
            "--models", help="Rank exactly these models (comma-separated), saying what each fails.")] = None,
        arena: Annotated[str | None, typer.Option(
            "--arena", help="Your own arena (shortlist arena): show its ratings for the shortlisted models.")] = None,
        arena_map: Annotated[list[str] | None, typer.Option(
            "--arena-map", help="CONTESTANT=MODEL where a contestant's name matches no model (repeatable).")] = None,
        arena_weight: Annotated[float, typer.Option(
            "--arena-weight", help="Share of the task score from your arena's votes (0: shown, not scored).")] = 0.0,
        db: DbOption = None,
        json_: JsonOption = False,
    ) -> None:
        from shortlist.rank import PickRequest, pick

        req = PickRequest(
            task=task, weights=weights, profile_file=profile_file, gpu=gpu, gpus=gpus, mode=mode,
            context=parse_tokens(context, "--context") or 4096, min_context=parse_tokens(min_context, "--min-context"),
            license=license_, allow_unknown_license=allow_unknown_license, include_api=include_api,
            include_community=include_community, max_params_b=parse_params_b(max_params), family=family,
            min_coverage=min_coverage, min_bits=min_bits, top=top, alpha=alpha, db=db, impute=not no_impute,
            max_cost_per_mtok=max_cost, gpu_price=gpu_price, prompt_tokens=prompt_tokens,
            output_tokens=output_tokens, hosted_file=hosted_file, arena=arena, arena_map=arena_map or None,
            arena_weight=arena_weight, models=comma_list(models),
        )
        if why_not is not None and why_not not in (*_KIND_WORDS, "all"):
            raise BadInput(f"unknown --why-not reason '{why_not}'", f"use one of: {', '.join(_KIND_WORDS)}, all")
        result = pick(req)
        if json_:
            emit_json(result.to_dict())
        elif why_not is not None:
            _render_why_not(result, expand=why_not)
        else:
            render(result)

    @app.command("tasks", help=TASKS_HELP)
    def tasks_cmd(
        name: Annotated[str | None, typer.Argument(help="Show one profile.")] = None,
        json_: JsonOption = False,
    ) -> None:
        from shortlist.rank import get_profile, list_profiles

        profiles = [get_profile(name)] if name else list_profiles()
        if json_:
            emit_json([
                {"id": p.id, "name": p.name, "aliases": list(p.aliases), "description": p.description,
                 "weights": p.weights, "reasons": p.reasons,
                 "workload": {"prompt_tokens": p.prompt_tokens, "output_tokens": p.output_tokens,
                              "reason": p.workload_reason}}
                for p in profiles
            ])
            return
        from rich.table import Table

        for p in profiles:
            total = sum(p.weights.values())
            table = Table(title=f"{p.id}: {p.name}", title_justify="left", caption=p.description,
                          caption_justify="left", header_style="bold")
            table.add_column("Benchmark")
            table.add_column("Weight", justify="right")
            table.add_column("Share", justify="right")
            table.add_column("Why", overflow="fold")
            for b, w in sorted(p.weights.items(), key=lambda kv: -kv[1]):
                table.add_row(b, f"{w:g}", f"{w / total:.0%}", p.reasons.get(b, ""))
            console.print(table)
            if p.aliases:
                console.print(f"  [dim]aliases: {', '.join(p.aliases)}[/]")
