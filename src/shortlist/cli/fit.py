"""`shortlist fit`: does a model fit this hardware, with what breakdown, how far it stretches, how fast."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from shortlist.cli.output import JsonOption, console, emit_json, fmt_count

FIT_HELP = """Memory and speed of MODEL on a GPU: fits or not, the breakdown, headroom, the largest
context and batch that fit, decode and prefill tokens/s, and how to verify it.

\b
MODEL is a catalog id or alias, a local folder with config.json + safetensors, a .gguf file,
or a Hub repo id in the local cache. Without MODEL: every catalog model that fits, largest first.
Without --precision: the best precision the device runs that fits (a model's native format such as
gpt-oss's MXFP4 first, then bf16 > fp8 > q8_0 > ... > iq1_m, only those with kernels for the device:
no fp8 before Ada/Hopper, no AWQ/GPTQ/bitsandbytes off NVIDIA, MLX or GGUF on Apple, GGUF on CPUs).
Latency (time to first token, per output token, whole request) is for --prompt-tokens in and
--output-tokens out (defaults: the --task profile's typical request). A `shortlist measure` run of
the model on this device is shown instead of the estimate.

\b
Examples:
  shortlist fit meta-llama/Llama-3.1-8B --gpu 4090 --context 8k
  shortlist fit llama-3.1-70b --gpu "A100 80GB" --gpus 2 --precision fp8
  shortlist fit ./Llama-3.1-8B-Q4_K_M.gguf --gpu 3060 --kv-dtype q8_0
  shortlist fit qwen2.5-7b --gpu 4090 --mode qlora --context 4k --lora-rank 32
  shortlist fit openai/gpt-oss-120b --gpu H100
  shortlist fit llama-3.1-70b --gpu 4090 --offload --host "CPU DDR5 dual-channel 128GB"
  shortlist fit qwen2.5-7b --gpu "M3 Max 64GB" --precision mlx-q4 --prompt-tokens 4000
  shortlist fit --gpu 4090 --context 32k --json
"""

GiB = 2**30


def _table_one(r: Any) -> None:
    from rich.table import Table

    m = r.memory
    status = "[green]fits[/green]" if r.fits else "[red]does not fit[/red]"
    per_card = f" per card × {r.gpus}" if r.gpus > 1 else ""
    console.print(f"[bold]{r.model_name}[/bold] ({fmt_count(r.params_total)} params"
                  + (f", {fmt_count(r.params_active)} active" if r.params_active != r.params_total else "")
                  + f") · {r.precision} · {r.mode} · {r.context:,} ctx × {r.batch} · {r.gpu}{per_card}: {status}")
    t = Table(show_header=True, header_style="bold")
    t.add_column("term")
    t.add_column("GiB", justify="right")
    t.add_column("basis")
    for term in m.terms:
        t.add_row(term.name, f"{term.bytes / GiB:,.2f}", term.formula)
    t.add_row("[bold]total[/bold]", f"[bold]{m.total_bytes / GiB:,.2f}[/bold]",
              f"± {r.basis.uncertainty_pct:g}%" + (f"; host RAM {m.host_bytes / GiB:.2f} GiB" if m.host_bytes else ""))
    console.print(t)
    sign = "" if r.headroom_bytes >= 0 else "short by "
    console.print(f"budget {r.budget_bytes / GiB:,.2f} GiB per card · headroom {sign}{abs(r.headroom_bytes) / GiB:,.2f}"
                  f" GiB · max context {r.max_context:,} · max batch {r.max_batch:,}")
    _speed_lines(r)
    console.print(f"rule of thumb: (GPU GB × 0.75) ÷ {r.rule_of_thumb_context_multiplier:g} (context) ÷ bytes/param "
                  f"≈ {r.rule_of_thumb_max_params_b:g}B params max")
    console.print("assumptions: " + "; ".join(r.basis.assumptions), style="dim")
    for w in r.warnings:
        console.print(f"note: {w}", style="yellow")
    console.print(f"verify: {r.basis.verify_command}", style="dim")


def _speed_lines(r: Any) -> None:
    """Speeds and latency, or why there are none: a model that does not fit has no speed to show."""
    if r.decode_tokens_per_s is None:
        if r.mode == "inference":
            hint = "; --offload estimates llama.cpp with layers in RAM" if r.runtime == "llama.cpp" else ""
            console.print(f"no speed: it does not fit{hint}", style="dim")
        return
    if r.measured is not None:
        m = r.measured
        console.print(f"measured {m.measured_at[:10]} ({m.requests} requests, concurrency {m.concurrency}): decode "
                      f"{r.decode_tokens_per_s:,.1f} tok/s per request ({m.tokens_per_s_total:,.1f} total) · TTFT p50 "
                      f"{m.ttft_p50_s * 1000:,.0f} ms, p95 {m.ttft_p95_s * 1000:,.0f} ms · ITL p50 "
                      f"{m.itl_p50_s * 1000:,.1f} ms · errors {m.errors}")
    else:
        console.print(f"decode ≈ {r.decode_tokens_per_s:,.0f} tok/s per sequence ({r.decode_tokens_per_s_total:,.0f} "
                      f"total, ± {r.basis.speed_uncertainty_pct:g}%) · prefill ≈ {r.prefill_tokens_per_s:,.0f} tok/s "
                      f"(± {r.basis.prefill_uncertainty_pct:g}%)")
    lat = r.latency
    if lat is not None:
        console.print(f"latency ({lat.basis}, {lat.prompt_tokens:,} in / {lat.output_tokens:,} out): first token "
                      f"{_secs(lat.ttft_s)} (± {lat.ttft_band_pct:g}%) · {lat.tpot_s * 1000:,.1f} ms per token "
                      f"(± {lat.tpot_band_pct:g}%) · whole request {_secs(lat.e2e_s)} (± {lat.e2e_band_pct:g}%)")
    if r.measured is None:
        console.print(f"speed basis: {r.basis.speed_basis}", style="dim")


def _secs(s: float) -> str:
    return f"{s * 1000:,.0f} ms" if s < 1 else f"{s:,.1f} s"


def _table_many(results: list[Any], title: str) -> None:
    from rich.table import Table

    t = Table(title=title, header_style="bold")
    for col, justify in (("model", "left"), ("params", "right"), ("precision", "left"), ("total GiB", "right"),
                         ("headroom GiB", "right"), ("max ctx", "right"), ("max batch", "right"),
                         ("decode tok/s", "right"), ("fits", "left")):
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in results:
        t.add_row(r.model, fmt_count(r.params_total), r.precision, f"{r.memory.total_bytes / GiB:,.1f}",
                  f"{r.headroom_bytes / GiB:,.1f}", f"{r.max_context:,}", f"{r.max_batch:,}",
                  "-" if r.decode_tokens_per_s is None else f"{r.decode_tokens_per_s:,.0f}",
                  "yes" if r.fits else "[red]no[/red]")
    console.print(t)


def fit_command(
    models: Annotated[list[str] | None, typer.Argument(help="Catalog id/alias, folder, .gguf file or Hub id.")] = None,
    gpu: Annotated[str | None, typer.Option("--gpu", help="GPU name, e.g. 4090, 'A100 80GB', 'M3 Max 64GB'.")] = None,
    gpus: Annotated[int | None, typer.Option("--gpus", help="Number of identical cards (judged per card).")] = None,
    context: Annotated[str, typer.Option("--context", "-c", help="Tokens per sequence: 8k, 32K, 131072.")] = "4k",
    batch: Annotated[int, typer.Option("--batch", "-b", help="Concurrent sequences (training: per device).")] = 1,
    mode: Annotated[str, typer.Option("--mode", help="inference, lora, qlora or full.")] = "inference",
    precision: Annotated[str | None, typer.Option("--precision", "-p", help="bf16, fp8, int8, awq, nf4, q4_k_m.")] = (
        None),
    kv_dtype: Annotated[str | None, typer.Option("--kv-dtype", help="bf16, fp8, q8_0, q4_0 (llama.cpp).")] = None,
    free_memory: Annotated[str | None, typer.Option("--free-memory", help="Memory free per card: 20GB.")] = None,
    lora_rank: Annotated[int, typer.Option("--lora-rank", help="LoRA rank r.")] = 16,
    lora_targets: Annotated[str, typer.Option("--lora-targets", help="q,k,v,o,gate,up,down or all-linear.")] = (
        "all-linear"),
    optimizer: Annotated[str, typer.Option("--optimizer", help="adamw, adamw8bit, paged_adamw8bit, sgd.")] = "adamw",
    grad_checkpointing: Annotated[bool, typer.Option("--grad-checkpointing/--no-grad-checkpointing")] = True,
    framework: Annotated[str, typer.Option("--framework", help="transformers or unsloth.")] = "transformers",
    parallelism: Annotated[str, typer.Option("--parallelism", help="auto, tp, ddp, zero2, zero3, fsdp.")] = "auto",
    runtime: Annotated[str, typer.Option("--runtime", help="auto, vllm, transformers, llama.cpp or mlx.")] = "auto",
    offload: Annotated[bool, typer.Option("--offload", help="llama.cpp: layers that do not fit stay in host RAM.")]
    = False,
    host: Annotated[str | None, typer.Option("--host", help="Host RAM for --offload: a CPU entry of `shortlist gpus`.")]
    = None,
    prompt_tokens: Annotated[int | None, typer.Option("--prompt-tokens", help="Prompt of a typical request.")] = None,
    output_tokens: Annotated[int | None, typer.Option("--output-tokens", help="Answer of a typical request.")] = None,
    task: Annotated[str | None, typer.Option("--task", help="Task profile for the typical request (see tasks).")]
    = None,
    allow_long_context: Annotated[bool, typer.Option("--allow-long-context", help="Go past the native limit.")] = False,
    online: Annotated[bool, typer.Option("--online", help="Read a Hub repo's config and headers from the Hub.")]
    = False,
    min_bits: Annotated[float, typer.Option("--min-bits", help="Lowest bits/weight tried when choosing a precision.")]
    = 4.0,
    json_: JsonOption = False,
) -> None:
    from shortlist.catalog.gpus import choose_device
    from shortlist.errors import BadInput
    from shortlist.fit import FitRequest, best_fit, estimate, measured_for, precisions_at_least
    from shortlist.fit.inputs import parse_bytes, parse_context, resolve_model

    choices = {"mode": (mode, ("inference", "lora", "qlora", "full")),
               "framework": (framework, ("transformers", "unsloth")),
               "optimizer": (optimizer, ("adamw", "adamw8bit", "paged_adamw", "paged_adamw8bit", "sgd",
                                         "sgd_nomomentum")),
               "parallelism": (parallelism, ("auto", "tp", "ddp", "zero2", "zero3", "fsdp")),
               "runtime": (runtime, ("auto", "vllm", "transformers", "llama.cpp", "mlx"))}
    for opt, (value, allowed) in choices.items():
        if value not in allowed:
            raise BadInput(f"unknown --{opt} '{value}'", "choose one of: " + ", ".join(allowed))
    if batch <= 0:
        raise BadInput(f"--batch must be positive, got {batch}")
    allowed_precisions = precisions_at_least(min_bits) if mode == "inference" else None
    if mode == "inference" and not allowed_precisions:
        raise BadInput(f"no precision has at least {min_bits:g} bits per weight", "use --min-bits 16 or lower")
    if lora_rank <= 0:
        raise BadInput(f"--lora-rank must be positive, got {lora_rank}")
    for flag, value in (("--prompt-tokens", prompt_tokens), ("--output-tokens", output_tokens)):
        if value is not None and value <= 0:
            raise BadInput(f"{flag} must be positive, got {value}")
    if task is not None:
        from shortlist.rank.profiles import get_profile

        profile = get_profile(task)
        prompt_tokens = prompt_tokens or profile.prompt_tokens
        output_tokens = output_tokens or profile.output_tokens
    ctx = parse_context(context)
    free = parse_bytes(free_memory) if free_memory else None
    spec_gpu, n_gpus, how = choose_device(gpu, gpus)
    host_spec = _host_spec(host, how)
    common: dict[str, Any] = dict(
        gpu=spec_gpu, gpus=n_gpus, context=ctx, batch=batch, mode=mode, kv_dtype=kv_dtype, free_memory_bytes=free,
        lora_rank=lora_rank, lora_targets=tuple(t for t in lora_targets.split(",") if t.strip()), optimizer=optimizer,
        grad_checkpointing=grad_checkpointing, framework=framework, parallelism=parallelism, runtime=runtime,
        allow_long_context=allow_long_context, offload=offload, host=host_spec, prompt_tokens=prompt_tokens,
        output_tokens=output_tokens)
    results = []
    if models:
        for name in models:
            rm = resolve_model(name, online=online)
            chosen = precision or rm.precision
            exact = rm.weights_bytes_exact if chosen == rm.precision and mode == "inference" else None
            req = FitRequest(model=rm.spec, precision=chosen or "bf16", weights_bytes_exact=exact,
                             source_warnings=rm.warnings, **common)
            result = estimate(req) if chosen else best_fit(req, allowed_precisions)
            results.append(measured_for(result) if result.mode == "inference" else result)
    else:
        from shortlist.catalog import list_models

        for spec in list_models():
            req = FitRequest(model=spec, precision=precision or "bf16",
                             **{**common, "context": min(ctx, spec.max_context) if not allow_long_context else ctx})
            r = estimate(req) if precision else best_fit(req, allowed_precisions)
            if r.fits:
                results.append(r)
        results.sort(key=lambda r: (-r.params_total, r.model))
    if json_:
        emit_json([r.model_dump(mode="json") for r in results] if len(results) != 1 or not models
                  else results[0].model_dump(mode="json"))
        return
    if how != "--gpu":
        console.print(f"GPU: {spec_gpu.id} × {n_gpus} ({how})", style="dim")
    if models and len(results) == 1:
        _table_one(results[0])
    elif models:
        _table_many(results, f"{spec_gpu.id} × {n_gpus}, {ctx:,} ctx, {mode}")
        for r in results:
            console.print()
            _table_one(r)
    elif results:
        _table_many(results, f"Catalog models that fit {spec_gpu.id} × {n_gpus} at {ctx:,} ctx ({mode})")
    else:
        console.print(f"No catalog model fits {spec_gpu.id} × {n_gpus} at {ctx:,} tokens ({mode}).")


def _host_spec(name: str | None, how: str) -> Any:
    """--host names the machine's RAM for --offload; a detected GPU's own machine is measured instead."""
    from shortlist.catalog.gpus import get_gpu, system_memory_spec
    from shortlist.errors import BadInput

    if name:
        spec = get_gpu(name)
        if spec.vendor != "cpu":
            raise BadInput(f"--host {name} is a GPU, not host RAM",
                           "name a CPU entry such as 'CPU DDR5 dual-channel 64GB'")
        return spec
    return system_memory_spec() if how == "detected" else None


def register(app: typer.Typer) -> None:
    """Attach `shortlist fit` to the root app."""
    app.command("fit", help=FIT_HELP, no_args_is_help=False)(fit_command)
