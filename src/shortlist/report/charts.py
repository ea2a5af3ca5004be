"""Chart specifications (Plotly figure dicts) shared by the web app and the report.

One chart library for both: Plotly's own offline bundle, served by the app and inlined in the report, so both
work without a network. Figures are plain dicts (data + layout), deterministic for the same input, and every
label that comes from data is HTML-escaped before Plotly sees it (Plotly reads a few tags in labels).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

PALETTE = ("#1f6feb", "#d1495b", "#2a9d8f", "#e9a23b", "#6f42c1", "#6c757d")
Z95 = 1.959963984540054


def label(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _layout(title: str, xaxis: str, yaxis: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": label(title), "font": {"size": 14}},
        "xaxis": {"title": {"text": label(xaxis)}, "zeroline": False, "automargin": True},
        "yaxis": {"title": {"text": label(yaxis)}, "zeroline": False, "automargin": True},
        "margin": {"l": 60, "r": 20, "t": 40, "b": 60},
        "height": 360,
        "legend": {"orientation": "h", "y": -0.25},
        "hovermode": "closest",
        **extra,
    }


def score_vs_memory(entries: Sequence[Any]) -> dict[str, Any] | None:
    """Task score (with CI) against memory per card; the Pareto frontier drawn as a step line."""
    pts = [e for e in entries if e.memory_total_bytes]
    if not pts:
        return None
    x = [round(e.memory_total_bytes / 2**30, 2) for e in pts]
    y = [round(e.task_score * 100, 2) for e in pts]
    err = [round((e.task_score_ci[1] - e.task_score) * 100, 2) for e in pts]
    names = [label(e.model) for e in pts]
    front = sorted((xi, yi) for xi, yi, e in zip(x, y, pts, strict=True) if e.pareto)
    data: list[dict[str, Any]] = [{
        "type": "scatter", "mode": "markers+text", "x": x, "y": y, "text": [f"#{e.rank}" for e in pts],
        "textposition": "top center", "hovertext": names, "hoverinfo": "text+x+y", "name": "shortlisted",
        "error_y": {"type": "data", "array": err, "visible": True, "thickness": 1},
        "marker": {"size": 9, "color": [PALETTE[(e.tier - 1) % len(PALETTE)] for e in pts]},
    }]
    if len(front) > 1:
        data.append({"type": "scatter", "mode": "lines", "x": [p[0] for p in front], "y": [p[1] for p in front],
                     "line": {"shape": "hv", "dash": "dot", "color": "#444"}, "name": "Pareto frontier",
                     "hoverinfo": "skip"})
    return {"data": data, "layout": _layout("Task score vs memory per card", "GiB per card",
                                            "task score (x100, 95% CI)")}


def score_vs_cost(entries: Sequence[Any]) -> dict[str, Any] | None:
    """Task score against the cost of one typical request (API price or rented cards)."""
    pts = [e for e in entries if e.cost is not None and e.cost.usd_per_request]
    if len(pts) < 2:
        return None
    data = [{
        "type": "scatter", "mode": "markers+text", "x": [round(e.cost.usd_per_request * 1000, 5) for e in pts],
        "y": [round(e.task_score * 100, 2) for e in pts], "text": [f"#{e.rank}" for e in pts],
        "textposition": "top center", "hovertext": [label(f"{e.model} ({e.cost.kind})") for e in pts],
        "hoverinfo": "text+x+y", "name": "shortlisted",
        "marker": {"size": 9, "symbol": ["diamond" if e.access == "api" else "circle" for e in pts],
                   "color": [PALETTE[(e.tier - 1) % len(PALETTE)] for e in pts]},
    }]
    return {"data": data, "layout": _layout("Task score vs cost per 1,000 requests", "$ per 1,000 requests (log)",
                                            "task score (x100)", xaxis_type="log")}


def benchmark_bars(models: Sequence[tuple[str, dict[str, Any]]], benchmarks: Sequence[str],
                   title: str = "Per-benchmark breakdown") -> dict[str, Any] | None:
    """Grouped bars: one group per benchmark, one bar per model, normalised x100 with 95% error bars.

    models: (name, {benchmark: ScoreUsed-like with normalized, stderr, value, imputed}) pairs.
    """
    if not models or not benchmarks:
        return None
    data = []
    for i, (name, scores) in enumerate(models):
        ys, errs, texts = [], [], []
        for b in benchmarks:
            s = scores.get(b)
            if s is None:
                ys.append(None)
                errs.append(0)
                texts.append("no evidence")
                continue
            ys.append(round(_get(s, "normalized") * 100, 2))
            errs.append(round(Z95 * (_get(s, "normalized_stderr") or 0.0) * 100, 2))
            texts.append("predicted" if _get(s, "imputed") else (label(_get(s, "source") or "")))
        data.append({"type": "bar", "name": label(name), "x": [label(b) for b in benchmarks], "y": ys,
                     "error_y": {"type": "data", "array": errs, "visible": True, "thickness": 1},
                     "hovertext": texts, "marker": {"color": PALETTE[i % len(PALETTE)]}})
    return {"data": data, "layout": _layout(title, "benchmark", "normalised score (x100, 95% CI)", barmode="group")}


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def paired_differences(comparisons: Sequence[Any], name_a: str, name_b: str) -> dict[str, Any] | None:
    """Per task, B minus A with its paired 95% CI (a dot and a bar crossing zero or not)."""
    if not comparisons:
        return None
    data = [{
        "type": "scatter", "mode": "markers", "y": [label(f"{c.task} ({c.metric})") for c in comparisons],
        "x": [round(c.diff * 100, 2) for c in comparisons], "name": "difference",
        "error_x": {"type": "data", "symmetric": False,
                    "array": [round((c.ci_high - c.diff) * 100, 2) for c in comparisons],
                    "arrayminus": [round((c.diff - c.ci_low) * 100, 2) for c in comparisons]},
        "hovertext": [label(c.verdict) for c in comparisons], "marker": {"size": 10, "color": PALETTE[0]},
    }]
    layout = _layout(f"{name_b} minus {name_a}, paired (points)", "difference x100 (95% CI)", "task")
    layout["shapes"] = [{"type": "line", "x0": 0, "x1": 0, "yref": "paper", "y0": 0, "y1": 1,
                         "line": {"color": "#999", "dash": "dot"}}]
    return {"data": data, "layout": layout}


def arena_ratings(rows: Sequence[Any]) -> dict[str, Any] | None:
    """Bradley-Terry ratings with 95% CIs, best at the top."""
    if not rows:
        return None
    rows = list(rows)[::-1]
    data = [{
        "type": "scatter", "mode": "markers", "y": [label(_get(r, "model")) for r in rows],
        "x": [_get(r, "rating") for r in rows], "name": "rating",
        "error_x": {"type": "data", "symmetric": False,
                    "array": [round(_get(r, "ci_high") - _get(r, "rating"), 2) for r in rows],
                    "arrayminus": [round(_get(r, "rating") - _get(r, "ci_low"), 2) for r in rows]},
        "marker": {"size": 9, "color": PALETTE[0]},
    }]
    return {"data": data, "layout": _layout("Arena ratings (95% CI)", "rating (Elo scale)", "")}
