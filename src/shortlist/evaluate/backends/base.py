"""What the engine needs from a model: score continuations, generate text, say who it is.

A backend is one module. It receives whole groups (one doc's requests) so it can share work
inside a group (the HF backend computes a shared context once); a backend that cannot share
simply scores each request on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from shortlist.evaluate.types import GenerationRequest, GenerationResult, LoglikelihoodRequest, LoglikelihoodResult

Group = Sequence[LoglikelihoodRequest]


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do; the engine refuses tasks that need something missing."""

    loglikelihood: bool = True
    generate: bool = True


@dataclass
class BackendStats:
    """Counters the engine reads after a run (tokens fed through the model, forward passes)."""

    tokens_fed: int = 0
    forward_calls: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Backend(Protocol):
    name: str                 # "hf:/path", "hf:owner/name", "gguf:/path/file.gguf"
    capabilities: Capabilities
    batch_size: int           # sequences per forward pass
    stats: BackendStats

    def fingerprint(self) -> str:
        """Identifies weights + numerics (dtype): the sample cache key. Same fingerprint, same numbers."""
        ...

    def describe(self) -> dict[str, Any]:
        """Model facts for run records and exported configs (name, dtype, device, ...)."""
        ...

    def plan(self, groups: Sequence[Group]) -> list[list[int]]:
        """Order groups into batches (indices into `groups`); each batch is committed as one unit."""
        ...

    def loglikelihood(self, groups: Sequence[Group]) -> list[list[LoglikelihoodResult]]:
        """One result per request, in each group's order."""
        ...

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        """Continuation of each prompt (greedy at temperature 0), cut at the first stop sequence; with
        finish_reason "length" when the token limit ended it before any stop."""
        ...


def simple_plan(groups: Sequence[Group], batch_size: int) -> list[list[int]]:
    """Longest groups first, packed until a batch holds `batch_size` requests (at least one group).

    Longest-first makes the ETA an overestimate and hits any out-of-memory at the start.
    """
    order = sorted(range(len(groups)), key=lambda i: -sum(len(r.context) + len(r.continuation) for r in groups[i]))
    return pack(order, [len(g) for g in groups], batch_size)


def pack(order: Sequence[int], sizes: Sequence[int], batch_size: int) -> list[list[int]]:
    batches: list[list[int]] = []
    current: list[int] = []
    rows = 0
    for i in order:
        if current and rows + sizes[i] > batch_size:
            batches.append(current)
            current, rows = [], 0
        current.append(i)
        rows += sizes[i]
    if current:
        batches.append(current)
    return batches
