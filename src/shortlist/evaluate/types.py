"""The data that flows from tasks to the engine to backends, and back.

A task turns documents into instances; the engine batches their requests, sends them to a
backend, stores each finished sample, and hands results back to the task for scoring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LoglikelihoodRequest:
    """log P(continuation | context), and whether the continuation is the greedy decode."""

    context: str
    continuation: str


@dataclass(frozen=True)
class LoglikelihoodResult:
    logprob: float
    is_greedy: bool


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    until: tuple[str, ...] = ()
    max_tokens: int = 256
    temperature: float = 0.0


@dataclass(frozen=True)
class GenerationResult:
    """What a backend generated for one GenerationRequest, and why it stopped.

    finish_reason: "stop" (a stop sequence or end-of-text ended it), "length" (the token limit cut
    it: the generation did not finish), "error" (the backend could not generate; `text` is "").
    tokens: generated tokens, when the backend knows.
    """

    text: str
    finish_reason: str = "stop"
    tokens: int | None = None


FINISH_REASONS = ("stop", "length", "error")


@dataclass(frozen=True)
class MultipleChoiceInstance:
    """One doc scored by log-likelihood: one shared context, one continuation per choice.

    Continuations already carry the task's target delimiter (lm-eval's " " before a choice), so
    request i is LoglikelihoodRequest(context, continuations[i]).

    Partial evaluation (winogrande): the choice sits in the context and the continuation is
    shared. Such instances set `contexts` (one full context per choice); then request i is
    LoglikelihoodRequest(contexts[i], continuations[i]), `continuations` repeats the shared
    continuation once per choice, and `context` holds only the common prefix (description and
    few-shot examples). Always build requests with `requests()`.
    """

    task: str
    doc_id: int
    context: str
    continuations: tuple[str, ...]
    gold: int | tuple[int, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    contexts: tuple[str, ...] = ()

    def requests(self) -> list[LoglikelihoodRequest]:
        if self.contexts:
            return [LoglikelihoodRequest(x, c) for x, c in zip(self.contexts, self.continuations, strict=True)]
        return [LoglikelihoodRequest(self.context, c) for c in self.continuations]


@dataclass(frozen=True)
class GenerationInstance:
    """One doc scored on generated text against a reference."""

    task: str
    doc_id: int
    prompt: str
    until: tuple[str, ...]
    max_tokens: int
    reference: str
    meta: dict[str, Any] = field(default_factory=dict)

    def request(self) -> GenerationRequest:
        return GenerationRequest(self.prompt, self.until, self.max_tokens)


Instance = MultipleChoiceInstance | GenerationInstance
