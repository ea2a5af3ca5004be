"""One task layer: the typed TaskSpec (lm-eval's field names, unknown fields refused), the Task protocol every
task satisfies, one prompt builder, and a task file's fewshot_seed and version honoured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from shortlist.evaluate.custom import load_task_file
from shortlist.evaluate.prompts import Prompter, join_delimited
from shortlist.evaluate.protocol import PromptFormat, Task
from shortlist.evaluate.spec import SpecTask, TaskSpec
from shortlist.evaluate.tasks import expand_tasks, get_task

ROWS = [{"question": f"Question {i}?", "choices": [f"yes {i}", f"no {i}"], "answer": i % 2} for i in range(12)]


def _task_file(tmp_path: Path, extra: str) -> Path:
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    path = tmp_path / f"t{abs(hash(extra))}.yaml"
    path.write_text(f"name: mine\ndata: d.jsonl\nnum_fewshot: 2\n{extra}")
    return path


def test_spec_uses_lm_eval_names_and_refuses_unknown_fields() -> None:
    spec = TaskSpec(task="t", doc_to_text="Q: {q}\nA:", doc_to_target="a", doc_to_choice=["x", "y"])
    assert (spec.version, spec.fewshot_config.sampler, spec.target_delimiter) == ("1.0", "default", " ")
    with pytest.raises(ValidationError, match="extra"):
        TaskSpec(task="t", doc_to_text="q", doc_to_target="a", fewshot_sampler="first_n")
    with pytest.raises(ValidationError):
        TaskSpec(task="t", doc_to_text="q", doc_to_target="a", num_fewshot=-1)


def test_every_task_is_a_task_and_v2_tasks_are_specs(tmp_path: Path) -> None:
    v2 = expand_tasks(["leaderboard_bbh", "leaderboard_math_hard", "leaderboard_musr", "leaderboard_gpqa",
                       "leaderboard_ifeval", "leaderboard_mmlu_pro"])
    assert all(isinstance(t, SpecTask) and isinstance(t, Task) for t in v2)
    assert isinstance(get_task("arc_easy"), Task)
    (custom,) = load_task_file(_task_file(tmp_path, ""))
    assert isinstance(custom, Task) and isinstance(custom.spec, TaskSpec)
    assert custom.spec.task == "mine" and custom.spec.num_fewshot == 2 and custom.spec.fewshot_seed == 1234


def test_fewshot_seed_of_a_task_file_changes_the_examples(tmp_path: Path) -> None:
    contexts = {}
    for seed in (1, 999):
        (task,) = load_task_file(_task_file(tmp_path, f"fewshot_seed: {seed}\n"))
        assert task.fewshot_seed == seed
        contexts[seed] = [i.context for i in task.instances(task.load_docs(), fewshot_seed=None)]
    assert contexts[1] != contexts[999]
    (task,) = load_task_file(_task_file(tmp_path, "fewshot_seed: 1\n"))
    forced = [i.context for i in task.instances(task.load_docs(), fewshot_seed=999)]   # the run's seed wins
    assert forced == contexts[999]


def test_version_of_a_task_file_is_part_of_the_task_version(tmp_path: Path) -> None:
    (plain,) = load_task_file(_task_file(tmp_path, ""))
    (v2,) = load_task_file(_task_file(tmp_path, "version: '2.1'\n"))
    (v3,) = load_task_file(_task_file(tmp_path, "version: 3\n"))
    assert plain.version.startswith("custom-")
    assert v2.version.startswith("2.1+") and v3.version.startswith("3+") and v2.version != v3.version
    assert v2.version.split("+")[1] == plain.version.removeprefix("custom-")   # same settings and data


def test_the_engine_passes_the_task_files_seed(tmp_path: Path) -> None:
    from shortlist.evaluate import EvalRequest, engine
    from shortlist.evaluate.backends.fake import FakeBackend

    (t1,) = load_task_file(_task_file(tmp_path, "fewshot_seed: 1\n"))
    (t2,) = load_task_file(_task_file(tmp_path, "fewshot_seed: 999\n"))
    first = engine.prepare_run(EvalRequest(model="fake:x", tasks=[t1]), FakeBackend()).instances[0][1]
    second = engine.prepare_run(EvalRequest(model="fake:x", tasks=[t2]), FakeBackend()).instances[0][1]
    assert [i.context for i in first] != [i.context for i in second]


def test_prompter_is_lm_evals_fewshot_context() -> None:
    p = Prompter("Describe.", [("Q1", "A1"), ("Q2", "A2")], " ", "\n\n")
    assert p.context("Q3") == "Describe.Q1 A1\n\nQ2 A2\n\nQ3"
    assert join_delimited("Be brief.", "Describe.", "\n\n") == "Be brief.\n\nDescribe."
    seen = []

    def template(messages):
        seen.append(messages)
        return "|".join(f"{m['role']}:{m['content']}" for m in messages)

    turns = Prompter("Describe.", [("Q1", "A1")], " ", "\n\n", PromptFormat(template, fewshot_as_multiturn=True))
    assert turns.context("Q2") == "system:Describe.|user:Q1|assistant:A1|user:Q2"
    one = Prompter("Describe.", [("Q1", "A1")], " ", "\n\n", PromptFormat(template, fewshot_as_multiturn=False))
    assert one.context("Q2") == "system:Describe.|user:Q1 A1\n\nQ2"
    assert one.continuation_delimiter == "" and p.continuation_delimiter == " "
