"""A GGUF file's architecture metadata and tensor table: exact parameters, quant types and data bytes.

The header is parsed and bounds-checked by gguf_header.py; here each metadata value the spec needs
is checked for type and for a range every real model stays within (the same ranges as config.json),
so a damaged or hand-edited file is one GGUFError naming the key, never a crash or a long loop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shortlist.catalog.licenses import find_license
from shortlist.catalog.readers import ModelFile
from shortlist.catalog.readers.gguf_header import GGUFError, GGUFHeader, GGUFTensor, StringArray, read_gguf_header
from shortlist.catalog.readers.hf_config import LIMITS
from shortlist.catalog.schema import MLASpec, ModelSpec, MoESpec
from shortlist.errors import shown

__all__ = ["HF_ARCHITECTURES", "GGUFError", "read_gguf"]

# GGUF `general.architecture` -> the Hugging Face class name the catalog uses.
HF_ARCHITECTURES = {
    "llama": "LlamaForCausalLM",
    "mistral3": "Mistral3ForConditionalGeneration",
    "qwen2": "Qwen2ForCausalLM",
    "qwen2moe": "Qwen2MoeForCausalLM",
    "qwen3": "Qwen3ForCausalLM",
    "qwen3moe": "Qwen3MoeForCausalLM",
    "gemma": "GemmaForCausalLM",
    "gemma2": "Gemma2ForCausalLM",
    "gemma3": "Gemma3ForCausalLM",
    "phi3": "Phi3ForCausalLM",
    "deepseek2": "DeepseekV3ForCausalLM",
    "falcon": "FalconForCausalLM",
    "olmo2": "Olmo2ForCausalLM",
}
_LAYER_NORMS = ("attn_norm", "ffn_norm", "post_attention_norm", "post_ffw_norm", "attn_post_norm", "ffn_post_norm")
# GGUF key suffix -> the config.json key whose plausible range applies
_RANGES = {
    "block_count": "num_hidden_layers",
    "embedding_length": "hidden_size",
    "attention.head_count": "num_attention_heads",
    "attention.head_count_kv": "num_key_value_heads",
    "attention.key_length": "head_dim",
    "attention.value_length": "head_dim",
    "vocab_size": "vocab_size",
    "feed_forward_length": "intermediate_size",
    "expert_feed_forward_length": "moe_intermediate_size",
    "expert_shared_feed_forward_length": "shared_expert_intermediate_size",
    "expert_count": "num_experts",
    "expert_used_count": "num_experts_per_tok",
    "expert_shared_count": "n_shared_experts",
    "leading_dense_block_count": "first_k_dense_replace",
    "attention.kv_lora_rank": "kv_lora_rank",
    "attention.q_lora_rank": "q_lora_rank",
    "rope.dimension_count": "qk_rope_head_dim",
    "context_length": "max_position_embeddings",
    "attention.sliding_window": "sliding_window",
}
_PER_LAYER = {"attention.head_count", "attention.head_count_kv", "feed_forward_length"}
_HINT = "the file is damaged or hand-edited; download it again"


class _Meta:
    """Typed access to a GGUF header's metadata, naming the key in every error."""

    def __init__(self, path: Path, header: GGUFHeader) -> None:
        self.path, self.meta = path, header.metadata
        self.arch = self.text("general.architecture", required=True, max_len=64)

    def text(self, key: str, required: bool = False, max_len: int = 300) -> str | None:
        value = self.meta.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value or len(value) > max_len:
            what = "missing" if value is None else f"is {shown(value)}"
            raise GGUFError(self.path, key, f"{what}, expected a string of 1 to {max_len} characters", _HINT)
        return value

    def num(self, suffix: str, required: bool = False) -> int | None:
        """`<arch>.<suffix>` as an integer in its plausible range; per-layer arrays give their largest entry."""
        key = f"{self.arch}.{suffix}"
        lo, hi = LIMITS[_RANGES[suffix]]
        value = self.meta.get(key)
        if value is None:
            if required:
                raise GGUFError(self.path, key, f"missing, expected an integer from {lo:,} to {hi:,}",
                                "is this a language model GGUF?")
            return None
        if suffix in _PER_LAYER and hasattr(value, "dtype") and value.dtype.kind in "iu" and 0 < len(value) <= 4096:
            value = int(value.max())
        if isinstance(value, bool) or not isinstance(value, int):
            raise GGUFError(self.path, key, f"is {shown(value)}, expected an integer from {lo:,} to {hi:,}", _HINT)
        if value == 0 and not required and lo > 0:
            return None  # 0 spells "unset" (no sliding window, no q LoRA, ...)
        if not lo <= value <= hi:
            raise GGUFError(self.path, key, f"is {shown(value)}, expected an integer from {lo:,} to {hi:,}",
                            "no real model has such a value")
        return value


