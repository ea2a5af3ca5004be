"""The hf backend: lm-eval's tokenization rules, truncation, generation, loading and bad inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")

from shortlist.errors import BadInput, NotFound, Offline
from shortlist.evaluate.backends import backend_for, hf_source
from shortlist.evaluate.backends.hf import CPU_BATCH_SIZE, HFBackend
from shortlist.evaluate.types import GenerationRequest, LoglikelihoodRequest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_folder(smollm2_folder: Path) -> Path:
    return smollm2_folder


@pytest.fixture(scope="module")
def ours(model_folder: Path) -> HFBackend:
    return HFBackend(f"hf:{model_folder}", device="cpu", batch_size=8)


@pytest.fixture(scope="module")
def lm_eval_model(model_folder: Path):
    pytest.importorskip("lm_eval")
    from lm_eval.models.huggingface import HFLM

    return HFLM(pretrained=str(model_folder), batch_size=8, dtype="float32", device="cpu")


class _Req:
    def __init__(self, args: tuple) -> None:
        self.args = args


PAIRS = [
    ("Question: What is 2+2?\nAnswer:", " 4"),
    ("The cat sat on the ", "mat."),          # trailing space moves to the continuation
    ("Line one\n\n", "Line two"),             # trailing newlines too
    ("", "Hello world"),                      # empty context: BOS/EOS token stands in
    ("Naïve café déjà", " vu — “quoted”"),
]


def test_token_split_matches_lm_eval(ours, lm_eval_model):
    for context, continuation in PAIRS:
        if context:
            assert ours.encode_pair(context, continuation) == lm_eval_model._encode_pair(context, continuation)
        else:
            ctx, cont = ours.encode_pair(context, continuation)
            assert ctx == [lm_eval_model.prefix_token_id]
            assert cont == lm_eval_model.tok_encode(continuation, add_special_tokens=False)
    # trailing space really moved: "mat." alone would tokenize differently from " mat."
    ctx, cont = ours.encode_pair("The cat sat on the ", "mat.")
    assert ours.tokenizer.decode(cont).startswith(" mat")


def test_odd_pairs_and_left_truncation_match_lm_eval(model_folder, lm_eval_model):
    from lm_eval.models.huggingface import HFLM

    long_ctx = " ".join(f"word{i}" for i in range(60)) + " and finally"
    reqs = [LoglikelihoodRequest(c, x) for c, x in PAIRS] + [LoglikelihoodRequest(long_ctx, " the end")]
    short = HFBackend(f"hf:{model_folder}", device="cpu", batch_size=4, max_length=32)
    lm_short = HFLM(pretrained=lm_eval_model._model, tokenizer=lm_eval_model.tokenizer, batch_size=4, max_length=32)
    for backend, reference in ((short, lm_short), (HFBackend(f"hf:{model_folder}", device="cpu"), lm_eval_model)):
        theirs = reference.loglikelihood([_Req((r.context, r.continuation)) for r in reqs], disable_tqdm=True)
        mine = [res for g in backend.loglikelihood([[r] for r in reqs]) for res in g]
        for a, (lp, greedy) in zip(mine, theirs, strict=True):
            assert a.logprob == pytest.approx(lp, abs=1e-4)
            assert a.is_greedy == greedy
    assert short.max_length == 32


def test_shared_prefix_equals_scoring_each_sequence_alone(ours):
    ctx = "A recipe for bread: mix flour, water, salt and yeast, then"
    group = [LoglikelihoodRequest(ctx, c) for c in (" knead it.", " bake it at 220 degrees.", " wait", " eat it raw")]
    together = ours.loglikelihood([group])[0]
    alone = [ours.loglikelihood([[r]])[0][0] for r in group]
    assert ours._encode_group(group).prefix > 5
    for a, b in zip(together, alone, strict=True):
        assert a.logprob == pytest.approx(b.logprob, abs=1e-4)
        assert a.is_greedy == b.is_greedy
    # the likelier ending really scores higher than nonsense
    assert max(range(4), key=lambda i: together[i].logprob) != 3


def test_packed_and_cache_expanding_paths_agree(model_folder, shared_data):
    """The block-masked packed pass and the KV-cache-expansion pass give the same numbers."""
    from shortlist.evaluate.tasks import get_task

    task = get_task("winogrande")  # per-choice contexts: the shared prefix ends mid-sentence
    groups = [i.requests() for i in task.instances(task.load_docs(shared_data / "benchmarks"), num_fewshot=0,
                                                   limit=6)]
    task = get_task("arc_easy")
    groups += [i.requests() for i in task.instances(task.load_docs(shared_data / "benchmarks"), num_fewshot=1,
                                                    limit=6)]
    packed = HFBackend(f"hf:{model_folder}", device="cpu", batch_size=4)
    cached = HFBackend(f"hf:{model_folder}", device="cpu", batch_size=4)
    cached.packed = False
    assert packed.packed
    a, b = packed.loglikelihood(groups), cached.loglikelihood(groups)
    for ga, gb in zip(a, b, strict=True):
        for x, y in zip(ga, gb, strict=True):
            assert x.logprob == pytest.approx(y.logprob, abs=1e-4)
            assert x.is_greedy == y.is_greedy


def test_generation_matches_lm_eval_and_stops(ours, lm_eval_model):
    prompts = ["Question: What is the capital of France?\nAnswer:", "1, 2, 3, 4, 5,"]
    until = ["\n", "Question:"]
    mine = ours.generate([GenerationRequest(p, tuple(until), 16) for p in prompts])
    theirs = lm_eval_model.generate_until(
        [_Req((p, {"until": until, "max_gen_toks": 16, "do_sample": False})) for p in prompts], disable_tqdm=True
    )
    assert [m.text for m in mine] == theirs
    assert all("\n" not in m.text for m in mine)
    assert mine[1].text.strip().startswith("6")
    assert mine[0].finish_reason == "stop"                         # " Paris" then a newline
    assert all((m.finish_reason == "length") == (m.tokens == 16) for m in mine)


def test_auto_batch_size_on_cpu_is_the_documented_rule(model_folder):
    b = HFBackend(f"hf:{model_folder}", device="cpu", batch_size="auto")
    assert b.batch_size == CPU_BATCH_SIZE == 8


def test_fingerprint_depends_on_weights_and_dtype(model_folder, smollm2_gguf, monkeypatch):
    a = HFBackend(f"hf:{model_folder}", device="cpu", dtype="float32")
    b = HFBackend(f"hf:{model_folder}", device="cpu", dtype="bfloat16")
    assert a.fingerprint() != b.fingerprint()
    assert a.fingerprint() == HFBackend(str(model_folder), device="cpu").fingerprint()
    assert b.describe()["dtype"] == "bfloat16"
    res = b.loglikelihood([[LoglikelihoodRequest("The sky is", " blue")]])[0][0]
    ref = a.loglikelihood([[LoglikelihoodRequest("The sky is", " blue")]])[0][0]
    assert res.logprob == pytest.approx(ref.logprob, abs=0.5)  # same model, coarser numbers


def test_gguf_is_dequantized_once_and_cached_by_sha256(model_folder, smollm2_gguf, monkeypatch):
    monkeypatch.setenv("SHORTLIST_CACHE", str(model_folder.parent.parent))
    marker = model_folder / ".complete"
    stamp = marker.stat().st_mtime_ns
    b = HFBackend(str(smollm2_gguf), device="cpu")
    assert marker.stat().st_mtime_ns == stamp  # reused, not rebuilt
    assert model_folder.name == hf_source.file_sha256(smollm2_gguf)[:24]
    assert b.describe()["source"] == "gguf"
    assert (model_folder / "model.safetensors").is_file()


def test_missing_and_malformed_models_are_user_errors(tmp_path, monkeypatch):
    with pytest.raises(NotFound, match="does not exist"):
        HFBackend(str(tmp_path / "nope.gguf"))
    with pytest.raises(NotFound, match="does not exist"):
        HFBackend(f"hf:{tmp_path / 'no-such-folder'}")
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a gguf file at all")
    with pytest.raises(BadInput, match="not a GGUF file"):
        HFBackend(str(bad))
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match=r"no config\.json"):
        HFBackend(f"hf:{tmp_path / 'empty'}")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    with pytest.raises(Offline, match="offline"):
        HFBackend("hf:HuggingFaceTB/definitely-not-cached-model")


def test_backend_for_parses_model_specs():
    assert backend_for("hf:owner/name") == ("hf", "owner/name")
    assert backend_for("/models/x.gguf") == ("hf", "/models/x.gguf")
    assert backend_for("openai:m@http://127.0.0.1:8000/v1") == ("openai", "m@http://127.0.0.1:8000/v1")
    with pytest.raises(NotFound, match="unknown model backend"):
        backend_for("vllmx:foo")


def test_the_engine_takes_the_models_own_chat_template(ours):
    """SmolLM2-Instruct has a template: the backend exposes it, and the engine's prompt format uses it."""
    from shortlist.evaluate.engine import chat_template_of

    template = chat_template_of(ours)
    assert template is not None
    messages = [{"role": "user", "content": "Hi?"}]
    assert template(messages) == ours.tokenizer.apply_chat_template(messages, tokenize=False,
                                                                    add_generation_prompt=True)
