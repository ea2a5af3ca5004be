"""Latency as one user feels it: time to first token, time per output token, the whole request.

TTFT is the prompt at the prefill rate (the first token comes out of the last prefill step); each later token
costs one decode step at the context reached halfway through the answer; the request ends after
TTFT + (output - 1) × TPOT. Network, queueing and sampling overheads are left out, so a loaded server is slower.
The bands are the calibrated model's validation errors (bench/speed_accuracy.py), not a guess.
"""

from __future__ import annotations

from shortlist.catalog.schema import GPUSpec
from shortlist.fit.memory import Plan
from shortlist.fit.schema import Latency, Measured
from shortlist.fit.speed import decode_step_s, prefill_tokens_per_s

DEFAULT_PROMPT_TOKENS = 1000
DEFAULT_OUTPUT_TOKENS = 300
# 80th-percentile absolute error of the calibrated model on the validation half (bench/speed_accuracy.py).
DECODE_BAND_PCT = 19.0
PREFILL_BAND_PCT = 32.0


def estimate_latency(p: Plan, prompt_tokens: int, output_tokens: int, host: GPUSpec | None = None) -> Latency:
    prefill = prefill_tokens_per_s(p, prompt_tokens, host)
    ttft = prompt_tokens / prefill
    tpot = decode_step_s(p, prompt_tokens + output_tokens // 2, 1, host)
    e2e = ttft + max(output_tokens - 1, 0) * tpot
    e2e_band = (ttft * PREFILL_BAND_PCT + (e2e - ttft) * DECODE_BAND_PCT) / e2e if e2e > 0 else DECODE_BAND_PCT
    return Latency(
        prompt_tokens=prompt_tokens, output_tokens=output_tokens, ttft_s=round(ttft, 4), tpot_s=round(tpot, 5),
        e2e_s=round(e2e, 3), ttft_band_pct=PREFILL_BAND_PCT, tpot_band_pct=DECODE_BAND_PCT,
        e2e_band_pct=round(e2e_band, 1), basis="estimate",
        detail=f"{prompt_tokens:,} prompt tokens at {prefill:,.0f} tok/s prefill, then one decode step per token "
               f"at {prompt_tokens + output_tokens // 2:,} tokens of context; no network or queueing",
    )


def measured_latency(m: Measured) -> Latency:
    """The measured run's medians as a Latency (bands: the spread between p50 and p95)."""
    ttft, tpot = m.ttft_p50_s, m.itl_p50_s
    e2e = ttft + max(m.output_tokens - 1, 0) * tpot

    def spread(p50: float, p95: float) -> float:
        return round((p95 - p50) / p50 * 100, 1) if p50 > 0 else 0.0

    return Latency(
        prompt_tokens=m.prompt_tokens, output_tokens=m.output_tokens, ttft_s=round(ttft, 4), tpot_s=round(tpot, 5),
        e2e_s=round(e2e, 3), ttft_band_pct=spread(m.ttft_p50_s, m.ttft_p95_s),
        tpot_band_pct=spread(m.itl_p50_s, m.itl_p95_s), e2e_band_pct=spread(m.itl_p50_s, m.itl_p95_s),
        basis="measured",
        detail=f"measured {m.measured_at} on {m.device}: {m.requests} requests at concurrency {m.concurrency}, "
               f"p50 (band to p95) of {m.source}",
    )
