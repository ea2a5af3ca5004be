"""Which runtime runs a weight format on a device, and the command that measures it there.

`why_not(fmt, runtime, dev)` is the single rule table (see devices.py for the sources); `choose_runtime`
picks the runtime `fit` models for a format when the user leaves --runtime on auto, and refuses an explicit
runtime that cannot run the format on the device. `precision_order` filters a quality order down to what the
device runs, native formats first.
"""

from __future__ import annotations

from collections.abc import Sequence

from shortlist.catalog.schema import ModelSpec
from shortlist.errors import BadInput
from shortlist.fit.devices import Device
from shortlist.fit.formats import FORMATS, Format

RUNTIMES = ("vllm", "transformers", "llama.cpp", "mlx")
_BACKENDS = {"vllm": ("cuda", "rocm"), "transformers": ("cuda", "rocm", "cpu", "metal"),
             "llama.cpp": ("cuda", "rocm", "metal", "cpu", "other"), "mlx": ("metal",)}
_NAME = {"vllm": "vLLM", "transformers": "transformers", "llama.cpp": "llama.cpp", "mlx": "MLX"}
_LABEL = {"cuda": "NVIDIA CUDA", "rocm": "AMD ROCm", "metal": "Apple silicon", "cpu": "CPU", "other": "this device"}
# What each device kind tries when the runtime is left on auto, best first.
_AUTO = {
    "float": {"cuda": ("vllm", "transformers"), "rocm": ("vllm", "transformers"), "metal": ("mlx",),
              "cpu": ("transformers",), "other": ("transformers",)},
    "fp8": ("vllm", "transformers"), "int8": ("vllm", "transformers"), "gptq": ("vllm", "transformers"),
    "mxfp4": ("vllm", "transformers"), "bnb4": ("transformers",), "gguf": ("llama.cpp",), "mlx": ("mlx",),
}
# A model's published format and the equivalent files other runtimes read (gpt-oss: MXFP4 safetensors, or the
# MXFP4 GGUF that llama.cpp converts without requantizing the experts).
NATIVE_EQUIVALENTS = {"mxfp4": ("mxfp4", "mxfp4_moe"), "fp8": ("fp8",)}
NATIVE_SLACK = 1.1  # fallbacks no wider than the native format (+10%: Q4_K's 4.5 bits beside MXFP4's 4.25)


def why_not(fmt: Format, runtime: str, dev: Device) -> str | None:
    """None when `runtime` runs `fmt` on `dev`; else the reason, in words."""
    if dev.backend not in _BACKENDS[runtime]:
        return f"{_NAME[runtime]} does not run on {_LABEL[dev.backend]}"
    fam = fmt.family
    if runtime == "llama.cpp":
        return None if fam == "gguf" else f"llama.cpp runs GGUF files, not {fmt.name}"
    if runtime == "mlx":
        return None if fam in ("float", "mlx") and fmt.name != "fp32" else f"MLX does not run {fmt.name}"
    if fam in ("gguf", "mlx"):
        return f"{fmt.name} is a {'llama.cpp' if fam == 'gguf' else 'MLX'} format, not one {runtime} loads"
    if fam == "float":
        if fmt.name == "bf16" and not dev.bf16:
            return f"{dev.arch} has no bf16 tensor cores (use fp16)"
        if runtime == "vllm" and dev.backend == "cuda" and not dev.cc_at_least(7.0):
            return "vLLM needs compute capability 7.0 or newer"
        if dev.backend == "metal" and runtime == "transformers":
            return "shortlist models Apple inference with MLX or llama.cpp"
        return None
    if fam == "fp8":
        return None if dev.fp8 else f"{dev.arch} has no FP8 support (FP8 needs Ada/Hopper, compute capability 8.9+)"
    if fam == "mxfp4":
        if runtime == "vllm":
            return None if dev.vllm_mxfp4 else (f"vLLM has no MXFP4 kernels for {dev.arch} yet "
                                                "(the MXFP4 GGUF runs on llama.cpp)")
        return None if dev.backend == "cuda" and dev.cc_at_least(9.0) else (
            f"transformers dequantizes MXFP4 to bf16 on {dev.arch}")
    if dev.backend != "cuda":
        kind = {"bnb4": "bitsandbytes", "int8": "int8 (bitsandbytes / W8A8)", "gptq": "AWQ/GPTQ"}[fam]
        return f"{kind} kernels are CUDA-only; {_LABEL[dev.backend]} cannot run {fmt.name}"
    if fam == "int8" and runtime == "vllm" and not dev.cc_at_least(7.5):
        return "vLLM's INT8 W8A8 kernels need Turing (7.5) or newer"
    if fam == "gptq" and fmt.name in ("awq", "int4") and not dev.cc_at_least(7.5):
        return "AWQ kernels need Turing (compute capability 7.5) or newer"
    if fam == "bnb4" and runtime == "vllm":
        return "shortlist models bitsandbytes 4-bit with transformers"
    return None


