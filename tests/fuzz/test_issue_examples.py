"""Every malformed file listed in issue 12, made into a file: each exits 2 with one line naming the problem.

Each example writes a valid seed (fuzzkit), breaks it the way the issue describes, runs the real CLI
and checks: exit 2, exactly one stderr line, no traceback, the store unchanged, and the line naming
the field or the problem (the `expect` text).
"""

from __future__ import annotations

import copy
import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fuzzkit
import pytest
from fuzzkit import FIT_ARGS, llama_config, llama_tensors, safetensors_bytes, safetensors_header

DEEP = "[" * 5000 + "]" * 5000


def hf_folder(root: Path, config: dict[str, Any] | None = None, config_text: str | None = None,
              header: dict[str, Any] | None = None, header_text: str | None = None) -> Path:
    folder = root / "model"
    folder.mkdir()
    (folder / "config.json").write_text(config_text or json.dumps(config or llama_config()))
    seed, size = safetensors_header(llama_tensors())
    if header_text is not None:
        text = header_text.encode()
        (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(text)) + text + bytes(size))
    else:
        (folder / "model.safetensors").write_bytes(safetensors_bytes(header or seed, size))
    return folder


def fit(folder: Path) -> list[str]:
    return ["fit", str(folder), *FIT_ARGS]


def with_config(**changes: Any) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        return fit(hf_folder(root, {**llama_config(), **changes}))
    return build


def with_config_text(text: str) -> Callable[[Path], list[str]]:
    return lambda root: fit(hf_folder(root, config_text=text))


def with_tensor(**changes: Any) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        header, _ = safetensors_header(llama_tensors())
        header["model.norm.weight"].update(changes)
        return fit(hf_folder(root, header=header))
    return build


def weights_folder(root: Path) -> list[str]:
    folder = hf_folder(root)
    (folder / "model.safetensors").unlink()
    (folder / "model.safetensors").mkdir()
    return fit(folder)


def sharded(index_change: Callable[[dict[str, Any], Path], None], drop_shards: bool = False,
            ) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        folder = hf_folder(root)
        (folder / "model.safetensors").rename(folder / "model-00001-of-00001.safetensors")
        index: dict[str, Any] = {"metadata": {"total_size": 83_712},
                                 "weight_map": dict.fromkeys(llama_tensors(), "model-00001-of-00001.safetensors")}
        index_change(index, folder)
        if drop_shards:
            (folder / "model-00001-of-00001.safetensors").unlink()
        (folder / "model.safetensors.index.json").write_text(
            index if isinstance(index, str) else json.dumps(index))
        return fit(folder)
    return build


def shard_name(name: Any, make_dir: bool = False) -> Callable[[dict[str, Any], Path], None]:
    def change(index: dict[str, Any], folder: Path) -> None:
        index["weight_map"]["lm_head.weight"] = name
        if make_dir:
            (folder / name).mkdir()
    return change


def deep_index(root: Path) -> list[str]:
    folder = hf_folder(root)
    (folder / "model.safetensors.index.json").write_text('{"weight_map": ' + DEEP + "}")
    return fit(folder)


def moe_config(missing: str) -> dict[str, Any]:
    config = {**llama_config(), "model_type": "mixtral", "num_local_experts": 4, "num_experts_per_tok": 2}
    config.pop(missing, None)
    return config


def mla_config(missing: str) -> dict[str, Any]:
    config = {**llama_config(), "model_type": "deepseek_v2", "kv_lora_rank": 32, "q_lora_rank": None,
              "qk_nope_head_dim": 16, "qk_rope_head_dim": 8, "v_head_dim": 16}
    config.pop(missing)
    return config


