"""`shortlist measure`: time a real server (or a local GGUF) request by request, and keep the result."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from shortlist.cli.output import DbOption, JsonOption, console, emit_json

MEASURE_HELP = """Measure latency and throughput of a real model server, streamed token by token:
time to first token (p50/p95), inter-token latency (p50/p95), tokens/s per request and in total,
errors, at each --concurrency level. The result is stored with the device it ran on, and
`shortlist fit` (and `pick`) then show it instead of their estimate.

\b
MODEL is openai:NAME@http://HOST:PORT/v1 (any OpenAI-compatible server that streams
/v1/completions: vLLM, SGLang, llama.cpp, llama-cpp-python, Ollama), or llamacpp:FILE.gguf,
which is served here with llama-cpp-python on 127.0.0.1 for the measurement.

\b
Examples:
  shortlist measure llamacpp:SmolLM2-135M-Instruct.Q4_1.gguf --prompt-tokens 256 --output-tokens 64
  shortlist measure openai:Qwen/Qwen2.5-7B-Instruct@http://127.0.0.1:8000/v1 --gpu 4090 --concurrency 1,4,16
  shortlist measure openai:my-model@http://10.0.0.5:8000/v1 --as meta-llama/Llama-3.1-8B-Instruct --gpu H100
"""


def measure_command(
    model: Annotated[str, typer.Argument(help="openai:NAME@URL or llamacpp:FILE.gguf.")],
    prompt_tokens: Annotated[int, typer.Option("--prompt-tokens", help="Prompt length of each request.")] = 512,
    output_tokens: Annotated[int, typer.Option("--output-tokens", help="Tokens asked of each request.")] = 128,
    concurrency: Annotated[str, typer.Option("--concurrency", help="Requests in flight, e.g. 1,4,16.")] = "1",
    requests: Annotated[int, typer.Option("--requests", help="Requests per concurrency level.")] = 8,
    gpu: Annotated[str | None, typer.Option("--gpu", help="The device the server runs on (default: this machine).")]
    = None,
    gpus: Annotated[int | None, typer.Option("--gpus", help="Cards the server uses.")] = None,
    as_model: Annotated[str | None, typer.Option("--as", help="Catalog id the served model is (for `fit`).")] = None,
    precision: Annotated[str | None, typer.Option("--precision", help="Weight format served (q4_k_m, bf16...).")]
    = None,
    threads: Annotated[int | None, typer.Option("--threads", help="llamacpp: CPU threads for the local server.")]
    = None,
    store_result: Annotated[bool, typer.Option("--store/--no-store", help="Keep the result for `fit` and `pick`.")]
    = True,
    db: DbOption = None,
    json_: JsonOption = False,
) -> None:
    import os

    from shortlist.catalog.gpus import choose_device
    from shortlist.errors import BadInput
    from shortlist.evaluate.measure import check_sizes, llamacpp_server, measure_server, parse_concurrency, parse_target

    levels = parse_concurrency(concurrency)
    check_sizes(prompt_tokens, output_tokens, requests)
    if threads is not None and threads <= 0:
        raise BadInput(f"--threads must be positive, got {threads}")
    target = parse_target(model)
    device, n_gpus, how = choose_device(gpu, gpus)
    key, fmt = _model_key(target, as_model, precision)
    if target.kind == "llamacpp":
        from pathlib import Path

        with llamacpp_server(Path(target.model), prompt_tokens + output_tokens + 64, threads) as url:
            results = measure_server(url, "", prompt_tokens, output_tokens, levels, requests)
        source = target.model
    else:
        results = measure_server(target.url, target.model, prompt_tokens, output_tokens, levels, requests,
                                 os.environ.get("OPENAI_API_KEY"))
        source = f"{target.model}@{target.url}" if target.model else target.url
    stored = _store(results, key, fmt, source, device.id, n_gpus, db) if store_result else []
    if json_:
        emit_json({"model": key, "source": source, "device": device.id, "gpus": n_gpus, "precision": fmt,
                   "device_from": how, "stored_ids": stored, "levels": [vars(r) for r in results]})
        return
    _table(results, key, source, device.id, n_gpus, how)
    if stored:
        console.print(f"stored for `shortlist fit {key}{'' if how != '--gpu' else f' --gpu {device.id!r}'}`",
                      style="dim")


def _model_key(target: Any, as_model: str | None, precision: str | None) -> tuple[str, str | None]:
    """The name `fit` reports for this model (so its lookup finds the run) and the weight format, when known."""
    from shortlist.errors import NotFound
    from shortlist.fit.formats import get_format

    fmt = get_format(precision).name if precision else None
    if as_model:
        from shortlist.fit.inputs import resolve_model

        return resolve_model(as_model).spec.id, fmt
    if target.kind == "llamacpp":
        from shortlist.fit.inputs import resolve_model

        rm = resolve_model(target.model)
        return rm.spec.id, fmt or rm.precision
    from shortlist.catalog import get_model

    try:
        return get_model(target.model).id, fmt
    except NotFound:
        return target.model or target.url, fmt


def _store(results: list[Any], key: str, fmt: str | None, source: str, device: str, gpus: int, db: Any) -> list[int]:
    from shortlist.fit.measured import now, record
    from shortlist.fit.schema import Measured
    from shortlist.store import Store

    ids = []
    stamp = now()
    with Store(db) as store:
        for r in results:
            if r.errors == r.requests:
                continue
            ids.append(record(store, key, Measured(
                measured_at=stamp, source=source, device=device, prompt_tokens=r.prompt_tokens,
                output_tokens=r.output_tokens, concurrency=r.concurrency, requests=r.requests, errors=r.errors,
                ttft_p50_s=r.ttft_p50_s, ttft_p95_s=r.ttft_p95_s, itl_p50_s=r.itl_p50_s, itl_p95_s=r.itl_p95_s,
                tokens_per_s_per_request=r.tokens_per_s_per_request, tokens_per_s_total=r.tokens_per_s_total),
                precision=fmt, gpus=gpus))
    return ids


def _table(results: list[Any], key: str, source: str, device: str, gpus: int, how: str) -> None:
    from rich.table import Table

    t = Table(title=f"{key} on {device}{f' × {gpus}' if gpus > 1 else ''} ({how}); times in ms",
              header_style="bold")
    for col in ("conc", "req", "err", "in", "out", "TTFT p50", "TTFT p95", "ITL p50", "ITL p95", "tok/s req",
                "tok/s all"):
        t.add_column(col, justify="right", no_wrap=True)
    for r in results:
        t.add_row(str(r.concurrency), str(r.requests), str(r.errors), str(r.prompt_tokens), str(r.output_tokens),
                  f"{r.ttft_p50_s * 1000:,.0f}", f"{r.ttft_p95_s * 1000:,.0f}", f"{r.itl_p50_s * 1000:,.1f}",
                  f"{r.itl_p95_s * 1000:,.1f}", f"{r.tokens_per_s_per_request:,.1f}", f"{r.tokens_per_s_total:,.1f}")
    console.print(t)
    console.print(f"source: {source}", style="dim")
    for r in results:
        if r.first_error:
            console.print(f"concurrency {r.concurrency}: {r.errors} errors, first: {r.first_error}", style="yellow")
        if r.errors < r.requests and r.output_tokens < r.asked_tokens:
            console.print(f"concurrency {r.concurrency}: the server streamed {r.output_tokens} of the "
                          f"{r.asked_tokens} tokens asked per request on average (it ended answers early; "
                          "llama-cpp-python's server interrupts a running request when the next arrives)",
                          style="yellow")


def register(app: typer.Typer) -> None:
    """Attach `shortlist measure` to the root app."""
    app.command("measure", help=MEASURE_HELP)(measure_command)
