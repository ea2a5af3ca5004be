"""GPU and machine lookup: catalog entries by forgiving name, plus what this machine actually has."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache

from shortlist.catalog.loader import load_fact_list
from shortlist.catalog.schema import GPUSpec
from shortlist.errors import BadInput
from shortlist.names import build_index, normalize, resolve

# Assumed for cards nvidia-smi reports but the catalog lacks: low enough not to promise speed.
UNKNOWN_GPU_BANDWIDTH_GB_S = 300.0
UNKNOWN_GPU_BF16_TFLOPS = 20.0
# This machine's RAM when no accelerator is used: a dual-channel DDR4 desktop, the slow common case.
SYSTEM_RAM_BANDWIDTH_GB_S = 40.0
SYSTEM_RAM_BF16_TFLOPS = 0.5  # used when the core count is unknown
# Per core: AVX2 FMA at ~3 GHz peaks near 0.1 TFLOPS fp32; half of it is what matmul kernels sustain.
SYSTEM_RAM_TFLOPS_PER_CORE = 0.05
SYSTEM_RAM_USABLE_FRACTION = 0.9


@cache
def _load() -> dict[str, GPUSpec]:
    return load_fact_list("gpus.yaml", "gpus", GPUSpec, "GPU", inherit_source=True)


@cache
def _index() -> dict[str, str]:
    return build_index({g.id: g.aliases for g in _load().values()})


def get_gpu(name: str) -> GPUSpec:
    """A catalog GPU by id or alias ("4090", "rtx-4090", "GeForce RTX 4090", "a100-80gb")."""
    if not name.strip():
        raise BadInput("empty GPU name", "pass a name such as 'RTX 4090'; see `shortlist gpus`")
    return _load()[resolve(name, _index(), "gpu", display=list(_load()))]


def list_gpus(kind: str | None = None, min_memory_gib: float | None = None) -> list[GPUSpec]:
    """Catalog GPUs in file order, optionally of one kind and with at least this much memory."""
    kinds = {"consumer", "laptop", "workstation", "datacenter", "apple", "cpu"}
    if kind is not None and kind not in kinds:
        raise BadInput(f"unknown GPU kind '{kind}'", f"use one of: {', '.join(sorted(kinds))}")
    out = list(_load().values())
    if kind is not None:
        out = [g for g in out if g.kind == kind]
    if min_memory_gib is not None:
        out = [g for g in out if g.memory_gib >= min_memory_gib]
    return out


def _meminfo_kib() -> dict[str, int]:
    info: dict[str, int] = {}
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                parts = rest.split()
                if parts and parts[0].isdigit():
                    info[key] = int(parts[0])
    except OSError:
        pass
    return info


def system_memory_bytes() -> tuple[int, int | None]:
    """(total, available) RAM in bytes; available is None where the OS does not say."""
    info = _meminfo_kib()
    if "MemTotal" in info:
        avail = info.get("MemAvailable")
        return info["MemTotal"] * 1024, (avail * 1024 if avail is not None else None)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        raise BadInput("cannot read this machine's memory size", "pass --gpu with a catalog entry instead") from None
    return total, None


def system_memory_spec() -> GPUSpec:
    """This machine's RAM as a CPU-only device, with a conservative desktop bandwidth."""
    total, avail = system_memory_bytes()
    gib = total / 2**30
    note = f"measured RAM {gib:.1f} GiB"
    if avail is not None:
        note += f", {avail / 2**30:.1f} GiB available when detected"
    cores = os.cpu_count()
    tflops = round(cores * SYSTEM_RAM_TFLOPS_PER_CORE, 3) if cores else SYSTEM_RAM_BF16_TFLOPS
    note += f"; bandwidth assumed {SYSTEM_RAM_BANDWIDTH_GB_S:.0f} GB/s (dual-channel DDR4), 10% kept for the OS"
    if cores:
        note += f"; {cores} cores x {SYSTEM_RAM_TFLOPS_PER_CORE} TFLOPS assumed"
    return GPUSpec(
        id=f"This machine (CPU, {gib:.0f} GiB RAM)",
        vendor="cpu",
        kind="cpu",
        memory_gib=round(gib, 2),
        usable_fraction=SYSTEM_RAM_USABLE_FRACTION,
        bandwidth_gb_s=SYSTEM_RAM_BANDWIDTH_GB_S,
        bf16_tflops=tflops,
        source="/proc/meminfo" if _meminfo_kib() else "os.sysconf",
        notes=note,
    )


