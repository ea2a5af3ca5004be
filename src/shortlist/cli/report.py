"""`shortlist report`: the decision in one file a team can read (HTML, Markdown or JSON)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from shortlist.cli.output import DbOption, comma_list, err_console
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

HELP = """Write the decision report: the question, the shortlist with tiers in words, the evidence and its sources.

One self-contained HTML file (opens offline, prints cleanly), or --format md for a wiki or pull request, or
--format json. The same store and options give a byte-identical file.

\b
Examples:
  shortlist report --gpu "RTX 4090" --task customer-support --license commercial -o decision.html
  shortlist report --gpu H100 --gpus 8 --task general-chat --include-api --format md -o decision.md
  shortlist report --gpu 4090 --task coding --models Qwen/Qwen3-32B,google/gemma-3-27b-it --runs 3f2a,81d0 -o a.html
"""


def report_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    gpu: GpuOption = None,
    gpus: GpusOption = None,
    task: TaskOption = None,
    weights: WeightsOption = None,
    license_: LicenseOption = "any",
    mode: ModeOption = "inference",
    context: ContextOption = "4096",
    min_context: MinContextOption = None,
    top: TopOption = 10,
    max_params: MaxParamsOption = None,
    include_api: IncludeApiOption = False,
    include_community: Annotated[bool, typer.Option("--include-community", help="Also rank community models.")]
    = False,
    allow_unknown_license: Annotated[bool, typer.Option("--allow-unknown-license",
                                                        help="Keep models whose license needs review.")] = False,
    gpu_price: Annotated[float | None, typer.Option("--gpu-price", help="$ per hour per card.")] = None,
    models: Annotated[str | None, typer.Option("--models", help="Report exactly these models (comma-separated).")]
    = None,
    runs: Annotated[str | None, typer.Option("--runs", help="Evaluation runs to include (ids, comma-separated).")]
    = None,
    arena: Annotated[str | None, typer.Option("--arena", help="Your own arena: its ratings beside the scores.")]
    = None,
    arena_weight: Annotated[float, typer.Option("--arena-weight", help="Share of the score from your arena.")] = 0.0,
    arena_map: Annotated[list[str] | None, typer.Option("--arena-map", help="CONTESTANT=MODEL (repeatable).")]
    = None,
    title: Annotated[str | None, typer.Option("--title", help="Report title.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="html, md or json.")] = "html",
    db: DbOption = None,
) -> None:
    from shortlist.rank import PickRequest
    from shortlist.report.decision import build_decision, render_html, render_markdown

    if fmt not in ("html", "md", "json"):
        raise BadInput(f"unknown --format '{fmt}'", "use html, md or json")
    if output.is_dir():
        raise BadInput(f"--output {output} is a folder", "give a file name such as decision.html")
    if not output.parent.is_dir():
        raise BadInput(f"--output: folder {output.parent} does not exist", "create it or write elsewhere")
    req = PickRequest(
        task=task, weights=weights, gpu=gpu, gpus=gpus, mode=mode, license=license_,
        context=parse_tokens(context, "--context") or 4096, min_context=parse_tokens(min_context, "--min-context"),
        top=top, max_params_b=parse_params_b(max_params), include_api=include_api,
        include_community=include_community, allow_unknown_license=allow_unknown_license, gpu_price=gpu_price, db=db,
        models=comma_list(models),
        arena=arena, arena_weight=arena_weight, arena_map=arena_map or None,
    )
    command = shlex.join(["shortlist", *sys.argv[sys.argv.index("report"):]]) if "report" in sys.argv \
        else "shortlist report"
    decision = build_decision(req, command, title, comma_list(runs), db)
    if fmt == "html":
        text = render_html(decision)
    elif fmt == "md":
        text = render_markdown(decision)
    else:
        text = decision.model_dump_json(indent=2)
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)  # nothing half written
    err_console.print(f"wrote {output} ({len(text.encode()) / 1024:,.0f} KiB)")


def register(app: typer.Typer) -> None:
    app.command("report", help=HELP)(report_command)
