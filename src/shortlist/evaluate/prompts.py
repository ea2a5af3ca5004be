"""The one place contexts are built: description, few-shot examples and the question, as text or chat turns.

Every task (built-in, the v2 leaderboard tasks, a user's task file) renders its prompts here, so the rules
are lm-evaluation-harness 0.4.13's `fewshot_context` once:

- plain text: system part (system instruction and description joined by the few-shot delimiter when both are
  set, else whichever is set, with nothing after it), then per example question + target delimiter + answer +
  few-shot delimiter, then the question;
- with a chat template: the system part is a system message; each example is a user turn (the question) and an
  assistant turn (the answer), or with `fewshot_as_multiturn` off everything but the system part is one user
  message holding the plain text; the template opens the assistant's turn. Choices are then scored without
  the target delimiter (the assistant's turn starts right after the template's header).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shortlist.evaluate.protocol import PLAIN, PromptFormat


def join_delimited(prefix: str | None, suffix: str | None, delimiter: str) -> str:
    """prefix + delimiter + suffix, without the delimiter when either side already has whitespace at the join."""
    if not prefix:
        return suffix or ""
    if not suffix:
        return prefix
    if prefix[-1].isspace() or suffix[0].isspace():
        return prefix + suffix
    return prefix + delimiter + suffix


@dataclass
class _Turn:
    role: str
    content: str
    after: str = ""   # what follows the turn in plain text

    def text(self) -> str:
        return self.content + self.after


@dataclass(frozen=True)
class Prompter:
    """Contexts for one doc: the shared description and few-shot examples, then any question."""

    description: str = ""
    shots: Sequence[tuple[str, str]] = ()          # (question, answer) per few-shot example, in order
    target_delimiter: str = " "
    fewshot_delimiter: str = "\n\n"
    fmt: PromptFormat = PLAIN

    def _turns(self, question: str) -> list[_Turn]:
        turns: list[_Turn] = []
        system = join_delimited(self.fmt.system_instruction, self.description, self.fewshot_delimiter)
        if system:
            turns.append(_Turn("system", system))
        for q, a in self.shots:
            if a == "":
                turns.append(_Turn("user", q))
                continue
            turns.append(_Turn("user", q, self.target_delimiter))
            turns.append(_Turn("assistant", a, self.fewshot_delimiter))
        turns.append(_Turn("user", question))
        return turns

    def context(self, question: str) -> str:
        turns = self._turns(question)
        template = self.fmt.chat_template
        if template is None:
            return "".join(t.text() for t in turns)
        if self.fmt.fewshot_as_multiturn:
            return template([{"role": t.role, "content": t.content} for t in turns])
        system = [turns.pop(0)] if turns[0].role == "system" else []
        turns[-1].after = ""
        messages = [{"role": t.role, "content": t.content} for t in system]
        messages.append({"role": "user", "content": "".join(t.text() for t in turns)})
        return template(messages)

    @property
    def continuation_delimiter(self) -> str:
        """What goes before each scored choice: the target delimiter in plain text, nothing after a chat template."""
        return "" if self.fmt.chat else self.target_delimiter
