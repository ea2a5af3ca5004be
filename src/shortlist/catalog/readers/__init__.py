"""Read a real model source (folder, GGUF file or Hub repo) into a ModelSpec plus exact sizes, loading no weights."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from shortlist.catalog.schema import ModelSpec
from shortlist.errors import BadInput, NotFound
from shortlist.files import file_kind

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass
class ModelFile:
    """What a checkpoint really holds: its architecture, exact parameter count and stored bytes."""

    spec: ModelSpec
    path: str
    format: Literal["safetensors", "gguf", "hub"]
    params_exact: int
    weight_bytes: int  # tensor data only (no headers or metadata)
    dtypes: dict[str, int] = field(default_factory=dict)  # dtype or GGUF quant type -> parameter count
    quantization: str | None = None  # e.g. "Q4_1", "fp8", "gptq-4bit"; None for plain 16/32-bit weights

    @property
    def bytes_per_param(self) -> float:
        return self.weight_bytes / self.params_exact


def read_model_source(arg: str, online: bool = False) -> ModelFile:
    """A folder with config.json + safetensors, a .gguf file, or an `owner/name` Hub repo id.

    Hub repos are read from the local Hugging Face cache when present; otherwise only with online=True.
    """
    text = arg.strip()
    for prefix in ("hf:", "gguf:", "file:"):
        text = text.removeprefix(prefix)
    if not text:
        raise BadInput("empty model source", "pass a folder, a .gguf file or an owner/name repo id")
    path = Path(text).expanduser()
    kind = file_kind(path)
    if kind == "folder":
        from shortlist.catalog.readers.hf import read_hf_dir

        return read_hf_dir(path)
    if kind == "other":
        raise BadInput(f"{path}: not a regular file", "pass a .gguf file or a folder with config.json")
    if kind == "file":
        if path.suffix.lower() == ".gguf" or _has_gguf_magic(path):
            from shortlist.catalog.readers.gguf import read_gguf

            return read_gguf(path)
        if path.suffix == ".safetensors" or path.name in ("config.json", "model.safetensors.index.json"):
            from shortlist.catalog.readers.hf import read_hf_dir

            return read_hf_dir(path.parent)
        raise BadInput(f"{path}: not a model file", "pass a .gguf file or a folder with config.json")
    if _REPO_ID.match(text) and not text.startswith((".", "~")) and not text.endswith(".gguf"):
        from shortlist.catalog.readers.hub import read_hub

        return read_hub(text, online=online)
    raise NotFound(f"no such file or folder: {text}", "pass a folder, a .gguf file or an owner/name repo id")


def _has_gguf_magic(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"GGUF"
    except OSError:
        return False
