"""The fuzz kit lives beside these tests and is shared with scripts/fuzz.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fuzzkit


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> fuzzkit.Runner:
    return fuzzkit.Runner(tmp_path_factory.mktemp("fuzz"))