def runs(fmt: Format, dev: Device) -> bool:
    """Whether any runtime runs `fmt` on `dev`."""
    return any(why_not(fmt, rt, dev) is None for rt in RUNTIMES)


def _auto(fmt: Format, dev: Device) -> tuple[str, ...]:
    order = _AUTO[fmt.family]
    return order[dev.backend] if isinstance(order, dict) else order


def choose_runtime(fmt: Format, dev: Device, requested: str = "auto") -> str:
    """The runtime whose allocations `fit` models for this format and device; BadInput when none runs it."""
    if requested != "auto":
        reason = why_not(fmt, requested, dev)
        if reason:
            raise BadInput(f"--runtime {requested} cannot run {fmt.name} on {dev.name}: {reason}",
                           _hint(fmt, dev))
        return requested
    for rt in _auto(fmt, dev):
        if why_not(fmt, rt, dev) is None:
            return rt
    reasons = {why_not(fmt, rt, dev) for rt in _auto(fmt, dev)}
    raise BadInput(f"{dev.name} cannot run {fmt.name}: " + "; ".join(sorted(r for r in reasons if r)),
                   _hint(fmt, dev))


def _hint(fmt: Format, dev: Device) -> str:
    close = [n for n in ("q8_0", "fp16" if not dev.bf16 else "bf16", "mlx-q4", "q4_k_m", "int8", "awq")
             if n != fmt.name and runs(FORMATS[n], dev)]
    return "this device runs e.g. " + ", ".join(close[:4])


def runtimes_for(fmt: Format, dev: Device) -> list[str]:
    return [rt for rt in RUNTIMES if why_not(fmt, rt, dev) is None]


def precision_order(order: Sequence[str], dev: Device, model: ModelSpec | None = None,
                    runtime: str = "auto") -> tuple[str, ...]:
    """`order` (best first) cut to what `dev` runs (under `runtime`, when one is forced).

    A model's native format comes first, and wider formats are dropped: a bf16 copy of gpt-oss's MXFP4
    experts or DeepSeek-V3's FP8 weights is an upcast that costs memory and gains nothing. Devices without
    bf16 (Volta, Turing) try fp16 in its place; CPUs try llama.cpp's f16 GGUF first (transformers' bf16 on
    CPU needs more memory for the same weights and is slower).
    """
    def ok(name: str) -> bool:
        fmt = FORMATS[name]
        if runtime != "auto":
            return why_not(fmt, runtime, dev) is None
        return runs(fmt, dev)

    names = list(order)
    if not dev.bf16:
        names = ["fp16" if n == "bf16" else n for n in names]
    if dev.backend == "cpu" and runtime == "auto":
        names = ["f16" if n == "bf16" else n for n in names]
    if model is not None and model.moe is None:  # MXFP4 files quantize experts; a dense model has none
        names = [n for n in names if n not in NATIVE_EQUIVALENTS["mxfp4"]]
    if model is not None and model.native_precision:
        native = [n for n in NATIVE_EQUIVALENTS[model.native_precision] if n in names and ok(n)]
        if native:
            floor = min(FORMATS[n].nominal_bytes for n in native) * NATIVE_SLACK
            names = native + [n for n in names if n not in native and FORMATS[n].nominal_bytes <= floor]
    out: list[str] = []
    for n in names:
        if n not in out and ok(n):
            out.append(n)
    return tuple(out)
