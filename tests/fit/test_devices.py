"""Every catalog device x every weight format against the device table: nothing is offered that cannot run.

The expectations are written out here from the sources (vLLM's supported-hardware table, NVIDIA compute
capabilities, the gpt-oss recipe), independently of shortlist.fit.runtimes, so a slip in the code's rules fails.
"""

from __future__ import annotations

import pytest

from shortlist.catalog import get_gpu, get_model, list_gpus
from shortlist.catalog.gpus import match_device_name
from shortlist.errors import BadInput
from shortlist.fit import FitRequest, best_fit, device_precisions, estimate
from shortlist.fit.devices import device_of
from shortlist.fit.formats import FORMATS, QUALITY_ORDER
from shortlist.fit.runtimes import choose_runtime, runs, runtimes_for

ALL_GPUS = list_gpus()


def expected(gpu, fmt) -> set[str]:
    """Runtimes that should run `fmt` on `gpu`, from the published tables."""
    vendor, cc, fam = gpu.vendor, gpu.compute_capability, fmt.family
    if fam == "gguf":
        return {"llama.cpp"}
    if vendor == "apple":
        return {"mlx"} if fam == "mlx" or (fam == "float" and fmt.name != "fp32") else set()
    if fam == "mlx":
        return set()
    if vendor == "cpu":
        return {"transformers"} if fam == "float" else set()
    if vendor == "amd":
        if fam == "float":
            return {"vllm", "transformers"}
        if fam == "fp8":
            return {"vllm", "transformers"} if gpu.gfx in ("gfx942", "gfx950") else set()
        if fam == "mxfp4":
            return {"vllm"} if gpu.gfx in ("gfx942", "gfx950", "gfx1201") else set()
        return set()  # bitsandbytes, AWQ, GPTQ, int8: CUDA only
    assert vendor == "nvidia" and cc is not None, gpu.id
    if fam == "float":
        if fmt.name == "bf16" and cc < 8.0:
            return set()
        return {"vllm", "transformers"}
    if fam == "fp8":
        return {"vllm", "transformers"} if cc >= 8.9 else set()
    if fam == "mxfp4":
        out = {"vllm"} if (8.0 <= cc < 8.9 or 9.0 <= cc < 11.0) else set()
        return out | ({"transformers"} if cc >= 9.0 else set())
    if fam == "bnb4":
        return {"transformers"}
    if fam == "int8":
        return {"transformers"} | ({"vllm"} if cc >= 7.5 else set())
    if fam == "gptq":
        if fmt.name in ("awq", "int4") and cc < 7.5:
            return set()
        return {"vllm", "transformers"}
    raise AssertionError(fam)


@pytest.mark.parametrize("gpu", ALL_GPUS, ids=lambda g: g.id)
def test_every_device_and_format_against_the_table(gpu):
    assert gpu.vendor != "nvidia" or gpu.compute_capability is not None, "NVIDIA entries need compute_capability"
    assert gpu.vendor != "amd" or gpu.gfx, "AMD entries need their gfx target"
    dev = device_of(gpu)
    for fmt in FORMATS.values():
        assert set(runtimes_for(fmt, dev)) == expected(gpu, fmt), (gpu.id, fmt.name)
        if runs(fmt, dev):
            assert choose_runtime(fmt, dev) in expected(gpu, fmt)
        else:
            with pytest.raises(BadInput):
                choose_runtime(fmt, dev)


@pytest.mark.parametrize("gpu", ALL_GPUS, ids=lambda g: g.id)
def test_best_fit_only_tries_what_the_device_runs(gpu):
    for model in ("meta-llama/Llama-3.1-8B-Instruct", "openai/gpt-oss-20b"):
        req = FitRequest(model=get_model(model), gpu=gpu, context=4096)
        for name in device_precisions(req):
            assert expected(gpu, FORMATS[name]), (gpu.id, name)
        r = best_fit(req)
        assert r.runtime in expected(gpu, FORMATS[r.precision]), (gpu.id, model, r.precision, r.runtime)


