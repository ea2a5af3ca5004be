"""The engine on the scripted fake backend (no torch): storage and resume, one judge call per batch,
did-not-finish counts, <think> stripping, few-shot seeds and versions, chat templates, the plan before a run,
and the lm-eval results JSON going back in through `leaderboard import --own`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shortlist.evaluate import EvalRequest, engine, run
from shortlist.evaluate.backends import REGISTRY, load_backend
from shortlist.evaluate.backends.fake import FakeBackend
from shortlist.evaluate.estimate import describe, estimate
from shortlist.evaluate.results import lm_eval_json
from shortlist.evaluate.types import GenerationResult
from shortlist.store import Store


def _gsm8k_rows(n: int) -> list[dict[str, str]]:
    return [{"question": f"What is {i} + {i}?", "answer": f"{i} plus {i} is {2 * i}.\n#### {2 * i}"} for i in range(n)]


@pytest.fixture
def gsm8k_dir(tmp_path: Path) -> Path:
    d = tmp_path / "bench"
    (d / "gsm8k").mkdir(parents=True)
    for split, n in (("test", 6), ("train", 20)):
        (d / "gsm8k" / f"{split}.jsonl").write_text("\n".join(json.dumps(r) for r in _gsm8k_rows(n)) + "\n")
    return d


def test_fake_is_registered_like_the_real_backends() -> None:
    assert REGISTRY["fake"] == "shortlist.evaluate.backends.fake"
    backend = load_backend("fake:scripted", batch_size="auto")
    assert isinstance(backend, FakeBackend) and backend.batch_size == 8
    assert backend.describe()["model"] == "scripted"


def test_runs_store_and_resume_without_torch(tmp_path: Path, gsm8k_dir: Path) -> None:
    backend = FakeBackend("m", generate=[{"match": "What is 3 \\+ 3\\?\nAnswer:$", "text": "So #### 6"},
                                         {"text": "#### 0"}])
    req = EvalRequest(model="fake:m", tasks=["gsm8k"], num_fewshot=2, data_dir=gsm8k_dir)
    with Store(tmp_path / "db.sqlite") as store:
        first = run(req, store=store, backend=backend)
        again = run(req, store=store, backend=backend)
    t = first.tasks["gsm8k"]
    assert (t.n, t.n_computed, t.did_not_finish) == (6, 6, 0)
    assert t.metrics["exact_match,strict-match"] == pytest.approx(2 / 6)   # docs 0 and 3 are right
    assert (again.tasks["gsm8k"].n_reused, again.tasks["gsm8k"].n_computed) == (6, 0)
    assert backend.calls == [("generate", 6)]   # the re-run was served from the store


def test_token_limit_cuts_are_counted_as_did_not_finish(tmp_path: Path, gsm8k_dir: Path) -> None:
    backend = FakeBackend("m", generate=[{"match": "What is [0-2] ", "text": "Let me think step by", "tokens": 256,
                                          "finish_reason": "length"}, {"text": "#### 7"}])
    with Store(tmp_path / "db.sqlite") as store:
        result = run(EvalRequest(model="fake:m", tasks=["gsm8k"], num_fewshot=0, data_dir=gsm8k_dir),
                     store=store, backend=backend)
    assert result.tasks["gsm8k"].did_not_finish == 3
    flags = [s.metrics["did_not_finish"] for s in result.samples["gsm8k"]]
    assert flags == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]


def test_think_blocks_are_stripped_before_scoring_unless_kept(tmp_path: Path, gsm8k_dir: Path) -> None:
    def answer(request):  # a reasoning model: a wrong number inside the block, the right one after it
        i = int(request.prompt.rsplit("What is ", 1)[1].split(" ")[0])
        return GenerationResult(f"<think>maybe #### 99</think>\nSo #### {2 * i}", "stop", 12)

    results = {}
    for keep in (False, True):
        backend = FakeBackend(f"think-{keep}", responder=answer)
        with Store(tmp_path / f"db{keep}.sqlite") as store:
            results[keep] = run(EvalRequest(model="fake:t", tasks=["gsm8k"], num_fewshot=0, data_dir=gsm8k_dir,
                                            keep_think=keep), store=store, backend=backend)
    assert results[False].tasks["gsm8k"].metrics["exact_match,strict-match"] == 1.0
    assert results[True].tasks["gsm8k"].metrics["exact_match,strict-match"] == 0.0   # the first "####" is 99
    assert results[False].samples["gsm8k"][0].generation.startswith("<think>")   # stored as generated


def test_judge_grades_a_batch_in_one_call(tmp_path: Path) -> None:
    from shortlist.evaluate.custom import load_task_file

    data = tmp_path / "qa.jsonl"
    data.write_text("\n".join(json.dumps({"prompt": f"Q{i}?", "reference": f"A{i}"}) for i in range(6)) + "\n")
    (tmp_path / "task.yaml").write_text("name: qa\ntype: generate\ndata: qa.jsonl\njudge: {model: 'fake:j'}\n")
    judge = FakeBackend("judge", generate=[{"text": '{"score": 8}'}])
    (task,) = load_task_file(tmp_path / "task.yaml", judge_backend=judge)
    answerer = FakeBackend("answers", generate=[{"text": "an answer"}])
    with Store(tmp_path / "db.sqlite") as store:
        result = run(EvalRequest(model="fake:answers", tasks=[task]), store=store, backend=answerer)
    assert judge.calls == [("generate", 6)]
    assert result.tasks["qa"].metrics["judge_score"] == pytest.approx(8.0)


def test_chat_template_comes_from_the_backend(tmp_path: Path) -> None:
    rows = [{"id": f"q{i}", "question": f"Question {i}?", "choices": {"text": ["yes", "no"], "label": ["A", "B"]},
             "answerKey": "A"} for i in range(3)]
    d = tmp_path / "bench" / "arc"
    d.mkdir(parents=True)
    for split in ("Test", "Train"):
        (d / f"ARC-Easy-{split}.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    chat = FakeBackend("c", chat_template="chatml")
    req = EvalRequest(model="fake:c", tasks=["arc_easy"], num_fewshot=1, data_dir=tmp_path / "bench",
                      apply_chat_template=True, fewshot_as_multiturn=True)
    prepared = engine.prepare_run(req, chat)
    inst = prepared.instances[0][1][0]
    assert inst.context.startswith("<|im_start|>user\nQuestion") and inst.context.endswith("<|im_start|>assistant\n")
    assert "<|im_start|>assistant\nyes<|im_end|>" in inst.context
    assert inst.continuations == ("yes", "no")   # no target delimiter after a chat template
    from shortlist.errors import BadInput

    with pytest.raises(BadInput, match="no chat template"):
        engine.prepare_run(req, FakeBackend("plain"))
    auto = engine.prepare_run(EvalRequest(**{**req.__dict__, "apply_chat_template": None}), FakeBackend("plain"))
    assert auto.instances[0][1][0].context.startswith("Question")   # "when the model has one": it has none


def test_plan_counts_requests_tokens_and_time(tmp_path: Path, gsm8k_dir: Path) -> None:
    backend = FakeBackend("p", generate=[{"text": "#### 1"}])
    req = EvalRequest(model="fake:p", tasks=["gsm8k"], num_fewshot=0, data_dir=gsm8k_dir, limit=4)
    prepared = engine.prepare_run(req, backend)
    plan = estimate(prepared.instances, backend)
    assert (plan.generations, plan.loglikelihood_requests, plan.requests) == (4, 0, 4)
    assert plan.max_new_tokens == 4 * 256 and plan.token_budget == plan.prompt_tokens + plan.max_new_tokens
    assert plan.est_seconds is not None and plan.est_seconds >= 0
    assert "4 requests" in describe(plan) and "token budget" in describe(plan)
    assert backend.stats.tokens_fed == 0   # the probe does not count as run work
    with Store(tmp_path / "db.sqlite") as store:
        run(req, store=store, backend=backend, prepared=prepared)
        again = estimate(prepared.instances, backend, store)
    assert again.requests == 0 and again.tasks[0].reused == 4


def test_exported_results_import_back_as_own_scores(tmp_path: Path) -> None:
    """truthfulqa_mc2's mc2 is exported under lm-eval's key ("acc,none") and imported as the benchmark."""
    from shortlist.catalog.importers import import_file
    from shortlist.catalog.scores import load_scores

    rows = [{"question": f"Q{i}?", "mc1_targets": {"yes": 1, "no": 0}, "mc2_targets": {"yes": 1, "maybe": 1, "no": 0}}
            for i in range(5)]
    d = tmp_path / "bench" / "truthfulqa" / "v0"
    d.mkdir(parents=True)
    (d / "mc_task.json").write_text(json.dumps(rows))
    backend = FakeBackend("exporter")
    with Store(tmp_path / "db.sqlite") as store:
        result = run(EvalRequest(model="fake:exporter", tasks=["truthfulqa_mc2", "truthfulqa_mc1"],
                                 data_dir=tmp_path / "bench", model_name="my-org/exported-model",
                                 record_scores=False), store=store, backend=backend)
    exported = lm_eval_json(result)
    assert set(exported["results"]["truthfulqa_mc2"]) >= {"acc,none", "acc_stderr,none"}
    assert isinstance(exported["date"], float)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(exported))
    with Store(tmp_path / "db.sqlite") as store:
        import_file(store, path, own=True)
        own = load_scores(store).for_model("my-org/exported-model")
    assert own["truthfulqa_mc2"].value == pytest.approx(result.tasks["truthfulqa_mc2"].metrics["mc2"])
    # files exported before the fix carry an ISO date: they import too
    old = tmp_path / "old_results.json"
    config = {**exported["config"], "model_args": "pretrained=my-org/older-export"}
    old.write_text(json.dumps({**exported, "date": result.started_at, "config": config}))
    with Store(tmp_path / "db.sqlite") as store:
        import_file(store, old, own=True)
        older = load_scores(store).for_model("my-org/older-export")
    assert older["truthfulqa_mc2"].source_date == result.started_at[:10]


def test_a_run_that_dies_mid_way_resumes_from_its_stored_batches(tmp_path: Path, gsm8k_dir: Path) -> None:
    calls = {"n": 0}

    def dies_on_second_batch(request):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("out of memory")
        return GenerationResult("#### 0", "stop", 2)

    req = EvalRequest(model="fake:d", tasks=["gsm8k"], num_fewshot=0, data_dir=gsm8k_dir)
    with Store(tmp_path / "db.sqlite") as store:
        with pytest.raises(RuntimeError, match="out of memory"):
            run(req, store=store, backend=FakeBackend("d", batch_size=2, responder=dies_on_second_batch))
        resumed = run(req, store=store, backend=FakeBackend("d", batch_size=2, responder=dies_on_second_batch))
    t = resumed.tasks["gsm8k"]
    assert (t.n_reused, t.n_computed) == (2, 4)   # the first batch of two was kept


def _ifeval_dir(tmp_path: Path) -> Path:
    d = tmp_path / "bench" / "ifeval"
    d.mkdir(parents=True)
    rows = [{"key": 1, "prompt": "Write without commas.", "instruction_id_list": ["punctuation:no_comma"],
             "kwargs": [{}]},
            {"key": 2, "prompt": "Answer in fewer than 3 sentences.",
             "instruction_id_list": ["length_constraints:number_sentences"],
             "kwargs": [{"relation": "less than", "num_sentences": 3}]}]
    (d / "input_data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return d.parent


def test_ifeval_without_nltk_data_stops_before_any_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """64 IFEval prompts need NLTK's punkt data; without it the run stops before the model generates anything."""
    pytest.importorskip("langdetect", reason="IFEval's checkers need the extra: pip install 'shortlist[ifeval]'")
    from shortlist.errors import BadInput
    from shortlist.evaluate.tasks import ifeval

    monkeypatch.setattr(ifeval, "nltk_data_missing", lambda: True)
    data = _ifeval_dir(tmp_path)
    backend = FakeBackend("m", generate=[{"text": "Fine"}])
    with Store(tmp_path / "db.sqlite") as store:
        with pytest.raises(BadInput, match=r"1 IFEval prompt\(s\).*punkt") as err:
            run(EvalRequest(model="fake:m", tasks=["leaderboard_ifeval"], data_dir=data), store=store, backend=backend)
        assert "\n" not in str(err.value) and backend.calls == []
        ok = run(EvalRequest(model="fake:m", tasks=["leaderboard_ifeval"], data_dir=data, limit=1), store=store,
                 backend=backend)   # the first prompt's checker needs no NLTK data
    assert ok.tasks["leaderboard_ifeval"].metrics["prompt_level_strict_acc"] == 1.0
