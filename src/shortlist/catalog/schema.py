"""Typed facts of the built-in catalog. Every fact file names its source; load validates it."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Fact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MoESpec(_Fact):
    """Mixture-of-experts layout. Non-MoE layers use the model's dense `intermediate_size`."""

    experts: int = Field(gt=1)
    experts_per_token: int = Field(gt=0)
    expert_intermediate_size: int = Field(gt=0)
    shared_experts: int = 0
    shared_intermediate_size: int | None = None  # per shared expert; defaults to expert size
    shared_expert_gate: bool = False  # Qwen-MoE: a hidden->1 gate on the shared expert
    dense_layers: int = 0  # the first k layers are dense (DeepSeek first_k_dense_replace)
    layer_step: int = 1  # MoE every k-th layer (Llama 4 Maverick interleave step 2)
    router_bias: bool = False  # a per-expert bias on the router (gpt-oss, DeepSeek-V3 score bias)
    expert_bias: bool = False  # biases inside each expert's projections (gpt-oss)


class MLASpec(_Fact):
    """DeepSeek multi-head latent attention; the KV cache holds one latent per token per layer."""

    kv_lora_rank: int
    q_lora_rank: int | None = None  # None: plain q_proj (DeepSeek-V2-Lite)
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int


class ModelSpec(_Fact):
    """One open-weight model's architecture facts, as in its Hugging Face config.json."""

    id: str  # Hugging Face repo id
    family: str
    name: str | None = None
    aliases: list[str] = []
    kind: Literal["base", "instruct", "reasoning"] = "instruct"
    base_model: str | None = None
    architecture: str  # config.json "architectures"[0]
    params_total: int = Field(gt=0)  # the published exact total (safetensors), not the formula
    params_active: int | None = None  # MoE: stated active count; None -> computed
    layers: int = Field(gt=0)
    hidden_size: int = Field(gt=0)
    intermediate_size: int = Field(gt=0)
    attention_heads: int = Field(gt=0)
    kv_heads: int = Field(gt=0)
    head_dim: int = Field(gt=0)
    vocab_size: int = Field(gt=0)
    tied_embeddings: bool = False
    max_context: int = Field(gt=0)
    sliding_window: int | None = None  # tokens kept by local-attention layers
    sliding_window_layers: int = 0  # how many layers use it (0 = none)
    mlp_gated: bool = True  # SwiGLU/GeGLU (3 matrices) vs plain up/down (2)
    qkv_bias: bool = False
    o_bias: bool = False
    mlp_bias: bool = False
    lm_head_bias: bool = False
    norm_bias: bool = False  # LayerNorm with bias (Falcon, Phi-2) vs RMSNorm
    norms_per_layer: int = 2  # 1 for parallel blocks, 4 for Gemma 2/3 sandwich norms
    qk_norm: Literal["none", "head", "full"] = "none"  # per-head_dim (Qwen3) or over all heads (OLMo2)
    attention_sinks: bool = False  # one learned logit per head per layer (gpt-oss)
    moe: MoESpec | None = None
    mla: MLASpec | None = None
    params_extra: int = 0  # tensors outside the text decoder (vision tower, MTP head, …)
    # The weight format the maker publishes (gpt-oss: mxfp4 experts; DeepSeek-V3: fp8). Runtimes that run it
    # read it as shipped, so it is tried first: a 16-bit copy is only an upcast of it.
    native_precision: Literal["mxfp4", "fp8"] | None = None
    params_extra_reason: str | None = None
    license: str = "other"  # id in licenses.yaml; "other" = unknown, needs review
    release_date: date | None = None  # required for catalog entries (checked by the loader)
    open_weights: bool = True
    gated: bool = False  # requires accepting terms on the Hub before download
    source: str | None = None  # overrides the family file's source for this model
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ModelSpec:
        if self.attention_heads % self.kv_heads:
            raise ValueError(f"attention_heads {self.attention_heads} not divisible by kv_heads {self.kv_heads}")
        if self.sliding_window_layers and not self.sliding_window:
            raise ValueError("sliding_window_layers set without sliding_window")
        if self.sliding_window_layers > self.layers:
            raise ValueError("sliding_window_layers exceeds layers")
        if self.params_extra and not self.params_extra_reason:
            raise ValueError("params_extra needs params_extra_reason")
        return self

    @property
    def display_name(self) -> str:
        return self.name or self.id.split("/")[-1]

    @property
    def is_moe(self) -> bool:
        return self.moe is not None


class ModelFamilyFile(_Fact):
    """One reviewed data file: a family, the source its facts come from, and its models."""

    family: str
    source: str
    models: list[dict]


class GPUSpec(_Fact):
    """One accelerator (or CPU-only machine) as sold; memory in GiB as the vendor ships it."""

    id: str  # canonical display name, e.g. "RTX 4090"
    aliases: list[str] = []
    vendor: Literal["nvidia", "amd", "apple", "intel", "cpu"]
    kind: Literal["consumer", "laptop", "workstation", "datacenter", "apple", "cpu"]
    memory_gib: float = Field(gt=0)
    usable_fraction: float = Field(default=1.0, gt=0, le=1)  # Apple: share of unified memory the GPU may wire
    bandwidth_gb_s: float = Field(gt=0)  # decimal GB/s
    bf16_tflops: float = Field(gt=0)  # dense (no sparsity); CPU: best-effort matmul throughput
    fp8_tflops: float | None = None
    int8_tops: float | None = None
    # What decides which kernels run: CUDA compute capability (NVIDIA, e.g. 8.9 for Ada) or the LLVM gfx target
    # (AMD, e.g. gfx942). shortlist.fit.devices maps them to the precisions and runtimes the device runs.
    compute_capability: float | None = None
    gfx: str | None = None
    unified_memory: bool = False  # CPU and GPU share one pool (Apple, GB10, Strix Halo): offload gains nothing
    release_year: int | None = None
    source: str | None = None
    notes: str | None = None

    @property
    def memory_bytes(self) -> int:
        return round(self.memory_gib * 2**30)

    @property
    def usable_bytes(self) -> int:
        return int(self.memory_bytes * self.usable_fraction)


