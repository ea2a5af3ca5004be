"""Checkpoint folders: real safetensors files written here, read back without loading weights."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

from shortlist.catalog.readers import read_model_source  # noqa: E402
from shortlist.errors import BadInput  # noqa: E402
from shortlist.fit.params import count_params  # noqa: E402

H, LAYERS, HEADS, KV, INTER, VOCAB = 64, 2, 4, 2, 128, 100
HEAD_DIM = H // HEADS
# By hand: embed 100*64 = 6,400; per layer q 64*64 + k 32*64 + v 32*64 + o 64*64 = 12,288,
# mlp 3*64*128 = 24,576, two norms 128 -> 36,992; x2 layers = 73,984; final norm 64.
TIED_TOTAL = 6_400 + 73_984 + 64  # 80,448
UNTIED_TOTAL = TIED_TOTAL + 6_400  # 86,848 with a separate lm_head


def llama_tensors(tied: bool = False, qkv_bias: bool = False) -> dict[str, object]:
    bf16, f32 = torch.bfloat16, torch.float32
    t: dict[str, object] = {"model.embed_tokens.weight": torch.zeros(VOCAB, H, dtype=bf16),
                            "model.norm.weight": torch.ones(H, dtype=f32)}
    if not tied:
        t["lm_head.weight"] = torch.zeros(VOCAB, H, dtype=bf16)
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        t[p + "self_attn.q_proj.weight"] = torch.zeros(HEADS * HEAD_DIM, H, dtype=bf16)
        t[p + "self_attn.k_proj.weight"] = torch.zeros(KV * HEAD_DIM, H, dtype=bf16)
        t[p + "self_attn.v_proj.weight"] = torch.zeros(KV * HEAD_DIM, H, dtype=bf16)
        t[p + "self_attn.o_proj.weight"] = torch.zeros(H, HEADS * HEAD_DIM, dtype=bf16)
        if qkv_bias:
            t[p + "self_attn.q_proj.bias"] = torch.zeros(HEADS * HEAD_DIM, dtype=bf16)
            t[p + "self_attn.k_proj.bias"] = torch.zeros(KV * HEAD_DIM, dtype=bf16)
            t[p + "self_attn.v_proj.bias"] = torch.zeros(KV * HEAD_DIM, dtype=bf16)
        for name, shape in (("gate_proj", (INTER, H)), ("up_proj", (INTER, H)), ("down_proj", (H, INTER))):
            t[p + f"mlp.{name}.weight"] = torch.zeros(*shape, dtype=bf16)
        t[p + "input_layernorm.weight"] = torch.ones(H, dtype=f32)
        t[p + "post_attention_layernorm.weight"] = torch.ones(H, dtype=f32)
    return t


def config(**extra: object) -> dict[str, object]:
    base = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": H,
            "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "num_key_value_heads": KV,
            "intermediate_size": INTER, "vocab_size": VOCAB, "max_position_embeddings": 4096,
            "tie_word_embeddings": False, "torch_dtype": "bfloat16"}
    return {**base, **extra}


def write_model(folder: Path, tensors: dict[str, object], cfg: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(cfg))
    safetensors_torch.save_file(tensors, str(folder / "model.safetensors"))
    return folder


def test_llama_folder_exact_counts_and_dtypes(tmp_path):
    folder = write_model(tmp_path / "tiny-llama", llama_tensors(), config())
    found = read_model_source(str(folder))
    f32 = 64 + LAYERS * 128  # the norms
    assert found.params_exact == UNTIED_TOTAL
    assert found.dtypes == {"BF16": UNTIED_TOTAL - f32, "F32": f32}
    assert found.weight_bytes == 2 * (UNTIED_TOTAL - f32) + 4 * f32
    assert found.format == "safetensors" and found.quantization is None
    spec = found.spec
    assert (spec.layers, spec.hidden_size, spec.kv_heads, spec.head_dim) == (LAYERS, H, KV, HEAD_DIM)
    assert not spec.tied_embeddings and spec.max_context == 4096
    assert count_params(spec).total == UNTIED_TOTAL  # the config mapping agrees with the tensors


def test_tied_embeddings_detected_from_tensors(tmp_path):
    # config claims untied, but no lm_head is stored: the tensors win.
    folder = write_model(tmp_path / "tied", llama_tensors(tied=True), config())
    found = read_model_source(str(folder))
    assert found.params_exact == TIED_TOTAL
    assert found.spec.tied_embeddings
    assert count_params(found.spec).total == TIED_TOTAL


def test_qwen2_bias_and_single_file_argument(tmp_path):
    cfg = config(architectures=["Qwen2ForCausalLM"], model_type="qwen2")
    folder = write_model(tmp_path / "tiny-qwen2", llama_tensors(qkv_bias=True), cfg)
    found = read_model_source(str(folder / "model.safetensors"))  # a file inside the folder works too
    bias = LAYERS * (HEADS + 2 * KV) * HEAD_DIM  # 2 * 128 = 256
    assert found.params_exact == UNTIED_TOTAL + bias
    assert found.spec.qkv_bias and count_params(found.spec).total == found.params_exact


def test_mixtral_moe_config(tmp_path):
    experts, inter = 4, 32
    t = {k: v for k, v in llama_tensors().items() if ".mlp." not in k}
    for i in range(LAYERS):
        p = f"model.layers.{i}.block_sparse_moe."
        t[p + "gate.weight"] = torch.zeros(experts, H, dtype=torch.bfloat16)
        for e in range(experts):
            t[p + f"experts.{e}.w1.weight"] = torch.zeros(inter, H, dtype=torch.bfloat16)
            t[p + f"experts.{e}.w2.weight"] = torch.zeros(H, inter, dtype=torch.bfloat16)
            t[p + f"experts.{e}.w3.weight"] = torch.zeros(inter, H, dtype=torch.bfloat16)
    cfg = config(architectures=["MixtralForCausalLM"], model_type="mixtral", intermediate_size=inter,
                 num_local_experts=experts, num_experts_per_tok=2)
    found = read_model_source(str(write_model(tmp_path / "tiny-mixtral", t, cfg)))
    # dense MLPs (2 * 24,576) replaced by router 4*64 + 4 experts * 3*64*32 = 24,832 per layer
    assert found.params_exact == UNTIED_TOTAL - 2 * 24_576 + 2 * 24_832
    assert found.spec.moe is not None and found.spec.moe.experts == experts
    assert count_params(found.spec).total == found.params_exact


def test_sharded_checkpoint_with_index(tmp_path):
    folder = tmp_path / "sharded"
    folder.mkdir()
    tensors = llama_tensors()
    names = sorted(tensors)
    half = {n: tensors[n] for n in names[: len(names) // 2]}
    rest = {n: tensors[n] for n in names[len(names) // 2:]}
    safetensors_torch.save_file(half, str(folder / "model-00001-of-00002.safetensors"))
    safetensors_torch.save_file(rest, str(folder / "model-00002-of-00002.safetensors"))
    weight_map = {n: "model-00001-of-00002.safetensors" for n in half} | {
        n: "model-00002-of-00002.safetensors" for n in rest}
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": 1},
                                                                     "weight_map": weight_map}))
    (folder / "config.json").write_text(json.dumps(config()))
    assert read_model_source(str(folder)).params_exact == UNTIED_TOTAL
    # Only the index present (shards not downloaded): total_size / 2 bytes per bf16 parameter.
    index_only = tmp_path / "index-only"
    index_only.mkdir()
    (index_only / "config.json").write_text(json.dumps(config()))
    (index_only / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {"total_size": 2 * 8_030_261_248}, "weight_map": weight_map}))
    found = read_model_source(str(index_only))
    assert found.params_exact == 8_030_261_248 and found.dtypes == {"BF16": 8_030_261_248}
    # One shard of two present: refuse rather than undercount.
    (folder / "model-00002-of-00002.safetensors").unlink()
    with pytest.raises(BadInput, match="shards missing"):
        read_model_source(str(folder))


def test_missing_and_malformed_config(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BadInput, match=r"no config\.json"):
        read_model_source(str(empty))
    folder = write_model(tmp_path / "bad-json", llama_tensors(), config())
    (folder / "config.json").write_text('{"hidden_size": 64,')
    with pytest.raises(BadInput, match=r"config\.json: line 1 column \d+: not valid JSON"):
        read_model_source(str(folder))
    (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))
    with pytest.raises(BadInput, match="num_hidden_layers: missing, expected an integer"):
        read_model_source(str(folder))


def test_truncated_and_corrupt_safetensors(tmp_path):
    folder = write_model(tmp_path / "trunc", llama_tensors(), config())
    shard = folder / "model.safetensors"
    data = shard.read_bytes()
    shard.write_bytes(data[: len(data) // 2])  # data cut short
    with pytest.raises(BadInput, match="truncated safetensors data"):
        read_model_source(str(folder))
    (header_len,) = struct.unpack("<Q", data[:8])
    shard.write_bytes(data[: 8 + header_len // 2])  # header cut short
    with pytest.raises(BadInput, match="truncated safetensors header"):
        read_model_source(str(folder))
    shard.write_bytes(data[:5])
    with pytest.raises(BadInput, match="no header"):
        read_model_source(str(folder))
    shard.write_bytes(struct.pack("<Q", 2**62) + data[8:])
    with pytest.raises(BadInput, match="invalid safetensors header length"):
        read_model_source(str(folder))
    garbage = b"not json at all!"
    shard.write_bytes(struct.pack("<Q", len(garbage)) + garbage)
    with pytest.raises(BadInput, match="not valid JSON"):
        read_model_source(str(folder))


def test_zero_and_negative_sizes(tmp_path):
    folder = tmp_path / "zero"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config()))
    header = json.dumps({"w": {"dtype": "BF16", "shape": [-4, 2], "data_offsets": [0, 16]}}).encode()
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + bytes(16))
    with pytest.raises(BadInput, match="invalid shape"):
        read_model_source(str(folder))
    header = json.dumps({"w": {"dtype": "BF16", "shape": [0, 2], "data_offsets": [0, 0]}}).encode()
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header)
    with pytest.raises(BadInput, match="zero parameters"):
        read_model_source(str(folder))


def test_vision_tensors_become_params_extra(tmp_path):
    t = llama_tensors()
    t["vision_tower.patch_embed.weight"] = torch.zeros(64, 48, dtype=torch.bfloat16)
    found = read_model_source(str(write_model(tmp_path / "vlm", t, config())))
    assert found.params_exact == UNTIED_TOTAL + 64 * 48
    assert found.spec.params_extra == 64 * 48
    assert count_params(found.spec).total == found.params_exact
