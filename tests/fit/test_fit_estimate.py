"""estimate() / best_fit(): totals, solved limits, per-card multi-GPU, training terms, speed and errors."""

from __future__ import annotations

import json

import pytest

from shortlist.errors import BadInput
from shortlist.fit import PRECISIONS, FitRequest, FitResult, approximate_spec, best_fit, estimate
from shortlist.fit.memory import make_plan, total_bytes
from shortlist.fit.params import count_params

GiB = 2**30


def test_result_shape_and_json(llama31_8b, rtx4090):
    r = estimate(FitRequest(model=llama31_8b, gpu=rtx4090, context=8192))
    assert isinstance(r, FitResult)
    data = json.loads(r.to_json())
    for key in ("model", "params_total", "params_active", "precision", "mode", "context", "batch", "gpu", "gpus",
                "gpu_memory_bytes", "memory", "fits", "headroom_bytes", "max_context", "max_batch",
                "decode_tokens_per_s", "prefill_tokens_per_s", "rule_of_thumb_max_params_b", "basis"):
        assert key in data
    mem = data["memory"]
    parts = ("weights_bytes", "kv_cache_bytes", "activations_bytes", "overhead_bytes", "optimizer_bytes",
             "gradients_bytes")
    assert sum(mem[k] for k in parts) == mem["total_bytes"]
    assert sum(t["bytes"] for t in mem["terms"]) == mem["total_bytes"]
    assert mem["weights_bytes"] == 16_060_522_496  # 8,030,261,248 × 2
    assert mem["kv_cache_bytes"] == 1_073_741_824
    assert r.headroom_bytes == 24 * GiB - mem["total_bytes"]
    assert r.fits
    assert r.basis.verify_command.startswith("vllm serve")
    assert r.basis.uncertainty_pct == 5.0


def test_max_context_and_batch_are_exact_boundaries(llama31_8b, rtx4090):
    req = FitRequest(model=llama31_8b, gpu=rtx4090, context=8192)
    r = estimate(req)
    plan = make_plan(req)
    budget = 24 * GiB
    assert total_bytes(plan, r.max_context, 1) <= budget < total_bytes(plan, r.max_context + 1, 1)
    assert total_bytes(plan, 8192, r.max_batch) <= budget < total_bytes(plan, 8192, r.max_batch + 1)


def test_does_not_fit_reports_negative_headroom(llama31_8b, rtx4090):
    big = llama31_8b.model_copy(update={"params_total": 70_553_706_496, "layers": 80, "hidden_size": 8192,
                                        "intermediate_size": 28672, "attention_heads": 64})
    r = estimate(FitRequest(model=big, gpu=rtx4090))
    assert not r.fits and r.headroom_bytes < 0
    assert r.max_context == 0 and r.max_batch == 0


def test_free_memory_is_the_budget(llama31_8b, rtx4090):
    r = estimate(FitRequest(model=llama31_8b, gpu=rtx4090, free_memory_bytes=16 * GiB))
    assert r.budget_bytes == 16 * GiB
    assert not r.fits  # 14.96 GiB of weights + KV + runtime > 16 GiB


def test_apple_counts_only_usable_fraction(llama31_8b, m2_max_32):
    r = estimate(FitRequest(model=llama31_8b, gpu=m2_max_32, precision="q8_0"))
    assert r.budget_bytes == int(32 * GiB * 0.67)
    assert r.memory.overhead_bytes == 0  # no CUDA context on Metal


def test_multi_gpu_judged_per_card(llama31_8b, a100_80):
    one = estimate(FitRequest(model=llama31_8b, gpu=a100_80, context=8192))
    two = estimate(FitRequest(model=llama31_8b, gpu=a100_80, gpus=2, context=8192))
    assert two.memory.weights_bytes == one.memory.weights_bytes // 2
    assert two.memory.kv_cache_bytes == one.memory.kv_cache_bytes // 2
    assert two.budget_bytes == one.budget_bytes  # per card, not pooled
    # each card still pays its own CUDA context
    names = {t.name for t in two.memory.terms}
    assert "cuda_context" in names


def test_full_finetune_sixteen_bytes_per_param(llama31_8b, a100_80):
    r = estimate(FitRequest(model=llama31_8b, gpu=a100_80, mode="full", context=2048))
    p = 8_030_261_248
    assert r.memory.weights_bytes == 2 * p  # bf16 weights
    assert r.memory.gradients_bytes == 2 * p  # bf16 grads
    assert r.memory.optimizer_bytes == 12 * p  # fp32 master 4 + AdamW m, v 8
    eight_bit = estimate(FitRequest(model=llama31_8b, gpu=a100_80, mode="full", context=2048, optimizer="adamw8bit"))
    assert eight_bit.memory.optimizer_bytes == 6 * p  # master 4 + two 1-byte states
    zero3 = estimate(FitRequest(model=llama31_8b, gpu=a100_80, gpus=8, mode="full", context=2048,
                                parallelism="zero3"))
    assert zero3.memory.optimizer_bytes == 12 * p // 8
    assert zero3.memory.weights_bytes == 2 * p // 8


def test_lora_and_qlora_terms(llama31_8b, rtx4090):
    lora = estimate(FitRequest(model=llama31_8b, gpu=rtx4090, mode="lora", context=2048))
    assert lora.trainable_params == 41_943_040
    assert lora.memory.gradients_bytes == 4 * 41_943_040
    assert lora.memory.optimizer_bytes == 8 * 41_943_040
    q = estimate(FitRequest(model=llama31_8b, gpu=rtx4090, mode="qlora", context=2048, precision="bf16"))
    assert q.precision == "nf4"  # qlora always has a 4-bit base
    assert q.memory.total_bytes < lora.memory.total_bytes


