"""The fit request and result types; FitResult's JSON shape is documented in docs/json-fit.md."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from shortlist.catalog.schema import GPUSpec, ModelSpec

Mode = Literal["inference", "lora", "qlora", "full"]
Runtime = Literal["auto", "vllm", "transformers", "llama.cpp", "mlx"]
Framework = Literal["transformers", "unsloth"]
Parallelism = Literal["auto", "tp", "ddp", "zero2", "zero3", "fsdp"]
Optimizer = Literal["adamw", "adamw8bit", "paged_adamw", "paged_adamw8bit", "sgd", "sgd_nomomentum"]

SCHEMA_VERSION = 2  # 2: speeds are null when the model does not fit; offload, latency, measured, speed_basis


class FitRequest(BaseModel):
    """What to fit: a model in a precision and mode, on `gpus` cards of one kind."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: ModelSpec
    gpu: GPUSpec
    gpus: int = 1
    context: int = 4096  # tokens per sequence (training: sequence length)
    batch: int = 1  # sequences (training: micro-batch per device)
    mode: Mode = "inference"
    precision: str = "bf16"  # weight format of the (base) model; see PRECISIONS
    kv_dtype: str | None = None  # None: the runtime default (bf16, or f16 for llama.cpp)
    free_memory_bytes: int | None = None  # what is actually free per card, if less than the spec
    runtime: Runtime = "auto"  # inference engine whose allocations are modelled
    flash_attention: bool = True
    lora_rank: int = 16
    lora_targets: tuple[str, ...] = ("q", "k", "v", "o", "gate", "up", "down")
    optimizer: Optimizer = "adamw"
    grad_checkpointing: bool = True
    framework: Framework = "transformers"
    parallelism: Parallelism = "auto"  # auto: tp for inference, ddp for training
    allow_long_context: bool = False
    weights_bytes_exact: int | None = None  # from a real file (e.g. a .gguf's tensor bytes)
    offload: bool = False  # llama.cpp: put what does not fit on the card in host RAM (-ngl < all layers)
    host: GPUSpec | None = None  # the host RAM offloaded layers live in (None: a dual-channel DDR5 desktop)
    prompt_tokens: int | None = None  # a typical request, for latency (None: 1,000 in, 300 out)
    output_tokens: int | None = None
    source_warnings: tuple[str, ...] = ()  # what reading the model's files found (passed through to warnings)


class Term(BaseModel):
    """One named memory term with the formula that produced it."""

    name: str
    group: Literal["weights", "kv_cache", "activations", "overhead", "optimizer", "gradients"]
    bytes: int
    formula: str


class MemoryBreakdown(BaseModel):
    """Bytes needed on each device (the busiest card when sharded)."""

    weights_bytes: int
    kv_cache_bytes: int
    activations_bytes: int
    overhead_bytes: int
    optimizer_bytes: int = 0
    gradients_bytes: int = 0
    total_bytes: int
    host_bytes: int = 0  # kept in system RAM, not on the card (llama.cpp's input embedding, offloaded checkpoints)
    terms: list[Term] = []


class Basis(BaseModel):
    """How the estimate was made, so it can be checked."""

    inputs: dict[str, str | int | float | bool | None]
    assumptions: list[str]
    uncertainty_pct: float  # ± band on total memory
    speed_uncertainty_pct: float  # ± band on decode speed (validation error of the calibrated model)
    prefill_uncertainty_pct: float = 0.0  # ± band on prefill speed
    speed_basis: str = ""  # the runtime, device class and fitted kernel shares the speeds rest on
    verify_command: str
    approximate_model: bool = False


class Offload(BaseModel):
    """llama.cpp partial offload: the first `gpu_layers` of `layers` + 1 (output) units on the card."""

    gpu_layers: int
    units: int  # repeating layers + the output layer (llama.cpp's -ngl counts both)
    host: str  # the host RAM device
    host_bytes: int  # weights and KV cache left in host RAM
    host_budget_bytes: int
    host_bandwidth_gb_s: float
    fits_host: bool


class Latency(BaseModel):
    """What a user of one request feels: time to first token, time per output token, and the whole request."""

    prompt_tokens: int
    output_tokens: int
    ttft_s: float
    tpot_s: float  # seconds per output token after the first
    e2e_s: float  # ttft + (output - 1) × tpot
    ttft_band_pct: float
    tpot_band_pct: float
    e2e_band_pct: float
    basis: Literal["estimate", "measured"]
    detail: str


class Measured(BaseModel):
    """A `shortlist measure` run on this model and device, shown instead of the estimate."""

    measured_at: str
    source: str  # the server URL or GGUF file measured
    device: str
    prompt_tokens: int
    output_tokens: int
    concurrency: int
    requests: int
    errors: int
    ttft_p50_s: float
    ttft_p95_s: float
    itl_p50_s: float
    itl_p95_s: float
    tokens_per_s_per_request: float
    tokens_per_s_total: float


class FitResult(BaseModel):
    """One model on one hardware setup: fits or not, why, and how far it stretches."""

    schema_version: int = SCHEMA_VERSION
    model: str
    model_name: str
    params_total: int
    params_active: int
    precision: str
    mode: Mode
    runtime: str
    context: int
    batch: int
    gpu: str
    gpus: int
    gpu_memory_bytes: int  # per card, as sold (GiB × 2^30)
    budget_bytes: int  # per card: usable fraction, or --free-memory when smaller
    memory: MemoryBreakdown
    fits: bool
    headroom_bytes: int  # budget - total (negative: short by that much)
    max_context: int  # largest context that fits at this batch (0: not even 1 token)
    max_batch: int  # largest batch that fits at this context
    decode_tokens_per_s: float | None  # per sequence; None when it does not fit (and no offload)
    decode_tokens_per_s_total: float | None  # all sequences of the batch
    prefill_tokens_per_s: float | None
    rule_of_thumb_max_params_b: float
    rule_of_thumb_context_multiplier: float
    trainable_params: int = 0
    basis: Basis
    warnings: list[str] = []
    offload: Offload | None = None
    latency: Latency | None = None  # inference only
    measured: Measured | None = None  # set when `shortlist measure` has a run of this model on this device

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)
