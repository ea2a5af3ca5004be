"""`shortlist measure` against the real llama-cpp-python server on loopback, and its one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from shortlist.evaluate.measure import llamacpp_server, parse_concurrency, percentile


def _shortlist(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHORTLIST_DB": str(db)}
    return subprocess.run([sys.executable, "-m", "shortlist", *args], capture_output=True, text=True, timeout=600,
                          check=False, env=env)


def _one_line_error(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and needle in lines[0], proc.stderr


@pytest.fixture(scope="module")
def server_url(smollm2_gguf: Path) -> Iterator[str]:
    pytest.importorskip("llama_cpp")
    with llamacpp_server(smollm2_gguf, 1024) as url:
        yield url


@pytest.mark.slow
def test_measure_a_real_streaming_server(server_url: str, tmp_path: Path):
    db = tmp_path / "m.db"
    proc = _shortlist("measure", f"openai:{server_url}", "--prompt-tokens", "48", "--output-tokens", "12",
                      "--concurrency", "1,2", "--requests", "3", "--gpu", "CPU DDR5 dual-channel 64GB",
                      "--as", "HuggingFaceTB/SmolLM2-135M-Instruct", "--precision", "q4_1", "--json", db=db)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["model"] == "HuggingFaceTB/SmolLM2-135M-Instruct" and data["device"] == "CPU DDR5 dual-channel 64GB"
    one, two = data["levels"]
    assert (one["concurrency"], one["requests"], one["errors"]) == (1, 3, 0)
    assert one["output_tokens"] == 12  # min_tokens holds the length
    assert 0 < one["ttft_p50_s"] <= one["ttft_p95_s"] and 0 < one["itl_p50_s"] <= one["itl_p95_s"]
    assert one["tokens_per_s_per_request"] > 0 and one["tokens_per_s_total"] > 0
    assert two["concurrency"] == 2 and two["requests"] == 3
    assert len(data["stored_ids"]) >= 1
    # fit now shows the measurement for this model on that device
    fit = _shortlist("fit", "HuggingFaceTB/SmolLM2-135M-Instruct", "--gpu", "CPU DDR5 dual-channel 64GB",
                     "--precision", "q4_1", "--json", db=db)
    assert fit.returncode == 0, fit.stderr
    result = json.loads(fit.stdout)
    assert result["measured"]["requests"] == 3 and result["latency"]["basis"] == "measured"
    assert result["decode_tokens_per_s"] == pytest.approx(one["tokens_per_s_per_request"], abs=0.1)
    table = _shortlist("fit", "HuggingFaceTB/SmolLM2-135M-Instruct", "--gpu", "CPU DDR5 dual-channel 64GB",
                       "--precision", "q4_1", db=db)
    assert "measured " in table.stdout and "latency (measured" in table.stdout
    other = _shortlist("fit", "HuggingFaceTB/SmolLM2-135M-Instruct", "--gpu", "CPU DDR5 dual-channel 64GB",
                       "--precision", "q8_0", "--json", db=db)
    assert json.loads(other.stdout)["measured"] is None  # another weight format is not this measurement


@pytest.mark.slow
def test_measure_a_local_gguf_and_fit_shows_it(smollm2_gguf: Path, tmp_path: Path):
    pytest.importorskip("llama_cpp")
    db = tmp_path / "m.db"
    proc = _shortlist("measure", f"llamacpp:{smollm2_gguf}", "--prompt-tokens", "32", "--output-tokens", "8",
                      "--requests", "2", db=db)
    assert proc.returncode == 0, proc.stderr
    assert "TTFT p50" in proc.stdout and "stored for `shortlist fit SmolLM2-135M-Instruct.Q4_1`" in proc.stdout
    fit = _shortlist("fit", str(smollm2_gguf), "--json", db=db)
    result = json.loads(fit.stdout)
    assert result["measured"] is not None and result["measured"]["prompt_tokens"] == 32


class _JsonOnly(BaseHTTPRequestHandler):
    """A server that ignores stream=true and answers one JSON object."""

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        self.rfile.read(length)
        body = json.dumps({"choices": [{"text": "hi", "index": 0}]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_non_streaming_server_exits_2(tmp_path: Path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _JsonOnly)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        proc = _shortlist("measure", f"openai:m@{url}", "--requests", "1", db=tmp_path / "m.db")
        _one_line_error(proc, "does not stream")
    finally:
        server.shutdown()


@pytest.mark.parametrize(("args", "needle"), [
    (["--requests", "0"], "--requests must be positive"),
    (["--prompt-tokens", "-5"], "--prompt-tokens must be positive"),
    (["--output-tokens", "0"], "--output-tokens must be positive"),
    (["--concurrency", "1,0"], "--concurrency needs positive"),
    (["--concurrency", "a"], "cannot read --concurrency"),
])
def test_bad_input_exits_2_with_one_line(args: list[str], needle: str, tmp_path: Path):
    proc = _shortlist("measure", "openai:m@http://127.0.0.1:9/v1", *args, db=tmp_path / "m.db")
    _one_line_error(proc, needle)


def test_bad_targets_exit_2(tmp_path: Path):
    _one_line_error(_shortlist("measure", "llamacpp:/no/such/file.gguf", db=tmp_path / "m.db"), "no such GGUF file")
    _one_line_error(_shortlist("measure", "hf:some/model", db=tmp_path / "m.db"), "cannot measure")


def test_helpers():
    assert parse_concurrency("1,4,16") == [1, 4, 16]
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5 and percentile([], 95) == 0.0
    assert percentile([1.0, 2.0], 100) == 2.0