def test_checkpointing_and_unsloth_cut_activations(llama31_8b, rtx4090):
    base = dict(model=llama31_8b, gpu=rtx4090, mode="qlora", context=4096)
    no_gc = estimate(FitRequest(**base, grad_checkpointing=False)).memory.activations_bytes
    gc = estimate(FitRequest(**base)).memory.activations_bytes
    unsloth = estimate(FitRequest(**base, framework="unsloth")).memory.activations_bytes
    assert no_gc > gc > unsloth
    hf_ctx = estimate(FitRequest(**base, lora_rank=32)).max_context
    us_ctx = estimate(FitRequest(**base, lora_rank=32, framework="unsloth")).max_context
    assert us_ctx > 8 * hf_ctx  # Unsloth publishes ~12× longer max context for Llama-3.1-8B QLoRA


def test_decode_speed_by_hand(llama31_8b, rtx4090):
    r = estimate(FitRequest(model=llama31_8b, gpu=rtx4090, context=4096))
    # bytes per step: weights 16,060,522,496 - embedding lookup 1,050,673,152 + KV at 4096 536,870,912
    #   = 15,546,720,256; vLLM on a GDDR card reads 16-bit weights at 75% of 1008 GB/s = 756e9 B/s (fitted,
    #   bench/speed_accuracy.py) with no measurable per-layer cost -> 48.63 tok/s
    assert r.runtime == "vllm"
    assert r.decode_tokens_per_s == pytest.approx(48.6, abs=0.05)


def test_moe_decode_reads_only_active_experts(mixtral, a100_80):
    r = estimate(FitRequest(model=mixtral, gpu=a100_80, precision="q4_k_m", context=4096))
    all_experts = mixtral.model_copy(update={"moe": mixtral.moe.model_copy(update={"experts_per_token": 8}),
                                             "params_active": None})
    dense = estimate(FitRequest(model=all_experts, gpu=a100_80, precision="q4_k_m", context=4096))
    assert r.decode_tokens_per_s > 2.5 * dense.decode_tokens_per_s  # 2 of 8 experts read per token
    assert r.params_active < r.params_total / 3


def test_rule_of_thumb(llama31_8b, rtx4090):
    r = estimate(FitRequest(model=llama31_8b, gpu=rtx4090, context=8192))
    assert r.rule_of_thumb_max_params_b == 6.0  # 24 × 0.75 ÷ 1.5 ÷ 2
    assert r.rule_of_thumb_context_multiplier == 1.5


def test_best_fit_order(llama31_8b, rtx4090):
    assert best_fit(FitRequest(model=llama31_8b, gpu=rtx4090)).precision == "bf16"
    small = rtx4090.model_copy(update={"memory_gib": 8.0})
    r = best_fit(FitRequest(model=llama31_8b, gpu=small, context=8192))
    assert r.fits and r.precision not in ("bf16", "fp8")
    tiny = rtx4090.model_copy(update={"memory_gib": 1.0})
    r = best_fit(FitRequest(model=llama31_8b, gpu=tiny))
    assert not r.fits
    assert r.precision == "iq1_m"  # the smallest tried


def test_gemma2_sliding_window_extends_max_context(gemma2_9b, rtx4090):
    r = estimate(FitRequest(model=gemma2_9b, gpu=rtx4090, precision="q4_k_m", context=8192,
                            allow_long_context=True))
    assert r.max_context > 8192


@pytest.mark.parametrize("field", ["context", "batch", "gpus", "lora_rank"])
def test_non_positive_inputs(llama31_8b, rtx4090, field):
    with pytest.raises(BadInput, match="must be positive"):
        estimate(FitRequest(model=llama31_8b, gpu=rtx4090, **{field: 0}))


def test_context_beyond_native_limit(llama2_7b, rtx4090):
    with pytest.raises(BadInput, match="native limit of 4,096") as exc:
        estimate(FitRequest(model=llama2_7b, gpu=rtx4090, context=8192))
    assert "--allow-long-context" in str(exc.value)
    assert estimate(FitRequest(model=llama2_7b, gpu=rtx4090, context=8192, allow_long_context=True)).context == 8192


def test_full_training_rejects_quantized(llama31_8b, rtx4090):
    with pytest.raises(BadInput, match="full fine-tuning"):
        estimate(FitRequest(model=llama31_8b, gpu=rtx4090, mode="full", precision="nf4"))


def test_precisions_exported():
    assert {"bf16", "fp8", "int8", "nf4", "q4_k_m", "q2_k", "iq2_xxs", "awq"} <= set(PRECISIONS)


def test_approximate_spec():
    spec = approximate_spec(7_000_000_000, "MistralForCausalLM", "someone/merge-7b")
    assert spec.notes and spec.notes.startswith("approximate")
    assert abs(count_params(spec).total - 7e9) / 7e9 < 0.05
    assert spec.params_total == 7_000_000_000
    r = estimate(FitRequest(model=spec, gpu=_gpu()))
    assert r.basis.approximate_model and r.basis.uncertainty_pct > 5


def _gpu():
    from shortlist.catalog.schema import GPUSpec

    return GPUSpec(id="L4", vendor="nvidia", kind="datacenter", memory_gib=24, bandwidth_gb_s=300, bf16_tflops=121)
