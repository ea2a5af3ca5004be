"""IFEval and MATH scoring give lm-evaluation-harness 0.4.13's own values, doc by doc, on the real data.

IFEval: for every one of the 541 prompts and a fixed set of responses, our strict and loose verdicts (per
instruction and per prompt) equal the harness's `process_results`. Two checkers need NLTK's punkt data; where it
is not installed both sides raise the same LookupError, which counts as agreement. MATH: our reference answer
equals the harness's for every solution of the test set, and exact_match / exact_match_original equal its
`process_results` for a fixed set of generations on the level-5 problems.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

pytest.importorskip("lm_eval")
pytest.importorskip("langdetect", reason="IFEval's checkers need the extra: pip install 'shortlist[ifeval]'")
pytest.importorskip("math_verify", reason="MATH's check needs the extra: pip install 'shortlist[math]'")

from shortlist.evaluate.datasets import load_hub_split
from shortlist.evaluate.tasks import ifeval, math_hard

RESPONSES = [
    "",
    "   ",
    "Sure.",
    "<<A Title>>\n\nFirst paragraph about the topic, with a few words.\n\n***\n\nSecond paragraph. It ends here.",
    "* point one\n* point two\n* point three\nP.S. remember this",
    "HELLO WORLD THIS IS ALL CAPITAL LETTERS WITHOUT ANY COMMA AND IT GOES ON FOR A WHILE",
    "```json\n{\"answer\": \"yes\", \"reason\": \"because\"}\n```",
    "my answer is yes.\nsection 1\nsome lowercase text only, no capitals here at all, with a comma",
    "\"Wrapped in double quotes, with the keyword banana and highlighted *part* here.\"",
    "Title line\n" + " ".join(f"word{i}" for i in range(420)) + "\nIs there anything else I can help with?",
]


def _lm_ifeval(doc: dict, response: str) -> dict:
    """The harness's verdicts, with `random` seeded as ours (a few checkers draw a random argument)."""
    from lm_eval.tasks.leaderboard.ifeval import utils

    random.seed(doc["key"])
    return utils.process_results(doc, [response])


@pytest.fixture(scope="module")
def ifeval_docs(shared_data: Path) -> list[dict]:
    return load_hub_split("wis-k/instruction-following-eval", None, "train", shared_data / "benchmarks")


def test_ifeval_verdicts_equal_lm_eval_on_every_prompt(ifeval_docs: list[dict]) -> None:
    compared = raised = 0
    for doc in ifeval_docs:
        for response in RESPONSES:
            try:
                theirs = _lm_ifeval(doc, response)
            except LookupError:   # NLTK data missing: ours must fail the same way
                with pytest.raises(LookupError):
                    ifeval.score(doc, response)
                raised += 1
                continue
            ours = ifeval.score(doc, response)
            n = len(doc["instruction_id_list"])
            for level in ("strict", "loose"):
                assert ours[f"prompt_level_{level}_acc"] == float(theirs[f"prompt_level_{level}_acc"]), (doc["key"],)
                followed = theirs[f"inst_level_{level}_acc"]
                assert round(ours[f"inst_level_{level}_acc"] * n) == sum(followed), (doc["key"], level)
            compared += 1
    assert compared > 0.8 * len(ifeval_docs) * len(RESPONSES)
    assert compared + raised == 541 * len(RESPONSES)


def test_ifeval_aggregate_is_lm_eval_flattened_mean(ifeval_docs: list[dict]) -> None:
    from lm_eval.tasks.leaderboard.ifeval import utils

    per_doc, theirs_inst = [], []
    for doc in ifeval_docs[:120]:
        response = RESPONSES[3]
        try:
            theirs = _lm_ifeval(doc, response)
        except LookupError:
            continue
        per_doc.append(ifeval.score(doc, response))
        theirs_inst.append(theirs["inst_level_strict_acc"])
    agg = ifeval.aggregate(per_doc)
    assert agg["inst_level_strict_acc"] == utils.agg_inst_level_acc(theirs_inst)
    assert agg["inst_level_strict_acc_stderr"] != agg["inst_level_strict_acc_stderr"]   # N/A, as lm-eval


@pytest.fixture(scope="module")
def math_rows(shared_data: Path) -> list[dict]:
    path = shared_data / "benchmarks" / "math" / "math_test_5000.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is not in the shared data")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_math_reference_answers_equal_lm_eval(math_rows: list[dict]) -> None:
    from lm_eval.tasks.leaderboard.math import utils

    for row in math_rows:
        theirs = utils.remove_boxed(utils.last_boxed_only_string(row["solution"]))
        assert math_hard.reference_answer(row["solution"]) == theirs, row["unique_id"]
    answers = [math_hard.reference_answer(r["solution"]) for r in math_rows]
    samples = [*answers[:400], "\\frac12", "\\dfrac{3}{4}", "10,000", "5 \\text{ cm}", "x = 3", "\\$4.50", "\\sqrt2"]
    for text in samples:
        assert math_hard.normalize(text) == utils.normalize_final_answer(text), text


def test_math_scores_equal_lm_eval(math_rows: list[dict]) -> None:
    from lm_eval.tasks.leaderboard.math import utils

    level5 = [r for r in math_rows if r["level"] == "Level 5"][:40]
    compared = 0
    for row in level5:
        doc = {"problem": row["problem"], "solution": row["solution"],
               "answer": utils.remove_boxed(utils.last_boxed_only_string(row["solution"]))}
        generations = [
            row["solution"],
            f"We compute it.\nFinal Answer: The final answer is ${doc['answer']}$. I hope it is correct.",
            "Final Answer: The final answer is $17$. I hope it is correct.",
            "I am not sure.",
        ]
        for gen in generations:
            theirs = utils.process_results(doc, [gen])
            ours = math_hard.score(doc, gen)
            assert ours == {k: float(v) for k, v in theirs.items()}, (row["unique_id"], gen[:60])
            compared += 1
    assert compared == 160
