"""The shared machinery of the built-in v1 tasks (the Task protocol itself is in evaluate.protocol).

A built-in task states lm-eval's YAML as code: which split is evaluated, which one few-shot
examples come from and how they are drawn, how a doc becomes question, choices and gold.
Contexts are built by evaluate.prompts (lm-eval's plain text by default:
    description + (question + " " + answer + "\\n\\n") per few-shot example + question
with each choice scored as the continuation " " + choice; or a chat template).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from shortlist.errors import BadInput, NotFound
from shortlist.evaluate import metrics as M
from shortlist.evaluate.datasets import load_split
from shortlist.evaluate.fewshot import Sampler, SamplerKind
from shortlist.evaluate.filters import FilterPipeline
from shortlist.evaluate.prompts import Prompter
from shortlist.evaluate.protocol import PLAIN, Doc, PathLike, PromptFormat, Result, Task
from shortlist.evaluate.types import GenerationInstance, Instance, LoglikelihoodResult, MultipleChoiceInstance

__all__ = ["BuiltinTask", "Doc", "GenerateUntilTask", "MultipleChoiceTask", "PathLike", "Task"]


class BuiltinTask:
    """lm-eval's ConfigurableTask behaviour for the fields the built-in tasks use."""

    name: str = ""
    version: str = "1.0"
    output_type: Literal["multiple_choice", "generate_until"] = "multiple_choice"
    default_fewshot: int = 0
    metrics: tuple[str, ...] = ("acc",)
    # our metric -> lm-eval's results key, to compare with lm-eval's results JSON
    lm_eval_keys: ClassVar[dict[str, str]] = {}
    dataset: str = ""
    eval_split: str = "test"
    fewshot_split: str | None = None
    sampler_kind: SamplerKind = "random"
    # lm-eval passes the eval doc to the sampler when its few-shot split equals test_split
    fewshot_excludes_eval_doc: bool = False
    description: str = ""
    target_delimiter: str = " "
    fewshot_delimiter: str = "\n\n"
    subject: str | None = None

    def __init__(self) -> None:
        self._data_dir: PathLike | None = None

    def __repr__(self) -> str:
        return f"<task {self.name} v{self.version}>"

    # --- documents ---------------------------------------------------------------------------

    def process_docs(self, rows: list[Doc]) -> list[Doc]:
        return rows

    def load_docs(self, data_dir: PathLike | None = None) -> list[Doc]:
        """The eval split in lm-eval's order; remembers data_dir for the few-shot split."""
        self._data_dir = data_dir
        return self.process_docs(load_split(self.dataset, self.eval_split, data_dir, subject=self.subject))

    def fewshot_docs(self) -> list[Doc]:
        split = self.fewshot_split or self.eval_split
        try:
            rows = load_split(self.dataset, split, self._data_dir, subject=self.subject)
        except NotFound as exc:
            raise NotFound(
                f"{self.name}: few-shot examples come from the {split} split, which is not available",
                f"{exc.hint or exc.message}; or run with num_fewshot=0",
            ) from exc
        return self.process_docs(rows)

    # --- prompts -------------------------------------------------------------------------------

    def doc_to_text(self, doc: Doc) -> str:
        raise NotImplementedError

    def fewshot_example(self, doc: Doc) -> tuple[str, str]:
        """(question, answer) of one doc used as a few-shot example."""
        raise NotImplementedError

    def make_instance(self, doc_id: int, doc: Doc, prompter: Prompter) -> Instance:
        raise NotImplementedError

    def instances(
        self,
        docs: list[Doc],
        num_fewshot: int | None = None,
        limit: int | None = None,
        fewshot_seed: int | None = None,
        prompt_format: PromptFormat | None = None,
        *,
        fewshot_docs: Sequence[Doc] | None = None,
    ) -> list[Instance]:
        """One instance per doc (docs[:limit]), few-shot draws made in doc order as lm-eval does.

        `fewshot_docs` supplies the few-shot pool directly (e.g. a train split kept elsewhere).
        """
        n = self.default_fewshot if num_fewshot is None else num_fewshot
        if n < 0:
            raise BadInput(f"num_fewshot must be >= 0, got {n}")
        if limit is not None:
            docs = docs[:limit]
        sampler = None
        if n > 0:
            if fewshot_docs is not None:
                pool = self.process_docs([dict(d) for d in fewshot_docs])
            else:
                pool = self.fewshot_docs()
            seed = 1234 if fewshot_seed is None else fewshot_seed
            sampler = Sampler(pool, self.sampler_kind, seed, self.fewshot_excludes_eval_doc)
        fmt = prompt_format or PLAIN
        out: list[Instance] = []
        for doc_id, doc in enumerate(docs):
            shots = sampler.sample(n, doc) if sampler is not None else []
            prompter = Prompter(self.description, [self.fewshot_example(s) for s in shots], self.target_delimiter,
                                self.fewshot_delimiter, fmt)
            out.append(self.make_instance(doc_id, doc, prompter))
        return out

    # --- scores ------------------------------------------------------------------------------

    def process_results(self, instance: Instance, results: list[LoglikelihoodResult] | str) -> dict[str, float]:
        raise NotImplementedError

    def process_results_batch(self, instances: Sequence[Instance], results: Sequence[Result]) -> list[dict[str, float]]:
        return [self.process_results(i, r) for i, r in zip(instances, results, strict=True)]

    def aggregate(self, per_doc: list[dict[str, float]]) -> dict[str, float]:
        """Each metric's mean and `<metric>_stderr` (lm-eval's formulas), and `n`, the doc count."""
        return M.aggregate_means(per_doc, self.metrics)


