"""The Task protocol the engine runs, and how prompts are formatted (plain text or a chat template).

Every task, built-in or from a user's task file, is a `Task`: it loads its documents, turns them
into instances (the requests a backend answers), scores a batch of answered instances at once and
aggregates per-doc scores. The engine imports this module only; it never needs to know where a task
came from.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from shortlist.evaluate.types import Instance, LoglikelihoodResult

Doc = dict[str, Any]
PathLike = str | os.PathLike[str]
Result = list[LoglikelihoodResult] | str   # a multiple-choice doc's results, or a generation's text
ChatTemplate = Callable[[list[dict[str, str]]], str]   # messages -> the model's prompt, generation turn opened


@dataclass(frozen=True)
class PromptFormat:
    """How contexts are rendered: lm-eval's --apply_chat_template, --fewshot_as_multiturn, --system_instruction.

    chat_template None: plain text (lm-eval's default). With a template, few-shot examples are user/assistant
    turns (fewshot_as_multiturn) or one user message, and choices are scored without the target delimiter.
    """

    chat_template: ChatTemplate | None = None
    fewshot_as_multiturn: bool = False
    system_instruction: str | None = None

    @property
    def chat(self) -> bool:
        return self.chat_template is not None

    def describe(self) -> dict[str, Any]:
        return {"chat_template": self.chat, "fewshot_as_multiturn": self.chat and self.fewshot_as_multiturn,
                "system_instruction": self.system_instruction}


PLAIN = PromptFormat()


@runtime_checkable
class Task(Protocol):
    """What the engine needs from a task. `metrics` are the keys `aggregate` reports (plus `<metric>_stderr`, `n`).

    A task may also define `preflight(instances)`, which the engine calls before sending any request: it raises
    BadInput when its scorer cannot run (IFEval without NLTK's data), so the failure comes before the model works.
    """

    name: str
    version: str
    output_type: Literal["multiple_choice", "generate_until"]
    default_fewshot: int
    metrics: tuple[str, ...]

    def load_docs(self, data_dir: PathLike | None = None) -> list[Doc]: ...

    def instances(self, docs: list[Doc], num_fewshot: int | None = None, limit: int | None = None,
                  fewshot_seed: int | None = None, prompt_format: PromptFormat | None = None) -> list[Instance]: ...

    def process_results_batch(self, instances: Sequence[Instance], results: Sequence[Result]) -> list[dict[str, float]]:
        """Per-doc metrics for many docs at once (an LLM judge grades them in one concurrent batch)."""
        ...

    def aggregate(self, per_doc: list[dict[str, float]]) -> dict[str, float]: ...


def task_fewshot_seed(task: Any, requested: int | None) -> int:
    """The few-shot seed a run uses: the request's, else the task's own (a task file's `fewshot_seed`), else 1234."""
    if requested is not None:
        return requested
    own = getattr(task, "fewshot_seed", None)
    return int(own) if isinstance(own, int) else 1234
