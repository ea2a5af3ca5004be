"""Every field of every --json result model is named in its docs/json-*.md page."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
from pydantic import BaseModel

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _fields(model: type[BaseModel], seen: set[type] | None = None) -> set[str]:
    """Field names of a model and of the models nested in it."""
    seen = seen or set()
    if model in seen:
        return set()
    seen.add(model)
    out = set()
    for name, info in model.model_fields.items():
        out.add(name)
        for t in _types(info.annotation):
            if isinstance(t, type) and issubclass(t, BaseModel):
                out |= _fields(t, seen)
    return out


def _types(annotation: Any) -> list[Any]:
    if get_origin(annotation) is None:
        return [annotation]
    return [t for arg in get_args(annotation) for t in _types(arg)]


def _cases() -> list[tuple[str, type[BaseModel]]]:
    from shortlist.evaluate.compare import RunComparison
    from shortlist.evaluate.estimate import RunPlan
    from shortlist.evaluate.results import SuiteResult
    from shortlist.evaluate.runs import RunDetail, RunList
    from shortlist.rank.result import Shortlist
    from shortlist.report.views import CompareView, ModelView

    return [("json-pick.md", Shortlist), ("json-model.md", ModelView), ("json-compare.md", CompareView),
            ("json-eval.md", RunList), ("json-eval.md", RunDetail), ("json-eval.md", RunComparison),
            ("json-eval.md", SuiteResult), ("json-eval.md", RunPlan)]


@pytest.mark.parametrize(("doc", "model"), _cases(), ids=lambda x: getattr(x, "__name__", x))
def test_every_field_is_documented(doc: str, model: type[BaseModel]) -> None:
    text = (DOCS / doc).read_text(encoding="utf-8")
    missing = sorted(f for f in _fields(model) if f not in text)
    assert not missing, f"{doc} does not mention {missing}"
