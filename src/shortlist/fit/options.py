"""Options that do not apply to the chosen mode, runtime or device: one policy, applied everywhere.

A request that cannot run (QLoRA without CUDA, Unsloth on a Mac, a llama.cpp KV type under vLLM, --offload with a
non-GGUF precision) is an error with the fix. An option that is merely ignored in this mode (--optimizer for
inference, --runtime for training) is a warning in the result, so `warnings: []` means every option was used.
Options left at their defaults say nothing.
"""

from __future__ import annotations

from shortlist.errors import BadInput
from shortlist.fit.devices import device_of
from shortlist.fit.formats import Format
from shortlist.fit.params import normalize_lora_targets
from shortlist.fit.schema import FitRequest

_DEFAULTS = FitRequest.model_fields
_LLAMA_KV = {"q8_0", "q5_1", "q5_0", "q4_1", "q4_0", "iq4_nl"}
_VLLM_KV = {"fp8", "fp8_e4m3", "fp8_e5m2"}


def _default(name: str) -> object:
    return _DEFAULTS[name].default


def _lora_default(targets: tuple[str, ...]) -> bool:
    try:
        return normalize_lora_targets(targets) == normalize_lora_targets(_default("lora_targets"))  # type: ignore[arg-type]
    except ValueError:
        return False


def check_device(req: FitRequest) -> None:
    """Training on hardware its libraries do not support: an error naming what would work."""
    dev = device_of(req.gpu)
    if req.mode == "inference":
        return
    if req.mode == "qlora" and dev.backend != "cuda":
        raise BadInput(f"QLoRA quantizes the base with bitsandbytes, which is CUDA-only; {req.gpu.id} "
                       f"({dev.arch}) cannot run it", "use --mode lora (16-bit base) or an NVIDIA GPU")
    if req.framework == "unsloth" and dev.backend not in ("cuda", "rocm"):
        raise BadInput(f"Unsloth needs an NVIDIA or AMD GPU; {req.gpu.id} is {dev.arch}",
                       "use --framework transformers")


def check_runtime_options(req: FitRequest, fmt: Format, runtime: str) -> None:
    """Inference options the chosen runtime cannot honour."""
    if req.mode != "inference":
        return
    kv = (req.kv_dtype or "").strip().lower()
    if kv in _LLAMA_KV and runtime != "llama.cpp":
        raise BadInput(f"--kv-dtype {kv} is a llama.cpp cache type; {runtime} does not have it",
                       "use --kv-dtype fp8 (vLLM) or a GGUF precision such as q4_k_m")
    if kv in _VLLM_KV and runtime == "llama.cpp":
        raise BadInput(f"--kv-dtype {kv} is not a llama.cpp cache type", "use --kv-dtype q8_0 or q4_0")
    if req.offload and runtime != "llama.cpp":
        raise BadInput(f"--offload is llama.cpp's partial offload; {fmt.name} runs under {runtime}",
                       "pass a GGUF precision such as q4_k_m, or leave --precision out")


def option_warnings(req: FitRequest, runtime: str) -> list[str]:
    """Options this request ignores, one sentence each."""
    out: list[str] = []
    if req.mode == "inference":
        ignored = [f"--{flag} {value}" for flag, value, default in (
            ("optimizer", req.optimizer, _default("optimizer")),
            ("framework", req.framework, _default("framework")),
            ("lora-rank", req.lora_rank, _default("lora_rank")),
        ) if value != default]
        if not _lora_default(req.lora_targets):
            ignored.append("--lora-targets")
        if not req.grad_checkpointing:
            ignored.append("--no-grad-checkpointing")
        if ignored:
            out.append(f"{', '.join(ignored)}: training options, ignored for inference")
        if req.parallelism not in ("auto", "tp"):
            split = "layers across the cards (llama.cpp)" if runtime == "llama.cpp" else "tensor parallelism"
            out.append(f"--parallelism {req.parallelism} applies to training; inference is modelled with {split}")
        if req.offload and (req.gpu.unified_memory or req.gpu.vendor == "cpu"):
            out.append(f"--offload ignored: {req.gpu.id} already holds the model in the one memory pool")
        return out
    if req.runtime != "auto":
        out.append(f"--runtime {req.runtime} applies to inference; training memory follows --framework "
                   f"{req.framework}")
    if req.kv_dtype:
        out.append(f"--kv-dtype {req.kv_dtype} applies to inference (training keeps no KV cache); ignored")
    if req.offload:
        out.append("--offload applies to llama.cpp inference; ignored for training")
    if req.gpu.vendor == "cpu":
        out.append("training on a CPU: the memory is as estimated, the time will be very long")
    return out
