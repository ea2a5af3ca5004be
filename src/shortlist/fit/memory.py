"""Per-device memory as a sum of named terms; every constant here is listed in docs/fit-method.md."""

from __future__ import annotations

from dataclasses import dataclass

from shortlist.catalog.schema import ModelSpec
from shortlist.fit.devices import device_of
from shortlist.fit.formats import Format, WeightBytes, get_format, weight_bytes
from shortlist.fit.kv import kv_cache_bytes
from shortlist.fit.params import lora_adapter_params
from shortlist.fit.schema import FitRequest, MemoryBreakdown, Term
from shortlist.fit.tensors import matrices

MIB = 2**20
CUDA_CONTEXT = 400 * MIB  # CUDA context + cuBLAS/cuDNN workspaces, measured 300-500 MB per process
CUDA_GRAPHS = 512 * MIB  # vLLM CUDA-graph pool ("Graph capturing ... took 0.4-0.6 GiB" for 7-8B)
VLLM_MAX_SEQS = 256  # vLLM `max_num_seqs` default: sequences in its memory-profiling run
VLLM_CHUNK = 8192  # vLLM `max_num_batched_tokens` default for `vllm serve`: prefill runs in chunks of this
LLAMA_CPP_UBATCH = 512  # llama.cpp default n_ubatch: its compute buffer is sized for this many tokens
MLX_PREFILL_STEP = 2048  # mlx_lm's prefill_step_size: the prompt is evaluated in chunks of this many tokens
MLX_KV_STEP = 256  # mlx_lm's KVCache grows in steps of 256 tokens
SLACK_INFERENCE = 0.05  # caching-allocator fragmentation, share of transient activations
SLACK_TRAINING = 0.10  # training frees and re-allocates far more; measured peaks sit ~10% above live bytes
BACKWARD_FACTOR = 1.25  # recompute of one layer + its activation grads in flight (Unsloth Llama-3.1-8B slope)
# per vocab entry per token: bf16 logits 2 + fp32 upcast 4 + log-softmax 4 + fp32 grad 4 + bf16 grad 2
LOGIT_BYTES_TRAINING = 16
OPTIMIZER_BYTES = {"adamw": 8.0, "paged_adamw": 8.0, "adamw8bit": 2.0, "paged_adamw8bit": 2.0, "sgd": 4.0,
                   "sgd_nomomentum": 0.0}
ADAPTER_BYTES = 4  # PEFT keeps LoRA A/B in fp32 (autocast_adapter_dtype=True)


@dataclass(frozen=True)
class Plan:
    """Everything about a request that does not depend on context or batch (computed once)."""

    req: FitRequest
    fmt: Format
    runtime: str
    weights: WeightBytes
    shards: int  # how many ways weights are split per card
    kv_dtype: str
    trainable: int
    largest_matrix: int
    offload_layers: int | None = None  # llama.cpp -ngl when the model is split between card and host RAM

    @property
    def model(self) -> ModelSpec:
        return self.req.model


def resolve_runtime(req: FitRequest, fmt: Format) -> str:
    """Training: the framework. Inference: the runtime that runs `fmt` on this device (runtimes.py decides)."""
    if req.mode != "inference":
        return "transformers" if req.framework == "transformers" else "unsloth"
    from shortlist.fit.runtimes import choose_runtime

    return choose_runtime(fmt, device_of(req.gpu), req.runtime)


def parallelism(req: FitRequest) -> str:
    if req.gpus == 1:
        return "single"
    if req.parallelism == "auto":
        return "tp" if req.mode == "inference" else "ddp"
    return "zero3" if req.parallelism == "fsdp" else req.parallelism


