"""estimate() and best_fit(): the precise answer, its basis, and the largest context and batch that fit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from shortlist.catalog.schema import GPUSpec
from shortlist.errors import BadInput
from shortlist.fit.devices import device_of
from shortlist.fit.formats import FORMATS, QUALITY_ORDER, get_format
from shortlist.fit.latency import (
    DECODE_BAND_PCT,
    DEFAULT_OUTPUT_TOKENS,
    DEFAULT_PROMPT_TOKENS,
    PREFILL_BAND_PCT,
    estimate_latency,
)
from shortlist.fit.memory import Plan, breakdown, make_plan, offload_units, parallelism, total_bytes
from shortlist.fit.options import check_device, check_runtime_options, option_warnings
from shortlist.fit.params import normalize_lora_targets
from shortlist.fit.runtimes import precision_order
from shortlist.fit.schema import Basis, FitRequest, FitResult, Offload
from shortlist.fit.speed import (
    active_params,
    context_multiplier,
    decode_tokens_per_s,
    prefill_tokens_per_s,
    rule_of_thumb_params_b,
    serving_tokens_per_s,
    speed_basis,
)
from shortlist.fit.verify import verify_command

PRECISIONS: tuple[str, ...] = tuple(FORMATS)
MAX_BATCH = 1 << 16
LONG_CONTEXT_FACTOR = 4  # --allow-long-context lets the solver go to 4× the native limit
UNCERTAINTY = {"inference": 5.0, "lora": 10.0, "qlora": 10.0, "full": 15.0}
APPROXIMATE_EXTRA = 15.0
SPEED_UNCERTAINTY = DECODE_BAND_PCT
DEFAULT_HOST = "CPU DDR5 dual-channel 64GB"  # where offloaded layers live unless --host names the machine
OFFLOAD_MAX_BITS = 4.5  # --offload with no --precision: the best GGUF at or below Q4_K_M's 4.5 bits (Ollama's pick)


def validate(req: FitRequest) -> FitRequest:
    """Reject impossible inputs with one clear message; normalise mode-specific precision."""
    for name in ("gpus", "context", "batch", "lora_rank"):
        if getattr(req, name) <= 0:
            raise BadInput(f"{name.replace('_', ' ')} must be positive, got {getattr(req, name)}")
    for name in ("prompt_tokens", "output_tokens"):
        value = getattr(req, name)
        if value is not None and value <= 0:
            raise BadInput(f"{name.replace('_', ' ')} must be positive, got {value}")
    if req.free_memory_bytes is not None and req.free_memory_bytes <= 0:
        raise BadInput(f"free memory must be positive, got {req.free_memory_bytes}")
    if req.context > req.model.max_context and not req.allow_long_context:
        raise BadInput(
            f"context {req.context:,} exceeds {req.model.display_name}'s native limit of "
            f"{req.model.max_context:,} tokens",
            "use a shorter --context, or --allow-long-context if you extend it (RoPE scaling)",
        )
    try:
        normalize_lora_targets(req.lora_targets)
    except ValueError as exc:
        raise BadInput(str(exc), "use q,k,v,o,gate,up,down or all-linear") from None
    check_device(req)
    fmt = get_format(req.precision)
    updates: dict[str, object] = {"precision": fmt.name}
    if req.mode == "qlora" and fmt.family != "bnb4":
        updates["precision"] = "nf4"
    if req.mode == "full" and fmt.family != "float":
        raise BadInput(f"full fine-tuning needs 16- or 32-bit weights, not {fmt.name}", "use --precision bf16")
    if req.mode in ("lora", "full") and fmt.family in ("gguf", "gptq", "mlx", "mxfp4"):
        raise BadInput(f"training on {fmt.name} weights is not supported here",
                       "use --precision bf16 (LoRA) or --mode qlora")
    if fmt.family == "mxfp4" and req.model.moe is None:
        raise BadInput(f"mxfp4 stores MoE experts (gpt-oss's format); {req.model.display_name} has none",
                       "use awq or q4_k_m for a dense model")
    if req.mode != "inference" and fmt.name == "bf16" and not device_of(req.gpu).bf16:
        updates["precision"] = "fp16"
    return req.model_copy(update=updates)


def budget_bytes(req: FitRequest) -> int:
    budget = req.gpu.usable_bytes
    if req.free_memory_bytes is not None:
        budget = min(budget, req.free_memory_bytes)
    return budget


def _largest(fits: Callable[[int], bool], hi: int) -> int:
    """Largest x in [1, hi] with fits(x), for monotone fits; 0 if none (exact bisection)."""
    if not fits(1):
        return 0
    if fits(hi):
        return hi
    lo = 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid
    return lo


def _assumptions(p: Plan) -> list[str]:
    req, m = p.req, p.model
    out = [f"weights: {p.fmt.label}", f"runtime memory model: {p.runtime} on {device_of(req.gpu).arch}"]
    if req.mode == "inference":
        out.append(f"KV cache dtype {p.kv_dtype}" + (", sliding-window layers keep the window" if
                                                     m.sliding_window_layers else ""))
        if p.runtime == "llama.cpp":
            out.append("llama.cpp keeps token_embd in host RAM; flash attention "
                       + ("on" if req.flash_attention else "off"))
        if p.runtime == "vllm":
            out.append("vLLM prefill chunk 8192 tokens; CUDA graphs on")
        if p.runtime == "mlx":
            out.append("mlx_lm: prompt evaluated in 2048-token steps, no CUDA context")
    else:
        out.append(f"{req.mode}: optimizer {req.optimizer}, gradient checkpointing "
                   f"{'on' if req.grad_checkpointing else 'off'}, framework {req.framework}")
        if req.mode != "full":
            out.append(f"LoRA rank {req.lora_rank} on {','.join(normalize_lora_targets(req.lora_targets))}; "
                       "adapters, grads and optimizer states in fp32; dropout 0")
    if req.gpus > 1:
        how = "layers split across cards" if p.runtime == "llama.cpp" and req.mode == "inference" else parallelism(req)
        out.append(f"{req.gpus} cards, {how}: judged per card, not pooled")
    if req.gpu.usable_fraction < 1:
        share = f"{req.gpu.usable_fraction:.0%}"
        out.append(f"{share} of system RAM usable (the rest kept for the OS)" if req.gpu.vendor == "cpu"
                   else f"only {share} of unified memory is GPU-usable")
    if m.moe is not None:
        out.append(f"MoE: decode reads {m.moe.experts_per_token} of {m.moe.experts} experts per token")
    if req.weights_bytes_exact:
        out.append("weights: exact tensor bytes of the given file")
    return out


def _host(req: FitRequest) -> GPUSpec:
    if req.host is not None:
        return req.host
    from shortlist.catalog import get_gpu

    return get_gpu(DEFAULT_HOST)


def _offload_plan(p: Plan, budget: int) -> Plan:
    """The largest llama.cpp -ngl whose card share fits the budget (0: all on the CPU)."""
    req = p.req

    def fits_n(n: int) -> bool:
        return total_bytes(replace(p, offload_layers=n), req.context, req.batch) <= budget

    units = offload_units(p)
    n = 0 if not fits_n(0) else _largest(lambda k: fits_n(k - 1), units) - 1
    return replace(p, offload_layers=max(n, 0))


def estimate(req: FitRequest) -> FitResult:
    """Memory, fit, headroom, limits, speed and latency for one request. Never raises for "doesn't fit"."""
    given = req.precision
    req = validate(req)
    p = make_plan(req)
    check_runtime_options(req, p.fmt, p.runtime)
    mem = breakdown(p, req.context, req.batch)
    budget = budget_bytes(req)
    warnings = option_warnings(req, p.runtime)
    offload: Offload | None = None
    host: GPUSpec | None = None
    fits = mem.total_bytes <= budget
    if (req.offload and not fits and p.runtime == "llama.cpp" and req.mode == "inference"
            and not req.gpu.unified_memory and req.gpu.vendor != "cpu"):
        host = _host(req)
        p = _offload_plan(p, budget)
        mem = breakdown(p, req.context, req.batch)
        assert p.offload_layers is not None
        fits_card = mem.total_bytes <= budget
        fits_host = mem.host_bytes <= host.usable_bytes
        fits = fits_card and fits_host
        offload = Offload(gpu_layers=p.offload_layers, units=offload_units(p), host=host.id,
                          host_bytes=mem.host_bytes, host_budget_bytes=host.usable_bytes,
                          host_bandwidth_gb_s=host.bandwidth_gb_s, fits_host=fits_host)
        warnings.append(f"offload: {p.offload_layers} of {offload_units(p)} layers on the card (-ngl "
                        f"{p.offload_layers}), the rest in {host.id} RAM at {host.bandwidth_gb_s:g} GB/s"
                        + ("" if fits_host else f"; host RAM too small ({mem.host_bytes / 2**30:.1f} GiB needed)"))
        if req.host is None:
            warnings.append(f"host RAM assumed: {DEFAULT_HOST} (pass --host to name yours)")

    def fits_context(c: int) -> bool:
        return total_bytes(p, c, req.batch) <= budget

    def fits_batch(b: int) -> bool:
        return total_bytes(p, req.context, b) <= budget

    limit = req.model.max_context * (LONG_CONTEXT_FACTOR if req.allow_long_context else 1)
    approx = bool(req.model.notes and req.model.notes.startswith("approximate"))
    band = UNCERTAINTY[req.mode] + (APPROXIMATE_EXTRA if approx else 0.0)
    if given.strip().lower() != p.fmt.name and get_format(given).name != p.fmt.name:
        why = " (QLoRA quantizes the base to nf4 with bitsandbytes)" if req.mode == "qlora" else ""
        warnings.append(f"--precision {given} not used: estimated as {p.fmt.name}{why}")
    if approx:
        warnings.append("architecture approximated from the parameter count: " + (req.model.notes or ""))
    warnings.extend(req.source_warnings)
    speeds = req.mode == "inference" and (fits or (offload is not None and offload.fits_host))
    per_seq = aggregate = prefill = None
    latency = None
    if speeds:
        per_seq, aggregate = decode_tokens_per_s(p, req.context, req.batch, host)
        prefill = prefill_tokens_per_s(p, req.context, host)
        latency = estimate_latency(p, req.prompt_tokens or DEFAULT_PROMPT_TOKENS,
                                   req.output_tokens or DEFAULT_OUTPUT_TOKENS, host)
    return FitResult(
        model=req.model.id, model_name=req.model.display_name, params_total=req.model.params_total,
        params_active=active_params(req.model), precision=p.fmt.name, mode=req.mode, runtime=p.runtime,
        context=req.context, batch=req.batch, gpu=req.gpu.id, gpus=req.gpus,
        gpu_memory_bytes=req.gpu.memory_bytes, budget_bytes=budget, memory=mem,
        fits=fits, headroom_bytes=budget - mem.total_bytes,
        max_context=_largest(fits_context, limit), max_batch=_largest(fits_batch, MAX_BATCH),
        decode_tokens_per_s=per_seq, decode_tokens_per_s_total=aggregate, prefill_tokens_per_s=prefill,
        rule_of_thumb_max_params_b=rule_of_thumb_params_b(req.gpu, req.gpus, req.context, p.fmt.nominal_bytes),
        rule_of_thumb_context_multiplier=context_multiplier(req.context),
        trainable_params=p.trainable,
        basis=Basis(
            inputs={"model": req.model.id, "gpu": req.gpu.id, "gpus": req.gpus, "context": req.context,
                    "batch": req.batch, "mode": req.mode, "precision": p.fmt.name, "kv_dtype": p.kv_dtype,
                    "free_memory_bytes": req.free_memory_bytes, "runtime": p.runtime,
                    "offload_layers": p.offload_layers},
            assumptions=_assumptions(p), uncertainty_pct=band, speed_uncertainty_pct=SPEED_UNCERTAINTY,
            prefill_uncertainty_pct=PREFILL_BAND_PCT, speed_basis=speed_basis(p),
            verify_command=verify_command(p, req.context, req.batch), approximate_model=approx,
        ),
        warnings=warnings, offload=offload, latency=latency,
    )


def default_precisions(req: FitRequest) -> tuple[str, ...]:
    if req.mode == "qlora":
        return ("nf4",)
    if req.mode == "full":
        return ("bf16",) if device_of(req.gpu).bf16 else ("fp16",)
    if req.mode == "lora":
        dev = device_of(req.gpu)
        return ("bf16" if dev.bf16 else "fp16",) + (("int8",) if dev.backend == "cuda" else ())
    return QUALITY_ORDER


def device_precisions(req: FitRequest, precisions: Sequence[str] | None = None) -> tuple[str, ...]:
    """The precisions best_fit tries for this request, best first: only what the device runs, native first.

    This is the filter `pick` gets through best_fit: a CPU never gets AWQ, a Mac never gets fp8, gpt-oss gets
    its MXFP4 experts before any requantization. With --offload the candidates are GGUF files (llama.cpp).
    """
    order = tuple(precisions) if precisions else default_precisions(req)
    if req.mode != "inference":
        return order
    runtime = "llama.cpp" if req.offload else req.runtime
    return precision_order(order, device_of(req.gpu), req.model, runtime)


def best_fit(req: FitRequest, precisions: Sequence[str] | None = None) -> FitResult:
    """The highest-quality precision the device runs that fits (first in `precisions`), else the smallest."""
    if req.weights_bytes_exact:  # a real file has one precision
        return estimate(req)
    order = device_precisions(req, precisions)
    if not order:
        raise BadInput(f"{req.gpu.id} runs none of the precisions tried"
                       + (f" under --runtime {req.runtime}" if req.runtime != "auto" else ""),
                       "lower --min-bits, or choose another --runtime")
    if req.mode == "qlora":
        order = ("nf4",)
    budget = budget_bytes(req)
    smallest: tuple[int, FitRequest] | None = None
    last = order[-1]
    probe = req.model_copy(update={"offload": False})
    for name in order:
        # Weights alone, at the format's nominal size, split over every card, already exceed the budget:
        # no need for the exact (per-tensor) count. 0.85 leaves room for formats that keep some tensors smaller.
        if name != last and req.model.params_total * FORMATS[name].nominal_bytes * 0.85 / req.gpus > budget:
            continue
        candidate = validate(probe.model_copy(update={"precision": name}))
        need = total_bytes(make_plan(candidate), candidate.context, candidate.batch)
        if need <= budget:
            return estimate(candidate.model_copy(update={"offload": req.offload}))
        if smallest is None or need < smallest[0]:
            smallest = (need, candidate)
    assert smallest is not None
    if req.offload:
        pick = next((n for n in order if FORMATS[n].nominal_bytes * 8 <= OFFLOAD_MAX_BITS), last)
        return estimate(validate(req.model_copy(update={"precision": pick})))
    return estimate(smallest[1])


SERVING_BATCH_CAP = 256  # vLLM's default max_num_seqs: more concurrent sequences are queued, not batched


def serving_estimate(req: FitRequest, sequence_tokens: int) -> tuple[int, float, float]:
    """(batch, aggregate decode tok/s, prefill tok/s) when serving requests of `sequence_tokens` each.

    The batch is as many such sequences as fit beside the weights (capped at SERVING_BATCH_CAP); throughput
    is the slower of the memory-bandwidth and compute bounds at that batch. This is what a busy server
    sustains, the basis of a per-token self-hosting cost; one user alone sees decode_tokens_per_s instead.
    """
    req = validate(req.model_copy(update={"context": max(1, min(sequence_tokens, req.model.max_context))}))
    p = make_plan(req)
    budget = budget_bytes(req)
    batch = _largest(lambda b: total_bytes(p, req.context, b) <= budget, SERVING_BATCH_CAP)
    if batch == 0:
        return 0, 0.0, 0.0
    return batch, serving_tokens_per_s(p, req.context, batch), prefill_tokens_per_s(p, req.context)
