"""Reads the packaged fact files once per process and validates them, naming file and key on error."""

from __future__ import annotations

import hashlib
import os
import pickle
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from shortlist.catalog.schema import ModelFamilyFile, ModelSpec
from shortlist.errors import BadInput

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PACKAGE_DATA = Path(__file__).resolve().parent / "data"
Spec = TypeVar("Spec", bound=Any)


def data_path(*parts: str) -> Path:
    return Path(str(resources.files("shortlist.catalog").joinpath("data", *parts)))


def read_yaml(path: Path) -> Any:
    """A YAML file's data; packaged files are served from a pickle cache keyed by path, size and mtime.

    Why: parsing the ~70 built-in fact files costs about a quarter of a second per process, which every
    command would otherwise pay before doing anything.
    """
    cached = _cache_file(path)
    if cached is not None:
        try:
            with cached.open("rb") as fh:
                return pickle.load(fh)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError):
            pass
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise BadInput(f"{path}: invalid YAML: {exc}", "fix the file's syntax") from None
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(cached)  # atomic: a reader never sees half a cache file
        except OSError:
            pass
    return data


def _cache_file(path: Path) -> Path | None:
    """Where the parsed form of a packaged data file is kept, or None for files outside the package."""
    try:
        resolved = path.resolve()
        if _PACKAGE_DATA not in resolved.parents:
            return None
        st = resolved.stat()
    except OSError:
        return None
    from shortlist import __version__, paths

    key = hashlib.sha1(f"{__version__}|{resolved}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:20]
    return paths.cache_dir() / "data" / f"{resolved.stem}-{key}.pickle"


def describe_validation_error(path: Path, where: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = ".".join(str(x) for x in first["loc"])
    return f"{path.name}: {where}: {loc}: {first['msg']}"


def load_fact_list(filename: str, key: str, spec_type: type[Spec], kind: str,
                   inherit_source: bool = False) -> dict[str, Spec]:
    """A sourced data file holding a list of facts under `key`, validated, keyed by unique id.

    inherit_source: each entry takes the file's `source` unless it names its own.
    """
    path = data_path(filename)
    raw = read_yaml(path)
    if not isinstance(raw, dict) or key not in raw or "source" not in raw:
        raise BadInput(f"{path.name}: needs top-level 'source' and '{key}' keys")
    specs: dict[str, Spec] = {}
    for i, entry in enumerate(raw[key]):
        fields = {"source": raw["source"], **entry} if inherit_source else entry
        try:
            spec = spec_type.model_validate(fields)
        except ValidationError as exc:
            raise BadInput(describe_validation_error(path, f"{key}[{i}] ({entry.get('id', '?')})", exc)) from None
        if spec.id in specs:
            raise BadInput(f"{path.name}: duplicate {kind} id {spec.id}")
        specs[spec.id] = spec
    return specs


@cache
def load_models() -> dict[str, ModelSpec]:
    """All catalog models by Hugging Face id, each carrying its family file's source."""
    models: dict[str, ModelSpec] = {}
    for path in sorted(data_path("models").glob("*.yaml")):
        raw = read_yaml(path)
        try:
            family_file = ModelFamilyFile.model_validate(raw)
        except ValidationError as exc:
            raise BadInput(describe_validation_error(path, "family header", exc)) from None
        for i, entry in enumerate(family_file.models):
            fields = {"family": family_file.family, **entry}
            fields.setdefault("source", family_file.source)
            try:
                spec = ModelSpec.model_validate(fields)
            except ValidationError as exc:
                where = f"models[{i}] ({entry.get('id', '?')})"
                raise BadInput(describe_validation_error(path, where, exc)) from None
            if spec.release_date is None or spec.license == "other":
                raise BadInput(f"{path.name}: {spec.id}: catalog models need release_date and a license id")
            if spec.id in models:
                raise BadInput(f"{path.name}: duplicate model id {spec.id}")
            models[spec.id] = spec
    return models