def make_plan(req: FitRequest) -> Plan:
    fmt = get_format(req.precision)
    runtime = resolve_runtime(req, fmt)
    w = weight_bytes(req.model, fmt)
    if req.weights_bytes_exact:
        w = WeightBytes(req.weights_bytes_exact, w.routed, w.token_embd, w.dense, w.extra)
    par = parallelism(req)
    shards = req.gpus if par in ("tp", "zero3") else 1
    kv = req.kv_dtype or ("f16" if runtime == "llama.cpp" else ("fp32" if fmt.name == "fp32" else "bf16"))
    if not req.kv_dtype and fmt.name == "fp16":
        kv = "fp16"
    trainable = 0
    if req.mode in ("lora", "qlora"):
        trainable = lora_adapter_params(req.model, req.lora_rank, req.lora_targets)
    elif req.mode == "full":
        trainable = req.model.params_total
    largest = max(x.n_in * x.n_out for x in matrices(req.model) if x.role not in ("token_embd", "output"))
    return Plan(req, fmt, runtime, w, shards, kv, trainable, largest)


def _mlp_width(m: ModelSpec) -> int:
    if m.moe is None:
        return m.intermediate_size
    e = m.moe
    return e.experts_per_token * e.expert_intermediate_size + e.shared_experts * (
        e.shared_intermediate_size or e.expert_intermediate_size)


def layer_activation_elems(m: ModelSpec) -> tuple[int, int]:
    """(inference, training) elements alive per token inside one decoder layer.

    Inference: residual, normed input, hidden out (3h), q and attention output (2q), k and v (2kv),
    and gate/up/product (3I). Training stores for backward: 4h + 2q + 2kv + 4I (gated) or 2I.
    """
    h = m.hidden_size
    q = m.attention_heads * (m.mla.v_head_dim if m.mla else m.head_dim)
    kv = m.kv_heads * m.head_dim if m.mla is None else m.mla.kv_lora_rank + m.mla.qk_rope_head_dim
    i = _mlp_width(m)
    infer = 3 * h + 2 * q + 2 * kv + (3 if m.mlp_gated else 2) * i
    train = 4 * h + 2 * q + 2 * kv + (4 if m.mlp_gated else 2) * i
    return infer, train


def _gpu_overhead(p: Plan) -> int:
    if p.offload_layers == 0:  # nothing on the card: llama.cpp runs on the CPU alone
        return 0
    return CUDA_CONTEXT if p.req.gpu.vendor in ("nvidia", "amd", "intel") else 0


def offload_units(p: Plan) -> int:
    """llama.cpp's -ngl counts the repeating layers plus the output layer: L + 1 units to place."""
    return p.model.layers + 1


