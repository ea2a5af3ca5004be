"""`shortlist models`, `shortlist model` and `shortlist gpus`: browse the built-in catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from shortlist.cli.output import DbOption, JsonOption, console, emit_json, fmt_bytes, fmt_count
from shortlist.errors import BadInput, NotFound

MODELS_HELP = """List catalog models, filtered by family, kind, size, context and license.

\b
Examples:
  shortlist models
  shortlist models --family qwen2.5 --kind base
  shortlist models --max-params 8b --license commercial
  shortlist models --min-context 128k --json
"""

MODEL_HELP = """Show one model: a catalog id or alias, a checkpoint folder, a .gguf file, or a Hub repo.

\b
Examples:
  shortlist model llama-3.1-8b
  shortlist model Qwen/Qwen2.5-7B-Instruct --json
  shortlist model ./SmolLM2-135M-Instruct.Q4_1.gguf
  shortlist model ./my-finetune/            (config.json + *.safetensors; no weights are loaded)
  shortlist model someone/new-model --online
"""

GPUS_HELP = """List catalog GPUs and machines (memory, usable share, bandwidth, dense bf16 TFLOPS).

\b
Examples:
  shortlist gpus
  shortlist gpus 4090
  shortlist gpus --kind apple
  shortlist gpus --min-memory 48 --json
  shortlist gpus --detect           (what this machine has: nvidia-smi, torch, or system RAM)
