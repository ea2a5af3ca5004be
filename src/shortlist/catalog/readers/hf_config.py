"""A Hugging Face config.json, checked field by field, turned into a ModelSpec.

config.json is free-form JSON written by many tools, and its numbers drive every later sum (memory
per layer, KV cache, LoRA sizes), so each number we use is checked for type and for a range that
holds every real model with room to spare. A value outside it (0 heads, 10**30 layers, NaN, a
list) is an HFConfigError naming the file, the key and the range, never a crash or a minutes-long
loop further on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from shortlist.catalog.licenses import find_license
from shortlist.catalog.schema import MLASpec, ModelSpec, MoESpec
from shortlist.errors import FormatError, shown


class HFConfigError(FormatError):
    """A config.json whose fields are missing, of the wrong type or outside what any real model has."""

    format_name = "config.json"


# key -> (lowest, highest) value any real checkpoint has, with room to spare. Largest today: hidden 25,600,
# 126 layers, 128 heads, head_dim 512, vocab 262k, 512 experts, 10M-token context.
LIMITS: dict[str, tuple[int, int]] = {
    "hidden_size": (1, 131_072),
    "num_hidden_layers": (1, 1_024),
    "num_attention_heads": (1, 1_024),
    "num_key_value_heads": (1, 1_024),
    "head_dim": (1, 4_096),
    "intermediate_size": (1, 1_048_576),
    "moe_intermediate_size": (1, 1_048_576),
    "shared_expert_intermediate_size": (1, 1_048_576),
    "vocab_size": (1, 4_194_304),
    "max_position_embeddings": (1, 2**30),
    "num_local_experts": (1, 4_096),
    "n_routed_experts": (1, 4_096),
    "num_experts": (1, 4_096),
    "num_experts_per_tok": (1, 4_096),
    "n_shared_experts": (1, 64),
    "first_k_dense_replace": (1, 1_024),
    "moe_layer_freq": (1, 1_024),
    "decoder_sparse_step": (1, 1_024),
    "kv_lora_rank": (1, 65_536),
    "q_lora_rank": (1, 65_536),
    "qk_nope_head_dim": (1, 4_096),
    "qk_rope_head_dim": (1, 4_096),
    "v_head_dim": (1, 4_096),
    "sliding_window": (1, 2**30),
    "sliding_window_pattern": (1, 1_024),
    "bits": (1, 64),
    "w_bit": (1, 64),
}
_HINT = "fix config.json or download it again"


@dataclass
class Config:
    """Typed access to one config.json (or its text_config), naming `where` and the key in every error."""

    raw: dict[str, Any]
    where: str
    prefix: str = ""  # "text_config." for multimodal wrappers

    def _fail(self, key: str, problem: str, hint: str | None = _HINT) -> HFConfigError:
        return HFConfigError(self.where, self.prefix + key, problem, hint)

    def integer(self, key: str, required: bool = False, why: str = "") -> int | None:
        """The integer under `key` within LIMITS, or None when absent, null or 0 (the "unset" spellings)."""
        lo, hi = LIMITS[key]
        value = self.raw.get(key)
        if value is None or (value == 0 and not isinstance(value, bool) and lo > 0 and not required):
            if required:
                raise self._fail(key, f"missing, expected an integer from {lo:,} to {hi:,}{why}",
                                 "is this a decoder language model?")
            return None
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise self._fail(key, f"is {shown(value)}, expected an integer from {lo:,} to {hi:,}")
        return value

    def need(self, key: str, why: str = "") -> int:
        value = self.integer(key, required=True, why=why)
        assert value is not None
        return value

    def text(self, key: str, max_len: int = 200) -> str | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > max_len:
            raise self._fail(key, f"is {shown(value)}, expected a string of at most {max_len} characters")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self._fail(key, f"is {shown(value)}, expected true or false")
        return value


def outer_config(config: Any, where: str) -> Config:
    if not isinstance(config, dict):
        raise HFConfigError(where, "", f"is {shown(config)}, expected a JSON object", _HINT)
    return Config(config, where)


def text_config(config: dict[str, Any]) -> dict[str, Any]:
    text = config.get("text_config")
    if isinstance(text, dict):  # multimodal wrappers (Gemma 3, Mistral 3, Llama 4) nest the decoder config
        return {**text, "architectures": config.get("architectures"), "_outer_model_type": config.get("model_type")}
    return config


def decoder_config(config: Any, where: str) -> Config:
    """The config holding the decoder's numbers (the top level, or `text_config` of a multimodal wrapper)."""
    outer = outer_config(config, where)
    nested = config.get("text_config")
    if nested is None:
        return outer
    if not isinstance(nested, dict):
        raise HFConfigError(where, "text_config", f"is {shown(nested)}, expected a JSON object", _HINT)
    return Config(text_config(config), where, "text_config.")


