"""Throughput from first principles, plus the seed rule of thumb printed beside the precise answer.

Decode is memory-bandwidth bound: each step reads the active weights once (MoE: only the routed
experts a token uses; the input embedding is a row lookup, not a read) plus the KV cache of every
sequence. Prefill is compute bound: 2 FLOPs per active parameter per token, plus attention
(2 × layers × context × attention width on average over the prompt), at a model-FLOPs utilisation.
"""

from __future__ import annotations

from shortlist.catalog.schema import GPUSpec, ModelSpec
from shortlist.fit.kv import kv_cache_bytes
from shortlist.fit.memory import Plan
from shortlist.fit.params import count_params

# Achieved share of peak memory bandwidth during decode. llama.cpp's published tg128 runs reach roughly
# 55-75% (CUDA: ggml-org/llama.cpp discussion #15013; Apple: discussion #4167); vLLM at batch 1 is similar.
BANDWIDTH_EFFICIENCY = {"nvidia": 0.65, "amd": 0.55, "intel": 0.5, "apple": 0.55, "cpu": 0.5}
MFU = 0.45  # prefill model-FLOPs utilisation typical of vLLM / llama.cpp pp512 on recent GPUs
TP_SCALING = 0.85  # per-card efficiency kept under tensor parallelism (all-reduce per layer)

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
    return m.params_active or count_params(m).active


def active_weight_bytes(p: Plan) -> int:
    """Bytes one decode step reads: all weights except unused experts and the embedding table."""
    m, w = p.model, p.weights
    read = w.total - w.routed - (w.token_embd if not m.tied_embeddings else 0) - w.extra
    if m.moe is not None and w.routed:
        read += w.routed * m.moe.experts_per_token // m.moe.experts
    return max(read, 0)


def decode_tokens_per_s(p: Plan, context: int, batch: int) -> tuple[float, float]:
    """(per-sequence, aggregate) decode tokens/s at the given context and batch."""
    gpu, n = p.req.gpu, p.req.gpus
    eff = BANDWIDTH_EFFICIENCY.get(gpu.vendor, 0.5) * (TP_SCALING if n > 1 else 1.0)
    kv = kv_cache_bytes(p.model, context, batch, p.kv_dtype)
    step_bytes = active_weight_bytes(p) + kv
    bandwidth = gpu.bandwidth_gb_s * 1e9 * eff * (n if p.shards > 1 else 1)
    step_s = step_bytes / bandwidth
    return round(1.0 / step_s, 1), round(batch / step_s, 1)


def prefill_tokens_per_s(p: Plan, context: int) -> float:
    m, gpu = p.model, p.req.gpu
    width = m.attention_heads * (m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim if m.mla else m.head_dim)
    flops = 2 * active_params(m) + 2 * m.layers * context * width
    tflops = gpu.bf16_tflops
    if p.fmt.family == "fp8" and gpu.fp8_tflops:
        tflops = gpu.fp8_tflops
    n = p.req.gpus if p.shards > 1 else 1
    achieved = tflops * 1e12 * MFU * n * (TP_SCALING if n > 1 else 1.0)
    return round(achieved / flops, 1)


def decode_compute_bound_tokens_per_s(p: Plan) -> float:
    """Aggregate decode ceiling once batching makes the step compute bound: 2 FLOPs per active param per token."""
    gpu = p.req.gpu
    tflops = gpu.fp8_tflops if (p.fmt.family == "fp8" and gpu.fp8_tflops) else gpu.bf16_tflops
    n = p.req.gpus if p.shards > 1 else 1
    achieved = tflops * 1e12 * MFU * n * (TP_SCALING if n > 1 else 1.0)
    return achieved / (2 * active_params(p.model))


def serving_tokens_per_s(p: Plan, context: int, batch: int) -> float:
    """Aggregate decode tokens/s of `batch` concurrent sequences: the slower of memory and compute bounds."""
    _, memory_bound = decode_tokens_per_s(p, context, batch)
    return round(min(memory_bound, decode_compute_bound_tokens_per_s(p)), 1)