def _inference(p: Plan, context: int, batch: int) -> list[Term]:
    m, req = p.model, p.req
    terms: list[Term] = []
    n = req.gpus if p.shards > 1 else 1
    host = 0
    w = p.weights.total
    if p.runtime == "llama.cpp" and not m.tied_embeddings:
        host = p.weights.token_embd
        w -= host
    kv_tokens = context
    if p.runtime == "mlx":
        kv_tokens = -(-context // MLX_KV_STEP) * MLX_KV_STEP
    kv = kv_cache_bytes(m, kv_tokens, batch, p.kv_dtype, kv_shards=n)
    split = ""
    if p.offload_layers is not None:  # llama.cpp partial offload: the first -ngl units on the card, rest in RAM
        units, on_card = offload_units(p), p.offload_layers
        host += w - w * on_card // units
        w = w * on_card // units
        kv_card = kv * min(on_card, m.layers) // m.layers
        host += kv - kv_card
        kv = kv_card
        split = f", {on_card} of {units} layers on the card (-ngl {on_card})"
    terms.append(Term(name="weights", group="weights", bytes=w // n,
                      formula=f"{p.fmt.label} tensors" + (f" ÷ {n} cards" if n > 1 else "") + split
                      + (" (token_embd stays in host RAM)" if host and not split else "")))
    terms.append(Term(name="kv_cache", group="kv_cache", bytes=kv,
                      formula=f"layers × tokens kept × {'latent' if m.mla else '2 × kv_heads × head_dim'} × batch "
                      f"× {p.kv_dtype}" + (f" (MLX grows it in {MLX_KV_STEP}-token steps)" if p.runtime == "mlx"
                                           else "")))
    if p.runtime == "mlx":
        infer, _ = layer_activation_elems(m)
        tokens = min(context * batch, MLX_PREFILL_STEP)
        act = tokens * infer * 2
        terms.append(Term(name="activations", group="activations", bytes=act,
                          formula=f"{tokens} prefill tokens (mlx_lm prefill_step_size) × {infer} elems × 2 B"))
        terms.append(Term(name="logits", group="overhead", bytes=m.vocab_size * batch * 4,
                          formula=f"vocab × {batch} sequences × fp32"))
    elif p.runtime == "llama.cpp":
        ub = min(LLAMA_CPP_UBATCH, context * batch)
        comp = ub * 4 * (m.vocab_size + m.hidden_size)
        if not req.flash_attention:  # the f32 KQ matrix plus q/k/v/out staging (6 × hidden per token)
            comp = max(comp, ub * 4 * (m.attention_heads * context * batch + 6 * m.hidden_size))
        terms.append(Term(name="compute_buffer", group="activations", bytes=comp,
                          formula=f"n_ubatch {ub} × fp32 × (vocab + hidden)"
                          + ("" if req.flash_attention else ", or the KQ matrix without flash attention")))
    else:
        infer, _ = layer_activation_elems(m)
        vllm = p.runtime == "vllm"
        tokens = min(context * batch, VLLM_CHUNK) if vllm else context * batch
        # vLLM's profiled activation peak is the same at TP=1 and TP=2 (vllm PR #10511: 1.26 GiB both), so
        # only the transformers path shards activations across tensor-parallel cards.
        split = 1 if vllm else n
        act = tokens * infer * 2 // split
        terms.append(Term(name="activations", group="activations", bytes=act,
                          formula=f"{tokens} prefill tokens × {infer} elems/token/layer × 2 B"
                          + (f" ÷ {split}" if split > 1 else "")))
        # vLLM profiles with max_num_seqs dummy sequences and samples each one's last-token logits.
        seqs = max(batch, VLLM_MAX_SEQS) if vllm else batch
        terms.append(Term(name="logits", group="overhead", bytes=m.vocab_size * seqs * 4,
                          formula=f"vocab × {seqs} sequences × fp32"
                          + (" (vLLM's profile run uses max_num_seqs)" if vllm else "")))
        terms.append(Term(name="allocator_slack", group="overhead", bytes=int(act * SLACK_INFERENCE),
                          formula=f"{SLACK_INFERENCE:.0%} of activations"))
        if p.runtime == "vllm" and req.gpu.vendor == "nvidia":
            terms.append(Term(name="cuda_graphs", group="overhead", bytes=CUDA_GRAPHS, formula="vLLM CUDA-graph pool"))
    ctx = _gpu_overhead(p)
    if ctx:
        terms.append(Term(name="cuda_context", group="overhead", bytes=ctx, formula="CUDA context + workspaces"))
    if host:
        what = "offloaded layers, their KV cache and token_embd" if p.offload_layers is not None else "token_embd"
        terms.append(Term(name="host_ram", group="weights", bytes=-host,
                          formula=f"(host RAM: {what}; not on the card)"))
    return terms


def _training(p: Plan, seq: int, batch: int) -> list[Term]:
    m, req = p.model, p.req
    par = parallelism(req)
    n = req.gpus
    terms: list[Term] = []
    shard_state = n if par in ("zero3", "tp") else 1
    shard_grad_opt = n if par in ("zero2", "zero3", "tp") else 1
    w = p.weights.total
    if req.mode == "full":
        terms.append(Term(name="weights", group="weights", bytes=w // shard_state, formula=f"{p.fmt.label} weights"))
        master = 0 if p.fmt.dense_bytes == 4 else 4 * m.params_total
        grads = p.fmt.dense_bytes * m.params_total
        states = OPTIMIZER_BYTES[req.optimizer] * m.params_total
    else:
        terms.append(Term(name="base_weights", group="weights", bytes=w // shard_state,
                          formula=f"frozen base, {p.fmt.label}"))
        terms.append(Term(name="adapter_weights", group="weights", bytes=ADAPTER_BYTES * p.trainable // shard_state,
                          formula=f"{p.trainable:,} LoRA params × fp32"))
        master = 0
        grads = ADAPTER_BYTES * p.trainable
        states = OPTIMIZER_BYTES[req.optimizer] * p.trainable
    terms.append(Term(name="gradients", group="gradients", bytes=grads // shard_grad_opt,
                      formula="trainable params × " + ("fp32" if req.mode != "full" else f"{p.fmt.dense_bytes} B")))
    if master:
        terms.append(Term(name="master_weights", group="optimizer", bytes=master // shard_grad_opt,
                          formula="fp32 master copy, 4 B/param"))
    terms.append(Term(name="optimizer_states", group="optimizer", bytes=int(states) // shard_grad_opt,
                      formula=f"{req.optimizer}: {OPTIMIZER_BYTES[req.optimizer]:g} B/trainable param"))
    tokens = seq * batch
    _, per_layer = layer_activation_elems(m)
    layer_bytes = per_layer * 2 * tokens
    tp = n if par == "tp" else 1
    if req.grad_checkpointing:
        saved = 0 if req.framework == "unsloth" else m.layers * m.hidden_size * 2 * tokens
        act = saved + int(BACKWARD_FACTOR * layer_bytes)
        how = ("checkpoints offloaded to host RAM (Unsloth)" if saved == 0 else "layer inputs × layers")
        how += f" + {BACKWARD_FACTOR} × one layer recomputed"
    else:
        act = m.layers * layer_bytes
        how = "every layer's stored activations"
    terms.append(Term(name="activations", group="activations", bytes=act // tp,
                      formula=f"{tokens} tokens: {how}, flash attention (no s² term)"))
    logits = 0 if req.framework == "unsloth" else LOGIT_BYTES_TRAINING * m.vocab_size * tokens
    if logits:
        terms.append(Term(name="logits_and_loss", group="activations", bytes=logits // tp,
                          formula=f"vocab × tokens × {LOGIT_BYTES_TRAINING} B (logits, fp32 loss and grads)"))
    if p.fmt.family in ("bnb4", "int8", "gptq", "fp8"):
        deq = 2 * p.largest_matrix * 2
        terms.append(Term(name="dequant_buffer", group="activations", bytes=deq,
                          formula="largest quantized matrix dequantized to bf16, forward + backward"))
    terms.append(Term(name="allocator_slack", group="overhead", bytes=int((act + logits) // tp * SLACK_TRAINING),
                      formula=f"{SLACK_TRAINING:.0%} of activations"))
    ctx = _gpu_overhead(p)
    if ctx:
        terms.append(Term(name="cuda_context", group="overhead", bytes=ctx, formula="CUDA context + workspaces"))
    return terms


def breakdown(p: Plan, context: int, batch: int) -> MemoryBreakdown:
    terms = _inference(p, context, batch) if p.req.mode == "inference" else _training(p, context, batch)
    groups = {g: 0 for g in ("weights", "kv_cache", "activations", "overhead", "optimizer", "gradients")}
    host = 0
    for t in terms:
        if t.bytes < 0:
            host -= t.bytes
            continue
        groups[t.group] += t.bytes
    shown = [t for t in terms if t.bytes >= 0]
    return MemoryBreakdown(
        weights_bytes=groups["weights"], kv_cache_bytes=groups["kv_cache"], activations_bytes=groups["activations"],
        overhead_bytes=groups["overhead"], optimizer_bytes=groups["optimizer"], gradients_bytes=groups["gradients"],
        total_bytes=sum(groups.values()), host_bytes=host, terms=shown,
    )


def total_bytes(p: Plan, context: int, batch: int) -> int:
    return breakdown(p, context, batch).total_bytes
