"""Throughput from physics plus a few fitted kernel constants, and the seed rule of thumb printed beside it.

Decode is memory-bandwidth bound: one step reads the active weights once (MoE: only the routed experts a token
uses; the input embedding is a row lookup) plus the KV cache of every sequence, at a share of the card's peak
bandwidth, plus a fixed cost per layer (kernel launches and synchronisation: what keeps a 0.5B model on an H100
from running at 3,000 tokens/s). Prefill is compute bound: 2 FLOPs per weight of every matrix the prompt passes
through (not the embedding lookup, and the output layer only for the last token) plus attention, at a share of
the card's dense tensor rate.

Physics fixes the bytes and FLOPs; what it leaves open is how well each runtime's kernels use a device class,
so only those shares are fitted (KERNELS), on the calibration half of bench/speed_points.py by
`python bench/speed_accuracy.py --fit`; the other half validates them (docs/fit-method.md has the errors).
Several cards: llama.cpp splits layers across cards (one sequence visits them in turn: no decode speed-up, a
small cost per hop, prefill pipelined); vLLM splits every matrix (bandwidth adds up, two all-reduces per layer).
"""

from __future__ import annotations

from dataclasses import dataclass

from shortlist.catalog.schema import GPUSpec, ModelSpec
from shortlist.fit.devices import speed_class
from shortlist.fit.kv import kv_cache_bytes
from shortlist.fit.memory import LLAMA_CPP_UBATCH, Plan, offload_units
from shortlist.fit.params import count_params


@dataclass(frozen=True)
class Kernels:
    """How one runtime's kernels use one device class (fitted; see the module docstring)."""

    bw_float: float  # share of peak memory bandwidth when reading 16/32-bit weights
    bw_quant: float  # share when reading quantized weights (dequantization costs time)
    layer_us: float  # fixed microseconds per layer per decode step
    mfu_float: float  # share of bf16_tflops during prefill, 16-bit weights
    mfu_quant: float  # same, quantized weights


# Fitted by bench/speed_accuracy.py --fit on the calibration half (values rounded). Keys: (runtime, device class).
KERNELS: dict[tuple[str, str], Kernels] = {
    ("llama.cpp", "apple"): Kernels(0.913, 0.698, 112.6, 0.647, 0.561),
    ("llama.cpp", "cpu"): Kernels(0.70, 0.577, 400.0, 0.50, 0.50),
    ("llama.cpp", "cuda"): Kernels(0.887, 0.826, 46.2, 0.436, 0.329),
    ("llama.cpp", "cuda-hbm"): Kernels(0.638, 0.519, 101.0, 0.369, 0.225),
    ("llama.cpp", "rocm"): Kernels(0.70, 0.669, 0.0, 0.35, 0.109),
    ("vllm", "cuda"): Kernels(0.75, 0.92, 0.0, 0.45, 0.40),
    ("vllm", "cuda-hbm"): Kernels(0.92, 0.435, 115.7, 0.45, 0.40),
}
LLAMA_CPP_HOP_US = 533.6  # per extra card a token passes through (llama.cpp layer split)
LLAMA_CPP_PP_EXPONENT = 0.1972  # prefill over n cards (pipelined micro-batches): × n ** exponent
PCIE_GB_S = 25.0  # PCIe 4.0 x16 as achieved: llama.cpp streams offloaded weights to the card for prompt batches
TP_ALLREDUCE_US = 167.7  # per all-reduce, two per layer, under tensor parallelism
TP_PREFILL_SCALING = 0.85  # per-card share kept in prefill under tensor parallelism
# Where no calibration point covers a runtime: MLX uses llama.cpp's Metal constants; transformers' eager
# generate() uses vLLM's bandwidth shares with three times the per-layer cost (no CUDA graphs).
FALLBACK_RUNTIME = {"mlx": "llama.cpp", "transformers": "vllm"}
TRANSFORMERS_LAYER_FACTOR = 3.0

