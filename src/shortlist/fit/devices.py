"""What a device can run: its backend, its tensor-core generation, and the weight formats its kernels support.

One table decides, for every (device, weight format), whether some runtime runs it and which one; `fit`, `pick`
and the tests all read it, so a device is never offered a precision it cannot run. The rules, with sources:

- NVIDIA by CUDA compute capability (developer.nvidia.com/cuda-gpus), kernels per vLLM's "Supported Hardware"
  table (docs.vllm.ai, features/quantization/supported_hardware): FP8 W8A8 on Ada (8.9) and newer and on AMD
  MI300-class (gfx942/gfx950); INT8 W8A8 from Turing (7.5); AWQ from Turing (7.5); GPTQ from Volta (7.0);
  bitsandbytes NVIDIA only; bf16 tensor cores from Ampere (8.0), so Volta/Turing run fp16 instead.
- MXFP4 (gpt-oss as published): vLLM's gpt-oss recipe runs it on H100/H200/B200 and MI300X/MI325X/MI355X, and
  "on Ampere devices by default ... Marlin MXFP4 MoE", while Ada and RTX 50 are "actively working on"; so
  vLLM takes it on compute capability 8.0-8.7, 9.x and 10.x and gfx942/gfx950. llama.cpp runs the MXFP4 GGUF
  everywhere.
- AMD ROCm: vLLM (fp16/bf16, fp8 on gfx942+, MXFP4 on gfx942+), transformers, llama.cpp (HIP); no
  bitsandbytes, AWQ or GPTQ kernels in vLLM's table.
- Apple silicon (Metal): llama.cpp (GGUF) and MLX (bf16 and its own 4/6/8-bit formats). No CUDA: no vLLM,
  bitsandbytes, AWQ, GPTQ or FP8.
- CPU: llama.cpp (GGUF) and transformers (bf16/fp32).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shortlist.catalog.schema import GPUSpec

Backend = Literal["cuda", "rocm", "metal", "cpu", "other"]

_NVIDIA_ARCH = ((12.0, "Blackwell (consumer)"), (10.0, "Blackwell"), (9.0, "Hopper"), (8.9, "Ada"), (8.0, "Ampere"),
                (7.5, "Turing"), (7.0, "Volta"))
_FP8_GFX = ("gfx942", "gfx950")
_MXFP4_GFX = ("gfx942", "gfx950", "gfx1201")


@dataclass(frozen=True)
class Device:
    """The facts about a device that decide which kernels it has."""

    backend: Backend
    cc: float | None  # CUDA compute capability (None: not NVIDIA, or not known)
    gfx: str | None  # AMD LLVM target
    name: str

    @property
    def arch(self) -> str:
        if self.backend == "cuda":
            if self.cc is None:
                return "NVIDIA (compute capability unknown)"
            label = next((name for floor, name in _NVIDIA_ARCH if self.cc >= floor), "pre-Volta")
            return f"{label}, compute capability {self.cc:.1f}"
        if self.backend == "rocm":
            return f"AMD ROCm {self.gfx}" if self.gfx else "AMD ROCm"
        if self.backend == "metal":
            return "Apple silicon (Metal)"
        if self.backend == "cpu":
            return "CPU"
        return self.name

    def cc_at_least(self, floor: float) -> bool:
        """Unknown capability (a detected card the catalog lacks) is given the benefit of the doubt."""
        return self.cc is None or self.cc >= floor

    @property
    def bf16(self) -> bool:
        return self.backend != "cuda" or self.cc_at_least(8.0)

    @property
    def fp8(self) -> bool:
        if self.backend == "cuda":
            return self.cc is not None and self.cc >= 8.9
        return self.backend == "rocm" and self.gfx in _FP8_GFX

    @property
    def vllm_mxfp4(self) -> bool:
        if self.backend == "cuda":
            cc = self.cc
            return cc is not None and (8.0 <= cc < 8.9 or 9.0 <= cc < 11.0)
        return self.backend == "rocm" and self.gfx in _MXFP4_GFX


def device_of(gpu: GPUSpec) -> Device:
    backend: Backend = {"nvidia": "cuda", "amd": "rocm", "apple": "metal", "cpu": "cpu"}.get(gpu.vendor, "other")
    return Device(backend=backend, cc=gpu.compute_capability, gfx=gpu.gfx, name=gpu.id)


def speed_class(gpu: GPUSpec) -> str:
    """The device class whose kernel efficiency the speed model uses (fitted in bench/speed_accuracy.py).

    HBM data-centre cards (V100, A100, H100, H200, B200, MI-series) get their own class: llama.cpp's
    single-sequence kernels reach a smaller share of HBM bandwidth than of GDDR bandwidth.
    """
    dev = device_of(gpu)
    if dev.backend == "cuda":
        return "cuda-hbm" if gpu.kind == "datacenter" and gpu.bandwidth_gb_s >= 900 else "cuda"
    return {"rocm": "rocm", "metal": "apple", "cpu": "cpu"}.get(dev.backend, "cpu")