"""


def _ctx(n: int) -> str:
    return f"{n // 1024}k" if n >= 1024 and n % 1024 == 0 else f"{n:,}"


def _parse_context(text: str | None) -> int | None:
    if text is None:
        return None
    t = text.strip().lower()
    scale = 1024 if t.endswith("k") else 1
    try:
        value = float(t.removesuffix("k")) * scale
    except ValueError:
        raise BadInput(f"--min-context '{text}' is not a token count", "write it like 8192, 32k or 128k") from None
    if value <= 0:
        raise BadInput(f"--min-context must be positive, got '{text}'")
    return int(value)


def _model_row(m: Any) -> dict[str, Any]:
    from shortlist.catalog.licenses import license_class

    return {**m.model_dump(mode="json"), "license_class": license_class(m.license)}


def models_cmd(
    family: Annotated[str | None, typer.Option("--family", "-f", help="Model family, e.g. qwen2.5, llama3.1.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="base, instruct or reasoning.")] = None,
    max_params: Annotated[str | None, typer.Option("--max-params", help="Largest total size, e.g. 8b, 500m.")] = None,
    min_context: Annotated[str | None, typer.Option("--min-context", help="Smallest context, e.g. 32k.")] = None,
    license: Annotated[
        str | None, typer.Option("--license", help="Intended use: commercial, non-commercial, research.")
    ] = None,
    allow_unknown_license: Annotated[
        bool, typer.Option("--allow-unknown-license", help="Keep models whose license needs review.")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    from shortlist.catalog.licenses import WANTED, license_class
    from shortlist.catalog.models import list_models

    if license is not None and license not in WANTED:
        raise BadInput(f"unknown --license '{license}'", f"use one of: {', '.join(WANTED)}")
    found = list_models(family=family, kind=kind, max_params=max_params, min_context=_parse_context(min_context),
                        usable_for=license, allow_unknown_license=allow_unknown_license)
    if json_out:
        emit_json([_model_row(m) for m in found])
        return
    from rich import box
    from rich.table import Table

    table = Table(title=f"{len(found)} models", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    any_moe = any(m.is_moe for m in found)  # the active column only when it says something
    table.add_column("id", overflow="fold", ratio=1)
    for col in ("family", "kind", "params", *(("active",) if any_moe else ()), "context", "license", "release"):
        right = col in ("params", "active", "context")
        table.add_column(col, justify="right" if right else "left", no_wrap=col != "license", overflow="fold")
    for m in found:
        active = [fmt_count(m.params_active) if m.params_active else ("MoE" if m.is_moe else "-")] if any_moe else []
        lic = m.license if license_class(m.license) == "commercial" else f"{m.license} ({license_class(m.license)})"
        table.add_row(m.id, m.family, m.kind, fmt_count(m.params_total), *active, _ctx(m.max_context), lic,
                      m.release_date.strftime("%Y-%m") if m.release_date else "-")
    console.print(table)
    if not found:
        console.print("No model matches these filters; loosen one (see `shortlist models --help`).")


def _resolve_model(arg: str, online: bool) -> tuple[Any, Any]:
    """(ModelSpec, ModelFile or None): catalog first unless the argument names an existing path."""
    from shortlist.catalog.models import get_model
    from shortlist.catalog.readers import read_model_source

    if Path(arg).expanduser().exists():
        found = read_model_source(arg, online=online)
        return found.spec, found
    try:
        return get_model(arg), None
    except NotFound:
        if "/" not in arg:
            raise
    found = read_model_source(arg, online=online)
    return found.spec, found


def model_cmd(
    name: Annotated[str, typer.Argument(help="Catalog id/alias, folder, .gguf file or owner/name repo.")],
    online: Annotated[bool, typer.Option("--online", help="Allow fetching config and headers from the Hub.")] = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    from shortlist.catalog.licenses import explain

    if json_out and not Path(name).expanduser().exists():
        from shortlist.catalog.hosted import find_hosted

        try:
            from shortlist.report.views import model_view

            emit_json(model_view(name, db).model_dump(mode="json"))  # the model page's schema (docs/json-model.md)
            return
        except NotFound:
            if find_hosted(name) is not None or "/" not in name:
                raise
    spec, found = _resolve_model(name, online)
    if json_out:
        out: dict[str, Any] = {"model": _model_row(spec)}
        if found is not None:
            out["file"] = {k: getattr(found, k) for k in ("path", "format", "params_exact", "weight_bytes",
                                                          "dtypes", "quantization")}
        emit_json(out)
        return
    from rich.table import Table

    table = Table(show_header=False, title=spec.id, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    rows = [
        ("family / kind", f"{spec.family} / {spec.kind}"),
        ("architecture", spec.architecture),
        ("parameters", f"{spec.params_total:,} ({fmt_count(spec.params_total)})"),
        ("layers x hidden", f"{spec.layers} x {spec.hidden_size} (ffn {spec.intermediate_size})"),
        ("attention", f"{spec.attention_heads} heads, {spec.kv_heads} kv heads, head dim {spec.head_dim}"),
        ("vocab / tied", f"{spec.vocab_size:,} / {'yes' if spec.tied_embeddings else 'no'}"),
        ("context", _ctx(spec.max_context) + (f" (window {spec.sliding_window})" if spec.sliding_window else "")),
        ("license", explain(spec.license)),
    ]
    if spec.moe:
        rows.append(("experts", f"{spec.moe.experts} ({spec.moe.experts_per_token} per token)"))
    if spec.release_date:
        rows.append(("released", spec.release_date.isoformat()))
    if found is not None:
        rows.append(("file", f"{found.path} ({found.format})"))
        rows.append(("stored", f"{fmt_bytes(found.weight_bytes)}, {found.bytes_per_param:.3f} bytes/param"))
        rows.append(("dtypes", ", ".join(f"{k} {fmt_count(v)}" for k, v in sorted(found.dtypes.items()))))
        if found.quantization:
            rows.append(("quantization", found.quantization))
    if spec.source:
        rows.append(("source", spec.source))
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)


def _gpu_row(g: Any) -> dict[str, Any]:
    return {**g.model_dump(mode="json"), "usable_gib": round(g.usable_bytes / 2**30, 2)}


def gpus_cmd(
    name: Annotated[str | None, typer.Argument(help="Show only this GPU (forgiving: 4090, a100-80gb).")] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="consumer, laptop, workstation, datacenter, apple or cpu.")
    ] = None,
    min_memory: Annotated[float | None, typer.Option("--min-memory", help="At least this many GiB.")] = None,
    detect: Annotated[bool, typer.Option("--detect", help="Show this machine's devices instead.")] = False,
    json_out: JsonOption = False,
) -> None:
    from shortlist.catalog import gpus

    if min_memory is not None and min_memory <= 0:
        raise BadInput(f"--min-memory must be positive, got {min_memory}")
    if detect:
        found = gpus.detect_gpus() or [gpus.system_memory_spec()]
    elif name is not None:
        found = [gpus.get_gpu(name)]
    else:
        found = gpus.list_gpus(kind=kind, min_memory_gib=min_memory)
    if json_out:
        emit_json([_gpu_row(g) for g in found])
        return
    from rich import box
    from rich.table import Table

    table = Table(title=f"{len(found)} devices", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("name", min_width=14)
    for col, justify in (("memory", "right"), ("usable", "right"),
                         ("bandwidth", "right"), ("bf16 TFLOPS", "right"), ("fp8", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for g in found:
        fp8 = f"{g.fp8_tflops:g}" if g.fp8_tflops else "-"
        table.add_row(g.id, f"{g.memory_gib:g} GiB", f"{g.usable_bytes / 2**30:.1f} GiB",
                      f"{g.bandwidth_gb_s:,.0f} GB/s", f"{g.bf16_tflops:g}", fp8)
    console.print(table)
    if detect or name is not None:
        for g in found:
            if g.notes:
                console.print(f"[dim]{g.id}: {g.notes}[/]")


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the root app."""
    app.command("models", help=MODELS_HELP)(models_cmd)
    app.command("model", help=MODEL_HELP)(model_cmd)
    app.command("gpus", help=GPUS_HELP)(gpus_cmd)
