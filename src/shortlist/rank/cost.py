"""What a request costs: a hosted list price, or rented cards divided by what they serve.

Self-hosted: the cards' hourly price over the tokens a busy server produces per hour. Decode runs as many
concurrent sequences of the typical request as fit beside the weights (the fit layer's serving estimate),
so $/1M output tokens = price per second / aggregate decode tokens per second x 1e6; a request also pays
its prompt's prefill time: $/request = price per second x (prompt / prefill tok/s + output / decode tok/s).
Hosted: $/request = prompt x input price + output x output price, per million tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shortlist.rank.constraints import Cost

MILLION = 1_000_000


@dataclass(frozen=True)
class Workload:
    """The typical request a task sends: tokens in, tokens out."""

    prompt_tokens: int
    output_tokens: int

    @property
    def sequence_tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens


def api_cost(price_in: float, price_out: float, work: Workload, kind: str, basis: str) -> Cost:
    per_request = (work.prompt_tokens * price_in + work.output_tokens * price_out) / MILLION
    return Cost(kind, price_in, price_out, per_request, basis)


def hosted_cost(h: Any, work: Workload) -> Cost:
    """A hosted model's list price (HostedModel)."""
    kind = "api" if h.access == "api" else "endpoint"
    return api_cost(h.price_in_per_mtok, h.price_out_per_mtok, work, kind,
                    f"{h.provider} list price ({h.source_date})")


def self_hosted_cost(usd_per_card_hour: float, cards: int, decode_tps: float, prefill_tps: float,
                     batch: int, work: Workload, price_basis: str) -> Cost | None:
    """Cost of serving on rented cards at the aggregate throughput of `batch` concurrent requests."""
    if decode_tps <= 0 or prefill_tps <= 0:
        return None
    usd_per_s = usd_per_card_hour * cards / 3600.0
    out = usd_per_s / decode_tps * MILLION
    inp = usd_per_s / prefill_tps * MILLION
    per_request = usd_per_s * (work.prompt_tokens / prefill_tps + work.output_tokens / decode_tps)
    basis = (f"{cards} x ${usd_per_card_hour:g}/h ({price_basis}) / {decode_tps:,.0f} tok/s decode at "
             f"{batch} concurrent requests of {work.sequence_tokens:,} tokens, prefill {prefill_tps:,.0f} tok/s")
    return Cost("self-hosted", inp, out, per_request, basis)
