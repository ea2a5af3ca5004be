"""Measure a running model the way a user feels it: streamed requests, timed token by token.

A target is `openai:<model>@<url>` (any OpenAI-compatible server that streams /v1/completions: vLLM, SGLang,
llama.cpp, llama-cpp-python, Ollama) or `llamacpp:<file.gguf>` (started here with llama-cpp-python's server on
loopback, measured, stopped). Each request sends a prompt of about N tokens and asks for M tokens with
`min_tokens` / `ignore_eos`, so the answer has the requested length where the server honours them; the counts
that came back are what is reported. Every prompt starts with its own number, so no server can answer it from a
cached prefix (llama-cpp-python and vLLM reuse a repeated prompt's KV cache). For each concurrency level, K
requests run with that many in flight.

Per request: time to first token (TTFT), the gaps between streamed tokens (inter-token latency, ITL), and its
decode rate (tokens after the first over the time after the first). Per level: TTFT and ITL p50/p95, mean
decode rate per request, total output tokens over wall time, and errors.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from shortlist.errors import BadInput, NotFound, Offline

SERVER_START_S = 120.0
REQUEST_TIMEOUT_S = 600.0
PROMPT_WORD = " hello"  # one token in the common BPE vocabularies: N words is about N prompt tokens


@dataclass
class RequestTiming:
    ok: bool
    ttft_s: float = 0.0
    itls_s: list[float] = field(default_factory=list)
    tokens: int = 0
    total_s: float = 0.0
    error: str = ""

    @property
    def decode_tokens_per_s(self) -> float:
        spent = sum(self.itls_s)
        return (self.tokens - 1) / spent if self.tokens > 1 and spent > 0 else 0.0


@dataclass
class LevelResult:
    """One concurrency level: what `shortlist measure` prints and stores."""

    concurrency: int
    requests: int
    errors: int
    prompt_tokens: int
    output_tokens: int  # mean tokens received per successful request
    ttft_p50_s: float
    ttft_p95_s: float
    itl_p50_s: float
    itl_p95_s: float
    tokens_per_s_per_request: float
    tokens_per_s_total: float
    wall_s: float
    first_error: str = ""
    asked_tokens: int = 0


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in [0, 100]); 0 for no values."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def parse_concurrency(text: str) -> list[int]:
    try:
        levels = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise BadInput(f"cannot read --concurrency '{text}'", "write it like 1,4,16") from None
    if not levels or any(c <= 0 for c in levels):
        raise BadInput(f"--concurrency needs positive whole numbers, got '{text}'", "write it like 1,4,16")
    return levels


def check_sizes(prompt_tokens: int, output_tokens: int, requests: int) -> None:
    if prompt_tokens <= 0:
        raise BadInput(f"--prompt-tokens must be positive, got {prompt_tokens}")
    if output_tokens <= 0:
        raise BadInput(f"--output-tokens must be positive, got {output_tokens}")
    if requests <= 0:
        raise BadInput(f"--requests must be positive, got {requests}", "measure at least one request per level")


def _stream_once(client: object, url: str, body: dict[str, object]) -> RequestTiming:
    import httpx

    assert isinstance(client, httpx.Client)
    start = time.perf_counter()
    stamps: list[float] = []
    try:
        with client.stream("POST", url, json=body, timeout=REQUEST_TIMEOUT_S) as resp:
            if resp.status_code != 200:
                resp.read()
                return RequestTiming(False, error=f"HTTP {resp.status_code}: {resp.text[:200]}")
            kind = resp.headers.get("content-type", "")
            if "text/event-stream" not in kind:
                resp.read()
                raise NotStreaming(kind or "no content-type")
            for line in resp.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                try:
                    chunk = json.loads(data)
                except ValueError:
                    continue
                choices = chunk.get("choices") or []
                if choices and (choices[0].get("text") or (choices[0].get("delta") or {}).get("content")):
                    stamps.append(time.perf_counter())
    except NotStreaming:
        raise
    except httpx.HTTPError as exc:
        return RequestTiming(False, error=f"{type(exc).__name__}: {exc}")
    end = time.perf_counter()
    if not stamps:
        return RequestTiming(False, error="the stream carried no tokens", total_s=end - start)
    itls = [b - a for a, b in itertools.pairwise(stamps)]
    return RequestTiming(True, ttft_s=stamps[0] - start, itls_s=itls, tokens=len(stamps), total_s=end - start)


class NotStreaming(Exception):
    """The server answered a stream=true request with something other than server-sent events."""


def measure_server(base_url: str, model: str, prompt_tokens: int, output_tokens: int, concurrency: list[int],
                   requests: int, api_key: str | None = None) -> list[LevelResult]:
    """Measure every concurrency level against an OpenAI-compatible server; BadInput if it does not stream."""
    import httpx

    check_sizes(prompt_tokens, output_tokens, requests)
    url = base_url.rstrip("/") + "/completions"
    body: dict[str, object] = {"prompt": PROMPT_WORD * prompt_tokens, "max_tokens": output_tokens, "stream": True,
                               "temperature": 0.0, "min_tokens": output_tokens, "ignore_eos": True}
    if model:
        body["model"] = model
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    out: list[LevelResult] = []
    with httpx.Client(headers=headers) as client:
        try:  # one warm-up request (model load, CUDA graphs, caches), not counted
            _stream_once(client, url, {**body, "max_tokens": 2, "min_tokens": 2})
        except NotStreaming as exc:
            raise BadInput(f"the server at {base_url} does not stream (answered {exc} to stream=true)",
                           "measure needs a server that streams /v1/completions as server-sent events") from None
        except httpx.ConnectError:
            raise Offline(f"cannot connect to {base_url}", "start the server, or check the URL and port") from None
        for level in concurrency:
            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=level) as pool:
                try:
                    bodies = [_unique(body, level, i) for i in range(requests)]
                    timings = list(pool.map(lambda b: _stream_once(client, url, b), bodies))
                except NotStreaming as exc:
                    raise BadInput(f"the server at {base_url} stopped streaming (answered {exc})",
                                   "measure needs a streaming server") from None
            result = _summarise(level, timings, prompt_tokens, time.perf_counter() - start)
            result.asked_tokens = output_tokens
            out.append(result)
    return out


def _unique(body: dict[str, object], level: int, i: int) -> dict[str, object]:
    """The request with a prompt no earlier request shares a prefix with."""
    return {**body, "prompt": f"{level * 1000 + i + 1}:" + str(body["prompt"])}


def _summarise(level: int, timings: list[RequestTiming], prompt_tokens: int, wall: float) -> LevelResult:
    ok = [t for t in timings if t.ok]
    itls = [g for t in ok for g in t.itls_s]
    tokens = sum(t.tokens for t in ok)
    return LevelResult(
        concurrency=level, requests=len(timings), errors=len(timings) - len(ok), prompt_tokens=prompt_tokens,
        output_tokens=round(tokens / len(ok)) if ok else 0,
        ttft_p50_s=percentile([t.ttft_s for t in ok], 50), ttft_p95_s=percentile([t.ttft_s for t in ok], 95),
        itl_p50_s=percentile(itls, 50), itl_p95_s=percentile(itls, 95),
        tokens_per_s_per_request=statistics.mean([t.decode_tokens_per_s for t in ok]) if ok else 0.0,
        tokens_per_s_total=tokens / wall if wall > 0 else 0.0, wall_s=wall,
        first_error=next((t.error for t in timings if not t.ok), ""),
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def llamacpp_server(gguf: Path, context: int, threads: int | None = None,
                    extra: Sequence[str] = ()) -> Iterator[str]:
    """llama-cpp-python's OpenAI server on 127.0.0.1 for one GGUF file, stopped on exit; yields its /v1 URL.

    `extra`: more server arguments (the tests' `--kv_overrides`)."""
    import importlib.util

    import httpx

    if importlib.util.find_spec("llama_cpp") is None:
        raise BadInput("llamacpp: targets need llama-cpp-python", "pip install 'llama-cpp-python[server]'")
    port = _free_port()
    log_dir = Path(os.environ.get("TMPDIR", "/tmp"))
    log = log_dir / f"shortlist_measure_{port}.log"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
           "--n_ctx", str(context), "--verbose", "false"]
    if threads:
        cmd += ["--n_threads", str(threads)]
    cmd += list(extra)
    with open(log, "wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, cwd=log_dir)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                tail = log.read_text(errors="replace")[-300:].strip().splitlines()
                raise BadInput(f"llama-cpp-python could not serve {gguf.name}: {tail[-1] if tail else 'no output'}",
                               f"see {log}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise BadInput(f"llama-cpp-python did not start within {SERVER_START_S:.0f} s", f"see {log}")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass(frozen=True)
class Target:
    kind: str  # "openai" | "llamacpp"
    model: str  # served model name, or the GGUF path
    url: str = ""


def parse_target(spec: str) -> Target:
    """`openai:<model>@<url>`, `openai:<url>`, or `llamacpp:<file.gguf>` (a bare .gguf path too)."""
    text = spec.strip()
    if text.startswith("openai:"):
        from shortlist.evaluate.backends.openai import parse_spec

        model, url = parse_spec(text.removeprefix("openai:"))
        return Target("openai", model, url)
    path_text = text.removeprefix("llamacpp:").removeprefix("gguf:")
    if text.startswith(("llamacpp:", "gguf:")) or path_text.lower().endswith(".gguf"):
        path = Path(path_text).expanduser()
        if not path.is_file():
            raise NotFound(f"no such GGUF file: {path_text}", "pass llamacpp:PATH/TO/model.gguf")
        return Target("llamacpp", str(path.resolve()))
    raise BadInput(f"cannot measure '{spec}'", "pass openai:MODEL@http://HOST:PORT/v1 or llamacpp:FILE.gguf")
