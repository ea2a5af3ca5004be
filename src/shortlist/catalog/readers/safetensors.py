"""The header of a .safetensors file, read by hand and checked against the format's rules.

A safetensors file is an 8-byte little-endian header length, a JSON header naming every tensor's
dtype, shape and byte range in the data that follows, then the data. Exact parameter counts need
only the header, so that is all we read; and since the header comes from the user's disk, every
entry is checked before use: dtypes from the format's list, shapes of non-negative integers,
byte ranges inside the file that match dtype x shape and do not overlap.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from shortlist.errors import FormatError, shown
from shortlist.files import MiB, load_json, require_file


class SafetensorsError(FormatError):
    """A .safetensors file (or its shard index) that breaks the safetensors format."""

    format_name = "safetensors"


# Bits per element of every dtype the safetensors format defines (safetensors 0.6+; F4 and F6 pack bits).
DTYPE_BITS = {
    "BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8,
    "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32, "C64": 64, "F64": 64, "I64": 64, "U64": 64,
}
MAX_HEADER = 100 * MiB  # the format caps headers at 100 MB
MAX_RANK = 16  # real tensors have at most 5 or 6 dimensions
_HINT = "the file is damaged; download it again"


@dataclass(frozen=True)
class Tensor:
    """One tensor's entry: what the header says, already checked against the file."""

    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int
    elements: int

    @property
    def nbytes(self) -> int:
        return self.end - self.begin


def read_header(path: Path) -> dict[str, Tensor]:
    """The tensor table of one .safetensors file; SafetensorsError for anything the format forbids."""
    size = require_file(path, SafetensorsError, "a .safetensors file", "pass the weights file, not a folder")
    try:
        with path.open("rb") as fh:
            prefix = fh.read(8)
            if len(prefix) < 8:
                raise SafetensorsError(path, "", f"truncated safetensors file ({size} bytes, no header)", _HINT)
            (n,) = struct.unpack("<Q", prefix)
            if n < 2 or n > MAX_HEADER:
                raise SafetensorsError(path, "header length", f"invalid safetensors header length {n:,}, "
                                       f"expected 2 to {MAX_HEADER:,} bytes", _HINT)
            if 8 + n > size:
                raise SafetensorsError(path, "header", f"truncated safetensors header ({n:,} bytes declared, "
                                       f"{size - 8:,} present)", _HINT)
            raw = fh.read(n)
    except OSError as exc:
        raise SafetensorsError(path, "", f"cannot be read ({exc.strerror})", "check the file's permissions") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SafetensorsError(path, "header", "not valid JSON (not UTF-8 text)", _HINT) from None
    header = load_json(text, path, SafetensorsError, max_depth=4, field="header")
    if not isinstance(header, dict):
        raise SafetensorsError(path, "header", f"is {shown(header)}, expected a JSON object", _HINT)
    meta = header.pop("__metadata__", None)
    if meta is not None and not (isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())):
        raise SafetensorsError(path, "__metadata__", f"is {shown(meta)}, expected an object of strings", _HINT)
    data_size = size - 8 - n
    tensors = {name: _tensor(path, name, info, data_size) for name, info in header.items()}
    _check_overlaps(path, tensors)
    return tensors


def _tensor(path: Path, name: str, info: Any, data_size: int) -> Tensor:
    field = f"tensor {shown(name)}"
    if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= info.keys():
        raise SafetensorsError(path, field, "lacks dtype/shape/data_offsets", _HINT)
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        raise SafetensorsError(path, f"{field}.dtype", f"is {shown(dtype)}, expected one of "
                               f"{', '.join(DTYPE_BITS)}", "the file is damaged or from a newer safetensors")
    if (not isinstance(shape, list) or len(shape) > MAX_RANK
            or any(isinstance(d, bool) or not isinstance(d, int) or d < 0 for d in shape)):
        raise SafetensorsError(path, f"{field}.shape", f"invalid shape {_dims(shape)}, expected a list of at most "
                               f"{MAX_RANK} non-negative integers", _HINT)
    if (not isinstance(offsets, list) or len(offsets) != 2
            or any(isinstance(o, bool) or not isinstance(o, int) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1]):
        raise SafetensorsError(path, f"{field}.data_offsets", f"invalid byte range {shown(offsets)}, "
                               "expected [begin, end] with 0 <= begin <= end", _HINT)
    begin, end = offsets
    if end > data_size:
        raise SafetensorsError(path, f"{field}.data_offsets", f"truncated safetensors data (the tensor ends at byte "
                               f"{shown(end)} of a {data_size:,}-byte data section)", _HINT)
    elements = 0 if 0 in shape else 1
    for d in shape if elements else ():
        elements *= d
        if elements * DTYPE_BITS[dtype] > 8 * data_size:  # stop before the product outgrows the file
            break
    bits = elements * DTYPE_BITS[dtype]
    if bits % 8 or bits // 8 != end - begin:
        raise SafetensorsError(path, field, f"shape {_dims(shape)} x {dtype} does not match its {end - begin:,} bytes",
                               _HINT)
    return Tensor(dtype, tuple(shape), begin, end, elements)


def _check_overlaps(path: Path, tensors: dict[str, Tensor]) -> None:
    """No two tensors may share bytes (the format lays them out one after another)."""
    spans = sorted((t.begin, t.end, name) for name, t in tensors.items() if t.end > t.begin)
    for (_, end_a, name_a), (begin_b, _, name_b) in pairwise(spans):
        if begin_b < end_a:
            raise SafetensorsError(path, f"tensor {shown(name_b)}.data_offsets",
                                   f"overlaps tensor {shown(name_a)}, expected disjoint byte ranges", _HINT)


def _dims(shape: Any) -> str:
    """A shape as written, when it is a short list of plain numbers; else a description."""
    if isinstance(shape, list) and len(shape) <= MAX_RANK and all(type(d) in (int, float) for d in shape):
        return "[" + ", ".join(shown(d) for d in shape) + "]"
    return shown(shape)
