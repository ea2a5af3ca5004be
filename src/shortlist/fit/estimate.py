"""estimate() and best_fit(): the precise answer, its basis, and the largest context and batch that fit."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shortlist.errors import BadInput
from shortlist.fit.formats import FORMATS, QUALITY_ORDER, get_format
from shortlist.fit.memory import Plan, breakdown, make_plan, parallelism, total_bytes
from shortlist.fit.params import normalize_lora_targets
from shortlist.fit.schema import Basis, FitRequest, FitResult
from shortlist.fit.speed import (
    active_params,
    context_multiplier,
    decode_tokens_per_s,
    prefill_tokens_per_s,
    rule_of_thumb_params_b,
    serving_tokens_per_s,
)

PRECISIONS: tuple[str, ...] = tuple(FORMATS)
MAX_BATCH = 1 << 16
LONG_CONTEXT_FACTOR = 4  # --allow-long-context lets the solver go to 4× the native limit
UNCERTAINTY = {"inference": 5.0, "lora": 10.0, "qlora": 10.0, "full": 15.0}
APPROXIMATE_EXTRA = 15.0
SPEED_UNCERTAINTY = 30.0


def validate(req: FitRequest) -> FitRequest:
    """Reject impossible inputs with one clear message; normalise mode-specific precision."""
    for name in ("gpus", "context", "batch", "lora_rank"):
        if getattr(req, name) <= 0:
            raise BadInput(f"{name.replace('_', ' ')} must be positive, got {getattr(req, name)}")
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
    fmt = get_format(req.precision)
    updates: dict[str, object] = {"precision": fmt.name}
    if req.mode == "qlora" and fmt.family != "bnb4":
        updates["precision"] = "nf4"
    if req.mode == "full" and fmt.family != "float":
        raise BadInput(f"full fine-tuning needs 16- or 32-bit weights, not {fmt.name}", "use --precision bf16")
    if req.mode in ("lora", "full") and fmt.family in ("gguf", "gptq"):
        raise BadInput(f"training on {fmt.name} weights is not supported here",
                       "use --precision bf16 (LoRA) or --mode qlora")
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


def _verify_command(p: Plan, context: int, batch: int) -> str:
    m, req = p.model, p.req
    if req.mode != "inference":
        return ("python -c \"import torch; <build the model/trainer as planned>; trainer.train(); "
                "print(torch.cuda.max_memory_allocated() / 2**30, 'GiB')\"  # add ~0.4 GiB CUDA context "
                "(nvidia-smi)")
    if p.runtime == "llama.cpp":
        return (f"llama-cli -m MODEL.{p.fmt.name.upper()}.gguf -c {context * batch} -ngl 99 -fa on -n 16 -p hi "
                "2>&1 | grep -E 'buffer size'; "
                f"llama-bench -m MODEL.gguf -p 512 -n 128 -fa 1")
    if p.runtime == "transformers":
        return (f"python -c \"import torch, transformers as t; m=t.AutoModelForCausalLM.from_pretrained('{m.id}', "
                "device_map='cuda', quantization_config=t.BitsAndBytesConfig(load_in_4bit=True)); "
                f"x=torch.ones({batch},{context},dtype=torch.long,device='cuda'); m.generate(x, max_new_tokens=1); "
                "print(torch.cuda.max_memory_allocated()/2**30)\"")
    tp = f" --tensor-parallel-size {req.gpus}" if req.gpus > 1 else ""
    quant = {"fp8": " --quantization fp8"}.get(p.fmt.name, "")
    return (f"vllm serve {m.id} --max-model-len {context} --max-num-seqs {batch}{tp}{quant} 2>&1 | "
            "grep -E 'weights took|KV cache|activation'")


def _assumptions(p: Plan) -> list[str]:
    req, m = p.req, p.model
    out = [f"weights: {p.fmt.label}", f"runtime memory model: {p.runtime}"]
    if req.mode == "inference":
        out.append(f"KV cache dtype {p.kv_dtype}" + (", sliding-window layers keep the window" if
                                                     m.sliding_window_layers else ""))
        if p.runtime == "llama.cpp":
            out.append("llama.cpp keeps token_embd in host RAM; flash attention "
                       + ("on" if req.flash_attention else "off"))
        if p.runtime == "vllm":
            out.append("vLLM prefill chunk 8192 tokens; CUDA graphs on")
    else:
        out.append(f"{req.mode}: optimizer {req.optimizer}, gradient checkpointing "
                   f"{'on' if req.grad_checkpointing else 'off'}, framework {req.framework}")
        if req.mode != "full":
            out.append(f"LoRA rank {req.lora_rank} on {','.join(normalize_lora_targets(req.lora_targets))}; "
                       "adapters, grads and optimizer states in fp32; dropout 0")
    if req.gpus > 1:
        out.append(f"{req.gpus} cards, {parallelism(req)}: judged per card, not pooled")
    if req.gpu.usable_fraction < 1:
        out.append(f"only {req.gpu.usable_fraction:.0%} of unified memory is GPU-usable")
    if m.moe is not None:
        out.append(f"MoE: decode reads {m.moe.experts_per_token} of {m.moe.experts} experts per token")
    if req.weights_bytes_exact:
        out.append("weights: exact tensor bytes of the given file")
    return out


def estimate(req: FitRequest) -> FitResult:
    """Memory, fit, headroom, limits and speed for one request. Never raises for "doesn't fit"."""
    req = validate(req)
    p = make_plan(req)
    mem = breakdown(p, req.context, req.batch)
    budget = budget_bytes(req)

    def fits_context(c: int) -> bool:
        return total_bytes(p, c, req.batch) <= budget

    def fits_batch(b: int) -> bool:
        return total_bytes(p, req.context, b) <= budget

    limit = req.model.max_context * (LONG_CONTEXT_FACTOR if req.allow_long_context else 1)
    per_seq, aggregate = decode_tokens_per_s(p, req.context, req.batch)
    approx = bool(req.model.notes and req.model.notes.startswith("approximate"))
    band = UNCERTAINTY[req.mode] + (APPROXIMATE_EXTRA if approx else 0.0)
    warnings: list[str] = []
    if req.precision != p.req.precision:
        warnings.append(f"precision set to {p.fmt.name}")
    if approx:
        warnings.append("architecture approximated from the parameter count: " + (req.model.notes or ""))
    return FitResult(
        model=req.model.id, model_name=req.model.display_name, params_total=req.model.params_total,
        params_active=active_params(req.model), precision=p.fmt.name, mode=req.mode, runtime=p.runtime,
        context=req.context, batch=req.batch, gpu=req.gpu.id, gpus=req.gpus,
        gpu_memory_bytes=req.gpu.memory_bytes, budget_bytes=budget, memory=mem,
        fits=mem.total_bytes <= budget, headroom_bytes=budget - mem.total_bytes,
        max_context=_largest(fits_context, limit), max_batch=_largest(fits_batch, MAX_BATCH),
        decode_tokens_per_s=per_seq, decode_tokens_per_s_total=aggregate,
        prefill_tokens_per_s=prefill_tokens_per_s(p, req.context),
        rule_of_thumb_max_params_b=rule_of_thumb_params_b(req.gpu, req.gpus, req.context, p.fmt.nominal_bytes),
        rule_of_thumb_context_multiplier=context_multiplier(req.context),
        trainable_params=p.trainable,
        basis=Basis(
            inputs={"model": req.model.id, "gpu": req.gpu.id, "gpus": req.gpus, "context": req.context,
                    "batch": req.batch, "mode": req.mode, "precision": p.fmt.name, "kv_dtype": p.kv_dtype,
                    "free_memory_bytes": req.free_memory_bytes, "runtime": p.runtime},
            assumptions=_assumptions(p), uncertainty_pct=band, speed_uncertainty_pct=SPEED_UNCERTAINTY,
            verify_command=_verify_command(p, req.context, req.batch), approximate_model=approx,
        ),
        warnings=warnings,
    )


def default_precisions(req: FitRequest) -> tuple[str, ...]:
    if req.mode == "qlora":
        return ("nf4",)
    if req.mode == "full":
        return ("bf16",)
    if req.mode == "lora":
        return ("bf16", "int8")
    return QUALITY_ORDER


def best_fit(req: FitRequest, precisions: Sequence[str] | None = None) -> FitResult:
    """The highest-quality precision that fits (first in `precisions`), else the smallest, fits=False."""
    if req.weights_bytes_exact:  # a real file has one precision
        return estimate(req)
    order = tuple(precisions) if precisions else default_precisions(req)
    if not order:
        raise BadInput("no precisions to try")
    if req.mode == "qlora":
        order = ("nf4",)
    budget = budget_bytes(req)
    smallest: tuple[int, FitRequest] | None = None
    last = order[-1]
    for name in order:
        # Weights alone, at the format's nominal size, split over every card, already exceed the budget:
        # no need for the exact (per-tensor) count. 0.85 leaves room for formats that keep some tensors smaller.
        if name != last and req.model.params_total * FORMATS[name].nominal_bytes * 0.85 / req.gpus > budget:
            continue
        candidate = validate(req.model_copy(update={"precision": name}))
        need = total_bytes(make_plan(candidate), candidate.context, candidate.batch)
        if need <= budget:
            return estimate(candidate)
        if smallest is None or need < smallest[0]:
            smallest = (need, candidate)
    assert smallest is not None
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
