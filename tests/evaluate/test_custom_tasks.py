"""Custom tasks from real files written here: formats, prompts, scoring, and line-numbered errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shortlist.errors import BadInput, NotFound
from shortlist.evaluate.custom import CustomTask, is_task_file, load_task_file
from shortlist.evaluate.types import GenerationInstance, LoglikelihoodResult, MultipleChoiceInstance

MC_ROWS = [
    {"question": "2 + 2 = ?", "choices": ["3", "4", "5"], "answer": 1},
    {"question": "Capital of France?", "choices": ["Paris", "Rome"], "answer": "A"},
    {"question": "Color of the sky?", "choices": ["green", "blue"], "answer": "blue"},
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def one(path: Path) -> CustomTask:
    (task,) = load_task_file(path)
    return task


def lr(*values: float) -> list[LoglikelihoodResult]:
    return [LoglikelihoodResult(v, False) for v in values]


# --- multiple choice --------------------------------------------------------------------------


def test_mc_yaml_prompt_continuations_and_gold(tmp_path):
    write_jsonl(tmp_path / "quiz.jsonl", MC_ROWS)
    (tmp_path / "quiz.yaml").write_text("name: quiz\ndata: quiz.jsonl\ntype: multiple_choice\n")
    task = one(tmp_path / "quiz.yaml")
    assert (task.name, task.output_type, task.metrics) == ("quiz", "multiple_choice", ("acc", "acc_norm"))
    insts = task.instances(task.load_docs())
    assert [i.gold for i in insts] == [1, 0, 1]  # index 1, letter A, text "blue"
    first = insts[0]
    assert isinstance(first, MultipleChoiceInstance)
    assert first.context == "Question: 2 + 2 = ?\nAnswer:"
    assert first.continuations == (" 3", " 4", " 5")
    assert first.meta["line"] == 1


def test_mc_scoring_acc_and_acc_norm(tmp_path):
    write_jsonl(tmp_path / "q.jsonl", [{"question": "q", "choices": ["a", "bbbb"], "answer": 1}])
    task = one(tmp_path / "q.jsonl")
    (inst,) = task.instances(task.load_docs())
    # logprobs -2 (1 char) vs -4 (4 chars): acc picks "a" (wrong); per char -2 vs -1 picks "bbbb" (right)
    assert task.process_results(inst, lr(-2.0, -4.0)) == {"acc": 0.0, "acc_norm": 1.0}


def test_mc_letters_template_and_letter_continuations(tmp_path):
    write_jsonl(tmp_path / "d.jsonl", MC_ROWS[:1])
    (tmp_path / "t.yaml").write_text(
        'data: d.jsonl\nprompt: "{question}\\n{choices}\\nAnswer:"\nchoice_format: letter\n')
    task = one(tmp_path / "t.yaml")
    assert task.name == "t"
    (inst,) = task.instances(task.load_docs())
    assert inst.context == "2 + 2 = ?\nA. 3\nB. 4\nC. 5\nAnswer:"
    assert inst.continuations == (" A", " B", " C")


def test_csv_letter_columns_and_json_choices(tmp_path):
    (tmp_path / "a.csv").write_text("question,A,B,C,answer\n\"Largest, planet?\",Mars,Jupiter,Venus,B\n")
    task = one(tmp_path / "a.csv")
    (doc,) = task.load_docs()
    assert (doc["choices"], doc["gold"]) == (["Mars", "Jupiter", "Venus"], 1)
    assert doc["text"] == "Question: Largest, planet?\nAnswer:"
    (tmp_path / "b.csv").write_text('question,choices,answer\nq,"[""yes"", ""no""]",no\n')
    assert one(tmp_path / "b.csv").load_docs()[0]["gold"] == 1


def test_fields_map_columns_and_one_based_answers(tmp_path):
    write_jsonl(tmp_path / "d.jsonl", [{"q": "x?", "opts": ["a", "b", "c"], "label": 3}])
    (tmp_path / "t.toml").write_text(
        'data = "d.jsonl"\nanswer_index_base = 1\n[fields]\nquestion = "q"\nchoices = "opts"\nanswer = "label"\n')
    assert one(tmp_path / "t.toml").load_docs()[0]["gold"] == 2


def test_fewshot_from_own_data_never_uses_the_eval_doc(tmp_path):
    rows = [{"question": f"q{i}", "choices": ["x", "y"], "answer": i % 2} for i in range(6)]
    write_jsonl(tmp_path / "d.jsonl", rows)
    (tmp_path / "t.yaml").write_text("data: d.jsonl\nnum_fewshot: 3\n")
    task = one(tmp_path / "t.yaml")
    insts = task.instances(task.load_docs())
    for i, inst in enumerate(insts):
        shots = inst.context.split("\n\n")[:-1]
        assert len(shots) == 3
        assert f"Question: q{i}\n" not in inst.context.rsplit("\n\n", 1)[0] + "\n"
    # same seed, same prompts; the few-shot answer is the gold choice after the delimiter
    assert [i.context for i in task.instances(task.load_docs())] == [i.context for i in insts]
    assert insts[0].context.split("\n\n")[0] in {f"Question: q{k}\nAnswer: {'xy'[k % 2]}" for k in range(1, 6)}


# --- generative -------------------------------------------------------------------------------


def test_generate_toml_fewshot_file_and_scorers(tmp_path):
    write_jsonl(tmp_path / "eval.jsonl", [{"prompt": "Q: 6*7?\nA:", "reference": "42"}])
    write_jsonl(tmp_path / "train.jsonl", [{"prompt": "Q: 1+1?\nA:", "reference": "2"}])
    (tmp_path / "math.toml").write_text(
        'name = "math"\ndata = "eval.jsonl"\ntype = "generate"\nfewshot_data = "train.jsonl"\n'
        'num_fewshot = 1\nuntil = ["\\n"]\nmax_tokens = 16\n'
        'scorers = ["exact", { name = "regex", pattern = "(-?\\\\d+)\\\\s*$" }]\n')
    task = one(tmp_path / "math.toml")
    assert task.output_type == "generate_until"
    assert task.metrics == ("exact_match", "regex_match")
    (inst,) = task.instances(task.load_docs())
    assert isinstance(inst, GenerationInstance)
    assert inst.prompt == "Q: 1+1?\nA: 2\n\nQ: 6*7?\nA:"
    assert (inst.until, inst.max_tokens, inst.reference) == (("\n",), 16, "42")
    assert task.process_results(inst, " 42") == {"exact_match": 1.0, "regex_match": 1.0}
    assert task.process_results(inst, "it is 42") == {"exact_match": 0.0, "regex_match": 1.0}
    agg = task.aggregate([{"exact_match": 1.0, "regex_match": 1.0}, {"exact_match": 0.0, "regex_match": 1.0}])
    assert (agg["exact_match"], agg["regex_match"], agg["n"]) == (0.5, 1.0, 2.0)


def test_bare_jsonl_generative_defaults_and_reference_lists(tmp_path):
    write_jsonl(tmp_path / "qa.jsonl", [{"prompt": "Capital of Japan?", "reference": ["Tokyo", "Tōkyō"]}])
    task = one(tmp_path / "qa.jsonl")
    assert (task.name, task.metrics) == ("qa", ("exact_match", "f1"))
    (inst,) = task.instances(task.load_docs())
    assert task.process_results(inst, "tōkyō") == {"exact_match": 1.0, "f1": 1.0}


def test_several_tasks_in_one_yaml(tmp_path):
    write_jsonl(tmp_path / "mc.jsonl", MC_ROWS)
    write_jsonl(tmp_path / "gen.jsonl", [{"prompt": "p", "reference": "r"}])
    (tmp_path / "suite.yaml").write_text(
        "tasks:\n  - {name: one, data: mc.jsonl}\n"
        "  - {name: two, data: gen.jsonl, type: generate, scorers: contains}\n")
    tasks = load_task_file(tmp_path / "suite.yaml")
    assert [(t.name, t.output_type, t.metrics) for t in tasks] == [
        ("one", "multiple_choice", ("acc", "acc_norm")), ("two", "generate_until", ("contains",))]


def test_version_follows_the_data(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", MC_ROWS)
    v1 = one(path).version
    assert v1 == one(path).version and v1.startswith("custom-")
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    assert one(write_jsonl(moved / "d.jsonl", MC_ROWS)).version == v1
    write_jsonl(path, MC_ROWS[:2])
    assert one(path).version != v1


def test_is_task_file():
    assert is_task_file("my_task.yaml") and is_task_file("data/x.csv") and is_task_file("./t")
    assert not is_task_file("arc_easy") and not is_task_file("mmlu")


# --- errors name the file and the line ----------------------------------------------------------


def bad(tmp_path: Path, rows_text: str, yaml: str = "data: d.jsonl\n", name: str = "d.jsonl") -> str:
    (tmp_path / name).write_text(rows_text, encoding="utf-8")
    (tmp_path / "t.yaml").write_text(yaml)
    with pytest.raises(BadInput) as err:
        load_task_file(tmp_path / "t.yaml")
    return str(err.value)


def test_bad_json_line_7(tmp_path):
    lines = [json.dumps(MC_ROWS[0])] * 6 + ['{"question": "q", "choices": ["a", "b"], answer: 1}']
    msg = bad(tmp_path, "\n".join(lines) + "\n")
    assert "d.jsonl line 7: not valid JSON" in msg


def test_blank_lines_keep_line_numbers(tmp_path):
    msg = bad(tmp_path, json.dumps(MC_ROWS[0]) + "\n\n" + '{"question": "q", "choices": ["a", "b"]}\n')
    assert "d.jsonl line 3: missing field 'answer'" in msg


def test_missing_answer_line_3_through_fields_mapping(tmp_path):
    rows = [{"q": "x", "choices": ["a", "b"], "label": 0}] * 2 + [{"q": "x", "choices": ["a", "b"]}]
    msg = bad(tmp_path, "".join(json.dumps(r) + "\n" for r in rows),
              "data: d.jsonl\nfields: {question: q, answer: label}\n")
    assert "line 3: missing field 'answer' (column 'label')" in msg


def test_answer_index_out_of_range_line_5(tmp_path):
    rows = [MC_ROWS[0]] * 4 + [{"question": "q", "choices": ["a", "b", "c", "d"], "answer": 4}]
    msg = bad(tmp_path, "".join(json.dumps(r) + "\n" for r in rows))
    assert "line 5: answer index 4 is out of range for 4 choices (0-3)" in msg


def test_answer_letter_out_of_range(tmp_path):
    msg = bad(tmp_path, json.dumps({"question": "q", "choices": ["a", "b"], "answer": "C"}) + "\n")
    assert "line 1: answer 'C' is out of range for 2 choices (A-B)" in msg


def test_template_field_missing_names_the_line(tmp_path):
    rows = [{"prompt": "p", "reference": "r", "ctx": "c"}, {"prompt": "p", "reference": "r"}]
    msg = bad(tmp_path, "".join(json.dumps(r) + "\n" for r in rows),
              'data: d.jsonl\ntype: generate\nprompt: "{ctx} {prompt}"\n')
    assert "line 2: missing field 'ctx' (used by the prompt template)" in msg


def test_csv_wrong_column_count(tmp_path):
    msg = bad(tmp_path, "question,choices,answer\nq,\"[1,2]\",0\nq,\"[1,2]\",0,extra\n", "data: d.csv\n", "d.csv")
    assert "d.csv line 3: 4 values but the header has 3 columns" in msg


def test_empty_reference(tmp_path):
    msg = bad(tmp_path, json.dumps({"prompt": "p", "reference": " "}) + "\n", "data: d.jsonl\ntype: generate\n")
    assert "line 1: empty reference" in msg


def test_unknown_scorer_suggests(tmp_path):
    msg = bad(tmp_path, json.dumps({"prompt": "p", "reference": "r"}) + "\n",
              "data: d.jsonl\ntype: generate\nscorers: [exact, contain]\n")
    assert "unknown scorer 'contain'" in msg and "did you mean: contains" in msg and "t.yaml" in msg


def test_unknown_key_suggests(tmp_path):
    msg = bad(tmp_path, json.dumps(MC_ROWS[0]) + "\n", "data: d.jsonl\nnum_fewshots: 2\n")
    assert "unknown key 'num_fewshots'" in msg and "num_fewshot" in msg


def test_bad_yaml_names_the_line(tmp_path):
    msg = bad(tmp_path, json.dumps(MC_ROWS[0]) + "\n", "data: d.jsonl\nprompt: [unclosed\n")
    assert "t.yaml line" in msg and "bad YAML" in msg


def test_builtin_name_refused(tmp_path):
    msg = bad(tmp_path, json.dumps(MC_ROWS[0]) + "\n", "name: arc_easy\ndata: d.jsonl\n")
    assert "'arc_easy' is a built-in task" in msg


def test_missing_files(tmp_path):
    with pytest.raises(NotFound, match="task file"):
        load_task_file(tmp_path / "nope.yaml")
    (tmp_path / "t.yaml").write_text("data: missing.jsonl\n")
    with pytest.raises(NotFound, match=r"missing\.jsonl does not exist"):
        load_task_file(tmp_path / "t.yaml")


def test_the_engine_resolves_task_files_beside_built_in_names(tmp_path):
    from shortlist.evaluate.engine import resolve_tasks

    write_jsonl(tmp_path / "mc.jsonl", MC_ROWS)
    (tmp_path / "suite.yaml").write_text("tasks:\n  - {name: a, data: mc.jsonl}\n  - {name: b, data: mc.jsonl}\n")
    names = [t.name for t in resolve_tasks(["arc_easy", str(tmp_path / "suite.yaml"), str(tmp_path / "mc.jsonl"),
                                            str(tmp_path / "mc.jsonl")])]
    assert names == ["arc_easy", "a", "b", "mc"]


def test_reference_that_is_not_a_regex(tmp_path):
    rows = [{"prompt": "p", "reference": r"\d+"}, {"prompt": "p", "reference": "(unclosed"}]
    msg = bad(tmp_path, "".join(json.dumps(r) + "\n" for r in rows), "data: d.jsonl\ntype: generate\nscorers: regex\n")
    assert "line 2: reference '(unclosed' is not a valid regular expression" in msg
