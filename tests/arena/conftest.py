"""Arena test helpers: a store on disk, arenas filled through the public API, real llama-cpp-python servers."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from shortlist import arena as ar
from shortlist.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "arena.db")
    yield s
    s.close()


def fill_arena(store: Store, name: str = "t", contestants: int = 3, prompts: int = 10,
               tags: tuple[str, ...] = ("x", "y")) -> list[str]:
    """An arena whose contestants' answers are stored with add_answer (no model needed): their names."""
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
    """python -m llama_cpp.server on loopback with the given GGUF; yields its /v1 URL."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python[server] is not installed (scripts/test.d/llama_cpp.sh installs it)")
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"arena_llama_server_{port}.log"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
           "--n_ctx", "2048", "--verbose", "false", *extra]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        import httpx

        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama server exited ({proc.returncode}): {log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama server not up after 90 s: {log.read_text()[-2000:]}")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def fill():
    """fill_arena, for tests (conftest modules are not importable under --import-mode=importlib)."""
    return fill_arena


@pytest.fixture
def server():
    return llama_server


# --- a scripted OpenAI-compatible server ---------------------------------------------------------------


class _Script:
    """What the scripted server does, per model name: ok, break (drops mid-answer), flaky503 (503 once),
    needs-key, judge (prefers the longer answer), biased (always [[A]]), slow (200 chunks, 50 ms apart)."""

    def __init__(self) -> None:
        self.modes: dict[str, str] = {}
        self.calls: dict[str, int] = {}
        self.auth: list[str | None] = []


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
                words = [f"w{i}" for i in range(200)]
            else:
                words = f"{model} says: {user[:40]}".split()
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
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


@pytest.fixture
def scripted_server():
    """A small OpenAI-compatible streaming server started here, scripted per model name."""
    return _scripted_server
