"""What the arena pages need, arranged from the arena library's results: board options read from the query
string (the same options as `shortlist arena leaderboard`), and the board's charts.

No rating happens here: the numbers are the library's. Chart labels that come from data (model names are
free text for imported votes) are HTML-escaped before Plotly sees them, as in the report's charts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shortlist.errors import BadInput
from shortlist.report.charts import PALETTE, label
from shortlist.web import forms

BOARD_FIELDS = ("tag", "exclude_flagged", "judge", "anchor", "ties", "style_control", "resamples", "seed")
MAX_RESAMPLES = 100_000


def board_options(q: Mapping[str, str]) -> dict[str, Any]:
    """The leaderboard's query string as keyword arguments of shortlist.arena.leaderboard (judge excluded:
    the page decides between a board and a judge comparison with `wants_judge`)."""
    return {
        "tag": forms._text(q, "tag"),
        "exclude_flagged": forms._flag(q, "exclude_flagged"),
        "anchor": parse_anchor(forms._text(q, "anchor")),
        "ties": forms._text(q, "ties") or "half",
        "style_control": forms._flag(q, "style_control"),
        "resamples": forms._int(q, "resamples", 1000, 0, MAX_RESAMPLES),
        "seed": forms._int(q, "seed", 42, 0, 2**31 - 1),
    }


def wants_judge(q: Mapping[str, str]) -> bool:
    return forms._flag(q, "judge")


def parse_anchor(value: str | None) -> tuple[str, float] | None:
    """MODEL=RATING, as the CLI's --anchor (the model name may itself contain '=')."""
    if value is None:
        return None
    model, sep, rating = value.rpartition("=")
    try:
        number = float(rating)
    except ValueError:
        number = float("nan")
    if not sep or not model or number != number or abs(number) > 1e6:
        raise BadInput(f"anchor '{value}' is not MODEL=RATING", "e.g. anchor=base-q4=1000")
    return model.strip(), number


def board_state(q: Mapping[str, str]) -> dict[str, str]:
    """The options form's current values (only known fields; the template escapes them)."""
    return {k: q[k] for k in BOARD_FIELDS if k in q}


# --- charts ---------------------------------------------------------------------------------------------


def _height(n: int) -> int:
    return max(260, 110 + 30 * n)


def ratings_chart(boards: list[tuple[str, Any]]) -> dict[str, Any] | None:
    """Ratings with their 95% intervals, best at the top; one trace per board (human, judge)."""
    boards = [(name, b) for name, b in boards if b.rows]
    if not boards:
        return None
    order = [r.model for r in boards[0][1].rows]
    for _, b in boards[1:]:
        order += [r.model for r in b.rows if r.model not in order]
    data = []
    for k, (name, b) in enumerate(boards):
        rows = {r.model: r for r in b.rows}
        shown = [m for m in reversed(order) if m in rows]
        data.append({
            "type": "scatter", "mode": "markers", "name": label(name),
            "y": [label(m) for m in shown], "x": [rows[m].rating for m in shown],
            "error_x": {"type": "data", "symmetric": False,
                        "array": [round(rows[m].ci_high - rows[m].rating, 2) for m in shown],
                        "arrayminus": [round(rows[m].rating - rows[m].ci_low, 2) for m in shown]},
            "hovertext": [label(f"{m}: {rows[m].rating:.0f} [{rows[m].ci_low:.0f}, {rows[m].ci_high:.0f}], "
                                f"{rows[m].votes} votes" + (" (provisional)" if rows[m].provisional else ""))
                          for m in shown],
            "hoverinfo": "text",
            "marker": {"size": 10, "color": PALETTE[k % len(PALETTE)],
                       "symbol": ["circle-open" if rows[m].provisional else "circle" for m in shown]},
        })
    return {"data": data, "layout": {
        "title": {"text": "Ratings with 95% intervals (open: provisional)", "font": {"size": 14}},
        "xaxis": {"title": {"text": "rating (Elo scale)"}, "zeroline": False, "automargin": True},
        "yaxis": {"automargin": True, "type": "category"},
        "margin": {"l": 60, "r": 20, "t": 40, "b": 50}, "height": _height(len(order)),
        "legend": {"orientation": "h", "y": -0.2}, "showlegend": len(boards) > 1, "hovermode": "closest"}}


def _heatmap(board: Any, values: list[list[Any]], title: str, percent: bool) -> dict[str, Any] | None:
    if len(board.models) < 2:
        return None
    names = [label(m) for m in board.models]
    text = [["" if v is None else (f"{v:.0%}" if percent else str(v)) for v in row] for row in values]
    trace: dict[str, Any] = {
        "type": "heatmap", "z": values, "x": names, "y": names, "text": text, "texttemplate": "%{text}",
        "hovertemplate": "%{y} vs %{x}: %{text}<extra></extra>", "colorscale": "RdBu" if percent else "Blues",
        "reversescale": not percent, "xgap": 1, "ygap": 1,
    }
    if percent:
        trace.update(zmin=0.0, zmax=1.0, zmid=0.5)
    return {"data": [trace], "layout": {
        "title": {"text": title, "font": {"size": 14}},
        "xaxis": {"automargin": True, "side": "bottom", "type": "category"},
        "yaxis": {"automargin": True, "autorange": "reversed", "type": "category"},
        "margin": {"l": 60, "r": 20, "t": 40, "b": 60}, "height": _height(len(names)) + 40}}


def win_rate_chart(board: Any) -> dict[str, Any] | None:
    return _heatmap(board, board.win_rate, "Win rate, row against column (ties half)", percent=True)


def battles_chart(board: Any) -> dict[str, Any] | None:
    counts = [[None if i == j else n for j, n in enumerate(row)] for i, row in enumerate(board.battles)]
    return _heatmap(board, counts, "Votes between each pair", percent=False)


def board_context(board: Any, judged: Any | None) -> dict[str, Any]:
    """The board page: the human board, the judge's beside it when there is one, and the charts."""
    boards = [("human votes", board)] + ([("judge votes", judged.judge)] if judged is not None else [])
    figures = [f for f in (ratings_chart(boards), win_rate_chart(board), battles_chart(board)) if f is not None]
    return {"board": board, "judged": judged, "figures": figures,
            "agreement": judged.agreement if judged is not None else board.agreement}