def _quantization(meta: _Meta, dtypes: dict[str, int]) -> str | None:
    file_type = meta.meta.get("general.file_type")
    if isinstance(file_type, int) and not isinstance(file_type, bool):
        from gguf import LlamaFileType

        try:
            name: str | None = LlamaFileType(file_type).name
        except ValueError:
            name = None
        if name:
            name = name.removeprefix("MOSTLY_").removeprefix("ALL_")
            return None if name in ("F32", "F16", "BF16") else name
    dominant = max(dtypes, key=lambda k: dtypes[k])
    return None if dominant in ("F32", "F16", "BF16") else dominant


def read_gguf(path: Path) -> ModelFile:
    header = read_gguf_header(path)
    dtypes: dict[str, int] = {}
    total = data_bytes = 0
    for t in header.tensors.values():
        dtypes[t.type_name] = dtypes.get(t.type_name, 0) + t.elements
        total += t.elements
        data_bytes += t.nbytes
    if total == 0:
        raise GGUFError(path, "tensors", "none: the file holds no tensors",
                        "pass a model file, not a vocabulary-only GGUF")
    meta = _Meta(path, header)
    return ModelFile(
        spec=_spec(meta, path, header.tensors, total),
        path=str(path),
        format="gguf",
        params_exact=total,
        weight_bytes=data_bytes,
        dtypes=dtypes,
        quantization=_quantization(meta, dtypes),
    )


def _moe(m: _Meta, tensors: dict[str, GGUFTensor], ffn: int | None, layers: int) -> MoESpec | None:
    experts = m.num("expert_count")
    if not experts or experts < 2:
        return None
    used = m.num("expert_used_count") or 1
    if used > experts:
        raise GGUFError(m.path, f"{m.arch}.expert_used_count", f"is {used}, more than the {experts} experts", _HINT)
    size = m.num("expert_feed_forward_length") or ffn
    if not size:
        raise GGUFError(m.path, f"{m.arch}.expert_feed_forward_length", "missing, expected the experts' width",
                        _HINT)
    dense = m.num("leading_dense_block_count") or 0
    if dense > layers:
        raise GGUFError(m.path, f"{m.arch}.leading_dense_block_count", f"is {dense}, more than the {layers} layers",
                        _HINT)
    return MoESpec(
        experts=experts,
        experts_per_token=used,
        expert_intermediate_size=size,
        shared_experts=m.num("expert_shared_count") or (1 if "blk.0.ffn_up_shexp.weight" in tensors else 0),
        shared_intermediate_size=m.num("expert_shared_feed_forward_length"),
        shared_expert_gate="blk.0.ffn_gate_inp_shexp.weight" in tensors,
        dense_layers=dense,
        router_bias=any(n.endswith("exp_probs_b.bias") for n in tensors),
    )


def _mla(m: _Meta, head_dim: int) -> MLASpec | None:
    rank = m.num("attention.kv_lora_rank")
    if not rank:
        return None
    rope = m.num("rope.dimension_count") or 64
    if rope >= head_dim:
        raise GGUFError(m.path, f"{m.arch}.rope.dimension_count", f"is {rope}, expected less than the key length "
                        f"{head_dim} (MLA splits each key into a rotary and a plain part)", _HINT)
    return MLASpec(kv_lora_rank=rank, q_lora_rank=m.num("attention.q_lora_rank"),
                   qk_nope_head_dim=head_dim - rope, qk_rope_head_dim=rope,
                   v_head_dim=m.num("attention.value_length") or head_dim - rope)