def declared_layers(config: Any, where: str) -> int:
    """num_hidden_layers, checked: which tensor names lie past the decoder depends on it."""
    return decoder_config(config, where).need("num_hidden_layers")


def _architecture(outer: Config, mtype: str) -> str:
    archs = outer.raw.get("architectures")
    if archs is None or archs == []:
        return mtype or "unknown"
    if not isinstance(archs, list) or not all(isinstance(a, str) and 0 < len(a) <= 200 for a in archs):
        raise outer._fail("architectures", f"is {shown(archs)}, expected a list of class names")
    return archs[0]


def _moe(c: Config, inter: int, layers: int) -> MoESpec | None:
    why = " (MoE configs name their experts per token)"
    if c.integer("num_local_experts"):  # Mixtral
        experts = c.need("num_local_experts")
        spec = dict(experts=experts, experts_per_token=c.need("num_experts_per_tok", why),
                    expert_intermediate_size=inter)
    elif c.integer("n_routed_experts"):  # DeepSeek V2/V3
        experts = c.need("n_routed_experts")
        spec = dict(experts=experts, experts_per_token=c.need("num_experts_per_tok", why),
                    expert_intermediate_size=c.need("moe_intermediate_size", " (DeepSeek MoE configs set it)"),
                    shared_experts=c.integer("n_shared_experts") or 0,
                    dense_layers=c.integer("first_k_dense_replace") or 0, layer_step=c.integer("moe_layer_freq") or 1,
                    router_bias=c.text("topk_method") == "noaux_tc")
    elif c.integer("num_experts") and c.integer("moe_intermediate_size"):  # Qwen2-MoE / Qwen3-MoE
        experts = c.need("num_experts")
        shared = c.integer("shared_expert_intermediate_size") or 0
        spec = dict(experts=experts, experts_per_token=c.need("num_experts_per_tok", why),
                    expert_intermediate_size=c.need("moe_intermediate_size"), shared_experts=1 if shared else 0,
                    shared_intermediate_size=shared or None, shared_expert_gate=bool(shared),
                    layer_step=c.integer("decoder_sparse_step") or 1)
    else:
        return None
    if experts < 2:
        raise c._fail("num_experts", f"is {experts}, expected at least 2 experts for a mixture of experts")
    if spec["experts_per_token"] > experts:
        raise c._fail("num_experts_per_tok", f"is {spec['experts_per_token']}, more than the {experts} experts")
    if spec.get("dense_layers", 0) > layers:
        raise c._fail("first_k_dense_replace", f"is {spec['dense_layers']}, more than the {layers} layers")
    return MoESpec(**spec)


def _mla(c: Config) -> MLASpec | None:
    rank = c.integer("kv_lora_rank")
    if not rank:
        return None
    why = " (MLA configs, with kv_lora_rank, set it)"
    return MLASpec(kv_lora_rank=rank, q_lora_rank=c.integer("q_lora_rank"),
                   qk_nope_head_dim=c.need("qk_nope_head_dim", why), qk_rope_head_dim=c.need("qk_rope_head_dim", why),
                   v_head_dim=c.need("v_head_dim", why))


def _license(outer: Config) -> str:
    spelling = outer.text("license", max_len=300)
    lic = find_license(spelling)
    return lic.id if lic else "other"


