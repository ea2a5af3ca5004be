"""A GGUF file's header (metadata and tensor table), parsed by hand within the file's own bounds.

GGUF stores counts as 64-bit integers that a reader would otherwise trust: an array "of 2^40 items"
in a 1 MB file made the `gguf` package loop for minutes, and a tensor offset of 2^64-1 wrapped around.
Here every count is checked against the bytes left before anything is read (count x smallest entry
<= bytes left), every value type, tensor type and dimension against the format's lists, and every
tensor's bytes against the data section, so a damaged file costs at most one pass over its header.
Only the metadata and tensor table are read; the file is memory-mapped, never loaded.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from shortlist.errors import FormatError, MissingExtra, shown
from shortlist.files import require_file


class GGUFError(FormatError):
    """A GGUF file whose header breaks the GGUF format or holds impossible values."""

    format_name = "GGUF"


VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32
MAX_DIMS = 4  # GGML_MAX_DIMS
MAX_KEY = 65_535
MAX_NAME = 256  # llama.cpp allows 64-byte tensor names; leave room
MAX_ARRAY_NESTING = 3
# value type -> (name, struct code, size); STRING (8) and ARRAY (9) are variable-sized
SCALARS: dict[int, tuple[str, str, int]] = {
    0: ("UINT8", "B", 1), 1: ("INT8", "b", 1), 2: ("UINT16", "H", 2), 3: ("INT16", "h", 2),
    4: ("UINT32", "I", 4), 5: ("INT32", "i", 4), 6: ("FLOAT32", "f", 4), 7: ("BOOL", "?", 1),
    10: ("UINT64", "Q", 8), 11: ("INT64", "q", 8), 12: ("FLOAT64", "d", 8),
}
STRING, ARRAY = 8, 9
_MIN_SIZE = {**{t: s for t, (_, _, s) in SCALARS.items()}, STRING: 8, ARRAY: 12}
_HINT = "the file is damaged; download it again"


@dataclass(frozen=True)
class StringArray:
    """An array of strings, counted and bounds-checked but not decoded (tokenizer vocabularies are large)."""

    count: int

    def __len__(self) -> int:
        return self.count


@dataclass(frozen=True)
class GGUFTensor:
    type_name: str
    shape: tuple[int, ...]  # GGUF order: innermost dimension first
    elements: int
    nbytes: int
    offset: int  # from the start of the data section


@dataclass
class GGUFHeader:
    version: int
    metadata: dict[str, Any] = field(default_factory=dict)
    tensors: dict[str, GGUFTensor] = field(default_factory=dict)
    data_offset: int = 0


class _Cursor:
    """Reads little- or big-endian values from a buffer, refusing to step past its end."""

    def __init__(self, path: Path, buf: Any, order: str) -> None:
        self.path, self.buf, self.order, self.pos, self.size = path, buf, order, 0, len(buf)

    def left(self) -> int:
        return self.size - self.pos

    def need(self, n: int, what: str) -> None:
        if n > self.left():
            raise GGUFError(self.path, what, f"needs {n:,} bytes at offset {self.pos:,}, the file has "
                            f"{self.left():,} left (truncated or corrupt)", _HINT)

    def unpack(self, code: str, size: int, what: str) -> Any:
        self.need(size, what)
        (value,) = struct.unpack_from(self.order + code, self.buf, self.pos)
        self.pos += size
        return value

    def u32(self, what: str) -> int:
        return int(self.unpack("I", 4, what))

    def u64(self, what: str) -> int:
        return int(self.unpack("Q", 8, what))

    def raw_string(self, what: str, max_len: int) -> bytes:
        n = self.u64(what)
        if n > max_len:
            raise GGUFError(self.path, what, f"string length {n:,}, expected at most {max_len:,}", _HINT)
        self.need(n, what)
        data = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return data

    def string(self, what: str, max_len: int) -> str:
        data = self.raw_string(what, max_len)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise GGUFError(self.path, what, "is not UTF-8 text", _HINT) from None

    def count(self, what: str, min_item: int) -> int:
        """A 64-bit count, refused unless that many of the smallest item fit in the bytes left."""
        n = self.u64(what)
        if n * min_item > self.left():
            raise GGUFError(self.path, what, f"count {n:,} cannot fit in the {self.left():,} bytes left "
                            f"(each item takes at least {min_item} bytes)", _HINT)
        return n


def _value(cur: _Cursor, vtype: int, key: str, nesting: int = 0) -> Any:
    if vtype in SCALARS:
        _, code, size = SCALARS[vtype]
        return cur.unpack(code, size, key)
    if vtype == STRING:  # values are free text: a stray byte is replaced, not fatal
        return cur.raw_string(key, cur.left()).decode("utf-8", errors="replace")
    if vtype != ARRAY:
        raise GGUFError(cur.path, key, f"value type {vtype}, expected one of 0-12", _HINT)
    if nesting >= MAX_ARRAY_NESTING:
        raise GGUFError(cur.path, key, f"arrays nested deeper than {MAX_ARRAY_NESTING} levels", _HINT)
    item = cur.u32(key)
    if item not in _MIN_SIZE:
        raise GGUFError(cur.path, key, f"array item type {item}, expected one of 0-12", _HINT)
    n = cur.count(f"{key} (array)", _MIN_SIZE[item])
    if item in SCALARS:  # a compact numpy copy: never more memory than the bytes in the file
        _, code, size = SCALARS[item]
        if n == 0:
            return np.empty(0, dtype=np.dtype(code))
        values = np.frombuffer(cur.buf, dtype=np.dtype(code).newbyteorder(cur.order), count=n, offset=cur.pos)
        cur.pos += n * size
        return values.copy()
    if item == STRING:
        for _ in range(n):  # bounded by the count check: each string takes at least its 8-byte length
            length = cur.u64(key)
            cur.need(length, key)
            cur.pos += length
        return StringArray(n)
    return [_value(cur, ARRAY, key, nesting + 1) for _ in range(n)]


def _quant_sizes() -> dict[int, tuple[str, int, int]]:
    """ggml type id -> (name, block size, bytes per block), from the gguf package."""
    try:
        from gguf import GGML_QUANT_SIZES
    except ImportError:
        raise MissingExtra("gguf", "hf") from None
    return {int(t): (t.name, block, size) for t, (block, size) in GGML_QUANT_SIZES.items()}


def _tensor_info(cur: _Cursor, sizes: dict[int, tuple[str, int, int]]) -> tuple[str, list[int], int, int]:
    name = cur.string("tensor name", MAX_NAME)
    what = f"tensor {shown(name)}"
    n_dims = cur.u32(what)
    if not 1 <= n_dims <= MAX_DIMS:
        raise GGUFError(cur.path, what, f"has {n_dims:,} dimensions, expected 1 to {MAX_DIMS}", _HINT)
    dims = [cur.u64(what) for _ in range(n_dims)]
    ggml_type = cur.u32(what)
    if ggml_type not in sizes:
        raise GGUFError(cur.path, f"{what}.type", f"is {ggml_type}, expected a ggml type "
                        f"({', '.join(n for n, _, _ in sizes.values())})", "the file is damaged or newer than "
                        "the installed gguf package")
    return name, dims, ggml_type, cur.u64(what)


def _alignment(path: Path, metadata: dict[str, Any], types: dict[str, int]) -> int:
    if "general.alignment" not in metadata:
        return DEFAULT_ALIGNMENT
    value = metadata["general.alignment"]
    if types["general.alignment"] != 4 or value == 0 or value & (value - 1) or value > 2**20:
        raise GGUFError(path, "general.alignment", f"is {shown(value)}, expected a power of two up to 2^20 "
                        "stored as UINT32", _HINT)
    return int(value)


def read_gguf_header(path: Path) -> GGUFHeader:
    """Metadata and tensor table of a GGUF file, every entry checked; GGUFError names the first bad one."""
    size = require_file(path, GGUFError, "a .gguf file")
    if size < 24:
        raise GGUFError(path, "", f"truncated GGUF ({size} bytes, shorter than the 24-byte preamble)", _HINT)
    sizes = _quant_sizes()
    try:
        with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return _parse(path, buf, sizes)
    except OSError as exc:
        raise GGUFError(path, "", f"cannot be read ({exc.strerror})", "check the file's permissions") from None


def _parse(path: Path, buf: Any, sizes: dict[int, tuple[str, int, int]]) -> GGUFHeader:
    if bytes(buf[:4]) != b"GGUF":
        raise GGUFError(path, "magic", "not a GGUF file (bad magic bytes)", "pass a .gguf model file")
    (version,) = struct.unpack_from("<I", buf, 4)
    order = "<"
    if version & 0xFFFF == 0:  # written on a big-endian machine
        order = ">"
        (version,) = struct.unpack_from(">I", buf, 4)
    if version not in VERSIONS:
        raise GGUFError(path, "version", f"is {version:,}, expected 2 or 3",
                        "the file is corrupt, or from a GGUF version this reader does not know")
    cur = _Cursor(path, buf, order)
    cur.pos = 8
    tensor_count = cur.u64("tensor_count")
    kv_count = cur.u64("kv_count")
    # smallest entries: a 1-byte key + type + 1-byte value = 14 bytes; a tensor with a 0-byte name = 32 bytes
    if kv_count * 14 + tensor_count * 32 > cur.left():
        raise GGUFError(path, "kv_count/tensor_count", f"{kv_count:,} keys and {tensor_count:,} tensors cannot "
                        f"fit in a {len(buf):,}-byte file", _HINT)
    header = GGUFHeader(version)
    types: dict[str, int] = {}
    for _ in range(kv_count):
        key = cur.string("metadata key", MAX_KEY)
        if not key:
            raise GGUFError(path, "metadata key", "is empty, expected a name like general.architecture", _HINT)
        if key in types:
            raise GGUFError(path, shown(key), "appears twice, expected unique metadata keys", _HINT)
        vtype = cur.u32(key)
        header.metadata[key] = _value(cur, vtype, key)
        types[key] = vtype
    infos = [_tensor_info(cur, sizes) for _ in range(tensor_count)]
    alignment = _alignment(path, header.metadata, types)
    data_offset = -(-cur.pos // alignment) * alignment
    if data_offset > len(buf):
        raise GGUFError(path, "tensor data", "missing: the file ends inside the header", _HINT)
    header.data_offset = data_offset
    data_size = len(buf) - data_offset
    for name, dims, ggml_type, offset in infos:
        header.tensors[name] = _tensor(path, header.tensors, name, dims, sizes[ggml_type], offset, alignment,
                                       data_size)
    _check_overlaps(path, header.tensors)
    return header


def _tensor(path: Path, seen: dict[str, GGUFTensor], name: str, dims: list[int], quant: tuple[str, int, int],
            offset: int, alignment: int, data_size: int) -> GGUFTensor:
    what = f"tensor {shown(name)}"
    if name in seen:
        raise GGUFError(path, what, "appears twice, expected unique tensor names", _HINT)
    type_name, block, block_bytes = quant
    if any(d == 0 for d in dims) or dims[0] % block:
        raise GGUFError(path, f"{what}.shape", f"is {dims}, expected positive sizes with the first a multiple of "
                        f"{block} ({type_name} blocks)", _HINT)
    elements = 1
    for d in dims:
        elements *= d
        if elements // block * block_bytes > data_size:
            raise GGUFError(path, f"{what}.shape", f"{dims} x {type_name} needs more bytes than the file's "
                            f"{data_size:,}-byte data section", _HINT)
    nbytes = elements // block * block_bytes
    if offset % alignment:
        raise GGUFError(path, f"{what}.offset", f"is {offset:,}, expected a multiple of the alignment {alignment}",
                        _HINT)
    if offset + nbytes > data_size:
        raise GGUFError(path, f"{what}.offset", f"truncated GGUF: the tensor ends at byte {offset + nbytes:,} of a "
                        f"{data_size:,}-byte data section", _HINT)
    return GGUFTensor(type_name, tuple(dims), elements, nbytes, offset)


def _check_overlaps(path: Path, tensors: dict[str, GGUFTensor]) -> None:
    spans = sorted((t.offset, t.offset + t.nbytes, name) for name, t in tensors.items())
    for (_, end_a, name_a), (begin_b, _, name_b) in pairwise(spans):
        if begin_b < end_a:
            raise GGUFError(path, f"tensor {shown(name_b)}.offset", f"overlaps tensor {shown(name_a)}, expected "
                            "disjoint byte ranges", _HINT)
