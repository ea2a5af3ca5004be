"""Query strings to library requests: the explorer's whole state lives in the URL, read one way, checked once.

Every bad value raises BadInput naming the parameter, which the app turns into the page with a message and
HTTP 400 (JSON twin: {"error": ...}).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shortlist.errors import BadInput
from shortlist.units import parse_params_b, parse_tokens

PICK_FIELDS = ("gpu", "gpus", "task", "weights", "mode", "context", "min_context", "license", "min_bits", "top",
               "max_params", "family", "include_api", "include_community", "allow_unknown_license", "max_cost",
               "gpu_price", "alpha", "impute")
TRUE = {"1", "true", "on", "yes"}
FALSE = {"0", "false", "off", "no", ""}


def _flag(q: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = q.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise BadInput(f"parameter '{name}' must be on or off, got '{raw}'", f"use {name}=1 or leave it out")


def _int(q: Mapping[str, str], name: str, default: int | None, low: int, high: int) -> int | None:
    raw = q.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadInput(f"parameter '{name}' must be a whole number, got '{raw}'") from None
    if not low <= value <= high:
        raise BadInput(f"parameter '{name}' must be from {low} to {high}, got {value}")
    return value


def _float(q: Mapping[str, str], name: str, default: float | None, low: float, high: float) -> float | None:
    raw = q.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadInput(f"parameter '{name}' must be a number, got '{raw}'") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise BadInput(f"parameter '{name}' must be from {low:g} to {high:g}, got {raw}")
    return value


def _text(q: Mapping[str, str], name: str) -> str | None:
    raw = q.get(name)
    if raw is None or not raw.strip():
        return None
    if len(raw) > 500:
        raise BadInput(f"parameter '{name}' is too long ({len(raw)} characters)")
    return raw.strip()


def pick_request(q: Mapping[str, str], db: Path | None) -> Any:
    """The explorer's query string as a PickRequest (the same options as `shortlist pick`)."""
    from shortlist.rank import PickRequest

    context = parse_tokens(_text(q, "context") or "4096", "context")
    return PickRequest(
        task=_text(q, "task") if not _text(q, "weights") else None,
        weights=_text(q, "weights"),
        gpu=_text(q, "gpu"),
        gpus=_int(q, "gpus", None, 1, 1024),
        mode=_text(q, "mode") or "inference",
        context=context or 4096,
        min_context=parse_tokens(_text(q, "min_context"), "min_context"),
        license=_text(q, "license") or "any",
        allow_unknown_license=_flag(q, "allow_unknown_license"),
        include_api=_flag(q, "include_api"),
        include_community=_flag(q, "include_community"),
        max_params_b=parse_params_b(_text(q, "max_params"), "max_params"),
        family=_text(q, "family"),
        min_bits=_float(q, "min_bits", 4.0, 1.0, 32.0) or 4.0,
        top=_int(q, "top", 10, 1, 100) or 10,
        alpha=_float(q, "alpha", 0.05, 1e-6, 0.5) or 0.05,
        max_cost_per_mtok=_float(q, "max_cost", None, 1e-9, 1e6),
        gpu_price=_float(q, "gpu_price", None, 1e-9, 1e4),
        impute=_flag(q, "impute", True),
        db=db,
    )


def pick_state(q: Mapping[str, str]) -> dict[str, str]:
    """The form's current values, for re-rendering it (only known fields; everything escaped by the template)."""
    return {k: q[k] for k in PICK_FIELDS if k in q}


def model_list(q: Mapping[str, str]) -> list[str]:
    raw = _text(q, "models") or ""
    names = [m.strip() for m in raw.split(",") if m.strip()]
    if not 2 <= len(names) <= 4:
        raise BadInput(f"compare takes 2 to 4 models (models=A,B,...), got {len(names)}")
    return names