# Seed rule of thumb: (GPU GB × 0.75) ÷ context multiplier ÷ bytes per parameter = max billions of params.
RULE_OF_THUMB_TABLE = ((4096, 1.0), (8192, 1.5), (16384, 1.75))  # above 16k: 2.0


def context_multiplier(context: int) -> float:
    for limit, mult in RULE_OF_THUMB_TABLE:
        if context <= limit:
            return mult
    return 2.0


def rule_of_thumb_params_b(gpu: GPUSpec, gpus: int, context: int, bytes_per_param: float) -> float:
    gb = gpu.memory_gib * gpu.usable_fraction * gpus
    return round(gb * 0.75 / context_multiplier(context) / bytes_per_param, 2)


def active_params(m: ModelSpec) -> int:
    """Parameters used per token; never more than the model holds (a folder with missing shards)."""
    return min(m.params_active or count_params(m).active, m.params_total)


def kernels(runtime: str, gpu: GPUSpec) -> Kernels:
    """The fitted constants for this runtime on this device's class, with the documented fallbacks."""
    cls = speed_class(gpu)
    rt = runtime if (runtime, cls) in KERNELS else FALLBACK_RUNTIME.get(runtime, "llama.cpp")
    k = KERNELS.get((rt, cls)) or KERNELS.get((rt, "cuda")) or KERNELS[("llama.cpp", cls)]
    if runtime == "transformers":
        k = Kernels(k.bw_float, k.bw_quant, k.layer_us * TRANSFORMERS_LAYER_FACTOR, k.mfu_float, k.mfu_quant)
    return k


def speed_basis(p: Plan) -> str:
    k = kernels(p.runtime, p.req.gpu)
    quant = not unquantized(p)
    return (f"{p.runtime} on {speed_class(p.req.gpu)}: {k.bw_quant if quant else k.bw_float:.0%} of peak bandwidth, "
            f"{k.layer_us:g} µs per layer per token, {k.mfu_quant if quant else k.mfu_float:.0%} of "
            f"{p.req.gpu.bf16_tflops:g} TFLOPS in prefill")


def active_weight_bytes(p: Plan) -> int:
    """Bytes one decode step reads: all weights except unused experts and the embedding table."""
    m, w = p.model, p.weights
    read = w.total - w.routed - (w.token_embd if not m.tied_embeddings else 0) - w.extra
    if m.moe is not None and w.routed:
        read += w.routed * m.moe.experts_per_token // m.moe.experts
    return max(read, 0)


def unquantized(p: Plan) -> bool:
    """16/32-bit weights (safetensors or GGUF F16/BF16/F32): no dequantization in the kernels."""
    return p.fmt.family == "float" or p.fmt.ftype in ("f16", "bf16-gguf", "f32")


def _bw_share(p: Plan, k: Kernels) -> float:
    return k.bw_float if unquantized(p) else k.bw_quant


def decode_step_s(p: Plan, context: int, batch: int, host: GPUSpec | None = None) -> float:
    """Seconds of one decode step for `batch` sequences at `context` tokens each."""
    gpu, m = p.req.gpu, p.model
    n = p.req.gpus
    k = kernels(p.runtime, gpu)
    read = active_weight_bytes(p) + kv_cache_bytes(m, context, batch, p.kv_dtype)
    bw = gpu.bandwidth_gb_s * 1e9 * _bw_share(p, k)
    overhead = m.layers * k.layer_us * 1e-6
    if p.offload_layers is not None and host is not None:
        share = min(p.offload_layers, offload_units(p)) / offload_units(p)
        kh = kernels("llama.cpp", host)
        host_bw = host.bandwidth_gb_s * 1e9 * _bw_share(p, kh)
        on_card = int(m.layers * share)
        return (read * share / bw + read * (1 - share) / host_bw
                + (on_card * k.layer_us + (m.layers - on_card) * kh.layer_us) * 1e-6)
    if n > 1 and p.runtime == "llama.cpp":  # layer split: the cards take turns
        return read / bw + overhead + (n - 1) * LLAMA_CPP_HOP_US * 1e-6
    if n > 1 and p.shards > 1:  # tensor parallel: every card reads its slice; two all-reduces per layer
        return read / (bw * n) + overhead + 2 * m.layers * TP_ALLREDUCE_US * 1e-6
    return read / bw + overhead


