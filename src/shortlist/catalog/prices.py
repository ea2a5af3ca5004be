"""What renting a card costs per hour: built-in on-demand list prices, each with its source and date.

The default price of a GPU is the median of the providers listed for it: hyperscalers sit far above
marketplaces, and neither end is what a typical team pays. `--gpu-price` replaces it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from functools import cache

from shortlist.catalog.loader import data_path, load_fact_list
from shortlist.catalog.schema import GPUPrice


@cache
def _load() -> tuple[GPUPrice, ...]:
    if not data_path("gpu_prices.yaml").is_file():
        return ()
    raw = load_fact_list("gpu_prices.yaml", "prices", _Keyed, "price")
    return tuple(k.price for k in raw.values())


class _Keyed:
    """Adapter so load_fact_list's unique-id check runs on (gpu, provider, offering)."""

    def __init__(self, price: GPUPrice) -> None:
        self.price = price
        self.id = f"{price.gpu}|{price.provider}|{price.offering}"

    @classmethod
    def model_validate(cls, fields: dict) -> _Keyed:
        return cls(GPUPrice.model_validate(fields))


@dataclass(frozen=True)
class HourlyPrice:
    usd_per_hour: float  # per card
    basis: str  # "median of 5 providers (1.99-4.29 $/h), 2026-09..2026-11" or "--gpu-price"
    low: float | None = None
    high: float | None = None
    sources: tuple[str, ...] = ()


def prices_for(gpu_id: str) -> list[GPUPrice]:
    return [p for p in _load() if p.gpu == gpu_id]


def hourly_price(gpu_id: str, override: float | None = None) -> HourlyPrice | None:
    """The per-card $/h used for self-hosting cost: the override, else the median listed price, else None."""
    if override is not None:
        return HourlyPrice(override, "--gpu-price")
    listed = prices_for(gpu_id)
    if not listed:
        return None
    values = sorted(p.usd_per_hour for p in listed)
    dates = sorted(str(p.source_date) for p in listed)
    span = dates[0][:7] if dates[0][:7] == dates[-1][:7] else f"{dates[0][:7]}..{dates[-1][:7]}"
    basis = (f"median of {len(values)} on-demand list price(s) ({values[0]:g}-{values[-1]:g} $/h per card, {span})"
             if len(values) > 1 else f"{listed[0].provider} on-demand list price ({dates[0]})")
    return HourlyPrice(round(statistics.median(values), 4), basis, values[0], values[-1],
                      tuple(sorted({p.source for p in listed})))