def test_gpt_oss_120b_on_h100_runs_its_native_mxfp4():
    r = best_fit(FitRequest(model=get_model("openai/gpt-oss-120b"), gpu=get_gpu("H100"), context=4096))
    assert (r.precision, r.runtime, r.fits) == ("mxfp4", "vllm", True)
    assert "--quantization" not in r.basis.verify_command and "vllm serve openai/gpt-oss-120b" in r.basis.verify_command


def test_gpt_oss_20b_on_ada_takes_the_mxfp4_gguf_not_fp8():
    r = best_fit(FitRequest(model=get_model("openai/gpt-oss-20b"), gpu=get_gpu("RTX 4090"), context=4096))
    assert (r.precision, r.runtime) == ("mxfp4_moe", "llama.cpp")  # vLLM's MXFP4 kernels skip Ada
    assert "MXFP4.gguf" in r.basis.verify_command


def test_deepseek_native_fp8_first_where_fp8_runs():
    model = get_model("deepseek-ai/DeepSeek-R1")
    on_h200 = device_precisions(FitRequest(model=model, gpu=get_gpu("H200"), gpus=8))
    assert on_h200[0] == "fp8" and "bf16" not in on_h200  # a bf16 copy of FP8 weights is an upcast
    on_a100 = device_precisions(FitRequest(model=model, gpu=get_gpu("A100 80GB"), gpus=8))
    assert "fp8" not in on_a100 and on_a100[0] == "bf16"


@pytest.mark.parametrize("gpu", ["M3 Max 64GB", "M2 Ultra 192GB", "MacBook Air M1 16GB"])
def test_apple_answers_name_llama_cpp_or_mlx(gpu):
    r = best_fit(FitRequest(model=get_model("Qwen/Qwen2.5-32B-Instruct"), gpu=get_gpu(gpu), context=4096))
    assert r.runtime in ("llama.cpp", "mlx")
    assert ("llama-cli" in r.basis.verify_command) or ("mlx_lm" in r.basis.verify_command)
    mlx = estimate(FitRequest(model=get_model("Qwen/Qwen2.5-7B-Instruct"), gpu=get_gpu(gpu), precision="mlx-q4"))
    assert mlx.runtime == "mlx" and "mlx_lm.convert" in mlx.basis.verify_command
    assert not any(t.name == "cuda_context" for t in mlx.memory.terms)


def test_cpu_answers_name_llama_cpp():
    r = best_fit(FitRequest(model=get_model("Qwen/Qwen2.5-7B-Instruct"), gpu=get_gpu("CPU DDR5 dual-channel 64GB")))
    assert (r.runtime, r.precision) == ("llama.cpp", "f16")
    assert "-ngl 0" in r.basis.verify_command


@pytest.mark.parametrize(("gpu", "precision", "words"), [
    ("T4", "fp8", "no FP8"), ("M3 Max 64GB", "awq", "CUDA-only"), ("CPU DDR5 dual-channel 64GB", "awq", "CUDA-only"),
    ("M3 Max 64GB", "fp8", "no FP8"), ("MI300X", "nf4", "CUDA-only"), ("V100 16GB", "bf16", "bf16"),
    ("V100 16GB", "awq", "Turing"), ("CPU DDR5 dual-channel 64GB", "mlx-q4", "MLX"),
])
def test_precisions_the_device_cannot_run_are_errors(gpu, precision, words):
    with pytest.raises(BadInput) as err:
        estimate(FitRequest(model=get_model("Qwen/Qwen2.5-7B-Instruct"), gpu=get_gpu(gpu), precision=precision))
    assert words in str(err.value)


def test_runtimes_the_device_cannot_run_are_errors():
    with pytest.raises(BadInput, match="vLLM does not run on Apple"):
        estimate(FitRequest(model=get_model("Qwen/Qwen2.5-7B-Instruct"), gpu=get_gpu("M3 Max 64GB"), runtime="vllm"))
    with pytest.raises(BadInput, match=r"llama\.cpp runs GGUF"):
        estimate(FitRequest(model=get_model("Qwen/Qwen2.5-7B-Instruct"), gpu=get_gpu("RTX 4090"),
                            runtime="llama.cpp", precision="bf16"))
    # with a forced runtime, best_fit only tries that runtime's formats
    r = best_fit(FitRequest(model=get_model("Qwen/Qwen2.5-7B-Instruct"), gpu=get_gpu("RTX 4090"), runtime="llama.cpp"))
    assert r.runtime == "llama.cpp" and FORMATS[r.precision].family == "gguf"


