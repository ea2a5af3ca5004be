"""The Open LLM Leaderboard v2 tasks build byte-identical requests to lm-evaluation-harness 0.4.13's own.

lm-eval's `leaderboard_*` tasks are built from their installed YAML (includes and `!function utils` resolved
by lm-eval's loader) over the same rows, offline (`custom_dataset`). For the first 50 docs of every subtask
whose data is in the shared benchmarks folder, every (context, continuation) of a multiple-choice doc and
every (prompt, stop strings, token limit) of a generation doc must be equal, byte for byte: in plain text,
and with a chat template and few-shot examples as turns (the leaderboard's settings) or as one user message.
GPQA and MuSR data are not shared (GPQA is gated): their prompts are checked on synthetic rows of the same
schema, and GPQA's answer shuffle against lm-eval's own `process_docs`.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import Any

import pytest

lm_eval = pytest.importorskip("lm_eval")
datasets = pytest.importorskip("datasets")

from lm_eval.api.task import ConfigurableTask  # noqa: E402
from lm_eval.tasks._yaml_loader import load_yaml  # noqa: E402

from shortlist.evaluate.datasets import BBH_TASKS, has_split, load_hub_split  # noqa: E402
from shortlist.evaluate.protocol import PromptFormat  # noqa: E402
from shortlist.evaluate.tasks import expand_tasks, get_task  # noqa: E402
from shortlist.evaluate.tasks.leaderboard import MATH_TASKS, _gpqa_docs  # noqa: E402
from shortlist.evaluate.types import GenerationInstance, MultipleChoiceInstance  # noqa: E402

LB = Path(lm_eval.__file__).parent / "tasks" / "leaderboard"
N_DOCS = 50
logging.getLogger("lm_eval").setLevel(logging.ERROR)


def chatml(messages: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
    """A ChatML-style template (what SmolLM2's renders), enough to show every message boundary."""
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")


FORMATS = {
    "plain": (PromptFormat(), {}),
    "chat-multiturn": (PromptFormat(chatml, fewshot_as_multiturn=True),
                       {"apply_chat_template": True, "fewshot_as_multiturn": True, "chat_template": chatml}),
    "chat-oneturn": (PromptFormat(chatml, fewshot_as_multiturn=False),
                     {"apply_chat_template": True, "fewshot_as_multiturn": False, "chat_template": chatml}),
}


def yaml_for(task: str) -> Path:
    if task.startswith("leaderboard_bbh_"):
        return LB / "bbh_mc" / f"{task.removeprefix('leaderboard_bbh_')}.yaml"
    if task.startswith("leaderboard_math_"):
        return LB / "math" / f"math_{task.removeprefix('leaderboard_math_').removesuffix('_hard')}.yaml"
    if task.startswith("leaderboard_musr_"):
        return LB / "musr" / f"musr_{task.removeprefix('leaderboard_musr_')}.yaml"
    if task.startswith("leaderboard_gpqa_"):
        return LB / "gpqa" / f"gpqa_{task.removeprefix('leaderboard_gpqa_')}_zeroshot.yaml"
    return {"leaderboard_ifeval": LB / "ifeval" / "ifeval.yaml",
            "leaderboard_mmlu_pro": LB / "mmlu_pro" / "mmlu_pro.yaml"}[task]


def needs_scorer_extras(task: str) -> None:
    """lm-eval's MATH and IFEval task files import their scorers' libraries (extras math / ifeval)."""
    if task.startswith("leaderboard_math_"):
        pytest.importorskip("math_verify", reason="pip install 'shortlist[math]'")
    if task == "leaderboard_ifeval":
        pytest.importorskip("langdetect", reason="pip install 'shortlist[ifeval]'")


def lm_eval_task(task: str, splits: dict[str, list[dict[str, Any]]], render: dict[str, Any], **overrides: Any):
    needs_scorer_extras(task)
    cfg = load_yaml(yaml_for(task), resolve_func=True)
    for key in ("tag", "group", "task_list"):
        cfg.pop(key, None)
    cfg.update(overrides)
    cfg["custom_dataset"] = lambda **_: datasets.DatasetDict(
        {name: datasets.Dataset.from_list(rows) for name, rows in splits.items()})
    lm = ConfigurableTask(config=cfg)
    lm.set_fewshot_seed(seed=1234)
    lm.build_all_requests(limit=N_DOCS, **render)
    return lm


def by_doc(lm) -> dict[int, list]:
    out: dict[int, list] = {}
    for inst in sorted(lm.instances, key=lambda i: (i.doc_id, i.idx)):
        out.setdefault(inst.doc_id, []).append(inst)
    return out


def assert_same_requests(lm, ours: list) -> int:
    """Every request equal; returns the number of docs compared."""
    theirs = by_doc(lm)
    assert len(ours) == len(theirs) == min(N_DOCS, len(theirs))
    for inst in ours:
        lm_insts = theirs[inst.doc_id]
        if isinstance(inst, MultipleChoiceInstance):
            mine = [(r.context, r.continuation) for r in inst.requests()]
            assert mine == [tuple(i.args) for i in lm_insts], (inst.task, inst.doc_id)
            gold = lm.doc_to_target(lm_insts[0].doc)
            choices = lm.doc_to_choice(lm_insts[0].doc)
            assert inst.gold == (choices.index(gold) if isinstance(gold, str) else gold), (inst.task, inst.doc_id)
        else:
            assert isinstance(inst, GenerationInstance)
            (lm_inst,) = lm_insts
            context, gen_kwargs = lm_inst.args
            assert inst.prompt == context, (inst.task, inst.doc_id)
            assert list(inst.until) == list(gen_kwargs["until"])
            assert inst.max_tokens == gen_kwargs["max_gen_toks"]
    return len(ours)


def _eval_split(task: str) -> tuple[str, str | None, str]:
    t = get_task(task)
    return t.spec.dataset_path, t.spec.dataset_name, t.spec.eval_split


def _rows(task: str, bench: Path) -> dict[str, list[dict[str, Any]]]:
    path, name, split = _eval_split(task)
    rows = load_hub_split(path, name, split, bench)
    splits = {split: rows}
    if task == "leaderboard_mmlu_pro":
        splits["validation"] = load_hub_split(path, None, "validation", bench)
    if task.startswith("leaderboard_math_"):
        splits["train"] = rows
    return splits


REAL = ["leaderboard_ifeval", "leaderboard_mmlu_pro", *(f"leaderboard_bbh_{t}" for t in BBH_TASKS),
        *(f"leaderboard_math_{t}_hard" for t in MATH_TASKS)]


@pytest.fixture(scope="module")
def bench(shared_data: Path) -> Path:
    return shared_data / "benchmarks"


# every subtask plain and as the leaderboard ran it; the one-turn chat format on one task of each kind
CASES = [(t, f) for t in REAL for f in ("plain", "chat-multiturn")] + [
    (t, "chat-oneturn") for t in ("leaderboard_bbh_boolean_expressions", "leaderboard_mmlu_pro",
                                  "leaderboard_math_algebra_hard", "leaderboard_ifeval")]


@pytest.mark.parametrize(("task_name", "fmt"), CASES, ids=[f"{t}-{f}" for t, f in CASES])
def test_prompts_match_lm_eval_on_real_data(task_name: str, fmt: str, bench: Path) -> None:
    ours_fmt, render = FORMATS[fmt]
    splits = _rows(task_name, bench)   # every REAL task's data is in the shared folder (test below)
    task = get_task(task_name)
    docs = task.load_docs(bench)
    ours = task.instances(docs, limit=N_DOCS, prompt_format=ours_fmt)
    lm = lm_eval_task(task_name, splits, render)
    assert assert_same_requests(lm, ours) == min(N_DOCS, len(docs))


def test_every_v2_subtask_is_built_in() -> None:
    names = [t.name for t in expand_tasks(["leaderboard_bbh", "leaderboard_math_hard", "leaderboard_musr",
                                           "leaderboard_gpqa", "leaderboard_ifeval", "leaderboard_mmlu_pro"])]
    assert len(names) == 24 + 7 + 3 + 3 + 1 + 1
    for name in names:
        assert yaml_for(name).is_file(), name
    versions = {t.name: t.version for t in expand_tasks(["leaderboard_ifeval", "leaderboard_mmlu_pro"])}
    assert versions == {"leaderboard_ifeval": "3.0", "leaderboard_mmlu_pro": "0.1"}


def test_shared_data_covers_what_provenance_lists(bench: Path) -> None:
    assert has_split("mmlu_pro", "validation", bench) and has_split("ifeval", "train", bench)
    assert all(has_split(f"bbh_{t}", "test", bench) for t in BBH_TASKS)


# --- synthetic rows for the tasks whose data cannot be shared ---------------------------------------------


def _gpqa_rows(n: int = 12) -> list[dict[str, Any]]:
    rng = random.Random(5)
    words = ["alpha", "beta [title] gamma", "  delta  ", "epsilon [x]", "zeta", "eta  theta"]
    return [{"Question": f"Q{i}: what is {rng.choice(words)}?", "Correct Answer": f"right {i} {rng.choice(words)}",
             "Incorrect Answer 1": f"w1 {i}", "Incorrect Answer 2": f"w2 {rng.choice(words)}",
             "Incorrect Answer 3": f"w3 {i} [note]"} for i in range(n)]


def test_gpqa_shuffle_is_lm_eval_first_draw() -> None:
    """Seeded 0, the harness's process_docs draws the same choice order as ours, question by question."""
    from lm_eval.tasks.leaderboard.gpqa import utils as gpqa_utils

    rows = _gpqa_rows()
    random.seed(0)
    theirs = list(gpqa_utils.process_docs(datasets.Dataset.from_list(rows)))
    ours = _gpqa_docs(rows)
    keys = ("choice1", "choice2", "choice3", "choice4", "answer")
    assert [{k: d[k] for k in keys} for d in ours] == [{k: d[k] for k in keys} for d in theirs]


@pytest.mark.parametrize("fmt", ["plain", "chat-multiturn"])
@pytest.mark.parametrize("subset", ["diamond", "extended", "main"])
def test_gpqa_prompts_match_lm_eval(subset: str, fmt: str) -> None:
    ours_fmt, render = FORMATS[fmt]
    docs = _gpqa_docs(_gpqa_rows())
    task = get_task(f"leaderboard_gpqa_{subset}")
    lm = lm_eval_task(task.name, {"train": docs}, render, process_docs=None)
    assert assert_same_requests(lm, task.instances(docs, prompt_format=ours_fmt)) == len(docs)


def _musr_rows(n: int, k: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        choices = [f"Suspect {c} (#{i})" for c in range(k)]
        rows.append({"narrative": f"A long story number {i}.\n\nIt has {{braces}} and lines.",
                     "question": f"Who did it in case {i}?", "choices": repr(choices), "answer_index": i % k,
                     "answer_choice": choices[i % k]})
    return rows


@pytest.mark.parametrize("fmt", ["plain", "chat-multiturn"])
@pytest.mark.parametrize(("split", "k"), [("murder_mysteries", 2), ("object_placements", 5), ("team_allocation", 3)])
def test_musr_prompts_match_lm_eval(split: str, k: int, fmt: str) -> None:
    ours_fmt, render = FORMATS[fmt]
    rows = _musr_rows(8, k)
    task = get_task(f"leaderboard_musr_{split}")
    lm = lm_eval_task(task.name, {split: rows}, render)
    assert assert_same_requests(lm, task.instances(rows, prompt_format=ours_fmt)) == len(rows)


def test_missing_gated_data_is_one_line_naming_hub_id_and_data_dir(tmp_path: Path) -> None:
    from shortlist.errors import NotFound

    with pytest.raises(NotFound) as err:
        get_task("leaderboard_gpqa_diamond").load_docs(tmp_path)
    text = str(err.value)
    assert "\n" not in text and "Idavidrein/gpqa" in text and "--data-dir" in text and "gated" in text
    with pytest.raises(NotFound) as err:
        get_task("leaderboard_musr_team_allocation").load_docs(tmp_path)
    assert "TAUR-Lab/MuSR" in str(err.value) and "--data-dir" in str(err.value)