def decode_tokens_per_s(p: Plan, context: int, batch: int, host: GPUSpec | None = None) -> tuple[float, float]:
    """(per-sequence, aggregate) decode tokens/s at the given context and batch."""
    step = decode_step_s(p, context, batch, host)
    return round(1.0 / step, 1), round(batch / step, 1)


def prefill_flops_per_token(m: ModelSpec, context: int) -> float:
    width = m.attention_heads * (m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim if m.mla else m.head_dim)
    lookup = m.vocab_size * m.hidden_size * (1 if m.tied_embeddings else 2)  # embedding lookup + last-token head
    return 2 * max(active_params(m) - lookup, active_params(m) // 2) + 2 * m.layers * context * width


def fp16_accumulate_tflops(gpu: GPUSpec) -> float:
    """Dense tensor rate with FP16 accumulation, which llama.cpp's CUDA matmuls use.

    The catalog's bf16_tflops is the FP32-accumulate rate; GeForce cards (consumer and laptop) run FP32
    accumulation at half their FP16-accumulate rate (gpus.yaml conventions), professional and data-centre
    cards at the full rate.
    """
    geforce = gpu.vendor == "nvidia" and gpu.kind in ("consumer", "laptop") and (gpu.compute_capability or 0) >= 7.5
    return gpu.bf16_tflops * (2 if geforce else 1)


def _peak_flops(p: Plan, gpu: GPUSpec) -> float:
    tflops = gpu.fp8_tflops if (p.fmt.family == "fp8" and gpu.fp8_tflops) else gpu.bf16_tflops
    if p.runtime == "llama.cpp" and gpu.vendor == "nvidia":
        tflops = fp16_accumulate_tflops(gpu)
    k = kernels(p.runtime, gpu)
    return tflops * 1e12 * (k.mfu_float if unquantized(p) else k.mfu_quant)


def prefill_tokens_per_s(p: Plan, context: int, host: GPUSpec | None = None) -> float:
    return round(prefill_rate(p, context, host), 1)


def prefill_rate(p: Plan, context: int, host: GPUSpec | None = None) -> float:
    """Prompt tokens/s at `context` tokens (unrounded)."""
    gpu, n = p.req.gpu, p.req.gpus
    achieved = _peak_flops(p, gpu)
    if n > 1 and p.runtime == "llama.cpp":
        achieved *= n ** LLAMA_CPP_PP_EXPONENT
    elif n > 1 and p.shards > 1:
        achieved *= n * TP_PREFILL_SCALING
    flops = prefill_flops_per_token(p.model, context)
    if p.offload_layers is not None and host is not None:
        # llama.cpp computes prompt batches on the card, copying the offloaded layers' weights over PCIe once per
        # 512-token micro-batch; with nothing on the card (-ngl 0 on a GPU box) the host computes.
        share = min(p.offload_layers, offload_units(p)) / offload_units(p)
        streamed = p.weights.total * (1 - share) / (PCIE_GB_S * 1e9 * min(context, LLAMA_CPP_UBATCH))
        return 1.0 / (flops / achieved + streamed)
    return achieved / flops


def decode_compute_bound_tokens_per_s(p: Plan) -> float:
    """Aggregate decode ceiling once batching makes the step compute bound: 2 FLOPs per active param per token."""
    gpu = p.req.gpu
    n = p.req.gpus if p.shards > 1 else 1
    achieved = _peak_flops(p, gpu) * n * (TP_PREFILL_SCALING if n > 1 else 1.0)
    return achieved / (2 * active_params(p.model))


def serving_tokens_per_s(p: Plan, context: int, batch: int) -> float:
    """Aggregate decode tokens/s of `batch` concurrent sequences: the slower of memory and compute bounds."""
    _, memory_bound = decode_tokens_per_s(p, context, batch)
    return round(min(memory_bound, decode_compute_bound_tokens_per_s(p)), 1)
