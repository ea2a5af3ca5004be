"""One typed task specification, in lm-evaluation-harness's own field names, and the task it makes.

`TaskSpec` is what a task *is*: where its documents come from (a Hub id and split, or a local file),
how a document becomes the question, the answer options and the target, how few-shot examples are chosen,
how generation stops, which metrics it reports. Built-in tasks (the Open LLM Leaderboard v2 suite) are
TaskSpecs, and so is every task a user's task file describes (see evaluate.custom). Unknown fields are
errors (`extra="forbid"`), so a misspelt key never silently changes a task.

`SpecTask` runs a TaskSpec with lm-eval 0.4.13's semantics: a `doc_to_*` field naming a document field
reads it; another string is a template filled from the document's fields (Python `str.format` syntax:
`{question}`, where lm-eval's YAML writes Jinja `{{question}}`); a callable is called with the document.
A multiple-choice target may be the right choice's index or its text; a target template that renders to
digits is read as an index, as lm-eval does.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shortlist.errors import BadInput, NotFound
from shortlist.evaluate import metrics as M
from shortlist.evaluate.datasets import load_hub_split
from shortlist.evaluate.fewshot import Sampler
from shortlist.evaluate.prompts import Prompter
from shortlist.evaluate.protocol import PLAIN, Doc, PathLike, PromptFormat, Result
from shortlist.evaluate.types import GenerationInstance, Instance, LoglikelihoodResult, MultipleChoiceInstance

DocFn = Callable[[Doc], Any]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


class FewshotConfig(_Strict):
    """How few-shot examples are drawn: `default` (seeded random, lm-eval's), `first_n`, or fixed `samples`."""

    sampler: Literal["default", "first_n"] = "default"
    samples: list[dict[str, Any]] | None = None


class GenerationKwargs(_Strict):
    until: list[str] = Field(default_factory=lambda: ["\n\n"])
    max_gen_toks: int = Field(256, ge=1, le=1_000_000)
    do_sample: bool = False
    temperature: float = Field(0.0, ge=0.0)


class MetricSpec(_Strict):
    metric: str
    aggregation: str = "mean"
    higher_is_better: bool = True


class TaskSpec(_Strict):
    """A task in lm-eval's terms (the fields of its task YAML that shortlist runs)."""

    task: str
    dataset_path: str | None = None       # the Hub dataset id lm-eval loads
    dataset_name: str | None = None       # its config
    test_split: str | None = None
    validation_split: str | None = None
    training_split: str | None = None
    fewshot_split: str | None = None
    output_type: Literal["multiple_choice", "generate_until"] = "multiple_choice"
    process_docs: Callable[[list[Doc]], list[Doc]] | None = None
    doc_to_text: str | DocFn
    doc_to_target: str | int | DocFn
    doc_to_choice: str | list[str] | DocFn | None = None
    description: str = ""
    target_delimiter: str = " "
    fewshot_delimiter: str = "\n\n"
    num_fewshot: int = Field(0, ge=0, le=10_000)
    fewshot_config: FewshotConfig = Field(default_factory=FewshotConfig)
    fewshot_seed: int | None = None       # shortlist: the task's own seed (lm-eval takes it from the command line)
    generation_kwargs: GenerationKwargs | None = None
    metric_list: list[MetricSpec] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", "1.0"))

    @property
    def eval_split(self) -> str:
        split = self.test_split or self.validation_split
        if split is None:
            raise BadInput(f"task {self.task} names no test_split or validation_split to evaluate")
        return split


def _template(text: str, doc: Doc) -> str:
    try:
        return text.format_map(doc)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise BadInput(f"cannot fill the template {text!r} from the document ({exc})") from None


class SpecTask:
    """The Task protocol over one TaskSpec: lm-eval's ConfigurableTask for the fields above."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        self.name = spec.task
        self.version = spec.version
        self.output_type: Literal["multiple_choice", "generate_until"] = spec.output_type
        self.default_fewshot = spec.num_fewshot
        self.fewshot_seed = spec.fewshot_seed
        default = ("acc", "acc_norm") if spec.output_type == "multiple_choice" else ("exact_match",)
        self.metrics: tuple[str, ...] = tuple(m.metric for m in spec.metric_list) or default
        self._data_dir: PathLike | None = None

    def __repr__(self) -> str:
        return f"<task {self.name} v{self.version}>"

    # --- documents ---------------------------------------------------------------------------------

    def read_split(self, split: str, data_dir: PathLike | None) -> list[Doc]:

        if self.spec.dataset_path is None:
            raise NotFound(f"task {self.name} names no dataset_path")
        return load_hub_split(self.spec.dataset_path, self.spec.dataset_name, split, data_dir)

    def _processed(self, rows: list[Doc]) -> list[Doc]:
        return self.spec.process_docs(rows) if self.spec.process_docs is not None else rows

    def load_docs(self, data_dir: PathLike | None = None) -> list[Doc]:
        self._data_dir = data_dir
        return self._processed(self.read_split(self.spec.eval_split, data_dir))

    def fewshot_docs(self) -> list[Doc]:
        spec = self.spec
        if spec.fewshot_split is not None:
            return self._processed(self.read_split(spec.fewshot_split, self._data_dir))
        if spec.fewshot_config.samples is not None:
            return [dict(s) for s in spec.fewshot_config.samples]
        for split in (spec.training_split, spec.validation_split, spec.test_split):
            if split is not None:
                return self._processed(self.read_split(split, self._data_dir))
        raise BadInput(f"task {self.name} has no split to draw few-shot examples from", "run it with num_fewshot 0")

    # --- fields --------------------------------------------------------------------------------------

    def doc_to_text(self, doc: Doc) -> str:
        f = self.spec.doc_to_text
        if callable(f):
            return str(f(doc))
        return str(doc[f]) if f in doc else _template(f, doc)

    def doc_to_choice(self, doc: Doc) -> list[str]:
        f = self.spec.doc_to_choice
        if f is None:
            raise BadInput(f"task {self.name} is multiple choice but has no doc_to_choice")
        if callable(f):
            out = f(doc)
        elif isinstance(f, list):
            out = f
        elif f in doc:
            out = doc[f]
        else:
            out = ast.literal_eval(_template(f, doc))
        return [str(c) for c in out]

    def doc_to_target(self, doc: Doc) -> Any:
        f = self.spec.doc_to_target
        if callable(f):
            return f(doc)
        if isinstance(f, int):
            return f
        if f in doc:
            return doc[f]
        text = _template(f, doc)
        if text.isdigit() and self.spec.doc_to_choice is not None:
            return int(text)
        if len(text) >= 2 and text[0] == "[" and text[-1] == "]":
            try:
                return ast.literal_eval(text)
            except (SyntaxError, ValueError):
                return text
        return text

    def gold(self, doc: Doc, choices: list[str]) -> int | tuple[int, ...]:
        """lm-eval's gold: an index, the text of a choice (-100 when it is none), or a list of either."""
        target = self.doc_to_target(doc)

        def one(t: Any) -> int:
            if isinstance(t, bool) or not isinstance(t, (int, str)):
                raise BadInput(f"task {self.name}: target {t!r} is neither a choice index nor a choice")
            if isinstance(t, str):
                return choices.index(t) if t in choices else -100
            return t if 0 <= t < len(choices) else -100

        return tuple(one(t) for t in target) if isinstance(target, list) else one(target)

    def fewshot_answer(self, doc: Doc) -> str:
        """The answer shown after a few-shot example's question."""
        target = self.doc_to_target(doc)
        if isinstance(target, int) and self.spec.doc_to_choice is not None:
            return self.doc_to_choice(doc)[target]
        if isinstance(target, list):
            target = target[0]
        return str(target)

    # --- instances -----------------------------------------------------------------------------------

    def instances(self, docs: list[Doc], num_fewshot: int | None = None, limit: int | None = None,
                  fewshot_seed: int | None = None, prompt_format: PromptFormat | None = None) -> list[Instance]:
        spec = self.spec
        n = self.default_fewshot if num_fewshot is None else num_fewshot
        if n < 0:
            raise BadInput(f"num_fewshot must be >= 0, got {n}")
        docs = docs[:limit] if limit is not None else docs
        sampler = None
        if n > 0:
            seed = fewshot_seed if fewshot_seed is not None else (spec.fewshot_seed if spec.fewshot_seed is not None
                                                                   else 1234)
            kind = "first_n" if spec.fewshot_config.sampler == "first_n" else "random"
            # lm-eval leaves the evaluated doc out of its examples when they come from the evaluated split
            sampler = Sampler(self.fewshot_docs(), kind, seed, exclude_eval_doc=spec.fewshot_split == spec.test_split)
        fmt = prompt_format or PLAIN
        out: list[Instance] = []
        for doc_id, doc in enumerate(docs):
            shots = sampler.sample(n, doc) if sampler is not None else []
            prompter = Prompter(spec.description, [(self.doc_to_text(s), self.fewshot_answer(s)) for s in shots],
                                spec.target_delimiter, spec.fewshot_delimiter, fmt)
            out.append(self.make_instance(doc_id, doc, prompter))
        return out

    def make_instance(self, doc_id: int, doc: Doc, prompter: Prompter) -> Instance:
        context = prompter.context(self.doc_to_text(doc))
        if self.output_type == "multiple_choice":
            choices = self.doc_to_choice(doc)
            return MultipleChoiceInstance(
                task=self.name, doc_id=doc_id, context=context,
                continuations=tuple(prompter.continuation_delimiter + c for c in choices),
                gold=self.gold(doc, choices), meta={"choices": choices, "doc": doc})
        gen = self.spec.generation_kwargs or GenerationKwargs(until=[self.spec.fewshot_delimiter])
        target = self.doc_to_target(doc)
        return GenerationInstance(
            task=self.name, doc_id=doc_id, prompt=context, until=tuple(gen.until), max_tokens=gen.max_gen_toks,
            reference=str(target[0] if isinstance(target, list) else target), meta={"doc": doc})

    # --- scores -------------------------------------------------------------------------------------

    def process_results(self, instance: Instance, results: Result) -> dict[str, float]:
        return self.process_results_batch([instance], [results])[0]

    def process_results_batch(self, instances: Sequence[Instance], results: Sequence[Result]) -> list[dict[str, float]]:
        out = []
        for inst, res in zip(instances, results, strict=True):
            if isinstance(inst, MultipleChoiceInstance):
                if isinstance(res, str) or len(res) != len(inst.continuations):
                    raise TypeError(f"{self.name}: expected one log-likelihood per choice")
                out.append(self.score_choices(inst, res))
            else:
                if not isinstance(res, str):
                    raise TypeError(f"{self.name}: a generation task scores generated text")
                out.append(self.score_generation(inst, res))
        return out

    def score_choices(self, inst: MultipleChoiceInstance, results: list[LoglikelihoodResult]) -> dict[str, float]:
        """acc / acc_norm as lm-eval: right when the (length-normalised) argmax is the gold, or any of the golds."""
        lls = [r.logprob for r in results]
        golds = inst.gold if isinstance(inst.gold, tuple) else (inst.gold,)
        scored = [M.multiple_choice(lls, inst.meta["choices"], g) for g in golds]
        best = {k: max(s[k] for s in scored) for k in ("acc", "acc_norm")}
        return {m: best[m] for m in self.metrics if m in best}

    def score_generation(self, inst: GenerationInstance, text: str) -> dict[str, float]:
        """Exact match against the target; tasks with their own scorer override this."""
        return {"exact_match": float(text == inst.reference)}

    def aggregate(self, per_doc: list[dict[str, float]]) -> dict[str, float]:
        return M.aggregate_means(per_doc, self.metrics)
