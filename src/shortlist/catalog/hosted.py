"""Hosted models: API-only models and pay-per-token endpoints of open-weight models, with list prices.

The table is generated from a dated public dataset (see hosted.yaml's header); each price keeps its source
and date. LMArena names and provider model ids are aliases, so a leaderboard row resolves to one entry.
A user file with the same fields (`--hosted-file`) replaces entries by id and adds new ones.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import ValidationError

from shortlist.catalog.loader import data_path, describe_validation_error, read_yaml
from shortlist.catalog.schema import HostedModel
from shortlist.errors import BadInput, NotFound
from shortlist.names import build_index, normalize, resolve


def _validate(entries: object, path: Path) -> dict[str, HostedModel]:
    if not isinstance(entries, list):
        raise BadInput(f"{path.name}: 'models' must be a list of hosted models")
    out: dict[str, HostedModel] = {}
    for i, entry in enumerate(entries):
        try:
            spec = HostedModel.model_validate(entry)
        except ValidationError as exc:
            where = f"models[{i}] ({entry.get('id', '?') if isinstance(entry, dict) else '?'})"
            raise BadInput(describe_validation_error(path, where, exc), "see the fields of hosted.yaml") from None
        if spec.id in out:
            raise BadInput(f"{path.name}: duplicate hosted model id {spec.id}")
        out[spec.id] = spec
    return out


@cache
def _builtin() -> dict[str, HostedModel]:
    path = data_path("hosted.yaml")
    if not path.is_file():
        return {}
    raw = read_yaml(path)
    if not isinstance(raw, dict) or "models" not in raw or "source" not in raw:
        raise BadInput(f"{path.name}: needs top-level 'source' and 'models' keys")
    return _validate(raw["models"], path)


def load_hosted(extra_file: str | Path | None = None) -> dict[str, HostedModel]:
    """Built-in hosted models, overridden and extended by a user file with the same fields."""
    table = dict(_builtin())
    if extra_file is not None:
        path = Path(extra_file)
        if not path.is_file():
            raise NotFound(f"hosted-models file {path} does not exist", "check the path given to --hosted-file")
        raw = read_yaml(path)
        entries = raw.get("models") if isinstance(raw, dict) else raw
        table.update(_validate(entries, path))
    return table


def list_hosted(access: str | None = None, extra_file: str | Path | None = None) -> list[HostedModel]:
    return [h for h in load_hosted(extra_file).values() if access is None or h.access == access]


@cache
def _index() -> dict[str, str]:
    return build_index({h.id: [h.id.split("/", 1)[-1], h.name, *h.aliases] for h in _builtin().values()})


def get_hosted(name: str) -> HostedModel:
    """A built-in hosted model by id, name, provider model id or LMArena name."""
    table = _builtin()
    return table[resolve(name, _index(), "hosted model", display=list(table))]


def find_hosted(name: str) -> HostedModel | None:
    key = normalize(name)
    hit = _index().get(key)
    return _builtin()[hit] if hit else None


def endpoints_for(model_id: str, extra_file: str | Path | None = None) -> list[HostedModel]:
    """Pay-per-token endpoints serving this catalog model's weights, cheapest output price first."""
    found = [h for h in load_hosted(extra_file).values() if h.access == "open-weights" and h.weights == model_id]
    return sorted(found, key=lambda h: (h.price_out_per_mtok, h.price_in_per_mtok, h.id))
