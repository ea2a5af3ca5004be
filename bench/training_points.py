"""Published training-memory figures: one source calibrates shortlist.fit's training terms, the others validate.

Calibration: Unsloth's Llama 3.3 blog (source US33 in fit_points.py), the figures the backward factor and the
training slack were set from. Validation: LLaMA-Factory's measured table (its wiki, A100 40GB), Unsloth's
published VRAM requirements table, and the QLoRA paper's headline claim. Each point keeps the quoted line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GiB = 2**30

SOURCES = {
    "US33": "https://unsloth.ai/blog/llama3-3: 'We tested Llama 3.3 (70B) Instruct on a 80GB A100 and did 4bit QLoRA "
            "on all linear layers (Q, K, V, O, gate, up and down) with rank = 32 with a batch size of 1. We padded all "
            "sequences to a certain maximum sequence length'; 'For Llama 3.1 (8B), Unsloth can now do a whopping "
            "342,000 context length ... Hugging Face + FA2 can only do 28,000 on a 80GB GPU ... HF+FA2 goes out of "
            "memory for 8GB GPUs, whilst Unsloth now supports up to 2,900 context lengths'; Llama 3.3 (70B) table "
            "'48 GB | 12,106 | 7,385 | OOM', '80 GB | 89,389 | 48,447 | 6,916'.",
    "LLAMAFACTORY": "https://github.com/hiyouga/LLaMA-Factory/wiki/Performance-comparison (2024-04-15): LLaMA2-7B, "
                    "'GPU: NVIDIA A100 40GB * 1', 'Batch size: 1', 'LoRA rank: 8', 'LoRA modules: all', "
                    "'Quantization bit: 4': 'FlashAttention2 | 6GB | 7GB | 9GB | 12GB | 19GB | 32GB | OOM | OOM |', "
                    "'Unsloth+FA2 | 5GB | 6GB | 7GB | 8GB | 10GB | 16GB | 25GB | 37GB |' at 1,024 ... 100,000 "
                    "tokens; and at 'Batch size: 4', 'Max length: 1024': 'HF+FA2 | 16 | 2,954 | 17GB', "
                    "'Unsloth+FA2 | 16 | 4,007 | 16GB', 'HF | 4 | 2,415 | 9GB', 'Unsloth+FA2 | 4 | 3,726 | 7GB'. "
                    "GB read as GiB (nvidia-smi), whole numbers: +-0.5 GiB of rounding.",
    "UNSLOTH_REQ": "https://unsloth.ai/docs/get-started/fine-tuning-for-beginners/unsloth-requirements: 'QLoRA uses "
                   "4-bit, LoRA uses 16-bit. ... these numbers are the absolute minimum': '8B | 6 GB | 22 GB', "
                   "'14B | 8.5 GB | 33 GB', '32B | 26 GB | 76 GB', '70B | 41 GB | 164 GB'. Settings are not stated; "
                   "compared at Unsloth's notebook defaults (batch 2, 2,048 tokens, rank 16, all linear layers).",
    "QLORA": "Dettmers et al., QLoRA (arXiv 2305.14314) abstract: 'an efficient finetuning approach that reduces "
             "memory usage enough to finetune a 65B parameter model on a single 48GB GPU' (paper setting: rank 64 "
             "on all linear layers, paged AdamW, gradient checkpointing; checked at batch 1, 512 tokens).",
}


@dataclass(frozen=True)
class TrainPoint:
    label: str
    source: str
    half: str  # calibration | validation
    kwargs: dict[str, Any]
    measured_gib: float | None = None  # peak memory, or None for an out-of-memory / fits claim
    oom_on_gib: float | None = None  # published: does not fit a card of this size
    fits_gib: float | None = None  # published: fits a card of this size
    quote: str = ""
    notes: str = field(default="")


L31 = "meta-llama/Llama-3.1-8B"
L33 = "meta-llama/Llama-3.3-70B-Instruct"
L2 = "meta-llama/Llama-2-7b-hf"
QLORA32 = {"mode": "qlora", "lora_rank": 32, "batch": 1}
LF_QLORA = {"model": L2, "mode": "qlora", "lora_rank": 8, "batch": 1, "gpu": "A100 40GB SXM",
            "allow_long_context": True}
_LF_HF = (6, 7, 9, 12, 19, 32)
_LF_UN = (5, 6, 7, 8, 10, 16, 25, 37)
_LF_CTX = (1024, 2048, 4096, 8192, 16384, 32768, 65536, 100000)

POINTS: list[TrainPoint] = [
    # ---- calibration: Unsloth's Llama 3.3 blog (a run at its published max context fills the card) ----
    TrainPoint("L3.1-8B QLoRA Unsloth 80GB @342,000", "US33", "calibration",
               {"model": L31, "gpu": "A100 80GB", "context": 342000, "framework": "unsloth", "allow_long_context": True,
                **QLORA32}, measured_gib=80),
    TrainPoint("L3.1-8B QLoRA HF+FA2 80GB @28,000", "US33", "calibration",
               {"model": L31, "gpu": "A100 80GB", "context": 28000, **QLORA32}, measured_gib=80),
    TrainPoint("L3.1-8B QLoRA Unsloth 8GB @2,900", "US33", "calibration",
               {"model": L31, "gpu": "RTX 4060 Ti 8GB", "context": 2900, "framework": "unsloth", **QLORA32},
               measured_gib=8),
    TrainPoint("L3.3-70B QLoRA Unsloth 48GB @12,106", "US33", "calibration",
               {"model": L33, "gpu": "RTX A6000", "context": 12106, "framework": "unsloth", **QLORA32},
               measured_gib=48),
    TrainPoint("L3.3-70B QLoRA Unsloth 80GB @89,389", "US33", "calibration",
               {"model": L33, "gpu": "A100 80GB", "context": 89389, "framework": "unsloth", **QLORA32},
               measured_gib=80),
    TrainPoint("L3.3-70B QLoRA HF+FA2 80GB @6,916", "US33", "calibration",
               {"model": L33, "gpu": "A100 80GB", "context": 6916, **QLORA32}, measured_gib=80),
    TrainPoint("L3.1-8B QLoRA HF+FA2 OOM on 8GB (at 2,900)", "US33", "calibration",
               {"model": L31, "gpu": "RTX 4060 Ti 8GB", "context": 2900, **QLORA32}, oom_on_gib=8),
    TrainPoint("L3.3-70B QLoRA HF+FA2 OOM on 48GB (at 6,916)", "US33", "calibration",
               {"model": L33, "gpu": "RTX A6000", "context": 6916, **QLORA32}, oom_on_gib=48),
]
for _ctx, _gib in zip(_LF_CTX, _LF_HF, strict=False):
    POINTS.append(TrainPoint(f"Llama-2-7B QLoRA r8 HF+FA2 @{_ctx:,}", "LLAMAFACTORY", "validation",
                             {**LF_QLORA, "context": _ctx}, measured_gib=_gib))
POINTS.append(TrainPoint("Llama-2-7B QLoRA r8 HF+FA2 OOM @65,536 on 40GB", "LLAMAFACTORY", "validation",
                         {**LF_QLORA, "context": 65536}, oom_on_gib=40))
for _ctx, _gib in zip(_LF_CTX, _LF_UN, strict=True):
    POINTS.append(TrainPoint(f"Llama-2-7B QLoRA r8 Unsloth @{_ctx:,}", "LLAMAFACTORY", "validation",
                             {**LF_QLORA, "context": _ctx, "framework": "unsloth"}, measured_gib=_gib,
                             notes="Unsloth of April 2024, before its chunked (cut) cross-entropy"))
_LF_B4 = {"model": L2, "lora_rank": 8, "batch": 4, "context": 1024, "gpu": "A100 40GB SXM"}
POINTS += [
    TrainPoint("Llama-2-7B LoRA 16-bit r8 b4 HF+FA2 @1,024", "LLAMAFACTORY", "validation",
               {**_LF_B4, "mode": "lora"}, measured_gib=17),
    TrainPoint("Llama-2-7B LoRA 16-bit r8 b4 Unsloth @1,024", "LLAMAFACTORY", "validation",
               {**_LF_B4, "mode": "lora", "framework": "unsloth"}, measured_gib=16),
    TrainPoint("Llama-2-7B QLoRA r8 b4 HF @1,024", "LLAMAFACTORY", "validation",
               {**_LF_B4, "mode": "qlora"}, measured_gib=9),
    TrainPoint("Llama-2-7B QLoRA r8 b4 Unsloth @1,024", "LLAMAFACTORY", "validation",
               {**_LF_B4, "mode": "qlora", "framework": "unsloth"}, measured_gib=7),
]
_UN_DEFAULTS = {"batch": 2, "context": 2048, "lora_rank": 16, "framework": "unsloth", "gpu": "H100 SXM"}
for _model, _q, _l in (("meta-llama/Llama-3.1-8B", 6, 22), ("Qwen/Qwen2.5-14B", 8.5, 33), ("Qwen/Qwen2.5-32B", 26, 76),
                       ("meta-llama/Llama-3.1-70B", 41, 164)):
    POINTS.append(TrainPoint(f"{_model.split('/')[-1]} QLoRA minimum", "UNSLOTH_REQ", "validation",
                             {"model": _model, "mode": "qlora", **_UN_DEFAULTS}, measured_gib=_q * 1e9 / GiB))
    POINTS.append(TrainPoint(f"{_model.split('/')[-1]} LoRA 16-bit minimum", "UNSLOTH_REQ", "validation",
                             {"model": _model, "mode": "lora", "precision": "bf16", **_UN_DEFAULTS,
                              "gpu": "B200" if _l > 80 else "H100 SXM"}, measured_gib=_l * 1e9 / GiB))
POINTS.append(TrainPoint("LLaMA-65B QLoRA r64 fits 48GB", "QLORA", "validation",
                         {"model": "llama-65b", "mode": "qlora", "lora_rank": 64, "batch": 1,
                          "context": 512, "optimizer": "paged_adamw", "gpu": "RTX A6000"}, fits_gib=48,
                         notes="LLaMA-65B from the LLaMA paper's Table 2 (dim 8192, 64 heads, 80 layers) and "
                               "its FFN width 22016 (huggyllama/llama-65b config.json); not in the catalog"))


def llama_65b() -> Any:
    """The original LLaMA-65B, which the QLoRA paper fine-tunes (not a catalog model: released under research terms)."""
    from shortlist.catalog.schema import ModelSpec
    from shortlist.fit.params import count_params

    spec = ModelSpec(id="huggyllama/llama-65b", family="llama", architecture="LlamaForCausalLM", params_total=1,
                     layers=80, hidden_size=8192, intermediate_size=22016, attention_heads=64, kv_heads=64,
                     head_dim=128, vocab_size=32000, max_context=2048)
    return spec.model_copy(update={"params_total": count_params(spec).total})
