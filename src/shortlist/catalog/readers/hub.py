"""A Hub repo id: the local Hugging Face cache first, then (online only) config.json + safetensors headers.

Online reads fetch only config.json and the safetensors headers (a few hundred KB), never weights.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from shortlist import hub_access
from shortlist.catalog.readers import ModelFile
from shortlist.catalog.readers.hf import (
    is_extra_tensor,
    quantization_of,
    read_hf_dir,
    read_json,
    spec_from_config,
)
from shortlist.catalog.readers.hf_config import declared_layers
from shortlist.errors import BadInput, MissingExtra, NotFound, Offline

_CACHE_PATTERNS = ["config.json", "*.safetensors", "model.safetensors.index.json"]


def _cached_folder(repo_id: str) -> Path | None:
    """The newest cached snapshot holding config.json, without touching the network."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        return None
    try:
        cache_dir = os.environ.get("HF_HUB_CACHE") or None  # read now: huggingface_hub reads it at import
        folder = Path(
            snapshot_download(repo_id, local_files_only=True, allow_patterns=_CACHE_PATTERNS, cache_dir=cache_dir)
        )
    except Exception:  # not cached (LocalEntryNotFoundError and friends)
        return None
    return folder if (folder / "config.json").exists() else None


def read_hub(repo_id: str, online: bool = False) -> ModelFile:
    cached = _cached_folder(repo_id)
    if cached is not None and (any(cached.glob("*.safetensors")) or (cached / "model.safetensors.index.json").exists()):
        found = read_hf_dir(cached, model_id=repo_id)
        found.spec = found.spec.model_copy(update={"source": f"Hugging Face cache: {cached}"})
        return found
    offline = hub_access.offline_by_env()
    if not online or offline:
        why = "HF_HUB_OFFLINE=1 is set" if offline else "online access was not requested"
        hint = "unset HF_HUB_OFFLINE and pass --online" if offline else "pass --online"
        raise Offline(f"'{repo_id}' is not in the local Hugging Face cache and {why}",
                      f"{hint}, or download it (huggingface-cli download {repo_id}) and pass the folder")
    return _read_online(repo_id)


def _read_online(repo_id: str) -> ModelFile:
    try:
        from huggingface_hub import get_safetensors_metadata, hf_hub_download
        from huggingface_hub.errors import (
            EntryNotFoundError,
            GatedRepoError,
            LocalEntryNotFoundError,
            NotASafetensorsRepoError,
            RepositoryNotFoundError,
        )
    except ImportError:
        raise MissingExtra("huggingface_hub", "hub") from None
    why = hub_access.unreachable()
    if why:   # at once, rather than after the Hub client's retries
        raise Offline(f"cannot read '{repo_id}': {why}",
                      "check the network, or download the repo elsewhere and pass its folder")
    try:
        with hub_access.quiet_hub_logs():
            config = read_json(Path(hf_hub_download(repo_id, "config.json")))
            meta = get_safetensors_metadata(repo_id)
    except GatedRepoError:
        raise BadInput(f"'{repo_id}' is gated on the Hub",
                       "accept its terms on huggingface.co and set HF_TOKEN") from None
    except RepositoryNotFoundError:
        raise NotFound(f"no Hub repo '{repo_id}'", "check the owner/name spelling; log in for private repos") from None
    except LocalEntryNotFoundError:  # no connection and nothing cached (subclasses EntryNotFoundError)
        raise Offline(f"cannot reach the Hugging Face Hub for '{repo_id}'",
                      "check the network, or download the repo elsewhere and pass its folder") from None
    except (EntryNotFoundError, NotASafetensorsRepoError):
        raise BadInput(f"'{repo_id}' has no config.json or safetensors weights", "pass a GGUF file instead") from None
    except OSError as exc:  # connection errors subclass OSError in requests/httpx wrappers
        raise Offline(f"cannot reach the Hugging Face Hub for '{repo_id}': {type(exc).__name__}",
                      "check the network, or set HF_HUB_OFFLINE=1 and use a local folder") from None
    if not isinstance(config, dict):
        raise BadInput(f"config.json of {repo_id} is not a JSON object")
    return _from_metadata(repo_id, config, meta)


def _from_metadata(repo_id: str, config: dict[str, Any], meta: Any) -> ModelFile:
    where = f"config.json of {repo_id}"
    layers = declared_layers(config, where)
    names: set[str] = set()
    dtypes: dict[str, int] = {}
    total = extra = nbytes = 0
    for file_meta in meta.files_metadata.values():
        for name, t in file_meta.tensors.items():
            n = 1
            for d in t.shape:
                n *= d
            names.add(name)
            dtypes[t.dtype] = dtypes.get(t.dtype, 0) + n
            total += n
            nbytes += t.data_offsets[1] - t.data_offsets[0]
            if is_extra_tensor(name, layers):
                extra += n
    if total <= 0:
        raise BadInput(f"'{repo_id}': the safetensors headers list no parameters")
    spec = spec_from_config(config, repo_id, total, names, params_extra=extra,
                            source=f"Hugging Face Hub: {repo_id} config.json and safetensors headers", where=where)
    return ModelFile(spec=spec, path=f"hf://{repo_id}", format="hub", params_exact=total, weight_bytes=nbytes,
                     dtypes=dtypes, quantization=quantization_of(config, dtypes, where))
