"""Winogrande (lm-eval `winogrande` v1.0, winogrande_xl validation): partial evaluation, acc.

The blank "_" is filled with each option to make one context per choice, and the model scores
the same continuation (the rest of the sentence) after each: the instances set
MultipleChoiceInstance.contexts. Few-shot examples (from train_xl, not in the shared data)
show the sentence filled with the right option.
"""

from __future__ import annotations

from typing import ClassVar

from shortlist.evaluate.prompts import Prompter
from shortlist.evaluate.tasks.base import Doc, MultipleChoiceTask
from shortlist.evaluate.types import Instance, MultipleChoiceInstance


def partial_contexts(doc: Doc) -> list[str]:
    """The sentence up to the blank, completed with option1 and option2."""
    cut = doc["sentence"].index("_")
    return [doc["sentence"][:cut] + doc["option1"], doc["sentence"][:cut] + doc["option2"]]


def _common_prefix(texts: tuple[str, ...]) -> str:
    first, last = min(texts), max(texts)
    i = 0
    while i < len(first) and first[i] == last[i]:
        i += 1
    return first[:i]


def continuation(doc: Doc) -> str:
    """The rest of the sentence after the blank, without surrounding whitespace."""
    return doc["sentence"][doc["sentence"].index("_") + 1 :].strip()


class Winogrande(MultipleChoiceTask):
    name = "winogrande"
    version = "1.0"
    metrics = ("acc",)
    lm_eval_keys: ClassVar[dict[str, str]] = {"acc": "acc,none"}
    dataset = "winogrande"
    eval_split = "validation"
    fewshot_split = "train"
    fewshot_excludes_eval_doc = True  # lm-eval: no fewshot_split and no test_split

    def doc_to_gold(self, doc: Doc) -> int:
        return {"1": 0, "2": 1}[str(doc["answer"])]

    def doc_to_choices(self, doc: Doc) -> list[str]:
        return partial_contexts(doc)

    def fewshot_example(self, doc: Doc) -> tuple[str, str]:
        return partial_contexts(doc)[self.doc_to_gold(doc)], continuation(doc)

    def make_instance(self, doc_id: int, doc: Doc, prompter: Prompter) -> Instance:
        # lm-eval's multiple-input context: the sentence filled with each option is the question
        contexts = tuple(prompter.context(c) for c in partial_contexts(doc))
        cont = prompter.continuation_delimiter + continuation(doc)
        return MultipleChoiceInstance(
            task=self.name,
            doc_id=doc_id,
            context=_common_prefix(contexts) if prompter.fmt.chat else prompter.context(""),
            continuations=(cont,) * len(contexts),
            gold=self.doc_to_gold(doc),
            meta={"choices": partial_contexts(doc)},
            contexts=contexts,
        )
