"""Task profiles: which benchmarks predict a task, how much each counts, and why.

A profile is a weighted mix of registry benchmarks with a one-line reason per weight. Built-in
profiles are reviewed YAML in data/profiles/; users pass their own with --weights or --profile-file.
Benchmark names go through the registry's aliases, so "truthfulqa" means truthfulqa_mc2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from shortlist import names
from shortlist.errors import BadInput, NotFound

BenchmarkResolver = Callable[[str], str]
DEFAULT_PROMPT_TOKENS = 1000
DEFAULT_OUTPUT_TOKENS = 300


@dataclass(frozen=True)
class Profile:
    """A task as a weighted mix of benchmarks; weights are relative and need not sum to 1."""

    id: str
    name: str
    weights: dict[str, float]
    reasons: dict[str, str] = field(default_factory=dict)
    description: str = ""
    aliases: tuple[str, ...] = ()
    source: str = "builtin"  # "builtin", a file path, or "--weights"
    prompt_tokens: int = DEFAULT_PROMPT_TOKENS  # a typical request of this task, for latency and cost
    output_tokens: int = DEFAULT_OUTPUT_TOKENS
    workload_reason: str = ""

    def share(self, benchmark: str) -> float:
        total = sum(self.weights.values())
        return self.weights.get(benchmark, 0.0) / total if total else 0.0


def _data_dir() -> Path:
    return Path(str(resources.files("shortlist.rank").joinpath("data", "profiles")))


def default_resolver() -> BenchmarkResolver:
    """Resolve benchmark names and aliases through the catalog's registry."""
    from shortlist.catalog.benchmarks import get_benchmark

    return lambda name: get_benchmark(name).id


