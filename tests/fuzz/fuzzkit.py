"""Malformed-file fuzzing: real seeds of every format shortlist reads, mutations of them, and a CLI runner.

Used by the property-based tests in this folder (hypothesis draws the mutations) and by
scripts/fuzz.py (a seeded random generator draws them, many more). Each case writes a small valid
seed — a model folder (config.json, safetensors header, shard index), a GGUF file written with the
`gguf` package, a leaderboard CSV or parquet, an lm-eval results JSON, a custom task file with its
data — mutates it, runs the real CLI in this process and classifies what happened:

- ok: exit 0 with a sensible result (JSON that parses, positive sizes, stored scores in range);
- exit-2: exit 2 with exactly one line on stderr, no traceback, and the store unchanged;
- anything else names the contract broken: traceback, timeout, multi-line, store-changed, bad-ok, other.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import hashlib
import io
import json
import math
import os
import random
import shutil
import signal
import sqlite3
import struct
import sys
import tempfile
import time
import traceback
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

OUTCOMES = ("ok", "exit-2", "traceback", "timeout", "multi-line", "store-changed", "bad-ok", "other")
TIME_BOUND_S = 2.0  # per case: CPU seconds before the case is stopped, and wall seconds allowed


# --- choosing ---------------------------------------------------------------------------------


class Chooser(Protocol):
    def integer(self, lo: int, hi: int) -> int: ...

    def choice(self, items: Sequence[Any]) -> Any: ...


class RandomChooser:
    """Choices from a seeded random generator (scripts/fuzz.py)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, items: Sequence[Any]) -> Any:
        return items[self.rng.randrange(len(items))]


class DataChooser:
    """Choices drawn by hypothesis, so failures shrink to a small example."""

    def __init__(self, data: Any) -> None:
        from hypothesis import strategies as st

        self.data, self.st = data, st

    def integer(self, lo: int, hi: int) -> int:
        return int(self.data.draw(self.st.integers(lo, hi)))

    def choice(self, items: Sequence[Any]) -> Any:
        return items[self.integer(0, len(items) - 1)]


def chance(ch: Chooser, percent: int) -> bool:
    return ch.integer(1, 100) <= percent


# --- evil values and tree mutations -------------------------------------------------------------

SENTINEL = "\u0001splice\u0001"
EVIL: list[Any] = [
    None, True, False, 0, -1, 1, 3, 7, 30, 2**31, 2**40, 2**63, 2**64 - 1, 10**30, -(2**63), 0.5, -0.0, 1e300,
    -1e300, float("nan"), float("inf"), float("-inf"), "", "x", "0", "12", "NaN", "A" * 300, "line\nbreak\r\x0b",
    "é\u2028", "../etc", ".", "model.safetensors", [], [1, 2], ["a", "b"], [None], [[1]], {}, {"a": 1},
    {"effective": -3}, {"text": ["a"]}, list(range(30)), ["c"] * 30,
]
RAW_SPLICES = [
    "[" * 5000 + "]" * 5000,
    '{"a":' * 3000 + "1" + "}" * 3000,
    "1" * 5001,
    "-" + "9" * 4400,
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
]


def tree_paths(obj: Any, limit: int = 3000) -> list[tuple[Any, ...]]:
    """Every node's path (keys and indices) in a JSON-like tree, breadth first, at most `limit`."""
    out: list[tuple[Any, ...]] = [()]
    queue: list[tuple[tuple[Any, ...], Any]] = [((), obj)]
    while queue and len(out) < limit:
        path, node = queue.pop(0)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            out.append((*path, key))
            queue.append(((*path, key), child))
    return out