class MultipleChoiceTask(BuiltinTask):
    """Score each choice as a continuation of the same context; acc / acc_norm by argmax."""

    metrics: tuple[str, ...] = ("acc", "acc_norm")

    def doc_to_choices(self, doc: Doc) -> list[str]:
        raise NotImplementedError

    def doc_to_gold(self, doc: Doc) -> int:
        raise NotImplementedError

    def fewshot_example(self, doc: Doc) -> tuple[str, str]:
        return self.doc_to_text(doc), self.doc_to_choices(doc)[self.doc_to_gold(doc)]

    def make_instance(self, doc_id: int, doc: Doc, prompter: Prompter) -> Instance:
        choices = self.doc_to_choices(doc)
        return MultipleChoiceInstance(
            task=self.name,
            doc_id=doc_id,
            context=prompter.context(self.doc_to_text(doc)),
            continuations=tuple(prompter.continuation_delimiter + c for c in choices),
            gold=self.doc_to_gold(doc),
            meta={"choices": list(choices)},
        )

    @staticmethod
    def logprobs(instance: Instance, results: list[LoglikelihoodResult] | str) -> list[float]:
        if not isinstance(instance, MultipleChoiceInstance) or isinstance(results, str):
            raise TypeError("a multiple-choice task scores log-likelihood results of a MultipleChoiceInstance")
        if len(results) != len(instance.continuations):
            raise ValueError(f"{len(results)} results for {len(instance.continuations)} choices")
        return [r.logprob for r in results]

    def process_results(self, instance: Instance, results: list[LoglikelihoodResult] | str) -> dict[str, float]:
        lls = self.logprobs(instance, results)
        assert isinstance(instance, MultipleChoiceInstance)
        gold = instance.gold if isinstance(instance.gold, int) else instance.gold[0]
        scores = M.multiple_choice(lls, instance.meta["choices"], gold)
        return {m: scores[m] for m in self.metrics}


class GenerateUntilTask(BuiltinTask):
    """Greedy generation until a stop string; filter pipelines extract the answer; exact_match."""

    output_type: Literal["multiple_choice", "generate_until"] = "generate_until"
    until: tuple[str, ...] = ("\n\n",)
    max_tokens: int = 256  # lm-eval's HF backend default max_gen_toks
    filters: tuple[FilterPipeline, ...] = (FilterPipeline("none"),)
    exact_match_kwargs: ClassVar[dict[str, Any]] = {}

    def doc_to_target(self, doc: Doc) -> str:
        raise NotImplementedError

    def fewshot_example(self, doc: Doc) -> tuple[str, str]:
        return self.doc_to_text(doc), self.doc_to_target(doc)

    def make_instance(self, doc_id: int, doc: Doc, prompter: Prompter) -> Instance:
        return GenerationInstance(
            task=self.name,
            doc_id=doc_id,
            prompt=prompter.context(self.doc_to_text(doc)),
            until=self.until,
            max_tokens=self.max_tokens,
            reference=self.doc_to_target(doc),
        )

    def process_results(self, instance: Instance, results: list[LoglikelihoodResult] | str) -> dict[str, float]:
        if not isinstance(instance, GenerationInstance):
            raise TypeError("a generation task scores the generated text of a GenerationInstance")
        responses = [results] if isinstance(results, str) else list(results)
        if not all(isinstance(r, str) for r in responses):
            raise TypeError("generation results must be strings")
        return {
            f"exact_match,{f.name}": M.exact_match(f.apply(responses), instance.reference, **self.exact_match_kwargs)
            for f in self.filters
        }