def _weight(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadInput(f"{where}: weight must be a number, got {value!r}", "use e.g. 2 or 0.5")
    try:
        w = float(value)
    except ValueError:
        raise BadInput(f"{where}: weight '{value}' is not a number", "use e.g. 2 or 0.5") from None
    if not math.isfinite(w) or w < 0:
        raise BadInput(f"{where}: weight {value} must be a finite number >= 0", "use e.g. 2 or 0.5")
    return w


def _resolve(name: str, resolver: BenchmarkResolver, where: str) -> str:
    try:
        return resolver(name)
    except NotFound as exc:
        hint = exc.hint or "see `shortlist tasks` for benchmark ids"
        raise BadInput(f"{where}: unknown benchmark '{name}'", hint) from None


def profile_from_mapping(
    raw: Any, source: str, resolver: BenchmarkResolver | None = None, default_id: str = "custom"
) -> Profile:
    """Validate one profile document: {id, name, description, aliases, weights: {bench: w | {weight, reason}}}."""
    if not isinstance(raw, dict):
        raise BadInput(f"{source}: a profile must be a mapping with a 'weights' key", "see docs/ranking-method.md")
    unknown = set(raw) - {"id", "name", "description", "aliases", "weights", "workload"}
    if unknown:
        keys = ", ".join(sorted(unknown))
        raise BadInput(f"{source}: unknown key(s) {keys}",
                       "allowed: id, name, description, aliases, weights, workload")
    weights_raw = raw.get("weights")
    if not isinstance(weights_raw, dict) or not weights_raw:
        raise BadInput(
            f"{source}: 'weights' must be a non-empty mapping of benchmark -> weight", "e.g. weights: {ifeval: 2}"
        )
    resolver = resolver or default_resolver()
    weights: dict[str, float] = {}
    reasons: dict[str, str] = {}
    for bench, spec in weights_raw.items():
        where = f"{source}: weights.{bench}"
        if isinstance(spec, dict):
            extra = set(spec) - {"weight", "reason"}
            if extra or "weight" not in spec:
                raise BadInput(f"{where}: expected {{weight, reason}}", "e.g. ifeval: {weight: 2, reason: ...}")
            w, reason = _weight(spec["weight"], where), str(spec.get("reason") or "")
        else:
            w, reason = _weight(spec, where), ""
        bid = _resolve(str(bench), resolver, where)
        if bid in weights:
            raise BadInput(f"{where}: benchmark '{bid}' is given twice", "list each benchmark once")
        weights[bid] = w
        if reason:
            reasons[bid] = reason
    if not any(weights.values()):
        raise BadInput(f"{source}: all weights are zero", "give at least one benchmark a positive weight")
    aliases = raw.get("aliases") or []
    if not isinstance(aliases, list):
        raise BadInput(f"{source}: 'aliases' must be a list", "e.g. aliases: [support]")
    prompt, output, why = _workload(raw.get("workload"), source)
    pid = str(raw.get("id") or default_id)
    return Profile(
        id=pid,
        name=str(raw.get("name") or pid),
        weights=weights,
        reasons=reasons,
        description=" ".join(str(raw.get("description") or "").split()),
        aliases=tuple(str(a) for a in aliases),
        source=source,
        prompt_tokens=prompt,
        output_tokens=output,
        workload_reason=why,
    )


def _workload(raw: Any, source: str) -> tuple[int, int, str]:
    """workload: {prompt_tokens, output_tokens, reason} -> the typical request, validated."""
    if raw is None:
        return DEFAULT_PROMPT_TOKENS, DEFAULT_OUTPUT_TOKENS, ""
    if not isinstance(raw, dict) or set(raw) - {"prompt_tokens", "output_tokens", "reason"}:
        raise BadInput(f"{source}: 'workload' must be {{prompt_tokens, output_tokens, reason}}",
                       "e.g. workload: {prompt_tokens: 1500, output_tokens: 300}")
    out = []
    for key, default in (("prompt_tokens", DEFAULT_PROMPT_TOKENS), ("output_tokens", DEFAULT_OUTPUT_TOKENS)):
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 10_000_000:
            raise BadInput(f"{source}: workload.{key} must be a whole number of tokens from 1 to 10M, got {value!r}")
        out.append(value)
    return out[0], out[1], str(raw.get("reason") or "")


@cache
def builtin_profiles() -> dict[str, Profile]:
    """The reviewed profiles shipped in data/profiles/, by id."""
    from shortlist.catalog.loader import read_yaml

    out: dict[str, Profile] = {}
    for path in sorted(_data_dir().glob("*.yaml")):
        profile = profile_from_mapping(read_yaml(path), path.name, default_id=path.stem)
        if profile.id != path.stem:
            raise BadInput(f"{path.name}: id '{profile.id}' does not match the file name")
        out[profile.id] = profile
    return out


def list_profiles() -> list[Profile]:
    return list(builtin_profiles().values())


def get_profile(task: str) -> Profile:
    """A built-in profile by id or alias ("tool-use" -> agents); NotFound suggests close names."""
    profiles = builtin_profiles()
    index = names.build_index({p.id: p.aliases for p in profiles.values()})
    return profiles[names.resolve(task, index, "task", display=list(profiles))]


def load_profile_file(path: str | Path, resolver: BenchmarkResolver | None = None) -> Profile:
    from shortlist.catalog.loader import read_yaml

    p = Path(path)
    if not p.is_file():
        raise NotFound(f"profile file {p} does not exist", "check the path given to --profile-file")
    return profile_from_mapping(read_yaml(p), str(p), resolver, default_id=p.stem)


def parse_weights(text: str, resolver: BenchmarkResolver | None = None) -> Profile:
    """--weights "ifeval=2,truthfulqa=1" -> a one-off profile; BadInput names the bad part."""
    resolver = resolver or default_resolver()
    weights: dict[str, float] = {}
    parts = [p.strip() for p in text.split(",")]
    if not text.strip():
        raise BadInput("--weights is empty", "use e.g. --weights ifeval=2,truthfulqa=1")
    for part in parts:
        where = f"--weights part '{part}'"
        if "=" not in part:
            raise BadInput(f"{where} is not name=weight", "use e.g. --weights ifeval=2,truthfulqa=1")
        name, _, value = (s.strip() for s in part.partition("="))
        if not name:
            raise BadInput(f"{where} has no benchmark name", "use e.g. --weights ifeval=2,truthfulqa=1")
        w = _weight(value, where)
        bid = _resolve(name, resolver, where)
        if bid in weights:
            raise BadInput(f"{where}: benchmark '{bid}' is given twice", "list each benchmark once")
        weights[bid] = w
    if not any(weights.values()):
        raise BadInput("--weights: all weights are zero", "give at least one benchmark a positive weight")
    return Profile(id="custom", name="custom weights", weights=weights, source="--weights")

