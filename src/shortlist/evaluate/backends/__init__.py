"""Backend registry: a name maps to a module path, imported only when that backend is used.

Adding a backend is adding one module with a `load(spec, **options)` function and one entry here.
"""

from __future__ import annotations

import importlib
from typing import Any

from shortlist.errors import NotFound
from shortlist.evaluate.backends.base import Backend, BackendStats, Capabilities

REGISTRY: dict[str, str] = {
    "hf": "shortlist.evaluate.backends.hf",
    "openai": "shortlist.evaluate.backends.openai",
    "llamacpp": "shortlist.evaluate.backends.llamacpp",
    "fake": "shortlist.evaluate.backends.fake",   # scripted answers, no model (tests, dry runs of the engine)
}


def backend_for(model: str) -> tuple[str, str]:
    """Split `--model` into (backend name, spec): `hf:X` -> hf, `llamacpp:F.gguf` -> llamacpp (llama.cpp's kernels);
    a bare .gguf path or folder -> hf."""
    head, sep, rest = model.partition(":")
    if sep and head in REGISTRY:
        return head, rest
    if sep and head == "gguf":
        return "hf", rest
    if sep and len(head) > 1 and "/" not in head and not head.endswith(".gguf"):
        raise NotFound(f"unknown model backend '{head}'", f"use one of: {', '.join(sorted(REGISTRY))}")
    return "hf", model


def load_backend(model: str, **options: Any) -> Backend:
    name, spec = backend_for(model)
    module = importlib.import_module(REGISTRY[name])
    return module.load(spec, **options)


__all__ = ["REGISTRY", "Backend", "BackendStats", "Capabilities", "backend_for", "load_backend"]
