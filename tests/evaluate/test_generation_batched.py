"""The hf backend's batched generation: lm-eval's greedy text, with finished rows dropped and shared prefixes
computed once (see backends/hf_generate.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")

from shortlist.evaluate.backends.hf import HFBackend
from shortlist.evaluate.types import GenerationRequest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hf(smollm2_folder: Path) -> HFBackend:
    return HFBackend(f"hf:{smollm2_folder}", device="cpu", batch_size=4)


class _Req:
    def __init__(self, args: tuple) -> None:
        self.args = args


def _gsm8k(shared_data: Path, n: int, max_tokens: int) -> list[GenerationRequest]:
    from shortlist.evaluate.tasks import get_task

    task = get_task("gsm8k")
    insts = task.instances(task.load_docs(shared_data / "benchmarks"), num_fewshot=2, limit=n)
    return [GenerationRequest(i.prompt, i.until, max_tokens) for i in insts]


def test_greedy_text_equals_lm_eval_on_gsm8k(hf, smollm2_folder, shared_data):
    """Real 2-shot gsm8k prompts, lm-eval's stop strings, batch 4 on both sides: the same texts."""
    pytest.importorskip("lm_eval")
    from lm_eval.models.huggingface import HFLM

    reqs = _gsm8k(shared_data, 6, 40)
    mine = hf.generate(reqs)
    lm = HFLM(pretrained=str(smollm2_folder), batch_size=4, dtype="float32", device="cpu")
    theirs = lm.generate_until([_Req((r.prompt, {"until": list(r.until), "max_gen_toks": 40, "do_sample": False}))
                                for r in reqs], disable_tqdm=True)
    assert [m.text for m in mine] == theirs
    for m in mine:
        assert m.finish_reason in ("stop", "length") and 1 <= m.tokens <= 40
        assert m.finish_reason == "stop" or m.tokens == 40


def test_batch_size_and_cache_kind_change_no_text(hf, shared_data):
    reqs = _gsm8k(shared_data, 5, 24)
    batched = hf.generate(reqs)
    try:
        hf.batch_size, hf.grow_cache = 1, False      # one prompt at a time, transformers' own DynamicCache
        alone = hf.generate(reqs)
    finally:
        hf.batch_size, hf.grow_cache = 4, True
    assert [r.text for r in batched] == [r.text for r in alone]
    assert [r.finish_reason for r in batched] == [r.finish_reason for r in alone]


def test_finished_rows_stop_consuming_compute(hf):
    """One row stops at its first comma, the other runs to its limit: the first leaves the batch."""
    reqs = [GenerationRequest("1, 2, 3, 4,", (",",), 30), GenerationRequest("Once upon a time", (), 30)]
    before = hf.stats.tokens_fed
    short, long = hf.generate(reqs)
    fed = hf.stats.tokens_fed - before
    assert short.finish_reason == "stop" and short.text == " 5" and short.tokens <= 3
    assert long.finish_reason == "length" and long.tokens == 30
    prompt_tokens = sum(len(hf.tokenizer(r.prompt)["input_ids"]) for r in reqs)
    # each row feeds its prompt and then one token per step while alive; lm-eval would feed 2 per step to the end
    assert fed == prompt_tokens + (short.tokens - 1) + (long.tokens - 1)


def test_shared_prefix_runs_once(hf):
    prefix = "Question: " + "Tell me about the history of the Roman Empire and its emperors. " * 12 + "\n"
    reqs = [GenerationRequest(prefix + q, ("\n",), 6) for q in ("Who was first?", "Who was last?", "When?")]
    before = hf.stats.tokens_fed
    out = hf.generate(reqs)
    fed = hf.stats.tokens_fed - before
    full = sum(len(hf.tokenizer(r.prompt)["input_ids"]) for r in reqs)
    assert fed < full * 0.6                           # the long shared prefix was computed once, not three times
    try:
        hf.batch_size = 1
        alone = hf.generate(reqs)
    finally:
        hf.batch_size = 4
    assert [o.text for o in out] == [a.text for a in alone]


def test_sampling_is_seeded_by_the_prompt(hf):
    reqs = [GenerationRequest("Once upon a time", ("\n",), 12, temperature=1.0),
            GenerationRequest("The weather today", ("\n",), 12, temperature=1.0)]
    a, b = hf.generate(reqs), hf.generate(list(reversed(reqs)))
    assert [x.text for x in a] == [x.text for x in reversed(b)]
    greedy = hf.generate([GenerationRequest("Once upon a time", ("\n",), 12)])
    more = hf.generate([GenerationRequest("Once upon a time" + "." * i, ("\n",), 12, 1.0) for i in range(3)])
    assert any(m.text != greedy[0].text for m in [a[0], *more])
