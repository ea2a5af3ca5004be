"""Cost per request and per token: the arithmetic pinned by hand, and both kinds reaching `pick`."""

from __future__ import annotations

import pytest

from shortlist.rank import PickRequest, pick
from shortlist.rank.cost import Workload, api_cost, self_hosted_cost


def test_self_hosted_arithmetic() -> None:
    # $2/h for one card; a busy server decodes 9,500 tok/s in total and prefills 20,000 tok/s.
    c = self_hosted_cost(2.0, 1, 9_500.0, 20_000.0, 64, Workload(1000, 300), "test price")
    assert c is not None and c.kind == "self-hosted"
    # 2 / 3600 $/s / 9,500 tok/s x 1e6 = 0.0584795 $ per 1M output tokens
    assert c.usd_per_mtok_out == pytest.approx(0.0584795, rel=1e-6)
    # 2 / 3600 / 20,000 x 1e6 = 0.0277778 $ per 1M prompt tokens
    assert c.usd_per_mtok_in == pytest.approx(0.0277778, rel=1e-6)
    # 2 / 3600 x (1000 / 20,000 + 300 / 9,500) = 5.55556e-4 x 0.0815789 = 4.53216e-5 $ per request
    assert c.usd_per_request == pytest.approx(4.53216e-5, rel=1e-5)
    two = self_hosted_cost(2.0, 2, 9_500.0, 20_000.0, 64, Workload(1000, 300), "test price")
    assert two is not None and two.usd_per_request == pytest.approx(2 * c.usd_per_request)
    assert self_hosted_cost(2.0, 1, 0.0, 20_000.0, 0, Workload(1000, 300), "x") is None


def test_api_arithmetic() -> None:
    # GPT-4.1's list price, $2 in / $8 out per 1M tokens, for 1,500 in and 250 out: (3000 + 2000) / 1e6
    c = api_cost(2.0, 8.0, Workload(1500, 250), "api", "test")
    assert c.usd_per_request == pytest.approx(0.005)
    assert (c.usd_per_mtok_in, c.usd_per_mtok_out) == (2.0, 8.0)


def test_pick_prices_api_models_from_the_hosted_table() -> None:
    sl = pick(PickRequest(gpu="RTX 4090", task="customer-support", include_api=True, top=60))
    gpt41 = next(e for e in sl.entries if e.model == "openai/gpt-4.1-2025-04-14")
    assert gpt41.access == "api" and gpt41.memory_total_bytes is None
    assert gpt41.cost.kind == "api"
    assert gpt41.cost.usd_per_request == pytest.approx((1500 * 2.0 + 250 * 8.0) / 1e6)  # the profile's request
    assert sl.workload["prompt_tokens"] == 1500 and sl.workload["output_tokens"] == 250


def test_pick_self_hosted_cost_uses_the_given_gpu_price_and_the_serving_estimate() -> None:
    sl = pick(PickRequest(gpu="H100 SXM", weights="ifeval=1", family="llama3.1", gpu_price=2.0, top=3,
                          prompt_tokens=1000, output_tokens=300))
    e = next(x for x in sl.entries if x.model == "meta-llama/Llama-3.1-8B-Instruct")
    from shortlist.catalog.gpus import get_gpu
    from shortlist.catalog.models import get_model
    from shortlist.fit import FitRequest, serving_estimate

    batch, decode, prefill = serving_estimate(
        FitRequest(model=get_model(e.model), gpu=get_gpu("H100 SXM"), precision=e.precision, context=1300), 1300)
    want = self_hosted_cost(2.0, 1, decode, prefill, batch, Workload(1000, 300), "--gpu-price")
    assert e.cost.kind == "self-hosted"
    assert e.cost.usd_per_mtok_out == pytest.approx(want.usd_per_mtok_out)
    assert e.cost.usd_per_request == pytest.approx(want.usd_per_request)
    assert "--gpu-price" in e.cost.basis
    assert sl.device["usd_per_hour"] == 2.0


def test_max_cost_excludes_with_a_reason_and_builtin_gpu_prices_have_sources() -> None:
    sl = pick(PickRequest(gpu="RTX 4090", task="general-chat", include_api=True, max_cost_per_mtok=1.0, top=5))
    assert all(e.cost is not None and e.cost.usd_per_mtok_out <= 1.0 for e in sl.entries)
    costly = [x for x in sl.excluded if x.kinds[0] == "cost"]
    assert costly and "per 1M output tokens" in costly[0].reason
    from shortlist.catalog.prices import hourly_price, prices_for

    assert all(p.source.startswith("http") and p.source_date for p in prices_for("RTX 4090"))
    assert hourly_price("RTX 4090") is not None and hourly_price("M3 Max 64GB") is None  # owned hardware: no rent
