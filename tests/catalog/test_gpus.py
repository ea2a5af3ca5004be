"""GPU catalog: coverage, forgiving names, spec-sheet numbers, Apple's usable share, and device detection."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from shortlist.catalog import gpus
from shortlist.catalog.gpus import (
    detect_gpus,
    get_gpu,
    list_gpus,
    match_device_name,
    parse_nvidia_smi,
    system_memory_spec,
)
from shortlist.errors import BadInput, NotFound

REQUIRED = [
    "RTX 3060 12GB", "RTX 3060 Ti", "RTX 3070", "RTX 3080 10GB", "RTX 3080 12GB", "RTX 3090", "RTX 3090 Ti",
    "RTX 4060 Ti 8GB", "RTX 4060 Ti 16GB", "RTX 4070", "RTX 4070 Ti Super", "RTX 4080", "RTX 4080 Super",
    "RTX 4090", "RTX 5070", "RTX 5070 Ti", "RTX 5080", "RTX 5090", "RTX A4000", "RTX A5000", "RTX A6000",
    "RTX 4000 Ada", "RTX 5000 Ada", "RTX 6000 Ada", "RTX PRO 6000 Blackwell", "T4", "L4", "A10G", "A10", "L40",
    "L40S", "V100 16GB", "V100 32GB", "A100 40GB PCIe", "A100 40GB SXM", "A100 80GB", "H100 PCIe", "H100 SXM",
    "H100 NVL", "H200", "B200", "MI250X", "MI300X", "MI325X", "M2 Max 64GB", "M3 Max 128GB", "M4 Max 128GB",
    "M2 Ultra 192GB", "M4 Pro 48GB", "MacBook Air M3 16GB", "CPU DDR4 dual-channel 32GB",
    "CPU DDR4 dual-channel 64GB", "CPU DDR5 dual-channel 64GB", "CPU DDR5 dual-channel 128GB",
]


def test_catalog_has_the_required_devices():
    ids = {g.id for g in list_gpus()}
    assert len(ids) >= 40
    assert not [r for r in REQUIRED if r not in ids]


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("4090", "RTX 4090"),
        ("rtx-4090", "RTX 4090"),
        ("RTX 4090", "RTX 4090"),
        ("geforce rtx 4090", "RTX 4090"),
        ("h100", "H100 SXM"),
        ("a100-80gb", "A100 80GB"),
        ("A100 80GB PCIe", "A100 80GB PCIe"),
        ("m2 ultra 192gb", "M2 Ultra 192GB"),
        ("l40s", "L40S"),
        ("mi300x", "MI300X"),
    ],
)
def test_forgiving_names(spelling, expected):
    assert get_gpu(spelling).id == expected


def test_unknown_gpu_suggests_close_names():
    with pytest.raises(NotFound) as err:
        get_gpu("rtx 4900")
    assert "RTX 4090" in str(err.value)
    with pytest.raises(BadInput):
        get_gpu("  ")


@pytest.mark.parametrize(
    ("name", "memory", "bandwidth", "bf16"),
    [  # vendor spec sheets, typed from the datasheets, not from gpus.yaml
        ("RTX 4090", 24, 1008, 165.2),
        ("RTX 3090", 24, 936, 71.0),
        ("H100 SXM", 80, 3350, 989.4),
        ("A100 80GB", 80, 2039, 312),
        ("L4", 24, 300, 121),
        ("MI300X", 192, 5300, 1307.4),
        ("RTX 5090", 32, 1792, 209.5),
    ],
)
def test_spec_sheet_numbers(name, memory, bandwidth, bf16):
    g = get_gpu(name)
    assert (g.memory_gib, g.bandwidth_gb_s, g.bf16_tflops) == (memory, bandwidth, bf16)


@pytest.mark.parametrize(
    ("name", "sms", "boost_ghz"),
    [("RTX 4090", 128, 2.52), ("RTX 4080", 76, 2.505), ("RTX 3090", 82, 1.695), ("RTX 3060 12GB", 28, 1.777),
     ("RTX 5090", 170, 2.407), ("RTX 5080", 84, 2.617)],
)
def test_geforce_bf16_is_the_fp32_accumulate_rate(name, sms, boost_ghz):
    # GeForce tensor cores do 512 dense bf16 FLOP per SM per clock with FP32 accumulate (half the FP16-acc rate).
    assert get_gpu(name).bf16_tflops == pytest.approx(sms * boost_ghz * 512 / 1000, rel=0.01)


def test_fp8_only_where_hardware_has_it():
    assert get_gpu("RTX 3090").fp8_tflops is None  # Ampere: no FP8 tensor cores
    assert get_gpu("A100 80GB").fp8_tflops is None
    assert get_gpu("H100 SXM").fp8_tflops == pytest.approx(2 * get_gpu("H100 SXM").bf16_tflops, rel=0.01)


def test_apple_usable_fraction_follows_metal_working_set_rule():
    apple = list_gpus(kind="apple")
    assert len(apple) >= 12
    for g in apple:
        assert g.usable_fraction == (0.67 if g.memory_gib <= 36 else 0.75), g.id
    m2max = get_gpu("M2 Max 64GB")
    assert m2max.usable_bytes == int(64 * 2**30 * 0.75)


def test_list_filters():
    big = list_gpus(min_memory_gib=80)
    assert big and all(g.memory_gib >= 80 for g in big)
    assert {g.kind for g in list_gpus(kind="workstation")} == {"workstation"}
    with pytest.raises(BadInput):
        list_gpus(kind="gaming")


def test_cpu_entries_have_realistic_bandwidth():
    for g in list_gpus(kind="cpu"):
        assert 10 <= g.bandwidth_gb_s <= 500, g.id  # a Raspberry Pi 5 to a 12-channel server
        assert g.usable_fraction < 1


def test_system_memory_spec_reads_this_machine():
    spec = system_memory_spec()
    assert spec.kind == "cpu"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        first = meminfo.read_text().splitlines()[0]  # "MemTotal:  24681234 kB"
        kib = int(first.split()[1])
        assert abs(spec.memory_gib - kib / 2**20) < 0.01
    else:
        expected = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        assert abs(spec.memory_gib - expected) < 0.01


@pytest.mark.parametrize(
    ("reported", "mib", "expected"),
    [  # names as nvidia-smi prints them
        ("NVIDIA GeForce RTX 4090", 24564, "RTX 4090"),
        ("NVIDIA A100-SXM4-80GB", 81920, "A100 80GB"),
        ("NVIDIA A100-SXM4-40GB", 40960, "A100 40GB SXM"),
        ("NVIDIA A100 80GB PCIe", 81920, "A100 80GB PCIe"),
        ("NVIDIA H100 80GB HBM3", 81559, "H100 SXM"),
        ("NVIDIA H100 PCIe", 81559, "H100 PCIe"),
        ("Tesla T4", 15360, "T4"),
        ("NVIDIA GeForce RTX 3080", 12288, "RTX 3080 12GB"),
        ("NVIDIA GeForce RTX 3080", 10240, "RTX 3080 10GB"),
        ("NVIDIA GeForce RTX 4060 Ti", 16380, "RTX 4060 Ti 16GB"),
        ("NVIDIA RTX 6000 Ada Generation", 49140, "RTX 6000 Ada"),
    ],
)
def test_driver_names_match_catalog(reported, mib, expected):
    found = match_device_name(reported, mib)
    assert found is not None and found.id == expected


def test_parse_nvidia_smi_known_and_unknown_cards():
    text = "NVIDIA GeForce RTX 4090, 24564, 1200\nNVIDIA GeForce GTX 1080 Ti, 11264, 0\n"
    first, second = parse_nvidia_smi(text)
    assert first.id == "RTX 4090" and first.memory_gib == 24 and "1200 MiB in use" in (first.notes or "")
    assert second.id == "NVIDIA GeForce GTX 1080 Ti"
    assert second.memory_gib == 11.0
    assert second.bandwidth_gb_s == gpus.UNKNOWN_GPU_BANDWIDTH_GB_S
    assert "not in the catalog" in (second.notes or "")
    with pytest.raises(BadInput):
        parse_nvidia_smi("garbage line without fields")


def _fake_nvidia_smi(folder: Path, output: str) -> None:
    exe = folder / "nvidia-smi"
    exe.write_text(f"#!/bin/sh\ncat <<'EOF'\n{output}EOF\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)


def test_detect_gpus_runs_nvidia_smi(tmp_path, monkeypatch):
    _fake_nvidia_smi(tmp_path, "NVIDIA H100 80GB HBM3, 81559, 5\nNVIDIA H100 80GB HBM3, 81559, 7\n")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    found = detect_gpus()
    assert [g.id for g in found] == ["H100 SXM", "H100 SXM"]


def test_detect_gpus_without_nvidia_smi(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no nvidia-smi
    found = detect_gpus()
    try:
        import torch

        cuda = torch.cuda.is_available()
    except ImportError:
        cuda = False
    assert (len(found) > 0) == cuda
