"""Weight storage formats: bytes for every tensor, honoring what each format leaves unquantized.

Per-format layouts (n_in × n_out matrix, n = n_in × n_out):
- fp32 4 B, bf16/fp16 2 B per weight; every tensor.
- fp8 (vLLM / llm-compressor FP8): n × 1 B + fp32 scale per output channel; embeddings, lm_head,
  router and norms stay bf16.
- int8 (bitsandbytes LLM.int8 or W8A8 per-channel): n × 1 B + fp32 scale per output row; same skips.
- nf4 / fp4 (bitsandbytes 4-bit): n ÷ 2 B + constants per 64-weight block: fp32 absmax (4 B), or with
  double quantization an 8-bit absmax (1 B) + an fp32 scale per 256 blocks + one fp32 offset.
  Every nn.Linear in the decoder (router included) is quantized; lm_head, embeddings and norms
  stay in the bf16 compute dtype (transformers' `llm_int8_skip_modules` default keeps lm_head).
- GPTQ / AWQ w-bit, group g: packed n × w ÷ 8 B + fp16 scale and packed w-bit zero per group per
  output column; GPTQ adds an int32 g_idx per input column. Embeddings, lm_head, router and norms
  stay fp16.
- MXFP4 (gpt-oss as published; vLLM and transformers read it as is): routed-expert matrices as 4-bit
  E2M1 values + one E8M0 (1 B) scale per 32 inputs = 4.25 bits per weight; everything else bf16.
  Only MoE models have experts to store this way, so a dense model in mxfp4 is refused.
- MLX affine quantization (mlx_lm.convert -q, group 64): every 2-D matrix, embeddings and lm_head
  included, at `bits` per weight + an fp16 scale and an fp16 bias per group of 64 inputs
  (4-bit: 4.5 bits per weight); norms stay bf16.
- GGUF: llama.cpp's per-tensor mix (gguf_mix.py); 1-D tensors F32. The vision tower of a
  multimodal model ships as a separate mmproj file and is not counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from shortlist.catalog.schema import ModelSpec
from shortlist.fit import gguf_mix
from shortlist.fit.tensors import Matrix, formula_scale, matrices, vector_params

Family = Literal["float", "fp8", "int8", "bnb4", "gptq", "gguf", "mxfp4", "mlx"]


@dataclass(frozen=True)
class Format:
    name: str
    family: Family
    nominal_bytes: float  # bytes per weight used by the rule of thumb and quality ordering
    label: str
    dense_bytes: int = 2  # bytes of the tensors the format leaves unquantized
    bits: int = 4
    group: int = 128
    double_quant: bool = False
    g_idx: bool = False
    ftype: str = ""


def _build() -> dict[str, Format]:
    f: dict[str, Format] = {
        "fp32": Format("fp32", "float", 4, "float32", dense_bytes=4),
        "bf16": Format("bf16", "float", 2, "bfloat16"),
        "fp16": Format("fp16", "float", 2, "float16"),
        "fp8": Format("fp8", "fp8", 1, "FP8 weights, per-channel scales"),
        "int8": Format("int8", "int8", 1, "int8 weights, per-row scales (LLM.int8 / W8A8)"),
        "nf4": Format("nf4", "bnb4", 0.5, "bitsandbytes NF4, double quant", double_quant=True),
        "nf4-nodq": Format("nf4-nodq", "bnb4", 0.5, "bitsandbytes NF4, fp32 absmax"),
        "fp4": Format("fp4", "bnb4", 0.5, "bitsandbytes FP4, fp32 absmax"),
        "fp4-dq": Format("fp4-dq", "bnb4", 0.5, "bitsandbytes FP4, double quant", double_quant=True),
        "awq": Format("awq", "gptq", 0.5, "AWQ 4-bit, group 128"),
        "int4": Format("int4", "gptq", 0.5, "4-bit group-128 (AWQ/GPTQ layout)"),
        "gptq-int4": Format("gptq-int4", "gptq", 0.5, "GPTQ 4-bit, group 128", g_idx=True),
        "gptq-int8": Format("gptq-int8", "gptq", 1, "GPTQ 8-bit, group 128", bits=8, g_idx=True),
        "gptq-int3": Format("gptq-int3", "gptq", 0.375, "GPTQ 3-bit, group 128", bits=3, g_idx=True),
        "mxfp4": Format("mxfp4", "mxfp4", 4.25 / 8, "MXFP4 experts (4-bit, E8M0 scale per 32), rest bf16",
                        group=32),
        "mlx-q8": Format("mlx-q8", "mlx", 8.5 / 8, "MLX 8-bit affine, group 64", bits=8, group=64),
        "mlx-q6": Format("mlx-q6", "mlx", 6.5 / 8, "MLX 6-bit affine, group 64", bits=6, group=64),
        "mlx-q4": Format("mlx-q4", "mlx", 4.5 / 8, "MLX 4-bit affine, group 64", bits=4, group=64),
    }
    for ftype, default in gguf_mix.FTYPES.items():
        name = ftype if ftype != "f32" else "gguf-f32"
        f[name] = Format(name, "gguf", gguf_mix.bpw(default) / 8, f"GGUF {ftype.upper()}", dense_bytes=4,
                         ftype=ftype)
    return f


FORMATS: dict[str, Format] = _build()
ALIASES = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16", "half": "fp16", "f16-gguf": "f16",
           "gguf-f16": "f16", "4bit": "nf4", "bnb4": "nf4", "bnb-nf4": "nf4", "8bit": "int8", "bnb-int8": "int8",
           "w8a8": "int8", "gptq": "gptq-int4", "awq-int4": "awq", "q8": "q8_0", "q4": "q4_k_m", "q5": "q5_k_m",
           "q6": "q6_k", "q3": "q3_k_m", "q2": "q2_k", "mxfp4-gguf": "mxfp4_moe",
           "mlx-4bit": "mlx-q4", "mlx-8bit": "mlx-q8", "mlx-6bit": "mlx-q6", "mlx4": "mlx-q4", "mlx8": "mlx-q8"}

# Inference quality order, best first (best_fit walks it until something fits).
# Each device tries only the entries it runs (shortlist.fit.devices): MLX formats on Apple silicon, GGUF
# everywhere, the CUDA-only formats on NVIDIA. A model's native format (gpt-oss MXFP4) goes first.
QUALITY_ORDER = ("bf16", "fp8", "q8_0", "mlx-q8", "int8", "q6_k", "mlx-q6", "q5_k_m", "awq", "mxfp4", "mxfp4_moe",
                 "q4_k_m", "mlx-q4", "nf4", "iq4_xs", "q3_k_m", "iq3_m", "q2_k", "iq2_m", "iq1_m")

# Scores and leaderboards describe 16-bit weights; below about 4 bits per weight quality drops enough that
# they stop describing the model you would run, so "best precision that fits" stops here unless asked.
DEFAULT_MIN_BITS = 4.0


def precisions_at_least(min_bits: float) -> tuple[str, ...]:
    """Inference precisions in quality order whose nominal bits per weight reach `min_bits`."""
    return tuple(name for name in QUALITY_ORDER if FORMATS[name].nominal_bytes * 8 >= min_bits)



def get_format(name: str) -> Format:
    key = name.strip().lower().replace(" ", "")
    key = ALIASES.get(key, key)
    if key not in FORMATS:
        from shortlist.errors import BadInput
        from shortlist.names import suggest

        close = suggest(name, FORMATS)
        hint = f"did you mean: {', '.join(close)}?" if close else "choose one of: " + ", ".join(sorted(FORMATS))
        raise BadInput(f"unknown precision '{name}'", hint)
    return FORMATS[key]


@dataclass(frozen=True)
class WeightBytes:
    total: int
    routed: int  # routed-expert bytes (MoE); decode reads experts_per_token/experts of these
    token_embd: int  # llama.cpp keeps the input embedding in host memory
    dense: int  # tensors left unquantized (embeddings/lm_head/norms where the format skips them)
    extra: int  # params_extra (vision tower etc.)


def _bnb4(f: Format, n: int) -> int:
    blocks = math.ceil(n / 64)
    consts = blocks + 4 * math.ceil(blocks / 256) + 4 if f.double_quant else 4 * blocks
    return math.ceil(n / 2) + consts


def _gptq(f: Format, x: Matrix) -> int:
    groups = math.ceil(x.n_in / f.group)
    packed = math.ceil(x.n_in * x.n_out * f.bits / 8)
    meta = groups * x.n_out * 2 + math.ceil(groups * x.n_out * f.bits / 8)
    return packed + meta + (4 * x.n_in if f.g_idx else 0)


def _skipped(f: Format, x: Matrix) -> bool:
    """Tensors the (non-GGUF) format keeps in the dense dtype."""
    if f.family == "mlx":
        return False
    if f.family == "mxfp4":
        return not x.routed
    if x.role in ("token_embd", "output"):
        return True
    return not x.quantizable and f.family != "bnb4"


def matrix_bytes(f: Format, x: Matrix) -> int:
    n = x.n_in * x.n_out
    if f.family == "float" or _skipped(f, x):
        return n * f.dense_bytes * x.count
    if f.family in ("fp8", "int8"):
        return (n + 4 * x.n_out) * x.count
    if f.family == "bnb4":
        return _bnb4(f, n) * x.count
    if f.family == "gptq":
        return _gptq(f, x) * x.count
    if f.family == "mxfp4":
        return (math.ceil(n / 2) + math.ceil(x.n_in / f.group) * x.n_out) * x.count
    if f.family == "mlx":
        return (math.ceil(n * f.bits / 8) + math.ceil(x.n_in / f.group) * x.n_out * 4) * x.count
    raise ValueError(f.family)


_WEIGHT_CACHE: dict[tuple[str, str], WeightBytes] = {}


def weight_bytes(m: ModelSpec, f: Format) -> WeightBytes:
    """Bytes of the whole checkpoint in format `f`, with the parts the runtime treats specially.

    Cached per (architecture, format): `pick` asks for the same few hundred pairs many times, and the
    per-tensor GGUF mixes make each answer cost milliseconds.
    """
    key = (m.model_dump_json(), f.name)
    hit = _WEIGHT_CACHE.get(key)
    if hit is None:
        hit = _WEIGHT_CACHE[key] = _weight_bytes(m, f)
    return hit


def _weight_bytes(m: ModelSpec, f: Format) -> WeightBytes:
    mats = matrices(m)
    routed = token_embd = dense = 0
    total = 0
    if f.family == "gguf":
        typed = [(x, gguf_mix.tensor_bytes(t, x.n_in, x.n_out) * x.count) for x, t in gguf_mix.tensor_types(m, f.ftype)]
    else:
        typed = [(x, matrix_bytes(f, x)) for x in mats]
    for x, b in typed:
        total += b
        routed += b if x.routed else 0
        token_embd += b if x.role == "token_embd" else 0
        if f.family != "gguf" and _skipped(f, x):
            dense += b
    vec = vector_params(m, mats) * (4 if f.family in ("gguf",) or f.dense_bytes == 4 else f.dense_bytes)
    extra = 0 if f.family == "gguf" else m.params_extra * f.dense_bytes
    scale = formula_scale(m)
    total = round((total + vec) * scale) + extra
    return WeightBytes(total=total, routed=round(routed * scale), token_embd=round(token_embd * scale),
                       dense=round((dense + vec) * scale), extra=extra)
