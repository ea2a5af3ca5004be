"""The 2-D weight matrices of a decoder, one entry per tensor kind and layer.

Quantized formats treat matrices by role (llama.cpp bumps attn_v and ffn_down, bitsandbytes skips
lm_head, GPTQ skips embeddings), so memory needs the role and shape of each matrix, not just a total.
Everything that is not a matrix (norms, biases, sinks, router biases) is the "vectors" remainder:
count_params total minus the matrices, so the two views always add up to the same parameter count.
"""

from __future__ import annotations

from dataclasses import dataclass

from shortlist.catalog.schema import ModelSpec
from shortlist.fit.params import count_params, is_moe_layer

# HF architectures whose attention and gate/up projections are single fused matrices.
FUSED_QKV = {"Phi3ForCausalLM", "Phi3SmallForCausalLM"}


@dataclass(frozen=True)
class Matrix:
    """One weight matrix (or `count` identical ones, e.g. routed experts) with llama.cpp's role name."""

    role: str  # token_embd, output, attn_q, attn_k, attn_v, attn_qkv, attn_kv_b, attn_output, ffn_gate, ...
    layer: int  # -1 outside the layer stack
    n_in: int  # columns (ggml ne[0]): the quantization block axis
    n_out: int
    count: int = 1
    routed: bool = False  # a routed expert: only experts_per_token/experts of it is read per token
    quantizable: bool = True  # llama.cpp never quantizes the MoE router (ffn_gate_inp)

    @property
    def params(self) -> int:
        return self.n_in * self.n_out * self.count


def _attention(m: ModelSpec, i: int) -> list[Matrix]:
    h = m.hidden_size
    if m.mla is not None:
        a = m.mla
        qk = a.qk_nope_head_dim + a.qk_rope_head_dim
        out: list[Matrix] = []
        if a.q_lora_rank:
            out += [Matrix("attn_q_a", i, h, a.q_lora_rank),
                    Matrix("attn_q_b", i, a.q_lora_rank, m.attention_heads * qk)]
        else:
            out.append(Matrix("attn_q", i, h, m.attention_heads * qk))
        out += [
            Matrix("attn_kv_a", i, h, a.kv_lora_rank + a.qk_rope_head_dim),
            Matrix("attn_kv_b", i, a.kv_lora_rank, m.attention_heads * (a.qk_nope_head_dim + a.v_head_dim)),
            Matrix("attn_output", i, m.attention_heads * a.v_head_dim, h),
        ]
        return out
    q, kv = m.attention_heads * m.head_dim, m.kv_heads * m.head_dim
    if m.architecture in FUSED_QKV:
        return [Matrix("attn_qkv", i, h, q + 2 * kv), Matrix("attn_output", i, q, h)]
    return [Matrix("attn_q", i, h, q), Matrix("attn_k", i, h, kv), Matrix("attn_v", i, h, kv),
            Matrix("attn_output", i, q, h)]


def _mlp(m: ModelSpec, i: int, inter: int, suffix: str = "", count: int = 1, routed: bool = False) -> list[Matrix]:
    h = m.hidden_size
    out = [Matrix(f"ffn_up{suffix}", i, h, inter, count, routed),
           Matrix(f"ffn_down{suffix}", i, inter, h, count, routed)]
    if m.mlp_gated:
        out.insert(0, Matrix(f"ffn_gate{suffix}", i, h, inter, count, routed))
    return out


_MATRIX_CACHE: dict[str, list[Matrix]] = {}


def matrices(m: ModelSpec) -> list[Matrix]:
    """Every weight matrix of the text decoder, in checkpoint order (cached per architecture; do not mutate)."""
    key = m.model_dump_json()
    hit = _MATRIX_CACHE.get(key)
    if hit is None:
        hit = _MATRIX_CACHE[key] = _matrices(m)
    return hit


def _matrices(m: ModelSpec) -> list[Matrix]:
    h = m.hidden_size
    out = [Matrix("token_embd", -1, h, m.vocab_size)]
    for i in range(m.layers):
        out += _attention(m, i)
        if is_moe_layer(m, i):
            e = m.moe
            assert e is not None
            out.append(Matrix("ffn_gate_inp", i, h, e.experts, quantizable=False))
            out += _mlp(m, i, e.expert_intermediate_size, "_exps", e.experts, routed=True)
            if e.shared_experts:
                shared = e.shared_experts * (e.shared_intermediate_size or e.expert_intermediate_size)
                out += _mlp(m, i, shared, "_shexp")
        else:
            out += _mlp(m, i, m.intermediate_size)
    if not m.tied_embeddings:
        out.append(Matrix("output", -1, h, m.vocab_size))
    return out


def vector_params(m: ModelSpec, mats: list[Matrix] | None = None) -> int:
    """Norms, biases and other 1-D tensors: the formula total less the matrices and params_extra."""
    mats = matrices(m) if mats is None else mats
    c = count_params(m)
    return max(c.total - c.extra - sum(x.params for x in mats), 0)


def formula_scale(m: ModelSpec) -> float:
    """Stated total ÷ formula total: 1.0 for exact specs, the correction for approximate ones."""
    formula = count_params(m).total
    return m.params_total / formula if formula else 1.0
