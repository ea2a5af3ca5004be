"""The Open LLM Leaderboard v2 suite: lm-evaluation-harness 0.4.13's `leaderboard_*` tasks as TaskSpecs.

| group | tasks | type | shots | metric |
|---|---|---|---|---|
| leaderboard_ifeval | 1 (541 prompts) | generate to end of text, 1280 tokens | 0 | prompt/inst. strict/loose |
| leaderboard_bbh | 24 BIG-Bench Hard tasks | multiple choice | 3 (fixed) | acc_norm |
| leaderboard_math_hard | 7 MATH subjects, level 5 | generate until "Problem:", 1024 tokens | 4 (fixed) | exact_match |
| leaderboard_musr | 3 | multiple choice | 0 | acc_norm |
| leaderboard_mmlu_pro | 1 | multiple choice, up to 10 options | 5 (validation, first 5) | acc |
| leaderboard_gpqa | diamond, extended, main | multiple choice | 0 | acc_norm |

Every prompt is checked byte for byte against the harness's own in tests/evaluate/test_leaderboard_v2_parity.py.
GPQA's choice order: the harness shuffles each question's four answers with Python's global `random` (seeded 0 at
start); here each subset is shuffled with its own `random.Random(0)` in file order, which is the harness's order
when it runs that subset alone on a fresh datasets cache (the harness caches the shuffled rows on disk, so its
order on a machine is whatever its first run drew).
"""

from __future__ import annotations

import ast
import functools
import random
import re
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from shortlist.evaluate.datasets import BBH_TASKS, MATH_SUBJECTS, MUSR_SPLITS
from shortlist.evaluate.protocol import Doc
from shortlist.evaluate.spec import FewshotConfig, GenerationKwargs, MetricSpec, SpecTask, TaskSpec
from shortlist.evaluate.tasks import ifeval, math_hard
from shortlist.evaluate.types import GenerationInstance, Instance

DATA = Path(__file__).with_name("data")
ACC_NORM = [MetricSpec(metric="acc_norm")]

# lm-eval's task name part -> MATH subject config
MATH_TASKS = {
    "algebra": "algebra", "counting_and_prob": "counting_and_probability", "geometry": "geometry",
    "intermediate_algebra": "intermediate_algebra", "num_theory": "number_theory", "prealgebra": "prealgebra",
    "precalculus": "precalculus",
}
assert set(MATH_TASKS.values()) == set(MATH_SUBJECTS)
GPQA_SUBSETS = ("diamond", "extended", "main")

GROUPS: dict[str, tuple[str, ...]] = {
    "leaderboard_bbh": tuple(f"leaderboard_bbh_{t}" for t in BBH_TASKS),
    "leaderboard_math_hard": tuple(f"leaderboard_math_{t}_hard" for t in MATH_TASKS),
    "leaderboard_musr": tuple(f"leaderboard_musr_{s}" for s in MUSR_SPLITS),
    "leaderboard_gpqa": tuple(f"leaderboard_gpqa_{s}" for s in GPQA_SUBSETS),
}
GROUP_METRICS = {"leaderboard_bbh": ("acc_norm",), "leaderboard_math_hard": ("exact_match",),
                 "leaderboard_musr": ("acc_norm",), "leaderboard_gpqa": ("acc_norm",)}


# --- BIG-Bench Hard ------------------------------------------------------------------------------------


@functools.cache
def _bbh_data() -> dict[str, Any]:
    return yaml.safe_load((DATA / "bbh.yaml").read_text(encoding="utf-8"))["tasks"]


def bbh(name: str) -> SpecTask:
    d = _bbh_data()[name]
    return SpecTask(TaskSpec(
        task=f"leaderboard_bbh_{name}", dataset_path="SaylorTwift/bbh", dataset_name=name, test_split="test",
        output_type="multiple_choice", doc_to_text="Q: {input}\nA:", doc_to_target="target",
        doc_to_choice=list(d["choices"]), description=d["description"], num_fewshot=3,
        fewshot_config=FewshotConfig(sampler="first_n", samples=d["shots"]), metric_list=ACC_NORM,
        metadata={"version": "1.0"}))


# --- MATH level 5 --------------------------------------------------------------------------------------


def _math_docs(rows: list[Doc]) -> list[Doc]:
    return [{"problem": r["problem"], "solution": r["solution"], "answer": math_hard.reference_answer(r["solution"])}
            for r in rows if r["level"] == "Level 5"]


def _math_text(doc: Doc) -> str:
    return "Problem:\n" + doc["problem"] + "\n\nSolution:"


def _math_target(doc: Doc) -> str:
    return doc["solution"] if "few_shot" in doc else doc["answer"]


@functools.cache
def _math_shots() -> list[dict[str, Any]]:
    shots = yaml.safe_load((DATA / "math_fewshot.yaml").read_text(encoding="utf-8"))["shots"]
    return [{**s, "few_shot": "1", "level": "Level 5"} for s in shots]


class MathHardTask(SpecTask):
    def score_generation(self, inst: GenerationInstance, text: str) -> dict[str, float]:
        return math_hard.score(inst.meta["doc"], text)


def math(name: str) -> SpecTask:
    return MathHardTask(TaskSpec(
        task=f"leaderboard_math_{name}_hard", dataset_path="DigitalLearningGmbH/MATH-lighteval",
        dataset_name=MATH_TASKS[name], training_split="train", test_split="test", output_type="generate_until",
        process_docs=_math_docs, doc_to_text=_math_text, doc_to_target=_math_target, num_fewshot=4,
        fewshot_config=FewshotConfig(sampler="first_n", samples=_math_shots()),
        generation_kwargs=GenerationKwargs(until=["Problem:"], max_gen_toks=1024),
        metric_list=[MetricSpec(metric="exact_match"), MetricSpec(metric="exact_match_original")],
        metadata={"version": "3.0"}))


