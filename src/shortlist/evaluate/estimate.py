"""Before a run: how many requests, how many tokens, and about how long on this device.

Tokens are counted with the model's own tokenizer when the backend has one (else about 4 characters a token).
A multiple-choice doc costs its context once and each choice after it (the hf backend shares the context);
a generation costs its prompt plus up to its token limit, so the budget is an upper bound. Samples already
in the store (resume) cost nothing. The duration is measured, not guessed: one batch of log-likelihoods and
one short generation are timed on the loaded model (`probe=False` skips that and gives no duration).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from shortlist.evaluate import results as R
from shortlist.evaluate.backends import Backend
from shortlist.evaluate.protocol import Task
from shortlist.evaluate.types import (
    GenerationInstance,
    GenerationRequest,
    Instance,
    LoglikelihoodRequest,
    MultipleChoiceInstance,
)
from shortlist.store import Store

PROBE_TOKENS = 16


class TaskPlan(BaseModel):
    task: str
    docs: int
    reused: int = 0                    # served from the store
    loglikelihood_requests: int = 0    # one per choice
    generations: int = 0
    prompt_tokens: int = 0             # fed for scoring / as generation prompts
    max_new_tokens: int = 0            # generation token limits added up


class RunPlan(BaseModel):
    tasks: list[TaskPlan] = Field(default_factory=list)
    requests: int = 0
    loglikelihood_requests: int = 0
    generations: int = 0
    prompt_tokens: int = 0
    max_new_tokens: int = 0
    token_budget: int = 0              # prompt_tokens + max_new_tokens
    tokens_counted: str = "estimated"  # "tokenizer" when the model's tokenizer counted them
    scoring_tokens_per_s: float | None = None
    generation_tokens_per_s: float | None = None
    est_seconds: float | None = None   # None without a probe
    basis: str = ""


def _counter(backend: Backend) -> tuple[Any, str]:
    encode = getattr(backend, "tok_encode", None)
    if callable(encode):
        return (lambda text: len(encode(text))), "tokenizer"
    return (lambda text: max(1, (len(text) + 3) // 4)), "estimated"


def estimate(prepared: Sequence[tuple[Task, list[Instance]]], backend: Backend, store: Store | None = None,
             resume: bool = True, probe: bool = True) -> RunPlan:
    count, how = _counter(backend)
    plan = RunPlan(tokens_counted=how)
    fp = backend.fingerprint() if store is not None and resume else ""
    todo: list[tuple[Task, list[Instance]]] = []
    for task, instances in prepared:
        stored = R.load_samples(store, fp, task.name, task.version) if fp else {}
        left = [i for i in instances if (i.doc_id, R.prompt_hash(i)) not in stored]
        tp = TaskPlan(task=task.name, docs=len(instances), reused=len(instances) - len(left))
        for inst in left:
            if isinstance(inst, MultipleChoiceInstance):
                tp.loglikelihood_requests += len(inst.continuations)
                if inst.contexts:
                    tp.prompt_tokens += sum(count(c) + count(x) for c, x in zip(inst.contexts, inst.continuations,
                                                                                strict=True))
                else:
                    tp.prompt_tokens += count(inst.context) + sum(count(c) for c in inst.continuations)
            else:
                assert isinstance(inst, GenerationInstance)
                tp.generations += 1
                tp.prompt_tokens += count(inst.prompt)
                tp.max_new_tokens += inst.max_tokens
        plan.tasks.append(tp)
        todo.append((task, left))
    plan.loglikelihood_requests = sum(t.loglikelihood_requests for t in plan.tasks)
    plan.generations = sum(t.generations for t in plan.tasks)
    plan.requests = plan.loglikelihood_requests + plan.generations
    plan.prompt_tokens = sum(t.prompt_tokens for t in plan.tasks)
    plan.max_new_tokens = sum(t.max_new_tokens for t in plan.tasks)
    plan.token_budget = plan.prompt_tokens + plan.max_new_tokens
    if probe and plan.requests:
        _probe(plan, todo, backend)
    return plan


def _probe(plan: RunPlan, todo: list[tuple[Task, list[Instance]]], backend: Backend) -> None:
    """Time one scoring batch and one short batched generation; the duration follows from the token counts.

    Generation is modelled as its prompts' prefill (at the scoring rate) plus one decode step per generated
    token for each batch of `batch_size` sequences, every generation at its token limit (an upper bound).
    """
    count, _ = _counter(backend)
    mc = [i for _, left in todo for i in left if isinstance(i, MultipleChoiceInstance)]
    gen = [i for _, left in todo for i in left if isinstance(i, GenerationInstance)]
    fed0 = backend.stats.tokens_fed
    scoring: float | None = None
    if backend.capabilities.loglikelihood and (mc or gen):
        groups = [i.requests() for i in mc[:64]] or [[LoglikelihoodRequest(g.prompt, " 0")] for g in gen[:8]]
        batch = backend.plan(groups)[-1]   # plans put the longest first: the last batch is a typical one
        t0 = time.perf_counter()
        backend.loglikelihood([groups[j] for j in batch])
        dt = time.perf_counter() - t0
        fed = backend.stats.tokens_fed - fed0   # a backend that does not count: the batch's own tokens
        fed = fed or sum(count(r.context) + count(r.continuation) for j in batch for r in groups[j])
        scoring = fed / dt if dt > 0 and fed > 0 else None
        plan.scoring_tokens_per_s = scoring
    step_s: float | None = None
    if gen and backend.capabilities.generate:
        k = max(1, min(len(gen), backend.batch_size))
        requests = [GenerationRequest(g.prompt, g.until, min(PROBE_TOKENS, g.max_tokens)) for g in gen[:k]]
        t0 = time.perf_counter()
        outs = backend.generate(requests)
        dt = time.perf_counter() - t0
        made = [getattr(o, "tokens", None) or min(PROBE_TOKENS, r.max_tokens) for o, r in zip(outs, requests,
                                                                                              strict=True)]
        prefill_s = sum(count(r.prompt) for r in requests) / scoring if scoring else 0.0
        decode_s = max(dt - prefill_s, 0.2 * dt)
        step_s = decode_s / max(max(made), 1)
        plan.generation_tokens_per_s = sum(made) / dt if dt > 0 else None
    backend.stats.tokens_fed = fed0
    mc_tokens = sum(t.prompt_tokens for t in plan.tasks if t.loglikelihood_requests)
    gen_prompt = plan.prompt_tokens - mc_tokens
    seconds = 0.0
    if mc_tokens:
        if scoring is None:
            return
        seconds += mc_tokens / scoring
    if plan.generations:
        if step_s is None:
            return
        batch = max(1, backend.batch_size)
        per_request = plan.max_new_tokens / plan.generations
        seconds += -(-plan.generations // batch) * per_request * step_s
        seconds += gen_prompt / scoring if scoring else 0.0
    plan.est_seconds = seconds
    plan.basis = "timed on this device: one scoring batch" + (
        f" and a {PROBE_TOKENS}-token generation of one batch; every generation counted at its token limit (an "
        "upper bound)" if plan.generations else "")


def describe(plan: RunPlan) -> str:
    """The plan in one paragraph, for the terminal."""
    parts = [f"{plan.requests:,} requests ({plan.loglikelihood_requests:,} log-likelihoods, "
             f"{plan.generations:,} generations)"]
    reused = sum(t.reused for t in plan.tasks)
    if reused:
        parts.append(f"{reused:,} docs already stored")
    budget = f"token budget {plan.token_budget:,} ({plan.prompt_tokens:,} prompt"
    budget += f" + up to {plan.max_new_tokens:,} generated)" if plan.max_new_tokens else ")"
    parts.append(budget + ("" if plan.tokens_counted == "tokenizer" else ", estimated at 4 characters a token"))
    if plan.est_seconds is not None:
        parts.append(f"about {_duration(plan.est_seconds)} on this device ({plan.basis})")
    return "; ".join(parts)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
