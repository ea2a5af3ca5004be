"""`shortlist fit` for issue 8: device-aware precisions, no speed without a fit, offload, latency, file warnings."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from shortlist.cli import app

runner = CliRunner()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shortlist", "fit", *args], capture_output=True, text=True,
                          timeout=120, check=False)


def _json(*args: str) -> dict:
    res = runner.invoke(app, ["fit", *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_gpt_oss_120b_on_h100_chooses_mxfp4():
    d = _json("openai/gpt-oss-120b", "--gpu", "H100")
    assert (d["precision"], d["runtime"], d["schema_version"]) == ("mxfp4", "vllm", 2)
    assert d["latency"]["basis"] == "estimate" and d["basis"]["speed_basis"].startswith("vllm on cuda-hbm")


def test_apple_and_cpu_name_their_runtimes():
    mac = _json("Qwen/Qwen2.5-32B-Instruct", "--gpu", "M3 Max 64GB")
    assert mac["runtime"] in ("llama.cpp", "mlx") and mac["precision"] not in ("fp8", "awq", "nf4")
    cpu = _json("Qwen/Qwen2.5-7B-Instruct", "--gpu", "CPU DDR5 dual-channel 64GB")
    assert cpu["runtime"] == "llama.cpp" and "llama-cli" in cpu["basis"]["verify_command"]


def test_a_model_that_does_not_fit_prints_no_speed():
    res = runner.invoke(app, ["fit", "meta-llama/Llama-3.1-70B-Instruct", "--gpu", "4090", "-p", "q4_k_m"])
    assert res.exit_code == 0, res.output
    assert "does not fit" in res.stdout and "decode ≈" not in res.stdout and "no speed" in res.stdout
    d = _json("meta-llama/Llama-3.1-70B-Instruct", "--gpu", "4090", "-p", "q4_k_m")
    assert d["decode_tokens_per_s"] is None and d["latency"] is None


def test_offload_and_latency_options():
    d = _json("meta-llama/Llama-3.1-70B-Instruct", "--gpu", "4090", "-p", "q4_k_m", "--offload", "--host",
              "CPU DDR5 dual-channel 128GB", "--prompt-tokens", "2000", "--output-tokens", "100")
    assert d["fits"] and d["offload"]["host"] == "CPU DDR5 dual-channel 128GB" and d["offload"]["gpu_layers"] > 0
    assert d["latency"]["prompt_tokens"] == 2000 and d["latency"]["output_tokens"] == 100
    task = _json("meta-llama/Llama-3.1-8B", "--gpu", "4090", "--task", "coding")
    assert task["latency"]["prompt_tokens"] > 0
    bad = _run("meta-llama/Llama-3.1-8B", "--gpu", "4090", "--host", "H100")
    assert bad.returncode == 2 and bad.stderr.strip().startswith("Error: --host H100 is a GPU")


def test_options_that_do_not_apply_warn_in_json():
    d = _json("meta-llama/Llama-3.1-8B", "--gpu", "4090", "--mode", "qlora", "--precision", "bf16", "--runtime", "vllm")
    assert any("--runtime vllm applies to inference" in w for w in d["warnings"])
    assert any("--precision bf16 not used" in w for w in d["warnings"])
    assert d["decode_tokens_per_s"] is None  # no speed for a training estimate
    inf = _json("meta-llama/Llama-3.1-8B", "--gpu", "4090", "--optimizer", "adamw8bit", "--parallelism", "zero3")
    assert len(inf["warnings"]) == 2


def test_device_errors_are_one_line():
    res = _run("meta-llama/Llama-3.1-8B", "--gpu", "T4", "--precision", "fp8")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1 and "no FP8 support" in res.stderr


def test_folder_with_fewer_parameters_than_its_config_warns(tmp_path: Path):
    folder = tmp_path / "partial"
    folder.mkdir()
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
              "intermediate_size": 11008, "num_attention_heads": 32, "num_key_value_heads": 32,
              "num_hidden_layers": 32, "vocab_size": 32000, "max_position_embeddings": 4096,
              "torch_dtype": "bfloat16", "tie_word_embeddings": False, "rms_norm_eps": 1e-5}
    (folder / "config.json").write_text(json.dumps(config))
    n = 32000 * 4096
    header = json.dumps({"model.embed_tokens.weight": {"dtype": "BF16", "shape": [32000, 4096],
                                                       "data_offsets": [0, 2 * n]}}).encode()
    with open(folder / "model.safetensors", "wb") as fh:
        fh.write(struct.pack("<Q", len(header)))
        fh.write(header)
        fh.truncate(8 + len(header) + 2 * n)
    d = _json(str(folder), "--gpu", "4090")
    assert any("safetensors files hold" in w and "config.json implies" in w for w in d["warnings"]), d["warnings"]
    assert d["params_active"] <= d["params_total"]