# --- MuSR ----------------------------------------------------------------------------------------------


def _musr_choices(doc: Doc) -> list[str]:
    raw = doc["choices"]
    return list(ast.literal_eval(raw) if isinstance(raw, str) else raw)


def _musr_text(doc: Doc) -> str:
    options = "".join(f"{i + 1} - {c}\n" for i, c in enumerate(_musr_choices(doc)))
    return f"{doc['narrative']}\n\n{doc['question']}\n\n{options}\nAnswer:"


def musr(split: str) -> SpecTask:
    return SpecTask(TaskSpec(
        task=f"leaderboard_musr_{split}", dataset_path="TAUR-Lab/MuSR", test_split=split,
        output_type="multiple_choice", doc_to_text=_musr_text, doc_to_target="{answer_choice}",
        doc_to_choice=_musr_choices, metric_list=ACC_NORM, metadata={"version": "1.0"}))


# --- MMLU-Pro --------------------------------------------------------------------------------------------


def _mmlu_pro_text(doc: Doc) -> str:
    options = "".join(f"{string.ascii_uppercase[i]}. {o}\n" for i, o in enumerate(doc["options"]))
    return f"{doc['question']}\n{options}Answer:"


def _mmlu_pro_choices(doc: Doc) -> list[str]:
    return list(string.ascii_uppercase[:len(doc["options"])])


def mmlu_pro() -> SpecTask:
    return SpecTask(TaskSpec(
        task="leaderboard_mmlu_pro", dataset_path="TIGER-Lab/MMLU-Pro", test_split="test", fewshot_split="validation",
        output_type="multiple_choice", doc_to_text=_mmlu_pro_text, doc_to_target="answer",
        doc_to_choice=_mmlu_pro_choices, num_fewshot=5, fewshot_config=FewshotConfig(sampler="first_n"),
        metric_list=[MetricSpec(metric="acc")], metadata={"version": "0.1"}))


# --- GPQA ------------------------------------------------------------------------------------------------


def _gpqa_clean(text: str | None) -> str:
    if text is None:
        return " "
    text = text.strip().replace(" [title]", ". ")
    return re.sub("\\[.*?\\]", "", text).replace("  ", " ")


def _gpqa_docs(rows: list[Doc]) -> list[Doc]:
    rng = random.Random(0)
    out = []
    for r in rows:
        right = _gpqa_clean(r["Correct Answer"])
        options = [_gpqa_clean(r[f"Incorrect Answer {i}"]) for i in (1, 2, 3)] + [right]
        rng.shuffle(options)
        out.append({**r, "choice1": options[0], "choice2": options[1], "choice3": options[2], "choice4": options[3],
                    "answer": f"({chr(65 + options.index(right))})"})
    return out


def gpqa(subset: str) -> SpecTask:
    return SpecTask(TaskSpec(
        task=f"leaderboard_gpqa_{subset}", dataset_path="Idavidrein/gpqa", dataset_name=f"gpqa_{subset}",
        training_split="train", validation_split="train", output_type="multiple_choice", process_docs=_gpqa_docs,
        doc_to_text="What is the correct answer to this question:{Question}\nChoices:\n(A) {choice1}\n(B) {choice2}\n"
                    "(C) {choice3}\n(D) {choice4}\nAnswer: ",
        doc_to_target="answer", doc_to_choice=["(A)", "(B)", "(C)", "(D)"],
        fewshot_config=FewshotConfig(sampler="first_n"), metric_list=ACC_NORM, metadata={"version": "1.0"}))


# --- IFEval ----------------------------------------------------------------------------------------------


class IFEvalTask(SpecTask):
    def preflight(self, instances: list[Instance]) -> None:
        """Called by the engine before any request is sent: checkers that cannot run say so now."""
        ifeval.require_nltk_data([i.meta["doc"] for i in instances])

    def score_generation(self, inst: GenerationInstance, text: str) -> dict[str, float]:
        return ifeval.score(inst.meta["doc"], text)

    def aggregate(self, per_doc: list[dict[str, float]]) -> dict[str, float]:
        return ifeval.aggregate(per_doc)


def ifeval_task() -> SpecTask:
    return IFEvalTask(TaskSpec(
        task="leaderboard_ifeval", dataset_path="wis-k/instruction-following-eval", test_split="train",
        output_type="generate_until", doc_to_text="prompt", doc_to_target=0,
        generation_kwargs=GenerationKwargs(until=[], max_gen_toks=1280),
        metric_list=[MetricSpec(metric=m) for m in ifeval.METRICS], metadata={"version": "3.0"}))


FACTORIES: dict[str, Callable[[], SpecTask]] = {"leaderboard_ifeval": ifeval_task, "leaderboard_mmlu_pro": mmlu_pro}
for _t in BBH_TASKS:
    FACTORIES[f"leaderboard_bbh_{_t}"] = functools.partial(bbh, _t)
for _m in MATH_TASKS:
    FACTORIES[f"leaderboard_math_{_m}_hard"] = functools.partial(math, _m)
for _s in MUSR_SPLITS:
    FACTORIES[f"leaderboard_musr_{_s}"] = functools.partial(musr, _s)
for _g in GPQA_SUBSETS:
    FACTORIES[f"leaderboard_gpqa_{_g}"] = functools.partial(gpqa, _g)
