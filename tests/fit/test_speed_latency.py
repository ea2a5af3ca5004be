"""The calibrated speed model against its validation half, latency, partial offload, and measured runs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from shortlist.catalog import get_gpu, get_model
from shortlist.fit import FitRequest, Measured, best_fit, estimate
from shortlist.fit.measured import attach, lookup, lookup_default, record
from shortlist.store import Store

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def speed_bench():
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("speed_accuracy", BENCH / "speed_accuracy.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["speed_accuracy"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_validation_half_meets_the_targets(speed_bench):
    cases = speed_bench.cases()
    speed_bench.cases_cache = cases
    s = speed_bench.summary(cases)
    assert s[("validation", "decode")]["n"] >= 60 and s[("validation", "prefill")]["n"] >= 40
    assert s[("validation", "decode")]["median"] <= 15.0
    assert s[("validation", "prefill")]["median"] <= 25.0
    assert s[("validation", "decode")]["over_2x"] == 0 and s[("validation", "prefill")]["over_2x"] == 0


def test_every_point_quotes_its_source(speed_bench):
    from speed_points import SOURCES, all_points

    for pt in all_points():
        assert pt.source in SOURCES and pt.quote, pt.label
        assert str(pt.measured).rstrip("0").rstrip(".") in pt.quote.replace(",", "") or pt.source == "WMX", pt.label


def test_llama_cpp_layer_split_adds_no_decode_speed():
    """Llama-3-8B Q4_K_M on 1/2/4 x 4090 measured 127.7/122.6/117.6 tok/s (XD): layers take turns."""
    speeds = [estimate(FitRequest(model=get_model("meta-llama/Meta-Llama-3-8B-Instruct"), gpu=get_gpu("RTX 4090"),
                                  gpus=n, precision="q4_k_m", context=770)).decode_tokens_per_s for n in (1, 2, 4)]
    assert speeds[0] > speeds[1] > speeds[2] > 0.75 * speeds[0]  # not 2x and 4x, as tensor parallelism would be
    assert [s / m for s, m in zip(speeds, (127.74, 122.56, 117.61), strict=True)] == pytest.approx([1, 1, 1], abs=0.15)


def test_no_speed_without_a_fit():
    r = estimate(FitRequest(model=get_model("meta-llama/Llama-3.1-70B-Instruct"), gpu=get_gpu("RTX 4090"),
                            precision="q4_k_m"))
    assert not r.fits
    assert r.decode_tokens_per_s is None and r.prefill_tokens_per_s is None and r.latency is None


def test_offload_splits_layers_and_runs_at_host_bandwidth():
    base = dict(model=get_model("meta-llama/Llama-3.1-70B-Instruct"), gpu=get_gpu("RTX 4090"), precision="q4_k_m")
    r = estimate(FitRequest(**base, offload=True, host=get_gpu("CPU DDR5 dual-channel 128GB")))
    assert r.fits and r.offload is not None
    assert 0 < r.offload.gpu_layers < r.offload.units == 81
    assert r.memory.total_bytes <= r.budget_bytes and r.offload.host_bytes > 15 * 2**30
    assert f"-ngl {r.offload.gpu_layers}" in r.basis.verify_command
    cpu_only = estimate(FitRequest(model=base["model"], gpu=get_gpu("CPU DDR5 dual-channel 128GB"),
                                   precision="q4_k_m"))
    assert cpu_only.decode_tokens_per_s < r.decode_tokens_per_s < 10  # faster than RAM alone, far from VRAM speed
    small = estimate(FitRequest(**{**base, "model": get_model("meta-llama/Llama-3.1-405B-Instruct")}, offload=True,
                                host=get_gpu("CPU DDR4 dual-channel 32GB")))
    assert not small.fits and not small.offload.fits_host and small.decode_tokens_per_s is None


def test_offload_on_unified_memory_is_a_warning():
    r = estimate(FitRequest(model=get_model("meta-llama/Llama-3.1-8B"), gpu=get_gpu("M3 Max 64GB"), precision="q4_k_m",
                            offload=True))
    assert r.offload is None and any("--offload ignored" in w for w in r.warnings)


def test_best_fit_with_offload_picks_q4_k_m():
    from shortlist.fit import precisions_at_least

    r = best_fit(FitRequest(model=get_model("meta-llama/Llama-3.1-70B-Instruct"), gpu=get_gpu("RTX 4090"),
                            offload=True), precisions_at_least(4.0))
    assert (r.precision, r.runtime) == ("q4_k_m", "llama.cpp") and r.offload is not None


def test_latency_adds_up():
    r = estimate(FitRequest(model=get_model("meta-llama/Llama-3.1-8B"), gpu=get_gpu("H100"), prompt_tokens=2000,
                            output_tokens=500))
    lat = r.latency
    assert lat is not None and lat.basis == "estimate"
    assert (lat.prompt_tokens, lat.output_tokens) == (2000, 500)
    assert lat.e2e_s == pytest.approx(lat.ttft_s + 499 * lat.tpot_s, rel=1e-3)
    assert lat.ttft_s == pytest.approx(2000 / r.prefill_tokens_per_s, rel=0.05)
    assert lat.tpot_band_pct > 0 and lat.ttft_band_pct > 0
    with pytest.raises(Exception, match="prompt tokens must be positive"):
        estimate(FitRequest(model=get_model("meta-llama/Llama-3.1-8B"), gpu=get_gpu("H100"), prompt_tokens=0))


def _measured(**kw) -> Measured:
    base = dict(measured_at="2026-01-01T00:00:00+00:00", source="x.gguf", device="RTX 4090", prompt_tokens=512,
                output_tokens=128, concurrency=1, requests=8, errors=0, ttft_p50_s=0.05, ttft_p95_s=0.07,
                itl_p50_s=0.01, itl_p95_s=0.012, tokens_per_s_per_request=99.0, tokens_per_s_total=98.0)
    return Measured(**{**base, **kw})


def test_measured_runs_round_trip_and_replace_the_estimate(tmp_path):
    with Store(tmp_path / "m.db") as store:
        record(store, "meta-llama/Llama-3.1-8B", _measured(concurrency=4, tokens_per_s_total=300.0), "q4_k_m")
        record(store, "meta-llama/Llama-3.1-8B", _measured(), "q4_k_m")
        record(store, "meta-llama/Llama-3.1-8B", _measured(device="H100 SXM"), "bf16")
        hit = lookup(store, "meta-llama/Llama-3.1-8B", "RTX 4090", "q4_k_m")
        assert hit is not None and hit.concurrency == 1
        assert lookup(store, "meta-llama/Llama-3.1-8B", "RTX 4090", "bf16") is None  # another weight format
        assert lookup(store, "meta-llama/Llama-3.1-8B", "L4") is None
    r = estimate(FitRequest(model=get_model("meta-llama/Llama-3.1-8B"), gpu=get_gpu("RTX 4090"), precision="q4_k_m"))
    shown = attach(r, hit)
    assert shown.measured is not None and shown.latency.basis == "measured"
    assert shown.decode_tokens_per_s == 99.0 and shown.latency.ttft_s == 0.05


def test_lookup_without_a_store_creates_nothing(tmp_path):
    db = tmp_path / "none.db"
    assert lookup_default("m", "RTX 4090", db=db) is None
    assert not db.exists()


def test_pick_can_show_latency_through_the_fit_layer(tmp_path, monkeypatch):
    from shortlist.rank.candidates import Fitter, catalog_candidate

    monkeypatch.setenv("SHORTLIST_DB", str(tmp_path / "m.db"))
    fitter = Fitter(get_gpu("RTX 4090"), 1, "inference", 4096)
    c = catalog_candidate(get_model("meta-llama/Llama-3.1-8B"), {})
    lat = fitter.latency(c, "q4_k_m", 1000, 300)
    assert lat is not None and lat.basis == "estimate" and lat.e2e_s > lat.ttft_s
    with Store(tmp_path / "m.db") as store:
        record(store, "meta-llama/Llama-3.1-8B", _measured(), "q4_k_m")
    assert Fitter(get_gpu("RTX 4090"), 1, "inference", 4096).latency(c, "q4_k_m", 1000, 300).basis == "measured"
