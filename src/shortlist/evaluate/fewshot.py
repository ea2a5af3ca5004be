"""Few-shot example choice and prompt assembly, draw for draw as lm-eval 0.4.13's samplers.

lm-eval keeps one `random.Random(fewshot_seed)` per task and draws for each evaluated doc in
order, so the examples of doc i depend on every earlier draw: an `Sampler` must be used for the
docs in split order, once per run. When the few-shot split "equals" the eval split (in lm-eval:
the configured few-shot split equals `test_split`, which includes both being unset, as for
hellaswag, winogrande and truthfulqa), it draws n + 1 and drops the eval doc, which changes
the draws even when the doc is not in the pool.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, Literal

from shortlist.errors import BadInput

Doc = dict[str, Any]
SamplerKind = Literal["random", "first_n"]


class Sampler:
    """Draws few-shot docs from `pool` as lm-eval's default (`random`) or `first_n` sampler."""

    def __init__(self, pool: Sequence[Doc], kind: SamplerKind = "random", seed: int | None = 1234,
                 exclude_eval_doc: bool = False) -> None:
        self.pool = list(pool)
        self.kind = kind
        self.rng = random.Random(seed)
        self.exclude_eval_doc = exclude_eval_doc

    def sample(self, n: int, eval_doc: Doc | None = None) -> list[Doc]:
        if n < 0:
            raise BadInput(f"num_fewshot must be >= 0, got {n}")
        if n == 0:
            return []
        if self.kind == "first_n":
            # lm-eval's first_n only drops the eval doc when one is passed; none is for MMLU.
            pool = [d for d in self.pool if d != eval_doc] if self.exclude_eval_doc else self.pool
            if n > len(pool):
                raise BadInput(f"asked for {n} few-shot examples but only {len(pool)} are available")
            return list(pool[:n])
        if not self.pool:
            raise BadInput("no documents to draw few-shot examples from")
        if not self.exclude_eval_doc or not eval_doc:
            return self.rng.sample(self.pool, n)
        drawn = [d for d in self.rng.sample(self.pool, n + 1) if d != eval_doc][:n]
        if len(drawn) < n:  # the pool held copies of the eval doc
            drawn = self.rng.sample([d for d in self.pool if d != eval_doc], n)
        return drawn


def render_shots(shots: Sequence[tuple[str, str]], target_delimiter: str = " ", fewshot_delimiter: str = "\n\n") -> str:
    """Each example as question + target delimiter + answer + few-shot delimiter, in order."""
    return "".join(q + target_delimiter + a + fewshot_delimiter for q, a in shots)