def _parent(obj: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        obj = obj[key]
    return obj


def mutate_tree(obj: Any, ch: Chooser, keys: Sequence[str] = ()) -> tuple[Any, str | None]:
    """A mutated deep copy, and raw text to splice in place of SENTINEL (deep nesting, huge numbers)."""
    obj = copy.deepcopy(obj)
    raw: str | None = None
    for _ in range(ch.integer(1, 3)):
        paths = tree_paths(obj)
        path = ch.choice(paths)
        op = ch.integer(0, 9)
        if not path:
            if op < 2:
                obj = copy.deepcopy(ch.choice(EVIL))
            continue
        parent, key = _parent(obj, path), path[-1]
        if op <= 4:  # replace with an evil value
            parent[key] = copy.deepcopy(ch.choice(EVIL))
        elif op == 5 and raw is None:  # raw text the serializer cannot write
            parent[key] = SENTINEL
            raw = ch.choice(RAW_SPLICES)
        elif op == 6:  # delete
            del parent[key]
        elif op == 7 and isinstance(parent, dict):  # add a key (known or not)
            parent[ch.choice([*keys, "unknown_key", ""]) if keys else "unknown_key"] = copy.deepcopy(ch.choice(EVIL))
        elif op == 8:  # wrap in a list or an object
            parent[key] = [parent[key]] if chance(ch, 50) else {"value": parent[key]}
        else:  # numbers scaled or negated; strings grown
            value = parent[key]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                parent[key] = ch.choice([value * 2**20, -value, value + 1, value - 1, float(value), 0])
            elif isinstance(value, str):
                parent[key] = value * ch.choice([0, 2, 100])
    return obj, raw


def dump_json(obj: Any, raw: str | None) -> str:
    text = json.dumps(obj)
    if raw is not None:
        text = text.replace(json.dumps(SENTINEL), raw, 1)
    return text


def mutate_bytes(data: bytes, ch: Chooser, region: int | None = None) -> bytes:
    """Byte-level damage: flips, truncation, insertions, Latin-1 and NUL bytes, a BOM, a duplicated chunk."""
    buf = bytearray(data)
    end = min(len(buf), region or len(buf))
    op = ch.integer(0, 7)
    pos = ch.integer(0, max(0, end - 1))
    if op == 0 and buf:
        for _ in range(ch.integer(1, 4)):
            i = ch.integer(0, max(0, end - 1))
            buf[i] ^= 1 << ch.integer(0, 7)
    elif op == 1:
        del buf[pos:]
    elif op == 2:
        buf[pos:pos] = bytes(ch.integer(0, 255) for _ in range(ch.integer(1, 8)))
    elif op == 3:
        buf[pos:pos] = ch.choice([b"\xe9", b"\xff\xfe", b"\x00", b"\xc3", b"\r\n", b'"', b",", b"\n\n"])
    elif op == 4:
        buf[0:0] = b"\xef\xbb\xbf"
    elif op == 5:
        size = ch.integer(1, 64)
        buf[pos:pos] = buf[pos:pos + size] * ch.integer(1, 50)
    elif op == 6 and buf:
        buf[pos] = ch.integer(0, 255)
    else:
        del buf[pos:pos + ch.integer(1, 32)]
    return bytes(buf)


# --- seeds: Hugging Face folders ----------------------------------------------------------------

H, LAYERS, HEADS, KV, INTER, VOCAB = 64, 2, 4, 2, 128, 100
FIT_ARGS = ["--gpu", "RTX 4090", "--context", "1k", "--json"]


def llama_config() -> dict[str, Any]:
    return {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": H,
            "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "num_key_value_heads": KV,
            "intermediate_size": INTER, "vocab_size": VOCAB, "max_position_embeddings": 4096,
            "tie_word_embeddings": False, "torch_dtype": "bfloat16", "license": "apache-2.0"}


def config_variants() -> list[dict[str, Any]]:
    """Real config shapes: dense Llama, Mixtral MoE, DeepSeek MLA+MoE, Qwen3-MoE, Gemma 3 multimodal."""
    llama = llama_config()
    mixtral = {**llama, "architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "num_local_experts": 4,
               "num_experts_per_tok": 2, "sliding_window": 4096}
    deepseek = {**llama, "architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3",
                "n_routed_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 32, "n_shared_experts": 1,
                "first_k_dense_replace": 1, "moe_layer_freq": 1, "topk_method": "noaux_tc", "kv_lora_rank": 32,
                "q_lora_rank": 48, "qk_nope_head_dim": 16, "qk_rope_head_dim": 8, "v_head_dim": 16,
                "quantization_config": {"quant_method": "fp8", "fmt": "e4m3"}}
    qwen3 = {**llama, "architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe", "num_experts": 8,
             "num_experts_per_tok": 2, "moe_intermediate_size": 32, "decoder_sparse_step": 1, "head_dim": 16,
             "use_sliding_window": False, "sliding_window": None}
    gemma3 = {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
              "text_config": {**llama, "model_type": "gemma3_text", "head_dim": 16, "sliding_window": 512,
                              "sliding_window_pattern": 6},
              "vision_config": {"hidden_size": 32, "num_hidden_layers": 1}}
    return [llama, mixtral, deepseek, qwen3, gemma3]


def llama_tensors() -> dict[str, tuple[str, list[int]]]:
    t = {"model.embed_tokens.weight": ("BF16", [VOCAB, H]), "model.norm.weight": ("F32", [H]),
         "lm_head.weight": ("BF16", [VOCAB, H])}
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        t[p + "self_attn.q_proj.weight"] = ("BF16", [H, H])
        t[p + "self_attn.k_proj.weight"] = ("BF16", [KV * H // HEADS, H])
        t[p + "mlp.down_proj.weight"] = ("BF16", [H, INTER])
        t[p + "input_layernorm.weight"] = ("F32", [H])
    return t


_WIDTH = {"BF16": 2, "F32": 4, "F16": 2, "U8": 1}


def safetensors_header(tensors: dict[str, tuple[str, list[int]]]) -> tuple[dict[str, Any], int]:
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        n = math.prod(shape) * _WIDTH[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    return header, offset


def safetensors_bytes(header: dict[str, Any], data_size: int, raw: str | None = None) -> bytes:
    text = dump_json(header, raw).encode()
    return struct.pack("<Q", len(text)) + text + bytes(data_size)


def _mutate_safetensors(header: dict[str, Any], size: int, ch: Chooser) -> bytes:
    op = ch.integer(0, 6)
    header = copy.deepcopy(header)
    names = [n for n in header if n != "__metadata__"]
    raw = None
    if op == 0:
        header, raw = mutate_tree(header, ch, ["dtype", "shape", "data_offsets", "__metadata__"])
    elif op == 1:
        header[ch.choice(names)]["dtype"] = ch.choice(
            ["F4", "U128", "bf16", "", 123, None, "F8_E4M3", "F6_E2M3", "C64", "BOOL", "I64", ["BF16"]])
    elif op == 2:
        header[ch.choice(names)]["shape"] = ch.choice(
            [None, [], [-1], [2**40, 2**40], [0], ["3"], [[1]], [1.5], [True], [2**64], list(range(1, 20))])
    elif op == 3:
        a, b = ch.choice(names), ch.choice(names)
        header[a]["data_offsets"] = ch.choice([[0], [5, 2], [0, 2**64 - 1], list(header[b]["data_offsets"]),
                                               [1.0, 2.0], None, [-4, 0], [size, size + 2]])
    elif op == 4:
        header["__metadata__"] = ch.choice(["x", 1, None, {"a": 1}, {"a": [1]}, []])
    data = safetensors_bytes(header, size, raw)
    if op == 5:  # the length prefix lies
        n = struct.unpack("<Q", data[:8])[0]
        data = struct.pack("<Q", ch.choice([0, 1, 2, n - 1, n + 1, 2**40, 2**64 - 1, 100 * 2**20 + 1])) + data[8:]
    elif op == 6 or chance(ch, 20):
        data = mutate_bytes(data, ch)
    return data


def case_safetensors(root: Path, ch: Chooser) -> list[str]:
    """A model folder whose model.safetensors header is damaged."""
    folder = root / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(llama_config()))
    header, size = safetensors_header(llama_tensors())
    target = folder / "model.safetensors"
    if not chance(ch, 90):
        target.write_bytes(safetensors_bytes(header, size))
    elif chance(ch, 6):
        target.mkdir()  # a folder named like the weights
    else:
        target.write_bytes(_mutate_safetensors(header, size, ch))
    if chance(ch, 5):
        (folder / "extra.safetensors").mkdir()
    return ["fit", str(folder), *FIT_ARGS]


def case_hf_config(root: Path, ch: Chooser) -> list[str]:
    """A model folder whose config.json is damaged (one of five real config shapes)."""
    folder = root / "model"
    folder.mkdir()
    header, size = safetensors_header(llama_tensors())
    (folder / "model.safetensors").write_bytes(safetensors_bytes(header, size))
    config = ch.choice(config_variants())
    keys = sorted({k for c in config_variants() for k in c} | {"head_dim", "license", "text_config"})
    if not chance(ch, 90):
        text = json.dumps(config).encode()
    else:
        mutated, raw = mutate_tree(config, ch, keys)
        text = dump_json(mutated, raw).encode()
        if chance(ch, 25):
            text = mutate_bytes(text, ch)
    if chance(ch, 4):
        (folder / "config.json").mkdir()
    else:
        (folder / "config.json").write_bytes(text)
    return ["fit", str(folder), *FIT_ARGS]


def case_hf_index(root: Path, ch: Chooser) -> list[str]:
    """A sharded folder (two shards + model.safetensors.index.json) with a damaged index or layout."""
    folder = root / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(llama_config()))
    tensors = list(llama_tensors().items())
    shards = {"model-00001-of-00002.safetensors": dict(tensors[: len(tensors) // 2]),
              "model-00002-of-00002.safetensors": dict(tensors[len(tensors) // 2:])}
    weight_map: dict[str, str] = {}
    total = 0
    for shard, part in shards.items():
        header, size = safetensors_header(part)
        (folder / shard).write_bytes(safetensors_bytes(header, size))
        weight_map.update(dict.fromkeys(part, shard))
        total += size
    index: dict[str, Any] = {"metadata": {"total_size": total}, "weight_map": weight_map}
    op = ch.integer(0, 6) if chance(ch, 95) else 6
    raw = None
    if op == 0:
        index, raw = mutate_tree(index, ch, ["metadata", "weight_map", "total_size"])
    elif op == 1:
        name = ch.choice(list(weight_map))
        index["weight_map"][name] = ch.choice(["", ".", "..", "sub", "x" * 300 + ".safetensors", ["a"], None, 3,
                                               "../model-00001-of-00002.safetensors", "missing.safetensors",
                                               "sub.safetensors", "a\x00b.safetensors"])
        (folder / "sub").mkdir()
        (folder / "sub.safetensors").mkdir()
    elif op == 2:  # only the index: the shards were not downloaded
        for shard in shards:
            (folder / shard).unlink()
        index["metadata"] = ch.choice([{"total_size": ch.choice(EVIL)}, "x", None, {"total_size": total}, 7])
    elif op == 3:  # one tensor listed in both shards
        first = next(iter(shards["model-00001-of-00002.safetensors"]))
        header, size = safetensors_header({**shards["model-00002-of-00002.safetensors"],
                                           first: llama_tensors()[first]})
        (folder / "model-00002-of-00002.safetensors").write_bytes(safetensors_bytes(header, size))
    elif op == 4:
        (folder / ch.choice(list(shards))).unlink()
    text = dump_json(index, raw).encode()
    if op == 5 or chance(ch, 10):
        text = mutate_bytes(text, ch)
    (folder / "model.safetensors.index.json").write_bytes(text)
    return ["fit", str(folder), *FIT_ARGS]


# --- seeds: GGUF ------------------------------------------------------------------------------------


def gguf_seed() -> tuple[dict[str, tuple[Any, int, int | None]], dict[str, Any]]:
    """Metadata (key -> value, value type, item type) and tensors of a tiny llama GGUF."""
    import numpy as np
    from gguf import GGUFValueType as T

    meta: dict[str, tuple[Any, int, int | None]] = {
        "general.architecture": ("llama", T.STRING, None),
        "general.name": ("Tiny Instruct", T.STRING, None),
        "general.license": ("apache-2.0", T.STRING, None),
        "general.file_type": (1, T.UINT32, None),
        "llama.block_count": (2, T.UINT32, None),
        "llama.embedding_length": (64, T.UINT32, None),
        "llama.feed_forward_length": (128, T.UINT32, None),
        "llama.attention.head_count": (4, T.UINT32, None),
        "llama.attention.head_count_kv": (2, T.UINT32, None),
        "llama.context_length": (8192, T.UINT32, None),
        "llama.rope.dimension_count": (16, T.UINT32, None),
        "tokenizer.ggml.tokens": ([f"t{i}" for i in range(100)], T.ARRAY, T.STRING),
        "tokenizer.ggml.scores": ([0.0] * 100, T.ARRAY, T.FLOAT32),
    }
    tensors = {
        "token_embd.weight": np.zeros((100, 64), dtype=np.float16),
        "blk.0.attn_q.weight": np.zeros((64, 64), dtype=np.float16),
        "blk.0.ffn_gate.weight": np.zeros((128, 64), dtype=np.float16),
        "blk.0.attn_norm.weight": np.ones(64, dtype=np.float32),
        "output_norm.weight": np.ones(64, dtype=np.float32),
    }
    return meta, tensors


def write_gguf(path: Path, meta: dict[str, tuple[Any, int, int | None]], tensors: dict[str, Any]) -> None:
    import gguf

    arch = meta.get("general.architecture", ("llama",))[0]
    writer = gguf.GGUFWriter(str(path), arch if isinstance(arch, str) else "llama")
    writer.kv_data[0].pop("general.architecture", None)  # written below, possibly mutated
    for key, (value, vtype, sub) in meta.items():
        writer.add_key_value(key, value, gguf.GGUFValueType(vtype), sub_type=None if sub is None else
                             gguf.GGUFValueType(sub))
    for name, array in tensors.items():
        writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def gguf_fields(data: bytes) -> list[tuple[int, int]]:
    """(offset, width) of every count, length, type and offset field in a GGUF header (seed files only)."""
    fields: list[tuple[int, int]] = [(8, 8), (16, 8), (4, 4)]
    pos = 24
    n_tensors, n_kv = struct.unpack_from("<QQ", data, 8)

    def skip_value(vtype: int) -> None:
        nonlocal pos
        sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
        if vtype in sizes:
            pos += sizes[vtype]
        elif vtype == 8:
            fields.append((pos, 8))
            pos += 8 + struct.unpack_from("<Q", data, pos)[0]
        else:
            fields.append((pos, 4))
            item = struct.unpack_from("<I", data, pos)[0]
            fields.append((pos + 4, 8))
            count = struct.unpack_from("<Q", data, pos + 4)[0]
            pos += 12
            for _ in range(count):
                skip_value(item)

    for _ in range(n_kv):
        fields.append((pos, 8))
        pos += 8 + struct.unpack_from("<Q", data, pos)[0]
        fields.append((pos, 4))
        vtype = struct.unpack_from("<I", data, pos)[0]
        pos += 4
        skip_value(vtype)
    for _ in range(n_tensors):
        fields.append((pos, 8))
        pos += 8 + struct.unpack_from("<Q", data, pos)[0]
        fields.append((pos, 4))
        n_dims = struct.unpack_from("<I", data, pos)[0]
        pos += 4
        fields += [(pos + 8 * i, 8) for i in range(n_dims)]
        pos += 8 * n_dims
        fields += [(pos, 4), (pos + 4, 8)]
        pos += 12
    return fields


_GGUF_EVIL_META: list[tuple[Any, int, int | None]] = [
    (0, 4, None), (2**32 - 1, 4, None), (2**40, 10, None), (10**9, 10, None), (-5, 5, None), (1.5, 6, None),
    (True, 7, None), ("sixty-four", 8, None), ([4, 4], 9, 4), ([0, 0], 9, 4), (["a"], 9, 8),
    (3, 4, None), (1, 4, None), (4096, 4, None), (float("nan"), 12, None), (2**63, 10, None),
]


def case_gguf(root: Path, ch: Chooser) -> list[str]:
    """A tiny llama GGUF written by the gguf package, then damaged in its metadata, counts or bytes."""
    import numpy as np

    meta, tensors = gguf_seed()
    path = root / "tiny-instruct.gguf"
    op = ch.integer(0, 5) if chance(ch, 95) else -1
    if op == 0:  # metadata values of the wrong type or range
        for _ in range(ch.integer(1, 3)):
            key = ch.choice([*meta, "llama.expert_count", "llama.expert_used_count", "llama.attention.key_length",
                             "llama.attention.kv_lora_rank", "llama.vocab_size", "llama.attention.sliding_window",
                             "general.alignment", "llama.leading_dense_block_count"])
            meta[key] = ch.choice(_GGUF_EVIL_META)
    elif op == 1:  # architecture changed or removed
        if chance(ch, 50):
            meta.pop("general.architecture")
        else:
            meta["general.architecture"] = ch.choice([("qwen3moe", 8, None), (7, 4, None), ("", 8, None),
                                                      ("x" * 100, 8, None)])
    elif op == 2:  # tensor shapes and types
        name = ch.choice(list(tensors))
        tensors[name] = ch.choice([np.zeros((3, 7), dtype=np.float32), np.zeros((1,), dtype=np.float16),
                                   np.zeros((2, 2, 2, 2), dtype=np.float32), np.zeros((64,), dtype=np.int8)])
    write_gguf(path, meta, tensors)
    data = path.read_bytes()
    if op == 3:  # a count, length, type or offset field set to an impossible value
        fields = gguf_fields(data)
        for _ in range(ch.integer(1, 2)):
            pos, width = ch.choice(fields)
            old = int.from_bytes(data[pos:pos + width], "little")
            value = ch.choice([0, 1, old + 1, old - 1 if old else 3, old * 2, 2**40, 2**63, 2**64 - 1, 2**32 - 1,
                               13, 9, 8, 31, 100])
            data = data[:pos] + (value % 2 ** (8 * width)).to_bytes(width, "little") + data[pos + width:]
    elif op == 4:
        data = mutate_bytes(data, ch, region=len(data) if chance(ch, 30) else 2_000)
    elif op == 5 and chance(ch, 50):
        data = data[: ch.integer(0, len(data))]
    path.write_bytes(data)
    return ["fit", str(path), *FIT_ARGS]


# --- seeds: leaderboards ----------------------------------------------------------------------------

MODELS = ["meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-7B-Instruct", "acme/unknown-7b"]
V2_COLUMNS = ["model_name", "model_precision", "model_average_score", "evaluations_ifeval_value",
              "evaluations_bbh_value", "evaluations_math_value", "evaluations_gpqa_value", "evaluations_musr_value",
              "evaluations_mmlu_pro_value", "metadata_params_billions", "metadata_hub_license",
              "features_is_official_provider", "model_architecture"]


def leaderboard_tables() -> list[tuple[str, list[list[str]], list[str]]]:
    """(name, rows with header, extra CLI arguments) of the four CSV shapes the importers read."""
    v2 = [V2_COLUMNS] + [[m, "bfloat16", "30.5", "0.71", "0.5", "0.12", "0.3", "0.4", "0.35", "8.03", "llama3.1",
                          "True", "LlamaForCausalLM"] for m in MODELS]
    v1 = [["fullname", "precision", "average", "arc", "hellaswag", "mmlu", "truthfulqa", "winogrande", "gsm8k",
           "params_b", "hub_license"]] + [[m, "float16", "60", "60.1", "82.3", "65.0", "45.5", "77.0", "50.2", "7",
                                          "apache-2.0"] for m in MODELS]
    arena = [["rank", "model", "arena_score", "95_pct_ci", "votes", "license"]] + [
        [str(i + 1), m, str(1200 - 10 * i), "+5/-4", "1000", "llama3.1"] for i, m in enumerate(MODELS)]
    mapped = [["Model", "IF score", "TQA"]] + [[m, "80.5", "0.5"] for m in MODELS]
    return [("open_llm_leaderboard_v2_2025-03-21.csv", v2, []), ("open_llm_leaderboard_v1.csv", v1, []),
            ("lmarena_text.csv", arena, []),
            ("vendor.csv", mapped, ["--map", "model=Model,ifeval=IF score,truthfulqa_mc2=TQA"])]


EVIL_CELLS = ["", "NaN", "nan", "inf", "-inf", "1e309", "-5", "150", "1e-400", "0x1A", "1" * 400, "A" * 5000,
              "x\ny", "\u2028", "é", "\x00", "\ufeff0.5", " 0.5 ", "True", "+5/-", "+1e400/-2", "-0", "1,5"]


def case_leaderboard_csv(root: Path, ch: Chooser) -> list[str]:
    name, rows, extra = ch.choice(leaderboard_tables())
    rows = [list(r) for r in rows]
    for _ in range(ch.integer(0, 3)):
        op = ch.integer(0, 5)
        if len(rows) < 2 or not rows[0]:
            break
        if op <= 2:
            r = ch.integer(0, len(rows) - 1)
            if rows[r]:
                rows[r][ch.integer(0, len(rows[r]) - 1)] = ch.choice(EVIL_CELLS)
        elif op == 3 and rows and rows[0]:  # duplicate or drop a column
            c, dup = ch.integer(0, len(rows[0]) - 1), chance(ch, 50)
            for r in rows:
                if c < len(r):
                    r.append(r[c]) if dup else r.pop(c)
        elif op == 4:
            rows.append(list(rows[ch.integer(1, len(rows) - 1)]) + (["extra"] if chance(ch, 30) else []))
        else:
            rows = rows[: ch.integer(0, len(rows))]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    data = buf.getvalue().encode("utf-8", errors="surrogatepass")
    if chance(ch, 25):
        data = mutate_bytes(data, ch)
    path = root / name
    path.write_bytes(data)
    return ["leaderboard", "import", str(path), *extra, "--json"]


def case_parquet(root: Path, ch: Chooser) -> list[str]:
    """An Open LLM Leaderboard `contents` parquet (the dataset's own column names), damaged."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, list[Any]] = {
        "fullname": list(MODELS), "Precision": ["bfloat16"] * 3, "Average ⬆️": [30.1, 25.0, 10.0],
        "IFEval Raw": [0.71, 0.6, 0.2], "BBH Raw": [0.5, 0.4, 0.3], "MATH Lvl 5 Raw": [0.1, 0.2, 0.05],
        "GPQA Raw": [0.3, 0.28, 0.25], "MUSR Raw": [0.4, 0.35, 0.3], "MMLU-PRO Raw": [0.35, 0.3, 0.1],
        "Hub License": ["llama3.1", "apache-2.0", None], "#Params (B)": [8.03, 7.6, 7.0],
        "Official Providers": [True, True, False],
    }
    names = list(columns)
    arrays = [pa.array(v) for v in columns.values()]
    for _ in range(ch.integer(0, 3)):
        op = ch.integer(0, 3)
        i = ch.integer(0, len(names) - 1)
        if op == 0:
            names[i] = ch.choice(names)  # a duplicated column name
        elif op == 1:
            arrays[i] = pa.array(ch.choice([[None] * 3, [1, 2, 3], [[1], [2], []], ["x", "", "NaN"],
                                            [float("nan"), float("inf"), -1.0], [{"a": 1}] * 3, [True] * 3,
                                            ["A" * 1000] * 3, [2**62, 0, -1]]))
        elif op == 2 and len(names) > 1:
            del names[i], arrays[i]
        else:
            names[i] = ch.choice(["", "x\ny", "fullname ", "é"])
    if chance(ch, 15):  # no rows, or the same row many times
        rows = pa.array([0] * ch.integer(0, 5), type=pa.int64())
        arrays = [a.take(rows) for a in arrays]
    path = root / "contents.parquet"
    pq.write_table(pa.Table.from_arrays(arrays, names=names), str(path))
    if chance(ch, 20):
        path.write_bytes(mutate_bytes(path.read_bytes(), ch))
    return ["leaderboard", "import", str(path), "--json"]


def lm_eval_seed() -> dict[str, Any]:
    return {
        "results": {
            "gsm8k": {"alias": "gsm8k", "exact_match,strict-match": 0.42, "exact_match_stderr,strict-match": 0.013,
                      "exact_match,flexible-extract": 0.45},
            "arc_challenge": {"alias": "arc_challenge", "acc,none": 0.5, "acc_norm,none": 0.53,
                              "acc_norm_stderr,none": 0.014},
            "leaderboard_bbh_navigate": {"acc_norm,none": 0.6},
            "leaderboard_bbh": {"acc_norm,none": 0.45, "acc_norm_stderr,none": "N/A"},
        },
        "groups": {"leaderboard_bbh": {"acc_norm,none": 0.45, "acc_norm_stderr,none": "N/A"}},
        "group_subtasks": {"leaderboard_bbh": ["leaderboard_bbh_navigate"], "gsm8k": [], "arc_challenge": []},
        "n-samples": {"gsm8k": {"original": 1319, "effective": 1319},
                      "arc_challenge": {"original": 1172, "effective": 1172},
                      "leaderboard_bbh_navigate": {"original": 250, "effective": 250}},
        "config": {"model": "hf", "model_args": "pretrained=meta-llama/Llama-3.1-8B-Instruct,dtype=bfloat16",
                   "batch_size": "auto"},
        "model_name": "meta-llama/Llama-3.1-8B-Instruct",
        "date": 1735725600.0,
    }


def case_lm_eval(root: Path, ch: Chooser) -> list[str]:
    data = lm_eval_seed()
    keys = ["results", "groups", "group_subtasks", "n-samples", "config", "model_args", "model_name", "date",
            "effective", "original", "pretrained", "gsm8k"]
    if chance(ch, 90):
        data, raw = mutate_tree(data, ch, keys)
        text = dump_json(data, raw).encode()
        if chance(ch, 15):
            text = mutate_bytes(text, ch)
    else:
        text = json.dumps(data).encode()
    path = root / "results_2025-01-01T10-00-00.json"
    path.write_bytes(text)
    return ["leaderboard", "import", str(path), "--own", "--json"]


# --- seeds: custom tasks ----------------------------------------------------------------------------

MC_ROWS = [{"question": "Which port does HTTPS use?", "choices": ["80", "443", "8080"], "answer": 1},
           {"question": "What does DNS resolve?", "choices": ["Names to addresses", "MAC addresses"], "answer": "A"},
           {"question": "Which is a NoSQL database?", "choices": ["PostgreSQL", "MongoDB"], "answer": "MongoDB"}]
GEN_ROWS = [{"prompt": "Q: What is 6 * 7?\nA:", "reference": "42"},
            {"prompt": "Q: Capital of Japan?\nA:", "reference": ["Tokyo", "Tōkyō"]},
            {"prompt": "Q: 2 + 2?\nA:", "reference": "4"}]
TASK_KEYS = ["name", "data", "type", "prompt", "description", "target_delimiter", "fewshot_delimiter",
             "num_fewshot", "fewshot_data", "fields", "choice_format", "answer_index_base", "until", "max_tokens",
             "scorers", "judge", "tasks"]


def task_settings(kind: str) -> dict[str, Any]:
    if kind == "multiple_choice":
        return {"name": "fuzz_mc", "data": "data.jsonl", "type": "multiple_choice",
                "prompt": "Question: {question}\n{choices}\nAnswer:", "num_fewshot": 1, "choice_format": "letter"}
    return {"name": "fuzz_gen", "data": "data.jsonl", "type": "generate", "prompt": "{prompt}",
            "until": ["\n\n"], "max_tokens": 16, "scorers": ["exact", {"name": "regex", "pattern": "(\\d+)"}, "f1"]}


YAML_SPLICES = [
    "until: null\n", "num_fewshot: " + "9" * 5001 + "\n", "prompt: " + "[" * 3000 + "\n",
    "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d]\n"
    "judge: {model: 'openai:x@http://127.0.0.1:9/v1', rubric: [*e, *e, *e, *e, *e, *e, *e, *e]}\n",
    "fields: " + "{a: " * 2000 + "b" + "}" * 2000 + "\n", "max_tokens: 2024-13-45\n", "? [a, b]\n: c\n",
    "<<: *undefined\n", "description: \"\\ud800\"\n", "prompt: '{question:>999999999}'\n",
    "prompt: '{question.__class__}'\n", "prompt: '{0}'\n", "tasks: 7\n", "tasks: []\n",
]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return "nan" if value != value else ("inf" if value == float("inf") else "-inf" if value == float("-inf")
                                             else repr(value))
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()
                               if v is not None) + "}"
    return json.dumps(str(value))


def toml_text(settings: dict[str, Any]) -> str:
    """A small TOML writer (tomllib only reads): every setting a key = value line."""
    return "".join(f"{json.dumps(str(k))} = {_toml_value(v)}\n" for k, v in settings.items() if v is not None)


def _rows(kind: str, ch: Chooser, mutate: bool) -> list[dict[str, Any]]:
    rows = copy.deepcopy(MC_ROWS if kind == "multiple_choice" else GEN_ROWS)
    if mutate:
        i = ch.integer(0, len(rows) - 1)
        rows[i], _ = mutate_tree(rows[i], ch, ["question", "choices", "answer", "prompt", "reference", "A", "B"])
    return rows


def _jsonl(rows: list[Any], ch: Chooser, splice: bool) -> bytes:
    lines = [json.dumps(r) for r in rows]
    if splice:
        lines[ch.integer(0, len(lines) - 1)] = ch.choice(
            ['{"question": ' + "[" * 5000 + "]" * 5000 + "}", '{"answer": ' + "1" * 5001 + "}", "[1, 2]", "null",
             '{"question": "q", "choices": ' + json.dumps([str(i) for i in range(30)]) + ', "answer": 29}',
             '{"prompt": "p", "reference": []}', '{"prompt": "p", "reference": [{"a": 1}]}', "{", "\"x\""])
    return ("\n".join(lines) + "\n").encode()


def _data_csv(rows: list[dict[str, Any]], ch: Chooser, mutate: bool) -> bytes:
    header = list(dict.fromkeys(k for r in rows for k in r))
    table = [header] + [[json.dumps(r.get(k)) if isinstance(r.get(k), (list, dict)) else r.get(k, "") for k in header]
                        for r in rows]
    if mutate:
        r = ch.integer(0, len(table) - 1)
        op = ch.integer(0, 3)
        if op == 0:
            table[r][ch.integer(0, len(table[r]) - 1)] = ch.choice([*EVIL_CELLS, "[" * 3000, "[\"a\"]", "30"])
        elif op == 1:
            table[r].append("extra")
        elif op == 2:
            table[0] = [table[0][0]] * len(table[0])  # duplicated column names
        else:
            table = table[:1]
    buf = io.StringIO()
    csv.writer(buf).writerows(table)
    return buf.getvalue().encode("utf-8", errors="surrogatepass")


def _task_file(root: Path, ch: Chooser, suffix: str) -> list[str]:
    kind = ch.choice(["multiple_choice", "generate"])
    settings = task_settings(kind)
    mutate_settings = chance(ch, 70)
    raw = None
    if mutate_settings:
        settings, raw = mutate_tree(settings, ch, TASK_KEYS)
        settings = settings if isinstance(settings, dict) else {"tasks": settings}
    (root / "data.jsonl").write_bytes(_jsonl(_rows(kind, ch, chance(ch, 30)), ch, chance(ch, 10)))
    if suffix == ".yaml":
        import yaml

        text = yaml.safe_dump({k: v for k, v in settings.items() if v != SENTINEL}, allow_unicode=True)
        if raw is not None or chance(ch, 20):
            text += ch.choice(YAML_SPLICES)
    else:
        text = toml_text({k: v for k, v in settings.items() if v != SENTINEL})
        if raw is not None or chance(ch, 15):
            text += ch.choice(['until = []\n', 'num_fewshot = ' + "9" * 5001 + "\n", "a = " + "[" * 3000 + "\n",
                               'prompt = "{question:>99999999}"\n', "[tasks]\n", "max_tokens = 1979-05-27\n"])
    data = text.encode("utf-8", errors="surrogatepass")
    if chance(ch, 15):
        data = mutate_bytes(data, ch)
    path = root / f"task{suffix}"
    path.write_bytes(data)
    return ["eval", "--model", "fuzz:stub", "--tasks", str(path), "--json"]


def case_task_yaml(root: Path, ch: Chooser) -> list[str]:
    return _task_file(root, ch, ".yaml")


def case_task_toml(root: Path, ch: Chooser) -> list[str]:
    return _task_file(root, ch, ".toml")


def case_task_jsonl(root: Path, ch: Chooser) -> list[str]:
    kind = ch.choice(["multiple_choice", "generate"])
    data = _jsonl(_rows(kind, ch, chance(ch, 80)), ch, chance(ch, 25))
    if chance(ch, 20):
        data = mutate_bytes(data, ch)
    path = root / "my_task.jsonl"
    path.write_bytes(data)
    return ["eval", "--model", "fuzz:stub", "--tasks", str(path), "--json"]


def case_task_csv(root: Path, ch: Chooser) -> list[str]:
    kind = ch.choice(["multiple_choice", "generate"])
    rows = [{k: v for k, v in r.items()} for r in _rows(kind, ch, False)]
    data = _data_csv(rows, ch, chance(ch, 80))
    if chance(ch, 20):
        data = mutate_bytes(data, ch)
    path = root / "my_task.csv"
    path.write_bytes(data)
    return ["eval", "--model", "fuzz:stub", "--tasks", str(path), "--json"]


CASES: dict[str, Callable[[Path, Chooser], list[str]]] = {
    "safetensors": case_safetensors,
    "hf-config": case_hf_config,
    "hf-index": case_hf_index,
    "gguf": case_gguf,
    "leaderboard-csv": case_leaderboard_csv,
    "parquet": case_parquet,
    "lm-eval": case_lm_eval,
    "task-yaml": case_task_yaml,
    "task-toml": case_task_toml,
    "task-jsonl": case_task_jsonl,
    "task-csv": case_task_csv,
}


# --- a stub model, so custom task files run end to end with no weights --------------------------------


class StubBackend:
    """Answers every request the same way: enough for the engine to run a task file through."""

    name = "fuzz:stub"
    batch_size = 8

    def __init__(self) -> None:
        from shortlist.evaluate.backends.base import BackendStats, Capabilities

        self.capabilities = Capabilities()
        self.stats = BackendStats()

    def fingerprint(self) -> str:
        return "fuzz-stub-1"

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": "none", "device": "cpu"}

    def plan(self, groups: Sequence[Any]) -> list[list[int]]:
        from shortlist.evaluate.backends.base import simple_plan

        return simple_plan(groups, self.batch_size)

    def loglikelihood(self, groups: Sequence[Any]) -> list[list[Any]]:
        from shortlist.evaluate.types import LoglikelihoodResult

        return [[LoglikelihoodResult(-0.1 * len(r.continuation), False) for r in g] for g in groups]

    def generate(self, requests: Sequence[Any]) -> list[str]:
        return ["42" for _ in requests]


@contextlib.contextmanager
def stub_backend() -> Iterator[None]:
    from shortlist.evaluate import backends

    module = types.ModuleType("fuzzkit_stub_backend")
    module.load = lambda spec, **options: StubBackend()  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    backends.REGISTRY["fuzz"] = module.__name__
    try:
        yield
    finally:
        backends.REGISTRY.pop("fuzz", None)
        sys.modules.pop(module.__name__, None)


# --- running a case ---------------------------------------------------------------------------------


class _Timeout(BaseException):
    """Raised by the CPU-time alarm; a BaseException so no `except Exception` in the code under test eats it."""


@dataclass
class Result:
    fmt: str
    outcome: str
    code: int | None
    seconds: float
    stderr: str = ""
    detail: str = ""
    argv: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (f"{self.fmt}: {self.outcome} (exit {self.code}, {self.seconds:.2f} s) for {self.argv}\n"
                f"stderr: {self.stderr[-1500:]}\n{self.detail[-3000:]}")


def db_digest(path: Path) -> str | None:
    """The logical content of a SQLite store (schema and rows), or None when there is no file."""
    if not path.exists():
        return None
    conn = sqlite3.connect(str(path))
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


def _run_cli(argv: list[str]) -> tuple[int | None, str, str, str]:
    """(exit code, stdout, stderr, traceback) of shortlist.cli.main run in this process."""
    from shortlist.cli import main

    out, err = io.StringIO(), io.StringIO()
    tb = ""
    code: int | None = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) or exc.code is None else 1
        except _Timeout:
            raise
        except BaseException:  # the contract is broken: record it as a traceback
            code, tb = None, traceback.format_exc()
    return code, out.getvalue(), err.getvalue(), tb


def _sensible(fmt: str, stdout: str, db: Path) -> str:
    """Why an exit-0 result is not sensible, or ''."""
    try:
        out = json.loads(stdout)
    except ValueError:
        return "stdout is not JSON"
    if fmt in ("safetensors", "hf-config", "hf-index", "gguf"):
        ok = (isinstance(out, dict) and isinstance(out.get("params_total"), int) and out["params_total"] > 0
              and isinstance(out.get("fits"), bool))
        return "" if ok else "fit JSON lacks a positive params_total or fits"
    if fmt.startswith("task-"):
        return "" if isinstance(out, dict) and out.get("tasks") else "eval JSON lacks tasks"
    if not (isinstance(out, dict) and 0 <= out.get("rows_stored", -1) <= out.get("rows_read", -1)):
        return "import JSON lacks rows_read >= rows_stored >= 0"
    conn = sqlite3.connect(str(db))
    try:
        for model, bench, value in conn.execute("SELECT model, benchmark, value FROM scores"):
            if not isinstance(value, float) or not math.isfinite(value):
                return f"stored a non-finite score {value!r} for {model}"
            if bench != "lmarena_text" and not 0 <= value <= 1:
                return f"stored {bench} = {value} for {model}, outside 0-1"
            if not model or "\n" in model or len(model) > 300:
                return f"stored a model name {model[:40]!r}"
    finally:
        conn.close()
    return ""


class Runner:
    """Runs cases in fresh folders against a template store, classifying each outcome."""

    def __init__(self, base: Path) -> None:
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.templates: dict[str, tuple[Path, str | None]] = {}

    def _template(self, family: str) -> tuple[Path, str | None]:
        """A store that one valid import (or eval) has already migrated and written to."""
        if family not in self.templates:
            folder = self.base / f"template-{family}"
            folder.mkdir(exist_ok=True)
            db = folder / "store.db"
            if family != "fit":
                seed = CASES["leaderboard-csv" if family == "import" else "task-jsonl"]
                argv = [*seed(folder, ValidSeed()), "--db", str(db)]
                with stub_backend():
                    code, _, err, tb = _run_cli(argv)
                assert code == 0, f"the valid seed failed: {err}{tb}"
            self.templates[family] = (db, db_digest(db))
        return self.templates[family]

    def run(self, fmt: str, ch: Chooser) -> Result:
        return self.run_built(fmt, lambda case: CASES[fmt](case, ch))

    def run_built(self, fmt: str, build: Callable[[Path], list[str]]) -> Result:
        """Write a case with `build` (files in a fresh folder -> CLI arguments), run it and classify it."""
        family = "fit" if fmt in ("safetensors", "hf-config", "hf-index", "gguf") else (
            "eval" if fmt.startswith("task-") else "import")
        template, digest = self._template(family)
        case = Path(tempfile.mkdtemp(prefix=f"{fmt}-", dir=self.base))
        try:
            argv = build(case)
            db = case / "store.db"
            if template.exists():
                shutil.copyfile(template, db)
            return self._classify(fmt, [*argv, "--db", str(db)] if family != "fit" else argv, db, digest)
        finally:
            shutil.rmtree(case, ignore_errors=True)

    def _classify(self, fmt: str, argv: list[str], db: Path, digest: str | None) -> Result:
        def on_alarm(signum: int, frame: Any) -> None:
            raise _Timeout

        previous = signal.signal(signal.SIGVTALRM, on_alarm)
        signal.setitimer(signal.ITIMER_VIRTUAL, TIME_BOUND_S)
        start = time.perf_counter()
        env = os.environ.get("SHORTLIST_DB")
        os.environ["SHORTLIST_DB"] = str(db)  # fit takes the store from the environment
        try:
            with stub_backend():
                code, stdout, stderr, tb = _run_cli(argv)
        except _Timeout:
            return Result(fmt, "timeout", None, time.perf_counter() - start, argv=argv)
        finally:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
            signal.signal(signal.SIGVTALRM, previous)
            if env is None:
                os.environ.pop("SHORTLIST_DB", None)
            else:
                os.environ["SHORTLIST_DB"] = env
        seconds = time.perf_counter() - start
        result = Result(fmt, "other", code, seconds, stderr, tb, argv)
        lines = [ln for ln in stderr.splitlines() if ln.strip()]
        if tb or "Traceback" in stderr:
            result.outcome = "traceback"
        elif seconds > TIME_BOUND_S:
            result.outcome = "timeout"
        elif code == 0:
            why = _sensible(fmt, stdout, db)
            result.outcome, result.detail = ("ok", "") if not why else ("bad-ok", why)
        elif code == 2 and len(lines) == 1 and lines[0].startswith("Error: "):
            result.outcome = "exit-2" if db_digest(db) == digest else "store-changed"
        elif code == 2:
            result.outcome = "multi-line"
        return result


class ValidSeed:
    """A chooser that picks the first option and loses every chance(): each case's valid seed itself."""

    def integer(self, lo: int, hi: int) -> int:
        return hi if lo == 1 and hi == 100 else lo

    def choice(self, items: Sequence[Any]) -> Any:
        return items[0]
