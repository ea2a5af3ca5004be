"""Hub repo ids: the local HF cache works offline; otherwise a clear Offline error, never a network hang."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("huggingface_hub")
safetensors_numpy = pytest.importorskip("safetensors.numpy")
np = pytest.importorskip("numpy")

from shortlist.catalog.readers import read_model_source  # noqa: E402
from shortlist.catalog.readers.hf import read_safetensors_header  # noqa: E402
from shortlist.catalog.readers.hub import _from_metadata  # noqa: E402
from shortlist.errors import NotFound, Offline  # noqa: E402

CONFIG = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 32, "num_hidden_layers": 1,
          "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 64, "vocab_size": 10,
          "max_position_embeddings": 512, "tie_word_embeddings": True}
# embed 10*32 = 320; q 32*32 + k 16*32 + v 16*32 + o 32*32 = 3,072; mlp 3*32*64 = 6,144; norms 3*32 = 96
TOTAL = 320 + 3_072 + 6_144 + 96  # 9,632


def tiny_tensors() -> dict[str, object]:
    z = np.zeros
    p = "model.layers.0."
    return {
        "model.embed_tokens.weight": z((10, 32), np.float16), "model.norm.weight": z((32,), np.float16),
        p + "self_attn.q_proj.weight": z((32, 32), np.float16), p + "self_attn.k_proj.weight": z((16, 32), np.float16),
        p + "self_attn.v_proj.weight": z((16, 32), np.float16), p + "self_attn.o_proj.weight": z((32, 32), np.float16),
        p + "mlp.gate_proj.weight": z((64, 32), np.float16), p + "mlp.up_proj.weight": z((64, 32), np.float16),
        p + "mlp.down_proj.weight": z((32, 64), np.float16), p + "input_layernorm.weight": z((32,), np.float16),
        p + "post_attention_layernorm.weight": z((32,), np.float16),
    }


def test_offline_env_gives_one_clear_error():
    with pytest.raises(Offline) as err:
        read_model_source("acme/never-cached-model", online=True)
    text = str(err.value)
    assert "HF_HUB_OFFLINE" in text and "\n" not in text


def test_online_not_requested(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    with pytest.raises(Offline, match="--online"):
        read_model_source("acme/never-cached-model")


def test_local_cache_is_read_without_network(tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    repo = cache / "models--acme--tiny-llama"
    snap = repo / "snapshots" / "0123456789abcdef0123456789abcdef01234567"
    snap.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123456789abcdef0123456789abcdef01234567")
    (snap / "config.json").write_text(json.dumps(CONFIG))
    safetensors_numpy.save_file(tiny_tensors(), str(snap / "model.safetensors"))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    found = read_model_source("acme/tiny-llama")
    assert found.params_exact == TOTAL
    assert found.spec.id == "acme/tiny-llama" and found.spec.tied_embeddings
    assert found.dtypes == {"F16": TOTAL} and found.weight_bytes == 2 * TOTAL


def test_hub_metadata_to_model_file(tmp_path):
    """The online path's conversion, fed huggingface_hub's own metadata classes built from a real header."""
    from huggingface_hub.utils import SafetensorsFileMetadata, SafetensorsRepoMetadata, TensorInfo

    path = tmp_path / "model.safetensors"
    safetensors_numpy.save_file(tiny_tensors(), str(path))
    header = read_safetensors_header(path)
    tensors = {n: TensorInfo(dtype=i["dtype"], shape=i["shape"], data_offsets=tuple(i["data_offsets"]))
               for n, i in header.items()}
    meta = SafetensorsRepoMetadata(metadata=None, sharded=False, weight_map=dict.fromkeys(tensors, "model.safetensors"),
                                   files_metadata={"model.safetensors": SafetensorsFileMetadata(metadata={},
                                                                                                tensors=tensors)})
    found = _from_metadata("acme/tiny-llama", CONFIG, meta)
    assert found.format == "hub" and found.path == "hf://acme/tiny-llama"
    assert found.params_exact == TOTAL and found.weight_bytes == 2 * TOTAL


def test_not_a_repo_id_or_path():
    with pytest.raises(NotFound):
        read_model_source("./missing-folder/")
    with pytest.raises(NotFound):
        read_model_source(str(Path("missing") / "model.gguf"))


def test_an_unreachable_hub_fails_in_one_line_at_once(tmp_path: Path) -> None:
    """Online asked for, the Hub unreachable: one line within seconds, not the Hub client's retries and logs."""
    import os
    import subprocess
    import sys
    import time

    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")}
    env.update(HF_ENDPOINT="http://127.0.0.1:9", HF_HUB_CACHE=str(tmp_path / "cache"))   # nothing listens on 9
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "shortlist", "fit", "some-org/some-model", "--online", "--gpu",
                           "4090"], capture_output=True, text=True, env=env, timeout=120)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "cannot be reached" in lines[0] and "some-org/some-model" in lines[0]
    assert time.monotonic() - start < 20
