"""Where an `hf` model comes from (local folder, hub id, GGUF file) and its cache key.

Resolution and validation happen here without importing torch, so a bad path fails in
milliseconds. GGUF files are dequantized once and cached by file sha256 as a plain HF folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shortlist import paths
from shortlist.errors import BadInput, MissingExtra, NotFound, Offline
from shortlist.files import sha256_file as file_sha256

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class ModelSource:
    kind: str            # "folder" | "hub" | "gguf"
    ref: str             # folder path, hub id, or .gguf file path
    name: str            # display / score-lookup name

    def digest(self) -> str:
        """Content identity of the weights (not of the dtype they are run in)."""
        if self.kind == "gguf":
            return file_sha256(Path(self.ref))
        if self.kind == "folder":
            return _folder_digest(Path(self.ref))
        return "hub:" + self.ref


def resolve(spec: str) -> ModelSource:
    """Parse `hf:PATH`, `hf:owner/name` or `PATH.gguf` into a ModelSource, checking files exist."""
    raw = spec.removeprefix("hf:").removeprefix("gguf:")
    path = Path(raw).expanduser()
    if raw.lower().endswith(".gguf"):
        if not path.is_file():
            raise NotFound(f"model file {raw} does not exist", "pass the path of a .gguf file")
        with path.open("rb") as fh:
            if fh.read(4) != GGUF_MAGIC:
                raise BadInput(f"{raw} is not a GGUF file (bad magic bytes)", "pass a llama.cpp .gguf model file")
        from shortlist.catalog.readers.gguf_header import read_gguf_header

        read_gguf_header(path)  # bounded checks first: a damaged header must not hang the loader
        return ModelSource("gguf", str(path.resolve()), _gguf_name(path))
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise BadInput(f"{raw} has no config.json", "pass a Hugging Face model folder (save_pretrained output)")
        from shortlist.catalog.readers.hf import read_json

        read_json(path / "config.json")  # size, UTF-8 and nesting guards, one-line errors
        return ModelSource("folder", str(path.resolve()), path.resolve().name)
    if path.exists():
        raise BadInput(f"{raw} is neither a model folder nor a .gguf file",
                       "pass hf:FOLDER, hf:owner/name or FILE.gguf")
    if _HUB_ID.match(raw) and not raw.startswith((".", "/", "~")):
        return ModelSource("hub", raw, raw)
    raise NotFound(f"model path {raw} does not exist", "pass hf:FOLDER, hf:owner/name or FILE.gguf")


def _folder_digest(folder: Path) -> str:
    """config + every weight file's name, size, head and tail: cheap, and changes when weights do."""
    h = hashlib.sha256((folder / "config.json").read_bytes())
    for f in sorted(folder.iterdir()):
        if f.suffix in {".safetensors", ".bin", ".pt", ".pth"}:
            size = f.stat().st_size
            h.update(f"{f.name}:{size}".encode())
            with f.open("rb") as fh:
                h.update(fh.read(1 << 20))
                fh.seek(max(0, size - (1 << 20)))
                h.update(fh.read(1 << 20))
    return h.hexdigest()


def _gguf_name(path: Path) -> str:
    """The file stem: GGUF `general.name` is often a training-run label, not a repo id."""
    return path.stem


def gguf_folder(source: ModelSource) -> Path:
    """A save_pretrained folder for a GGUF file, built on first use and reused by sha256."""
    sha = source.digest()
    target = paths.cache_dir() / "gguf" / sha[:24]
    if (target / ".complete").is_file():
        return target
    import importlib.util

    for needed in ("gguf", "accelerate"):  # transformers needs both to read a GGUF file
        if importlib.util.find_spec(needed) is None:
            raise MissingExtra(needed, "hf")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    file = Path(source.ref)
    try:
        tok = AutoTokenizer.from_pretrained(str(file.parent), gguf_file=file.name)
        model = AutoModelForCausalLM.from_pretrained(str(file.parent), gguf_file=file.name, dtype="float32")
    except (ValueError, OSError, KeyError, RuntimeError) as exc:
        raise BadInput(f"{file}: cannot load this GGUF file ({exc})", "check the file is a complete model") from None
    # Weights are already dequantized to float32; drop the GGUF quantizer so the model saves plainly.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)
        (tmp / "source.json").write_text(json.dumps({"gguf": str(file), "sha256": sha}), encoding="utf-8")
        (tmp / ".complete").write_text("ok", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def offline_error(hub_id: str, why: str | None = None) -> Offline:
    if why and why != "HF_HUB_OFFLINE is set":
        return Offline(f"{hub_id} is not in the local Hugging Face cache and {why}",
                       "download it where you are online (huggingface-cli download) and pass hf:FOLDER")
    return Offline(
        f"cannot fetch {hub_id} from the Hugging Face Hub while offline",
        "download it first (huggingface-cli download) and pass hf:FOLDER, or unset HF_HUB_OFFLINE",
    )
