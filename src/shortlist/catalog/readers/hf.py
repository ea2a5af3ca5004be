"""A Hugging Face checkpoint folder: config.json -> architecture, safetensors headers -> exact sizes.

Only headers are read (readers/safetensors.py), and every file the folder holds is user input: the
config is checked field by field (readers/hf_config.py), the shard index names plain files in the
folder, and sizes must agree with the files on disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shortlist.catalog.readers import ModelFile
from shortlist.catalog.readers.hf_config import (
    HFConfigError,
    declared_layers,
    quantization_of,
    spec_from_config,
    text_config,
)
from shortlist.catalog.readers.safetensors import SafetensorsError, Tensor, read_header
from shortlist.errors import BadInput, FormatError, shown
from shortlist.files import MiB, file_kind, load_json, read_utf8

__all__ = [
    "HFConfigError", "SafetensorsError", "is_extra_tensor", "quantization_of", "read_hf_dir", "read_json",
    "read_safetensors_header", "spec_from_config", "text_config",
]

TORCH_DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8}
MAX_CONFIG = 16 * MiB  # real config.json files are under 1 MB
MAX_INDEX = 64 * MiB  # the largest real index (DeepSeek-V3, 91k tensors) is about 9 MB
MAX_TOTAL_SIZE = 2**50  # a petabyte of weights: far beyond any checkpoint
# Tensors outside the text decoder, counted as params_extra (multimodal checkpoints).
_EXTRA_PREFIXES = ("vision_tower", "vision_model", "multi_modal_projector", "visual.", "model.vision", "audio_tower")
_INDEX = "model.safetensors.index.json"


def read_json(path: Path, error: type[FormatError] = HFConfigError, max_bytes: int = MAX_CONFIG) -> Any:
    """A JSON file from a checkpoint folder, with size, UTF-8 and nesting guards."""
    return load_json(read_utf8(path, error, "JSON file", max_bytes), path, error, max_depth=32)


def read_safetensors_header(path: Path) -> dict[str, dict[str, Any]]:
    """The tensor table of one .safetensors file, as the header spells it (dtype, shape, data_offsets)."""
    return {name: {"dtype": t.dtype, "shape": list(t.shape), "data_offsets": [t.begin, t.end]}
            for name, t in read_header(path).items()}


def _shard_names(index_path: Path, index: Any) -> list[str]:
    """The distinct shard file names the index's weight_map points to, each a plain file name."""
    if not isinstance(index, dict):
        raise SafetensorsError(index_path, "", f"is {shown(index)}, expected a JSON object with weight_map",
                               "fix or re-download the file")
    meta = index.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        raise SafetensorsError(index_path, "metadata", f"is {shown(meta)}, expected a JSON object")
    weight_map = index.get("weight_map")
    if not isinstance(weight_map, dict) or not weight_map:
        raise SafetensorsError(index_path, "weight_map", f"is {shown(weight_map)}, expected an object of "
                               "tensor name -> shard file", "fix or re-download the file")
    names: set[str] = set()
    for tensor, shard in weight_map.items():
        field = f"weight_map.{shown(tensor)}"
        if not isinstance(shard, str):
            raise SafetensorsError(index_path, field, f"is {shown(shard)}, expected a shard file name")
        if (not shard.endswith(".safetensors") or len(shard) > 255 or "/" in shard or "\\" in shard
                or "\x00" in shard or shard.startswith(".")):
            raise SafetensorsError(index_path, field, f"is {shown(shard)}, expected a *.safetensors file name "
                                   "in the same folder", "fix or re-download the index")
        names.add(shard)
    return sorted(names)


def tensor_table(folder: Path) -> tuple[dict[str, Tensor], list[Path]]:
    """All tensors of a folder's safetensors shards (all *.safetensors, or those the index names)."""
    index_path = folder / _INDEX
    if file_kind(index_path) is not None:
        files = [folder / f for f in _shard_names(index_path, read_json(index_path, SafetensorsError, MAX_INDEX))]
    else:
        files = sorted(folder.glob("*.safetensors"))
    table: dict[str, Tensor] = {}
    for f in files:
        if file_kind(f) is None:
            continue  # a missing shard: reported by the caller, which knows whether only the index is here
        for name, tensor in read_header(f).items():
            if name in table:
                raise SafetensorsError(f, f"tensor {shown(name)}", "is also stored in another shard",
                                       "each tensor belongs to one shard; re-download the checkpoint")
            table[name] = tensor
    return table, files