def _vocab(m: _Meta, tensors: dict[str, GGUFTensor]) -> int:
    vocab = m.num("vocab_size")
    embd = tensors.get("token_embd.weight")
    if not vocab and embd is not None:
        vocab = max(embd.shape)
    if not vocab:
        tokens = m.meta.get("tokenizer.ggml.tokens")
        vocab = len(tokens) if isinstance(tokens, StringArray) else None
    lo, hi = LIMITS["vocab_size"]
    if vocab is not None and not lo <= vocab <= hi:
        raise GGUFError(m.path, "token_embd.weight", f"implies a vocabulary of {vocab:,}, expected {lo:,} to {hi:,}",
                        _HINT)
    return vocab or 1


def _spec(m: _Meta, path: Path, tensors: dict[str, GGUFTensor], total: int) -> ModelSpec:
    layers = m.num("block_count", required=True)
    hidden = m.num("embedding_length", required=True)
    heads = m.num("attention.head_count", required=True)
    assert layers is not None and hidden is not None and heads is not None
    kv = m.num("attention.head_count_kv") or heads
    if kv > heads or heads % kv:
        raise GGUFError(path, f"{m.arch}.attention.head_count_kv", f"is {kv}, expected a divisor of "
                        f"attention.head_count ({heads})", _HINT)
    head_dim = m.num("attention.key_length") or hidden // heads
    if head_dim < 1:
        raise GGUFError(path, f"{m.arch}.attention.head_count", f"is {heads}, more than embedding_length ({hidden})",
                        _HINT)
    ffn = m.num("feed_forward_length") or m.num("expert_feed_forward_length")
    moe = _moe(m, tensors, ffn, layers)
    mla = _mla(m, head_dim)
    if mla is not None:
        kv = heads
    norms = sum(1 for n in _LAYER_NORMS if f"blk.0.{n}.weight" in tensors) or 2
    q_norm = tensors.get("blk.0.attn_q_norm.weight")
    qk_norm = "none" if q_norm is None else ("head" if q_norm.shape[0] == head_dim else "full")
    lic = find_license(m.text("general.license"))
    name = m.text("general.name")
    label = " ".join(v for v in (name, m.text("general.finetune")) if v).lower()
    fields: dict[str, Any] = {
        "id": path.stem,
        "family": m.text("general.basename") or m.arch,
        "name": name or path.stem,
        "kind": "instruct" if any(w in label + path.stem.lower() for w in ("instruct", "chat", "-it")) else "base",
        "architecture": HF_ARCHITECTURES.get(m.arch, m.arch),
        "params_total": total,
        "layers": layers,
        "hidden_size": hidden,
        "intermediate_size": ffn or (moe.expert_intermediate_size if moe else 1),
        "attention_heads": heads,
        "kv_heads": kv,
        "head_dim": head_dim,
        "vocab_size": _vocab(m, tensors),
        "tied_embeddings": "output.weight" not in tensors,
        "max_context": m.num("context_length") or 2048,
        "sliding_window": m.num("attention.sliding_window"),
        "mlp_gated": "blk.0.ffn_gate.weight" in tensors or "blk.0.ffn_gate_exps.weight" in tensors,
        "qkv_bias": "blk.0.attn_q.bias" in tensors,
        "o_bias": "blk.0.attn_output.bias" in tensors,
        "norm_bias": "output_norm.bias" in tensors,
        "norms_per_layer": norms,
        "qk_norm": qk_norm,
        "moe": moe,
        "mla": mla,
        "license": lic.id if lic else "other",
        "source": f"GGUF metadata of {path.name}",
    }
    try:
        return ModelSpec.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise GGUFError(path, where, f"inconsistent GGUF metadata: {first['msg']}", _HINT) from None