def match_device_name(name: str, memory_mib: float | None = None) -> GPUSpec | None:
    """The catalog entry for a driver-reported name ("NVIDIA GeForce RTX 4090", "NVIDIA A100-SXM4-80GB").

    Exact spellings win; otherwise the entries whose id or alias appears inside the reported name,
    the longest such spelling first and then the one whose memory is closest to the measured size.
    """
    specs = _load()
    index = _index()
    stripped = name.strip()

    def fits(key: str) -> bool:
        return not memory_mib or abs(specs[key].memory_gib * 1024 - memory_mib) <= 0.15 * memory_mib

    for candidate in (stripped, stripped.removeprefix("NVIDIA ").removeprefix("AMD ")):
        key = index.get(normalize(candidate))
        if key is not None and fits(key):
            return specs[key]
    target = normalize(stripped)
    found = [norm for norm in index if len(norm) >= 3 and norm in target]
    # Siblings that differ only by a memory suffix ("rtx3080" -> "rtx308012gb") are candidates too.
    hits: list[tuple[int, float, str]] = []
    for norm, key in index.items():
        matched = max((len(f) for f in found if norm.startswith(f)), default=0)
        if matched:
            gap = abs(specs[key].memory_gib * 1024 - memory_mib) if memory_mib else 0.0
            hits.append((matched, gap, key))
    if not hits:
        return None
    hits = [h for h in hits if fits(h[2])] or hits
    best = max(hits, key=lambda h: (h[0], -h[1]))
    return specs[best[2]]


def _unknown_gpu(name: str, memory_mib: float, vendor: str = "nvidia") -> GPUSpec:
    return GPUSpec(
        id=name,
        vendor=vendor,  # type: ignore[arg-type]
        kind="consumer",
        memory_gib=round(memory_mib / 1024, 2),
        bandwidth_gb_s=UNKNOWN_GPU_BANDWIDTH_GB_S,
        bf16_tflops=UNKNOWN_GPU_BF16_TFLOPS,
        source="detected",
        notes=(
            f"not in the catalog: memory measured, bandwidth ({UNKNOWN_GPU_BANDWIDTH_GB_S:.0f} GB/s) and "
            f"bf16 ({UNKNOWN_GPU_BF16_TFLOPS:.0f} TFLOPS) are conservative guesses"
        ),
    )


def _detected(name: str, total_mib: float, used_mib: float | None) -> GPUSpec:
    spec = match_device_name(name, total_mib)
    if spec is None:
        return _unknown_gpu(name, total_mib)
    note = f"detected as '{name}', {total_mib:.0f} MiB"
    if used_mib is not None:
        note += f", {used_mib:.0f} MiB in use"
    return spec.model_copy(update={"notes": f"{spec.notes}; {note}" if spec.notes else note})


def parse_nvidia_smi(text: str) -> list[GPUSpec]:
    """GPUs from `nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv,noheader,nounits`."""
    out: list[GPUSpec] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.rsplit(",", 2)]
        if len(parts) != 3:
            raise BadInput(f"unexpected nvidia-smi line: {line.strip()!r}", "check that the NVIDIA driver works")
        try:
            total = float(parts[1])
            used = float(parts[2]) if parts[2] not in ("", "[N/A]") else None
        except ValueError:
            raise BadInput(f"unexpected nvidia-smi line: {line.strip()!r}", "check the NVIDIA driver") from None
        if total <= 0:
            continue
        out.append(_detected(parts[0], total, used))
    return out


def _from_torch() -> list[GPUSpec]:
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return []
    import torch

    if not torch.cuda.is_available():
        return []
    found = []
    for i in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(i)
        found.append(_detected(props.name, props.total_memory / 2**20, None))
    return found


def detect_gpus() -> list[GPUSpec]:
    """This machine's GPUs via nvidia-smi, else torch.cuda, else none (CPU only)."""
    exe = shutil.which("nvidia-smi")
    if exe:
        cmd = [exe, "--query-gpu=name,memory.total,memory.used", "--format=csv,noheader,nounits"]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=15, check=False)
        except (OSError, subprocess.TimeoutExpired):
            done = None
        if done is not None and done.returncode == 0:
            return parse_nvidia_smi(done.stdout)
    return _from_torch()


def choose_device(name: str | None, count: int | None = None) -> tuple[GPUSpec, int, str]:
    """(spec, count, how it was chosen): --gpu, else the detected GPUs, else this machine's RAM."""
    if count is not None and count <= 0:
        raise BadInput(f"--gpus must be positive, got {count}")
    if name:
        return get_gpu(name), count or 1, "--gpu"
    found = detect_gpus()
    if found:
        return found[0], count or len(found), "detected"
    return system_memory_spec(), 1, "system RAM (no GPU detected)"
