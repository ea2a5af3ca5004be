"""Task registry, data loading (local, override, offline errors) and instance shapes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from shortlist.errors import BadInput, NotFound
from shortlist.evaluate.tasks import (
    Task,
    aggregate_group,
    expand_tasks,
    get_task,
    group_members,
    group_of,
    list_tasks,
)
from shortlist.evaluate.tasks.datasets import load_split
from shortlist.evaluate.types import GenerationInstance, LoglikelihoodResult, MultipleChoiceInstance

BUILTIN = ["hellaswag", "arc_easy", "arc_challenge", "truthfulqa_mc1", "truthfulqa_mc2", "winogrande", "gsm8k"]


def test_registry_names_and_protocol() -> None:
    names = list_tasks()
    assert len(names) == len(BUILTIN) + 57 + 39   # + the Open LLM Leaderboard v2's 39 tasks
    for name in [*BUILTIN, "mmlu_anatomy", "leaderboard_ifeval", "leaderboard_bbh_navigate"]:
        task = get_task(name)
        assert isinstance(task, Task)
        assert task.name == name
    assert {n: get_task(n).version for n in ("hellaswag", "truthfulqa_mc1", "truthfulqa_mc2", "gsm8k")} == {
        "hellaswag": "1.0", "truthfulqa_mc1": "2.0", "truthfulqa_mc2": "3.0", "gsm8k": "3.0"}
    assert get_task("gsm8k").default_fewshot == 5 and get_task("mmlu_anatomy").default_fewshot == 0


def test_unknown_task_suggests_close_names() -> None:
    with pytest.raises(NotFound) as err:
        get_task("hellaswg")
    assert "hellaswag" in (err.value.hint or "")
    with pytest.raises(BadInput):
        get_task("mmlu")


def test_expand_groups_and_group_of() -> None:
    mmlu = expand_tasks(["mmlu"])
    assert len(mmlu) == 57
    assert [t.name for t in mmlu] == sorted(t.name for t in mmlu)
    mixed = expand_tasks(["arc_easy", "mmlu_stem", "arc_easy", "mmlu_anatomy"])
    assert [t.name for t in mixed][:2] == ["arc_easy", "mmlu_abstract_algebra"]
    assert len(mixed) == 1 + 19  # anatomy is a STEM subject, listed once
    assert len(group_members("mmlu_humanities")) == 13
    assert group_of("mmlu_anatomy") == "mmlu"
    assert group_of("arc_easy") is None and group_of("mmlu_nonsense") is None


def test_aggregate_group_size_weighted_by_hand() -> None:
    # anatomy [1,0] -> .5 (stderr .5); virology [1,0,1,1] -> .75 (stderr .25)
    results = {"mmlu_anatomy": {"acc": 0.5, "acc_stderr": 0.5, "n": 2.0},
               "mmlu_virology": {"acc": 0.75, "acc_stderr": 0.25, "n": 4.0}}
    out = aggregate_group("mmlu", results)
    assert out["acc"] == pytest.approx(4 / 6)
    assert out["acc_stderr"] == pytest.approx(0.22821773229381923)
    assert out["n"] == 6.0
    with pytest.raises(BadInput):
        aggregate_group("arc_easy", results)


def test_local_data_counts(shared_data: Path) -> None:
    counts = {name: len(get_task(name).load_docs()) for name in BUILTIN}
    assert counts == {"hellaswag": 10042, "arc_easy": 2376, "arc_challenge": 1172, "truthfulqa_mc1": 817,
                      "truthfulqa_mc2": 817, "winogrande": 1267, "gsm8k": 1319}
    assert sum(len(t.load_docs()) for t in expand_tasks(["mmlu"])) == 14042


def test_documents_in_hf_form(shared_data: Path) -> None:
    algebra = get_task("mmlu_abstract_algebra").load_docs()
    assert algebra[0]["question"].startswith("Find the degree for the given field extension Q(sqrt(2)")
    assert len(algebra) == 100
    tqa = get_task("truthfulqa_mc1").load_docs()
    assert tqa[1]["question"].startswith("People in the US have longer paid vacations")
    assert len(tqa[1]["mc1_targets"]["choices"]) == 5 and tqa[1]["mc1_targets"]["labels"][0] == 1
    arc = load_split("arc_easy", "test", shared_data / "benchmarks")
    assert arc[0] == {
        "id": "Mercury_417466",
        "question": "Which statement best explains why photosynthesis is the foundation of most food webs?",
        "choices": {"text": ["Sunlight is the source of energy for nearly all ecosystems.",
                             "Most ecosystems are found on land instead of in water.",
                             "Carbon dioxide is more available than other gases.",
                             "The producers in all ecosystems are plants."],
                    "label": ["A", "B", "C", "D"]},
        "answerKey": "A",
    }
    numeric = next(r for r in arc if r["choices"]["label"][0] == "1")
    inst = get_task("arc_easy").instances([numeric])[0]
    assert inst.gold == numeric["choices"]["label"].index(numeric["answerKey"])


def test_hellaswag_prompt_by_hand(shared_data: Path) -> None:
    task = get_task("hellaswag")
    (inst,) = task.instances(task.load_docs(), limit=1)
    assert isinstance(inst, MultipleChoiceInstance)
    assert inst.context == "Roof shingle removal: A man is sitting on a roof. He"
    assert inst.continuations[3] == " starts pulling up roofing on a roof."
    assert inst.gold == 3


def test_winogrande_instances_have_per_choice_contexts(shared_data: Path) -> None:
    task = get_task("winogrande")
    (inst,) = task.instances(task.load_docs(), limit=1)
    assert isinstance(inst, MultipleChoiceInstance)
    reqs = inst.requests()
    assert [r.context for r in reqs] == ["Sarah was a much better surgeon than Maria so Sarah",
                                         "Sarah was a much better surgeon than Maria so Maria"]
    assert [r.continuation for r in reqs] == [" always got the easier cases."] * 2
    assert inst.gold == 1 and inst.context == ""
    # option 2 (Maria) likelier -> correct
    scores = task.process_results(inst, [LoglikelihoodResult(-9.0, False), LoglikelihoodResult(-7.5, True)])
    assert scores == {"acc": 1.0}


def test_winogrande_and_hellaswag_fewshot_need_train_split(shared_data: Path) -> None:
    for name in ("winogrande", "hellaswag"):
        task = get_task(name)
        docs = task.load_docs()
        with pytest.raises(NotFound) as err:
            task.instances(docs, num_fewshot=5, limit=2)
        assert "train" in err.value.message and "num_fewshot=0" in (err.value.hint or "")
        pool = docs[100:200]
        insts = task.instances(docs, num_fewshot=5, limit=2, fewshot_docs=pool)
        assert len(insts) == 2
        assert all(r.context.count("\n\n") >= 5 for i in insts for r in i.requests())


def test_gsm8k_generation_instance(shared_data: Path) -> None:
    task = get_task("gsm8k")
    inst = task.instances(task.load_docs(), limit=3)[2]
    assert isinstance(inst, GenerationInstance)
    assert inst.until == ("Question:", "</s>", "<|im_end|>") and inst.max_tokens == 256
    assert inst.prompt.count("Question: ") == 6 and inst.prompt.endswith("\nAnswer:")
    assert inst.reference.endswith("#### 70000")
    assert task.process_results(inst, "the profit is 70,000 dollars.\n#### 70,000") == {
        "exact_match,strict-match": 1.0, "exact_match,flexible-extract": 1.0}
    assert task.process_results(inst, ["So 70000 - 1 = 69999"]) == {
        "exact_match,strict-match": 0.0, "exact_match,flexible-extract": 0.0}


def test_mmlu_fewshot_is_first_n_of_dev(shared_data: Path) -> None:
    task = get_task("mmlu_anatomy")
    docs = task.load_docs()
    dev = load_split("mmlu", "dev", shared_data / "benchmarks", subject="anatomy")
    a, b = task.instances(docs, num_fewshot=5, limit=2)
    shots_a = a.context.split("\n\n")[1:6]
    assert shots_a == b.context.split("\n\n")[1:6]  # same five for every doc
    assert shots_a[0].startswith(dev[0]["question"].strip())
    assert shots_a[0].endswith("Answer: " + "ABCD"[dev[0]["answer"]])
    with pytest.raises(BadInput):
        task.instances(docs, num_fewshot=6, limit=1)


def test_data_dir_override_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gsm8k").mkdir()
    rows = [{"question": "What is 2+2?", "answer": "2+2=4\n#### 4"}]
    (tmp_path / "gsm8k" / "test.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert get_task("gsm8k").load_docs(tmp_path) == rows
    monkeypatch.setenv("SHORTLIST_DATA_DIR", str(tmp_path))
    task = get_task("gsm8k")
    assert task.load_docs() == rows
    with pytest.raises(NotFound) as err:  # train split for the 5 shots is absent there
        task.instances(task.load_docs(), limit=1)
    assert "gsm8k/train.jsonl" in (err.value.hint or "")
    (inst,) = task.instances(task.load_docs(), num_fewshot=0)
    assert isinstance(inst, GenerationInstance) and inst.prompt == "Question: What is 2+2?\nAnswer:"


def test_hellaswag_train_file_in_data_dir_enables_fewshot(tmp_path: Path, shared_data: Path) -> None:
    val = load_split("hellaswag", "validation", shared_data / "benchmarks")
    (tmp_path / "hellaswag").mkdir()
    for fname, part in (("hellaswag_val.jsonl.gz", val[:3]), ("hellaswag_train.jsonl.gz", val[1000:1040])):
        with gzip.open(tmp_path / "hellaswag" / fname, "wt", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in part)
    task = get_task("hellaswag")
    insts = task.instances(task.load_docs(tmp_path), num_fewshot=2)
    assert len(insts) == 3
    assert all(i.context.count("\n\n") == 2 for i in insts)


def test_offline_without_local_copy_names_the_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHORTLIST_DATA_DIR", str(tmp_path))
    with pytest.raises(NotFound) as err:
        get_task("truthfulqa_mc2").load_docs()
    text = str(err.value)
    assert "truthfulqa/truthful_qa (multiple_choice)" in text
    assert str(tmp_path / "truthfulqa" / "v0" / "mc_task.json") in text
    with pytest.raises(NotFound) as err:
        get_task("mmlu_virology").load_docs()
    assert "cais/mmlu (virology)" in str(err.value)


def test_online_fallback_asks_datasets_for_lm_evals_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    datasets = pytest.importorskip("datasets")
    calls = []

    def fake_load_dataset(path, name=None, split=None):  # no network here: record what would be fetched
        calls.append((path, name, split))
        return [{"question": "q", "answer": "a\n#### 1"}]

    monkeypatch.setenv("SHORTLIST_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    from shortlist import hub_access

    monkeypatch.setattr(hub_access, "unreachable", lambda: None)   # as if online: the Hub answers
    assert get_task("gsm8k").load_docs() == [{"question": "q", "answer": "a\n#### 1"}]
    get_task("mmlu_virology").load_docs()
    get_task("winogrande").load_docs()
    assert calls == [("openai/gsm8k", "main", "test"), ("cais/mmlu", "virology", "test"),
                     ("allenai/winogrande", "winogrande_xl", "validation")]