def safetensors_header_change(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        header, _ = safetensors_header(llama_tensors())
        change(header)
        return fit(hf_folder(root, header=header))
    return build


def f4_sized_as_bytes(header: dict[str, Any]) -> None:
    # 64 F4 values take 32 bytes; a writer that sized them as one byte each is caught
    header["model.norm.weight"]["dtype"] = "F4"


def overlap(header: dict[str, Any]) -> None:
    header["lm_head.weight"]["data_offsets"] = list(header["model.embed_tokens.weight"]["data_offsets"])


def gguf_file(change: Callable[[bytes], bytes]) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        meta, tensors = fuzzkit.gguf_seed()
        path = root / "tiny-instruct.gguf"
        fuzzkit.write_gguf(path, meta, tensors)
        path.write_bytes(change(path.read_bytes()))
        return ["fit", str(path), *FIT_ARGS]
    return build


def array_count_2_40(data: bytes) -> bytes:
    key = b"tokenizer.ggml.tokens"
    at = data.index(key) + len(key) + 8  # after the value type (ARRAY) and the item type (STRING)
    return data[:at] + struct.pack("<Q", 2**40) + data[at + 8:]


def last_tensor_offset_max(data: bytes) -> bytes:
    pos, width = fuzzkit.gguf_fields(data)[-1]  # the last tensor's data offset
    return data[:pos] + struct.pack("<Q", 2**64 - 1) + data[pos + width:]


def lm_eval(change: Callable[[dict[str, Any]], Any] | None = None, text: str | None = None,
            ) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        data = fuzzkit.lm_eval_seed()
        if change is not None:
            change(data)
        path = root / "results_2025-01-01T10-00-00.json"
        path.write_text(text if text is not None else json.dumps(data))
        return ["leaderboard", "import", str(path), "--own", "--json"]
    return build


def setter(*path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = copy.deepcopy(value)
    return change


def no_pretrained(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["config"]["model_args"] = "dtype=bfloat16"
        data["model_name"] = value
    return change


def parquet_duplicate_column(root: Path) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = ["fullname", "Precision", "IFEval Raw", "BBH Raw", "MATH Lvl 5 Raw", "GPQA Raw", "MUSR Raw",
             "MMLU-PRO Raw", "IFEval Raw"]
    arrays = [pa.array(["meta-llama/Llama-3.1-8B-Instruct"]), pa.array(["bfloat16"])] + [
        pa.array([0.5]) for _ in names[2:]]
    path = root / "contents.parquet"
    pq.write_table(pa.Table.from_arrays(arrays, names=names), str(path))
    return ["leaderboard", "import", str(path), "--json"]


def task(settings_text: bytes | str, suffix: str = ".yaml", rows: list[Any] | None = None,
         data_text: str | None = None) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        body = data_text if data_text is not None else "".join(json.dumps(r) + "\n" for r in rows or fuzzkit.MC_ROWS)
        (root / "data.jsonl").write_text(body)
        path = root / f"task{suffix}"
        path.write_bytes(settings_text.encode() if isinstance(settings_text, str) else settings_text)
        return ["eval", "--model", "fuzz:stub", "--tasks", str(path), "--json"]
    return build


GEN = "name: gen\ndata: data.jsonl\ntype: generate\n"
THIRTY = {"question": "q", "choices": [f"c{i}" for i in range(30)], "answer": 0}

# (id, format, build, text the one line must hold)
EXAMPLES: list[tuple[str, str, Callable[[Path], list[str]], str]] = [
    # HF folders (catalog/readers/hf.py)
    ("weights-are-a-folder", "safetensors", weights_folder, "model.safetensors: is a folder"),
    ("index-entry-empty", "hf-index", sharded(shard_name("")), "weight_map.'lm_head.weight': is ''"),
    ("index-entry-dot", "hf-index", sharded(shard_name(".")), "weight_map.'lm_head.weight': is '.'"),
    ("index-entry-folder", "hf-index", sharded(shard_name("sub.safetensors", make_dir=True)),
     "sub.safetensors: is a folder"),
    ("deep-config", "hf-config", with_config_text('{"hidden_size": ' + DEEP + "}"), "nested deeper than"),
    ("deep-index", "hf-index", deep_index, "model.safetensors.index.json: JSON nested deeper than"),
    ("deep-header", "safetensors", lambda root: fit(hf_folder(root, header_text='{"a": ' + DEEP + "}")),
     "model.safetensors: header: JSON nested deeper than"),
    ("weight-map-list", "hf-index", sharded(shard_name(["a.safetensors"])), "expected a shard file name"),
    ("shape-null", "safetensors", with_tensor(shape=None), "'model.norm.weight'.shape: invalid shape null"),
    ("dtype-123", "safetensors", with_tensor(dtype=123), "'model.norm.weight'.dtype: is 123, expected one of"),
    ("index-metadata-x", "hf-index", sharded(lambda index, folder: index.update(metadata="x")),
     "metadata: is 'x', expected a JSON object"),
    ("index-metadata-x-index-only", "hf-index",
     sharded(lambda index, folder: index.update(metadata="x"), drop_shards=True), "metadata: is 'x'"),
    ("shard-name-300", "hf-index", sharded(shard_name("x" * 300 + ".safetensors")),
     "expected a *.safetensors file name"),
    # config.json values (spec_from_config and callers)
    ("heads-0", "hf-config", with_config(num_attention_heads=0), "num_attention_heads: is 0"),
    ("hidden-nan", "hf-config", with_config(hidden_size=float("nan")), "hidden_size: is nan"),
    ("inter-infinity", "hf-config", with_config(intermediate_size=float("inf")), "intermediate_size: is inf"),
    ("layers-list", "hf-config", with_config(num_hidden_layers=[2]), "num_hidden_layers: is [2]"),
    ("vocab-string", "hf-config", with_config(vocab_size="100"), "vocab_size: is '100'"),
    ("moe-missing-experts-per-tok", "hf-config", lambda root: fit(hf_folder(root, moe_config("num_experts_per_tok"))),
     "num_experts_per_tok: missing"),
    ("mla-missing-qk-nope", "hf-config", lambda root: fit(hf_folder(root, mla_config("qk_nope_head_dim"))),
     "qk_nope_head_dim: missing"),
    ("license-nan", "hf-config", with_config(license=float("nan")), "license: is nan"),
    ("layers-1e30", "hf-config", with_config(num_hidden_layers=10**30), "num_hidden_layers: is 1000000000000"),
    ("head-dim-1e300", "hf-config", with_config(head_dim=1e300), "head_dim: is 1e+300"),
    # GGUF
    ("gguf-array-count-2-40", "gguf", gguf_file(array_count_2_40), "count 1,099,511,627,776 cannot fit"),
    ("gguf-offset-2-64", "gguf", gguf_file(last_tensor_offset_max), ".offset: is 18,446,744,073,709,551,615"),
    # lm-eval results JSON
    ("results-task-null", "lm-eval", lm_eval(setter("results", "gsm8k", value=None)), "results.gsm8k: is null"),
    ("results-task-number", "lm-eval", lm_eval(setter("results", "gsm8k", value=3)), "results.gsm8k: is 3"),
    ("groups-7", "lm-eval", lm_eval(setter("groups", value=7)), "groups: is 7"),
    ("config-1", "lm-eval", lm_eval(setter("config", value=1)), "config: is 1"),
    ("group-subtasks-x", "lm-eval", lm_eval(setter("group_subtasks", value="x")), "group_subtasks: is 'x'"),
    ("n-samples-empty", "lm-eval", lm_eval(setter("n-samples", "gsm8k", value={})),
     "n-samples.gsm8k: is an object with 0 keys"),
    ("n-samples-null", "lm-eval", lm_eval(setter("n-samples", "gsm8k", value=None)), "n-samples.gsm8k: is null"),
    ("n-samples-nan", "lm-eval", lm_eval(setter("n-samples", "gsm8k", "effective", value=float("nan"))),
     "n-samples.gsm8k.effective: is nan"),
    ("n-samples-infinity", "lm-eval", lm_eval(setter("n-samples", "gsm8k", "effective", value=float("inf"))),
     "n-samples.gsm8k.effective: is inf"),
    ("n-samples-3", "lm-eval", lm_eval(setter("n-samples", "gsm8k", value=3)), "n-samples.gsm8k: is 3"),
    ("lm-eval-deep", "lm-eval", lm_eval(text='{"results": {"gsm8k": ' + DEEP + "}}"), "nested deeper than"),
    ("model-name-object", "lm-eval", lm_eval(no_pretrained({"a": 1})), "model_name: is an object with 1 key"),
    ("effective-negative", "lm-eval", lm_eval(setter("n-samples", "gsm8k", "effective", value=-3)),
     "n-samples.gsm8k.effective: is -3"),
    # parquet
    ("parquet-duplicate-column", "parquet", parquet_duplicate_column, "column 'IFEval Raw' appears twice"),
    # custom task files (evaluate/custom.py, evaluate/task_files.py)
    ("yaml-latin-1", "task-yaml", task("name: caf\xe9\ndata: data.jsonl\n".encode("latin-1")),
     "task.yaml line 1: byte 0xe9 at offset 9 is not UTF-8 text"),
    ("toml-latin-1", "task-toml", task('name = "caf\xe9"\ndata = "data.jsonl"\n'.encode("latin-1"), ".toml"),
     "task.toml line 1: byte 0xe9 at offset 11 is not UTF-8 text"),
    ("yaml-deep", "task-yaml", task("data: data.jsonl\nfields: " + "[" * 5000 + "]" * 5000 + "\n"),
     "nested deeper than 32 levels"),
    ("jsonl-row-deep", "task-jsonl", task("data: data.jsonl\n", data_text='{"question": ' + DEEP + "}\n"),
     "data.jsonl line 1: JSON nested deeper than"),
    ("yaml-5001-digits", "task-yaml", task("data: data.jsonl\nnum_fewshot: " + "9" * 5001 + "\n"),
     "number too long to read"),
    ("jsonl-5001-digits", "task-jsonl",
     task("data: data.jsonl\n", data_text='{"question": "q", "choices": ["a", "b"], "answer": ' + "1" * 5001 + "}\n"),
     "data.jsonl line 1: a JSON number too long to read"),
    ("thirty-choices", "task-jsonl", task("data: data.jsonl\n", rows=[THIRTY]),
     "data.jsonl line 1: 'choices' is a list of 30 items, expected a list of 2 to 26 answers"),
    ("until-null", "task-yaml", task(GEN + "until: null\n", rows=fuzzkit.GEN_ROWS), "until: is null"),
    # safetensors dtypes and byte ranges
    ("dtype-f4-sized-as-bytes", "safetensors", safetensors_header_change(f4_sized_as_bytes),
     "'model.norm.weight': shape [64] x F4 does not match its 256 bytes"),
    ("dtype-u128", "safetensors", with_tensor(dtype="U128"), "'model.norm.weight'.dtype: is 'U128'"),
    ("overlapping-ranges", "safetensors", safetensors_header_change(overlap), "overlaps tensor"),
]


@pytest.mark.parametrize(("fmt", "build", "expect"), [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES])
def test_issue_example_exits_2_with_one_line(fmt: str, build: Callable[[Path], list[str]], expect: str,
                                             runner: fuzzkit.Runner) -> None:
    result = runner.run_built(fmt, build)
    assert result.outcome == "exit-2", result.describe()
    assert expect in result.stderr, result.describe()


def test_f4_is_a_safetensors_dtype_when_packed_two_per_byte(runner: fuzzkit.Runner) -> None:
    """F4 is in the format's dtype list (safetensors >= 0.6): 64 values in 32 bytes is a valid tensor."""
    def build(root: Path) -> list[str]:
        header, _ = safetensors_header(llama_tensors())
        norm = header["model.norm.weight"]
        norm["dtype"] = "F4"
        begin = norm["data_offsets"][0]
        norm["data_offsets"] = [begin, begin + 32]
        for entry in header.values():  # close the 224-byte gap the smaller tensor leaves
            if isinstance(entry, dict) and "data_offsets" in entry and entry["data_offsets"][0] > begin:
                entry["data_offsets"] = [o - 224 for o in entry["data_offsets"]]
        return fit(hf_folder(root, header=header))

    result = runner.run_built("safetensors", build)
    assert result.outcome == "ok", result.describe()