def is_extra_tensor(name: str, layers: int) -> bool:
    """Outside the text decoder: vision/audio towers, projectors, and layers past num_hidden_layers (MTP)."""
    if name.startswith(_EXTRA_PREFIXES) or ".vision_tower." in name:
        return True
    parts = name.split(".")
    if "layers" in parts:
        i = parts.index("layers")
        if i + 1 < len(parts):
            index = parts[i + 1]
            if index.isascii() and index.isdigit() and (len(index) > 6 or int(index) >= layers):
                return True
    return False


def _index_only_count(folder: Path, config: dict[str, Any]) -> tuple[int, int, dict[str, int]]:
    """Only the index is here: its metadata.total_size over the config's dtype width gives the count."""
    index_path = folder / _INDEX
    index = read_json(index_path, SafetensorsError, MAX_INDEX)
    meta = index.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        raise SafetensorsError(index_path, "metadata", f"is {shown(meta)}, expected a JSON object")
    total_size = (meta or {}).get("total_size")
    if isinstance(total_size, float) and total_size.is_integer():
        total_size = int(total_size)
    if isinstance(total_size, bool) or not isinstance(total_size, int) or not 0 < total_size <= MAX_TOTAL_SIZE:
        raise SafetensorsError(index_path, "metadata.total_size", f"is {shown(total_size)}, expected the weights' "
                               f"size in bytes (1 to {MAX_TOTAL_SIZE:,})", "download the safetensors shards")
    decoder = text_config(config)
    dtype = config.get("torch_dtype") or decoder.get("torch_dtype") or config.get("dtype") or "bfloat16"
    width = TORCH_DTYPE_BYTES.get(dtype) if isinstance(dtype, str) else None
    if width is None:
        raise HFConfigError(folder / "config.json", "torch_dtype", f"is {shown(dtype)}, expected one of "
                            f"{', '.join(TORCH_DTYPE_BYTES)}", "download the safetensors shards")
    total = total_size // width
    return total_size, total, {dtype.upper().replace("BFLOAT16", "BF16").replace("FLOAT", "F"): total}


def read_hf_dir(folder: Path, model_id: str | None = None) -> ModelFile:
    config_path = folder / "config.json"
    if file_kind(config_path) is None:
        raise BadInput(f"{folder}: no config.json", "pass a checkpoint folder with config.json and *.safetensors")
    config = read_json(config_path)
    where = str(config_path)
    layers = declared_layers(config, where)  # checks the config is an object with a sane layer count first
    table, files = tensor_table(folder)
    dtypes: dict[str, int] = {}
    total = extra = nbytes = 0
    for name, t in table.items():
        dtypes[t.dtype] = dtypes.get(t.dtype, 0) + t.elements
        total += t.elements
        nbytes += t.nbytes
        if is_extra_tensor(name, layers):
            extra += t.elements
    missing = [f.name for f in files if file_kind(f) is None]
    if missing or not table:
        if file_kind(folder / _INDEX) is None or table:
            what = f"shards missing: {', '.join(shown(m) for m in missing[:3])}" if missing else \
                "no *.safetensors files"
            raise BadInput(f"{folder}: {what}", "download the weights, or pass the repo id with --online")
        nbytes, total, dtypes = _index_only_count(folder, config)
    if total <= 0:
        raise BadInput(f"{folder}: the checkpoint holds zero parameters", "download the weights again")
    spec = spec_from_config(config, model_id or folder.resolve().name, total, set(table) or None,
                            params_extra=extra, source=f"config.json and safetensors headers in {folder}",
                            where=where)
    return ModelFile(spec=spec, path=str(folder), format="safetensors", params_exact=total, weight_bytes=nbytes,
                     dtypes=dtypes, quantization=quantization_of(config, dtypes, where))
