"""A scripted backend: deterministic answers without a model, so engine, resume and judge paths run without torch.

`--model fake:SCRIPT.yaml` (or .json) reads a script; `fake:NAME` uses the defaults. A script:

    name: my-fake                 # the model name runs record (default: the file's stem, or NAME)
    chat_template: chatml         # optional: render chat prompts ChatML-style
    generate:                     # first rule whose `match` (a regular expression) is found in the prompt wins
      - {match: "capital of France", text: "Paris"}
      - {match: "essay", text: "It was a dark", finish_reason: length, tokens: 1280}
      - {text: "I do not know"}   # no match: always
    loglikelihood: hash           # hash (default): a fixed pseudo-random number per (context, continuation);
                                  # length: minus the continuation's length, so the shortest choice wins

Every call is recorded in `calls` as (method, number of requests), which the tests read (one judge call
per batch, for instance).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from shortlist.errors import BadInput, NotFound
from shortlist.evaluate.backends.base import BackendStats, Capabilities, Group, simple_plan
from shortlist.evaluate.types import GenerationRequest, GenerationResult, LoglikelihoodResult


def chatml(messages: list[dict[str, str]]) -> str:
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return text + "<|im_start|>assistant\n"


def _hash_logprob(context: str, continuation: str) -> float:
    digest = hashlib.sha256(f"{context}\x00{continuation}".encode()).digest()
    return -round(int.from_bytes(digest[:4], "big") / 2**32 * 20.0, 6) - 0.01


class FakeBackend:
    """Deterministic answers from a script; counts tokens as whitespace-separated words."""

    def __init__(self, name: str = "fake", *, generate: Sequence[dict[str, Any]] = (), loglikelihood: str = "hash",
                 batch_size: int = 8, chat_template: str | None = None, capabilities: Capabilities | None = None,
                 responder: Callable[[GenerationRequest], GenerationResult] | None = None) -> None:
        if loglikelihood not in ("hash", "length"):
            raise BadInput(f"fake backend: loglikelihood must be 'hash' or 'length', got {loglikelihood!r}")
        if chat_template not in (None, "chatml"):
            raise BadInput(f"fake backend: chat_template must be 'chatml', got {chat_template!r}")
        self.name = f"fake:{name}"
        self.model_name = name
        self.rules = [dict(r) for r in generate]
        for rule in self.rules:
            if "text" not in rule:
                raise BadInput(f"fake backend: each generate rule needs 'text', got {rule!r}")
        self.ll_rule = loglikelihood
        self.batch_size = int(batch_size)
        self.capabilities = capabilities or Capabilities()
        self.stats = BackendStats()
        self.calls: list[tuple[str, int]] = []
        self.responder = responder
        if chat_template == "chatml":
            self.chat_template = chatml
        self._config = json.dumps([name, self.rules, loglikelihood, chat_template], sort_keys=True, default=str)

    def fingerprint(self) -> str:
        return hashlib.sha256(self._config.encode()).hexdigest()[:20]

    def describe(self) -> dict[str, Any]:
        return {"backend": "fake", "model": self.model_name, "dtype": None, "device": "cpu",
                "batch_size": self.batch_size, "fingerprint": self.fingerprint()}

    def plan(self, groups: Sequence[Group]) -> list[list[int]]:
        return simple_plan(groups, self.batch_size * 4)

    def loglikelihood(self, groups: Sequence[Group]) -> list[list[LoglikelihoodResult]]:
        self.calls.append(("loglikelihood", sum(len(g) for g in groups)))
        out = []
        for group in groups:
            res = []
            for r in group:
                lp = -float(len(r.continuation)) if self.ll_rule == "length" else _hash_logprob(r.context,
                                                                                                r.continuation)
                self.stats.tokens_fed += len((r.context + r.continuation).split())
                res.append(LoglikelihoodResult(lp, False))
            out.append(res)
        self.stats.forward_calls += 1
        return out

    def _respond(self, request: GenerationRequest) -> GenerationResult:
        if self.responder is not None:
            return self.responder(request)
        for rule in self.rules:
            if "match" not in rule or re.search(str(rule["match"]), request.prompt):
                text = str(rule["text"])
                for stop in request.until:
                    if stop and stop in text:
                        text = text[:text.index(stop)]
                tokens = int(rule.get("tokens", len(text.split())))
                return GenerationResult(text, str(rule.get("finish_reason", "stop")), tokens)
        return GenerationResult("", "stop", 0)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        self.calls.append(("generate", len(requests)))
        out = [self._respond(r) for r in requests]
        self.stats.tokens_fed += sum(len(r.prompt.split()) for r in requests) + sum(o.tokens or 0 for o in out)
        self.stats.forward_calls += 1
        return out


def load(spec: str, **options: Any) -> FakeBackend:
    """`fake:NAME` or `fake:SCRIPT.yaml|.json`; dtype/device options are accepted and ignored."""
    batch = options.get("batch_size", 8)
    batch = 8 if batch in (None, "auto") else int(batch)
    path = Path(spec).expanduser()
    if not spec.lower().endswith((".yaml", ".yml", ".json")):
        return FakeBackend(spec or "fake", batch_size=batch)
    if not path.is_file():
        raise NotFound(f"fake backend script {path} does not exist")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        script = json.loads(text)
    else:
        import yaml

        script = yaml.safe_load(text)
    if not isinstance(script, dict):
        raise BadInput(f"{path}: a fake backend script is a mapping (name, generate, loglikelihood, chat_template)")
    unknown = set(script) - {"name", "generate", "loglikelihood", "chat_template"}
    if unknown:
        raise BadInput(f"{path}: unknown keys {sorted(unknown)}", "use name, generate, loglikelihood, chat_template")
    return FakeBackend(str(script.get("name") or path.stem), generate=script.get("generate") or [],
                       loglikelihood=script.get("loglikelihood", "hash"), batch_size=batch,
                       chat_template=script.get("chat_template"))
