"""Turning what a user types (8k, 20GB, a repo id, a .gguf path) into fit inputs, with clear errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from shortlist.catalog.schema import ModelSpec
from shortlist.errors import BadInput, NotFound, Offline

_CONTEXT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([km]?)\s*$", re.IGNORECASE)
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(b|kb|kib|mb|mib|gb|gib|tb|tib)?\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 10**3, "kib": 2**10, "mb": 10**6, "mib": 2**20, "gb": 10**9, "gib": 2**30,
          "tb": 10**12, "tib": 2**40}
_FILE_DTYPES = {"BF16": "bf16", "F16": "fp16", "F32": "fp32", "F8_E4M3": "fp8", "F8_E5M2": "fp8"}


def parse_context(text: str | int) -> int:
    """'8k' -> 8192, '32K' -> 32768, '1m' -> 1048576, '131072' -> 131072 (k = 1024 tokens)."""
    if isinstance(text, int):
        value = text
    else:
        m = _CONTEXT.match(text)
        if not m:
            raise BadInput(f"cannot read context '{text}'", "write it like 8k, 32K or 131072")
        value = round(float(m.group(1)) * {"": 1, "k": 1024, "m": 1024**2}[m.group(2).lower()])
    if value <= 0:
        raise BadInput(f"context must be positive, got '{text}'")
    return value


def parse_bytes(text: str) -> int:
    """'20GB' (10^9), '20GiB' (2^30), '512MiB'; a bare number is GiB."""
    m = _SIZE.match(text)
    if not m:
        raise BadInput(f"cannot read memory size '{text}'", "write it like 20GB, 19.5GiB or 20480MiB")
    value = float(m.group(1)) * _UNITS[(m.group(2) or "gib").lower()]
    if value <= 0:
        raise BadInput(f"memory size must be positive, got '{text}'")
    return round(value)


@dataclass(frozen=True)
class ResolvedModel:
    spec: ModelSpec
    precision: str | None = None  # the file's own precision, when read from a file
    weights_bytes_exact: int | None = None
    source: str = "catalog"
    warnings: tuple[str, ...] = ()  # what the files say that the estimate should not hide


PARAMS_MISMATCH = 0.10  # files vs config.json: a gap this large is missing shards or an unusual layout


def _params_warnings(spec: ModelSpec, fmt: str) -> tuple[str, ...]:
    """A folder whose safetensors hold far fewer (or more) parameters than its config.json implies."""
    from shortlist.fit.params import count_params

    implied = count_params(spec).total
    stored = spec.params_total
    if fmt != "safetensors" or implied <= 0 or abs(stored - implied) / implied <= PARAMS_MISMATCH:
        return ()
    return (f"the safetensors files hold {stored / 1e9:.3g}B parameters but config.json implies "
            f"{implied / 1e9:.3g}B: missing shards or an unusual layout; memory follows the files, and the "
            "active count is capped at what they hold",)


def _file_precision(quantization: str | None, dtypes: dict[str, int]) -> str | None:
    if quantization:
        q = quantization.lower()
        from shortlist.fit.formats import FORMATS

        if q in FORMATS:
            return q
        return {"gptq-4bit": "gptq-int4", "gptq-8bit": "gptq-int8", "awq-4bit": "awq", "bnb-4bit": "nf4",
                "bnb-8bit": "int8", "fp8": "fp8"}.get(q)
    if dtypes:
        main = max(dtypes, key=lambda k: dtypes[k])
        return _FILE_DTYPES.get(main.upper())
    return None


def resolve_model(name: str, online: bool = False) -> ResolvedModel:
    """A catalog id/alias, a local folder, a .gguf file, or a Hub repo id (cached, or fetched with online)."""
    from shortlist import catalog

    path = Path(name).expanduser()
    if path.exists():
        mf = catalog.read_model_source(name)
        precision = _file_precision(mf.quantization, mf.dtypes)
        exact = mf.weight_bytes if precision else None
        return ResolvedModel(mf.spec, precision, exact, source=mf.format, warnings=_params_warnings(mf.spec, mf.format))
    if name.lower().endswith(".gguf"):
        raise NotFound(f"no such file: {name}", "check the path to the .gguf file")
    try:
        return ResolvedModel(catalog.get_model(name))
    except NotFound as not_in_catalog:
        if "/" not in name:
            raise
        try:
            mf = catalog.read_model_source(name, online=online)
        except Offline:
            if online:
                raise
            raise NotFound(f"unknown model '{name}': not in the catalog or the local Hugging Face cache",
                           "pass --online to read its config from the Hub, or see `shortlist models`") from None
        except (NotFound, BadInput):
            raise not_in_catalog from None
        precision = _file_precision(mf.quantization, mf.dtypes)
        return ResolvedModel(mf.spec, precision, None, source="hub")

