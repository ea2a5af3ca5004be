"""Catalog model lookup by repo id, short name or alias, and filters for size, context and license."""

from __future__ import annotations

from functools import cache

from shortlist.catalog.licenses import allowed
from shortlist.catalog.licenses import license_class as class_of_license
from shortlist.catalog.loader import load_models
from shortlist.catalog.schema import ModelSpec
from shortlist.errors import BadInput, NotFound
from shortlist.names import build_index, normalize, resolve, suggest
from shortlist.units import parse_param_count

KINDS = ("base", "instruct", "reasoning")


@cache
def _index() -> dict[str, str]:
    names: dict[str, list[str]] = {}
    for spec in load_models().values():
        spellings = [spec.id.split("/")[-1], *spec.aliases]
        if spec.name:
            spellings.append(spec.name)
        names[spec.id] = spellings
    return build_index(names)


def get_model(name: str) -> ModelSpec:
    """A catalog model by repo id ("Qwen/Qwen2.5-7B"), short name ("qwen2.5-7b") or alias."""
    if not name.strip():
        raise BadInput("empty model name", "pass a Hugging Face id such as meta-llama/Llama-3.1-8B")
    models = load_models()
    return models[resolve(name, _index(), "model", display=list(models))]


def families() -> list[str]:
    return sorted({m.family for m in load_models().values()})


def list_models(
    family: str | None = None,
    kind: str | None = None,
    max_params: int | str | None = None,
    min_context: int | None = None,
    license_class: str | None = None,
    usable_for: str | None = None,
    allow_unknown_license: bool = False,
) -> list[ModelSpec]:
    """Catalog models matching every filter given, sorted by family then size.

    license_class matches the class exactly; usable_for ("commercial", "non-commercial", "research")
    keeps models whose license permits that use (a commercial license also permits research).
    """
    models = list(load_models().values())
    if family is not None:
        wanted = normalize(family)
        known = {normalize(f): f for f in families()}
        if wanted not in known:
            close = suggest(family, families())
            hint = f"did you mean: {', '.join(close)}?" if close else "see `shortlist models` for the families"
            raise NotFound(f"unknown model family '{family}'", hint)
        models = [m for m in models if normalize(m.family) == wanted]
    if kind is not None:
        if kind not in KINDS:
            raise BadInput(f"unknown model kind '{kind}'", f"use one of: {', '.join(KINDS)}")
        models = [m for m in models if m.kind == kind]
    if max_params is not None:
        limit = parse_param_count(max_params)
        models = [m for m in models if m.params_total <= limit]
    if min_context is not None:
        if min_context <= 0:
            raise BadInput(f"minimum context must be positive, got {min_context}")
        models = [m for m in models if m.max_context >= min_context]
    if license_class is not None:
        classes = ("commercial", "non-commercial", "research", "needs-review")
        if license_class not in classes:
            raise BadInput(f"unknown license class '{license_class}'", f"use one of: {', '.join(classes)}")
        models = [m for m in models if class_of_license(m.license) == license_class]
    if usable_for is not None:
        models = [m for m in models if allowed(m.license, usable_for, allow_unknown=allow_unknown_license)]
    return sorted(models, key=lambda m: (m.family, m.params_total, m.id))