@pytest.mark.parametrize(("kw", "words"), [
    ({"gpu": "M3 Max 64GB", "mode": "qlora"}, "bitsandbytes"),
    ({"gpu": "CPU DDR5 dual-channel 64GB", "mode": "lora", "framework": "unsloth"}, "Unsloth needs"),
    ({"gpu": "RTX 4090", "kv_dtype": "q8_0", "precision": "bf16"}, "llama.cpp cache type"),
    ({"gpu": "RTX 4090", "kv_dtype": "fp8", "precision": "q4_k_m"}, "not a llama.cpp cache type"),
    ({"gpu": "RTX 4090", "offload": True, "precision": "bf16"}, "--offload is llama.cpp"),
    ({"gpu": "RTX 4090", "precision": "mxfp4"}, "has none"),
])
def test_impossible_combinations_are_errors(kw, words):
    kw = dict(kw)
    gpu = get_gpu(kw.pop("gpu"))
    with pytest.raises(BadInput) as err:
        estimate(FitRequest(model=get_model("meta-llama/Llama-3.1-8B"), gpu=gpu, **kw))
    assert words in str(err.value)


@pytest.mark.parametrize(("kw", "words"), [
    ({"optimizer": "adamw8bit"}, "--optimizer adamw8bit: training options, ignored for inference"),
    ({"parallelism": "zero3"}, "--parallelism zero3 applies to training"),
    ({"lora_rank": 64, "framework": "unsloth"}, "--framework unsloth, --lora-rank 64"),
    ({"mode": "qlora", "precision": "bf16"}, "--precision bf16 not used: estimated as nf4"),
    ({"mode": "qlora", "runtime": "vllm"}, "--runtime vllm applies to inference"),
    ({"mode": "lora", "kv_dtype": "fp8"}, "--kv-dtype fp8 applies to inference"),
])
def test_options_that_do_not_apply_are_warnings(kw, words):
    r = estimate(FitRequest(model=get_model("meta-llama/Llama-3.1-8B"), gpu=get_gpu("RTX 4090"), **kw))
    assert any(words in w for w in r.warnings), r.warnings


def test_defaults_warn_about_nothing():
    r = best_fit(FitRequest(model=get_model("meta-llama/Llama-3.1-8B"), gpu=get_gpu("RTX 4090")))
    assert r.warnings == []


def test_laptop_gpus_do_not_resolve_to_desktop_cards():
    laptop = get_gpu("RTX 4090 Laptop")
    assert (laptop.kind, laptop.memory_gib) == ("laptop", 16)
    assert match_device_name("NVIDIA GeForce RTX 4090 Laptop GPU", 16376).id == "RTX 4090 Laptop"
    assert get_gpu("4090").id == "RTX 4090"
    for name, memory in (("RTX 5090 Laptop", 24), ("DGX Spark GB10", 128), ("Ryzen AI Max+ 395 128GB", 128),
                         ("MI325X", 256), ("RTX PRO 6000 Blackwell", 96)):
        g = get_gpu(name)
        assert g.memory_gib == memory and g.source, name
    assert get_gpu("dgx spark").unified_memory and get_gpu("strix halo").unified_memory


def test_pick_on_a_cpu_never_shortlists_cuda_formats():
    from shortlist.catalog import list_models
    from shortlist.rank.candidates import Fitter, catalog_candidate

    fitter = Fitter(get_gpu("CPU DDR5 dual-channel 64GB"), 1, "inference", 4096)
    cache: dict = {}
    for spec in list_models()[:60]:
        outcome = fitter(catalog_candidate(spec, cache))
        if outcome.precision:
            assert FORMATS[outcome.precision].family in ("gguf", "float"), (spec.id, outcome.precision)


def test_quality_order_lists_only_known_formats():
    assert set(QUALITY_ORDER) <= set(FORMATS)
