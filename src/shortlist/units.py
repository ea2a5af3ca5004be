"""Reading the numbers people type: token counts ("8k", "128K") and parameter counts ("14b"), one way everywhere.

The CLI and the web app both parse these; an unreadable value is BadInput naming the option and the fix.
"""

from __future__ import annotations

import re

from shortlist.errors import BadInput

_TOKENS = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmM]?)\s*$")
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([kmbt]?)\s*$", re.IGNORECASE)
_SCALE = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9, "t": 10**12}


def parse_param_count(text: str | int | float) -> int:
    """'8b', '500M', '1.5B', '7e9' or a plain number -> a parameter count."""
    if isinstance(text, int | float):
        value = float(text)
    else:
        m = _SIZE.match(text)
        if not m:
            raise BadInput(f"cannot read '{text}' as a parameter count", "write it like 8b, 500m or 1.5B")
        value = float(m.group(1)) * _SCALE[m.group(2).lower()]
    if value <= 0:
        raise BadInput(f"parameter count must be positive, got '{text}'")
    return round(value)


def parse_tokens(text: str | None, option: str) -> int | None:
    """'8k' -> 8192, '128K' -> 131072, '4096' -> 4096 (k = 1024 tokens, as model cards count)."""
    if text is None:
        return None
    m = _TOKENS.match(text)
    if not m:
        raise BadInput(f"{option} '{text}' is not a token count", "write it like 4096, 8k or 128k")
    value = float(m.group(1)) * {"": 1, "k": 1024, "m": 1024**2}[m.group(2).lower()]
    if value < 1:
        raise BadInput(f"{option} must be at least 1 token, got '{text}'")
    return int(value)


def parse_params_b(text: str | None, option: str = "--max-params") -> float | None:
    """'14b' -> 14.0 (billions), for size limits."""
    if text is None:
        return None
    try:
        return parse_param_count(text) / 1e9
    except BadInput as exc:
        raise BadInput(f"{option}: {exc.message}", exc.hint or "write it like 14b") from None