def spec_from_config(config: Any, model_id: str, params_total: int, tensors: set[str] | None = None,
                     params_extra: int = 0, source: str = "", where: str | None = None) -> ModelSpec:
    """ModelSpec fields from a config.json (Llama, Mistral, Qwen2/3(+MoE), Gemma 1-3, Phi-3, Mixtral, DeepSeek).

    `where` names the file in errors (default: "config.json of <model_id>").
    """
    where = where or f"config.json of {model_id}"
    outer = outer_config(config, where)
    c = decoder_config(config, where)
    mtype = c.text("model_type") or outer.text("model_type") or ""
    hidden = c.need("hidden_size")
    layers = c.need("num_hidden_layers")
    heads = c.need("num_attention_heads")
    kv = c.integer("num_key_value_heads") or heads
    if kv > heads or heads % kv:
        raise c._fail("num_key_value_heads", f"is {kv}, expected a divisor of num_attention_heads ({heads})")
    head_dim = c.integer("head_dim") or hidden // heads
    if head_dim < 1:
        raise c._fail("num_attention_heads", f"is {heads}, more than hidden_size ({hidden}) with no head_dim")
    inter = c.integer("intermediate_size") or c.integer("moe_intermediate_size") or 4 * hidden
    gemma = mtype.startswith("gemma")
    tied_default = c.flag("tie_word_embeddings", outer.flag("tie_word_embeddings", gemma))
    heads_stored = {"lm_head.weight", "language_model.lm_head.weight"} & tensors if tensors else None
    tied = not heads_stored if tensors else tied_default
    moe = _moe(c, inter, layers)
    mla = _mla(c)
    if mla is not None:
        head_dim, kv = mla.qk_nope_head_dim + mla.qk_rope_head_dim, heads
    window = c.integer("sliding_window") if c.flag("use_sliding_window", True) else None
    window_layers = 0
    if window and mtype == "gemma2":
        window_layers = layers // 2
    elif window and mtype.startswith("gemma3"):
        window_layers = layers - layers // (c.integer("sliding_window_pattern") or 6)
    elif window and mtype in ("mistral", "mixtral"):
        window_layers = layers
    attention_bias = c.flag("attention_bias", False)
    fields: dict[str, Any] = {
        "id": model_id,
        "family": mtype or "unknown",
        "kind": "instruct" if any(w in model_id.lower() for w in ("instruct", "chat", "-it")) else "base",
        "architecture": _architecture(outer, mtype),
        "params_total": params_total,
        "layers": layers,
        "hidden_size": hidden,
        "intermediate_size": inter,
        "attention_heads": heads,
        "kv_heads": kv,
        "head_dim": head_dim,
        "vocab_size": c.integer("vocab_size") or 1,
        "tied_embeddings": tied,
        "max_context": c.integer("max_position_embeddings") or 2048,
        "sliding_window": window if window_layers else None,
        "sliding_window_layers": window_layers,
        "qkv_bias": attention_bias or mtype in ("qwen2", "qwen2_moe"),
        "o_bias": attention_bias and mtype not in ("qwen2", "qwen2_moe"),
        "mlp_bias": c.flag("mlp_bias", False),
        "norms_per_layer": 4 if mtype in ("gemma2", "gemma3", "gemma3_text") else 2,
        "qk_norm": "head" if mtype.startswith(("qwen3", "gemma3")) else "none",
        "moe": moe,
        "mla": mla,
        "params_extra": params_extra,
        "params_extra_reason": "tensors outside the text decoder (vision/audio tower, projector, MTP layers)"
        if params_extra else None,
        "license": _license(outer),
        "source": source or None,
    }
    try:
        return ModelSpec.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise HFConfigError(where, ".".join(map(str, first["loc"])), first["msg"], _HINT) from None


def quantization_of(config: dict[str, Any], dtypes: dict[str, int], where: str = "config.json") -> str | None:
    q = config.get("quantization_config")
    if q is not None and not isinstance(q, dict):
        raise HFConfigError(where, "quantization_config", f"is {shown(q)}, expected a JSON object", _HINT)
    if q and q.get("quant_method") is not None:
        c = Config(q, where, "quantization_config.")
        method = c.text("quant_method", max_len=60)
        bits = c.integer("bits") or c.integer("w_bit")
        return f"{method}-{bits}bit" if bits else method
    if any(d.startswith("F8") for d in dtypes):
        return "fp8"
    return None