class LicenseSpec(_Fact):
    """How a license lets you use a model: the class decides, the conditions explain."""

    id: str  # e.g. "apache-2.0", "llama3.1", "gemma", "qwen", "cc-by-nc-4.0", "other"
    name: str
    license_class: Literal["commercial", "non-commercial", "research", "needs-review"]
    conditions: list[str] = []  # e.g. "MAU limit 700M", "attribution required", "acceptable-use policy"
    aliases: list[str] = []  # spellings seen on the Hub and leaderboards ("Apache 2.0", "llama3")
    url: str | None = None


Skill = Literal[
    "knowledge", "reasoning", "math", "code", "instruction-following", "truthfulness",
    "commonsense", "human-preference", "long-context", "multilingual", "tool-use",
]


class BenchmarkSubtask(_Fact):
    """One scored part of a grouped benchmark; leaderboards normalise per subtask, then average."""

    id: str  # e.g. "leaderboard_bbh_navigate"
    n_items: int = Field(gt=0)
    random_baseline: float = Field(default=0.0, ge=0, lt=1)


class BenchmarkSpec(_Fact):
    """A benchmark as leaderboards report it; n_items and random_baseline drive noise and normalisation."""

    id: str  # e.g. "ifeval", "mmlu_pro", "arc_challenge", "lmarena_text"
    name: str
    skill: Skill
    metric: str  # e.g. "acc_norm", "exact_match", "elo"
    n_items: int | None = None  # evaluated items; None for preference ratings
    random_baseline: float = 0.0  # chance score on the value scale
    scale: Literal["fraction", "elo"] = "fraction"  # values stored as 0..1 fractions, or arena ratings
    reference_rating: float | None = None  # elo scale: the rating read as "0.5" (see rank.normalize)
    reported_by: Literal["independent", "makers"] = "independent"  # who publishes the figures
    # Raw-scale spread between two honest runs of "the same" benchmark with different settings (versions, windows,
    # scaffolds, judges); added in quadrature to maker-reported figures. None: the default floor (rank.evidence).
    setup_noise: float | None = Field(default=None, ge=0, le=0.5)
    fewshot: int | None = None
    leaderboards: list[str] = []  # e.g. ["open_llm_v1"], ["open_llm_v2"], ["lmarena"]
    lm_eval_task: str | None = None
    # the lm-eval results keys ("metric,filter") whose mean is this benchmark's value; default "<metric>,none"
    lm_eval_metrics: list[str] = []
    # the same metrics as a shortlist run names them, one per key; default: each key without ",none"
    task_metrics: list[str] = []
    lm_eval_other_tasks: list[str] = []  # other lm-eval task names scored the same way (e.g. plain `ifeval`)
    aliases: list[str] = []
    description: str | None = None
    subtasks: list[BenchmarkSubtask] = []  # when set, random_baseline is their item-weighted mean

    @model_validator(mode="after")
    def _reference(self) -> BenchmarkSpec:
        if self.scale == "elo" and self.reference_rating is None:
            raise ValueError("an elo-scale benchmark needs reference_rating")
        if self.task_metrics and len(self.task_metrics) != len(self.lm_eval_metrics):
            raise ValueError("task_metrics needs one name per lm_eval_metrics key")
        return self


Access = Literal["api", "open-weights"]


class HostedModel(_Fact):
    """A model served behind a hosted API: what it costs per token, how long its context is, whose terms.

    API-only models (access: api) take part in `pick --include-api`; hosted endpoints of open-weight
    models (access: open-weights, weights: catalog id) give those models a pay-per-token price.
    """

    id: str  # "<provider>/<provider's model id>", e.g. "openai/gpt-4.1-2025-04-14"
    name: str
    provider: str  # the company billing the tokens ("openai", "together", ...)
    maker: str  # the company that trained the model
    access: Access
    kind: Literal["instruct", "reasoning"] = "instruct"  # reasoning: thinks before answering by default
    weights: str | None = None  # catalog model id when access is open-weights
    license: str  # id in licenses.yaml ("proprietary" for API terms)
    context: int = Field(gt=0)  # max input tokens
    max_output: int | None = Field(default=None, gt=0)
    price_in_per_mtok: float = Field(ge=0)  # USD per 1M input tokens
    price_out_per_mtok: float = Field(ge=0)  # USD per 1M output tokens
    quantization: str | None = None  # what the endpoint serves, when the provider says (fp8, int4, ...)
    release_date: date | None = None
    aliases: list[str] = []  # LMArena names and provider ids that mean this model
    source: str  # where the price and context come from
    source_date: date  # when that source was read
    notes: str | None = None

    @model_validator(mode="after")
    def _weights(self) -> HostedModel:
        if (self.access == "open-weights") != (self.weights is not None):
            raise ValueError("open-weights endpoints need 'weights' (a catalog id); API-only models must not set it")
        return self


class Maker(_Fact):
    """A company or lab that releases models, with the Hub organisations it publishes under."""

    id: str
    name: str
    orgs: list[str]
    families: list[str] = []


class GPUPrice(_Fact):
    """On-demand rental price of one card, as a cloud lists it."""

    gpu: str  # id in gpus.yaml
    usd_per_hour: float = Field(gt=0)  # per card
    provider: str
    offering: str  # the instance or product name priced ("8x H100 SXM node, per GPU")
    source: str
    source_date: date
    notes: str | None = None
