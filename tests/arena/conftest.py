"""Arena test helpers: a store on disk. Filled arenas, real llama-cpp-python servers and the scripted
OpenAI-compatible server live in tests/conftest.py (tests/web uses them too)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shortlist.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "arena.db")
    yield s
    s.close()


@pytest.fixture
def server(llama_server):
    """llama_server (tests/conftest.py) under the name these tests use."""
    return llama_server
