"""The llamacpp backend: the real SmolLM2 Q4_1 GGUF run in process by llama-cpp-python.

Log-likelihoods against the hf backend on the same file (dequantized) and the same requests, llama.cpp's own
greedy completion, stop sequences and finish reasons, prefix reuse, resume, `--against`, and bad files.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")

from shortlist.errors import BadInput
from shortlist.evaluate import EvalRequest, run
from shortlist.evaluate.against import report
from shortlist.evaluate.backends import backend_for, load_backend
from shortlist.evaluate.backends.llamacpp import LlamaCppBackend
from shortlist.evaluate.types import GenerationInstance, GenerationRequest, LoglikelihoodRequest
from shortlist.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lc(smollm2_gguf: Path) -> LlamaCppBackend:
    backend = LlamaCppBackend(str(smollm2_gguf), threads=1)
    yield backend
    backend.close()


def test_spec_is_routed_to_llamacpp(smollm2_gguf):
    assert backend_for(f"llamacpp:{smollm2_gguf}") == ("llamacpp", str(smollm2_gguf))
    assert backend_for(str(smollm2_gguf))[0] == "hf"   # a bare .gguf still means the dequantized hf path


def test_describe_and_fingerprint(lc, smollm2_gguf):
    d = lc.describe()
    assert d["backend"] == "llamacpp" and d["dtype"] == "Q4_1" and d["model"] == "SmolLM2-135M-Instruct.Q4_1"
    assert d["threads"] == 1 and d["n_batch"] == 512 and d["max_length"] == 8192
    assert lc.name == f"llamacpp:{Path(smollm2_gguf).resolve()}"
    assert len(lc.fingerprint()) == 20 and lc.fingerprint() == d["fingerprint"]
    with pytest.raises(BadInput, match="--dtype does not apply to llamacpp"):
        load_backend(f"llamacpp:{smollm2_gguf}", dtype="bfloat16")


PAIRS = [
    ("Question: What is 2+2?\nAnswer:", " 4"),
    ("The cat sat on the ", "mat."),          # trailing space moves to the continuation
    ("Line one\n\n", "Line two"),
    ("", "Hello world"),                      # empty context: the BOS token stands in
    ("Naïve café déjà", " vu — “quoted”"),
    ("<|im_start|>user\nHi<|im_end|>\n", "<|im_start|>assistant"),   # special tokens parsed as the HF tokenizer does
]


def test_token_split_matches_the_hf_tokenizer(lc, smollm2_folder):
    transformers = pytest.importorskip("transformers")
    tok = transformers.AutoTokenizer.from_pretrained(str(smollm2_folder))
    for context, continuation in PAIRS:
        ctx, cont = lc.encode_pair(context, continuation)
        if not context:
            assert ctx == [tok.bos_token_id] and cont == tok.encode(continuation, add_special_tokens=False)
            continue
        n = len(context) - len(context.rstrip())
        c, k = (context[:-n], context[-n:] + continuation) if n else (context, continuation)
        whole = tok.encode(c + k)
        assert ctx == tok.encode(c) and cont == whole[len(ctx):], (context, continuation)


def test_chat_template_renders_as_transformers(lc, smollm2_folder):
    transformers = pytest.importorskip("transformers")
    tok = transformers.AutoTokenizer.from_pretrained(str(smollm2_folder))
    for messages in ([{"role": "user", "content": "Hi there"}],
                     [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Q1"},
                      {"role": "assistant", "content": "A1"}, {"role": "user", "content": "Q2"}]):
        want = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        assert lc.chat_template(messages) == want


def test_prefix_reuse_changes_no_number(lc):
    groups = [
        [LoglikelihoodRequest("Question: Which is a fruit?\nAnswer:", f" {c}") for c in ("apple", "chair", "car")],
        [LoglikelihoodRequest("Question: Which is a fruit?\nAnswer:", " banana split")],
        [LoglikelihoodRequest("Question: Which animal barks?\nAnswer:", f" {c}") for c in ("dog", "cat")],
    ]
    lc._reset()
    before = lc.stats.tokens_fed
    together = lc.loglikelihood(groups)
    fed = lc.stats.tokens_fed - before
    alone = []
    for g in groups:
        row = []
        for r in g:
            lc._reset()                      # nothing cached: every request computed from its first token
            row.append(lc.loglikelihood([[r]])[0][0])
        alone.append(row)
    total = sum(len(lc.encode_pair(r.context, r.continuation)[0]) + len(lc.encode_pair(r.context, r.continuation)[1])
                - 1 for g in groups for r in g)
    assert fed < total * 0.6                 # the shared question ran once per doc, "Question:" once overall
    for ga, gb in zip(together, alone, strict=True):
        for a, b in zip(ga, gb, strict=True):
            assert a.logprob == pytest.approx(b.logprob, abs=1e-3)
            assert a.is_greedy == b.is_greedy
    assert together[0][0].logprob > together[0][1].logprob   # "apple" beats "chair"


def test_greedy_generation_equals_llama_cpps_own_and_stops(lc):
    prompts = ["1, 2, 3, 4,", "The capital of France is", "Write a short poem about the sea.\n"]
    got = lc.generate([GenerationRequest(p, (",", "\n\n"), 24) for p in prompts])
    for p, res in zip(prompts, got, strict=True):
        lc.llm.reset()
        want = lc.llm.create_completion(p, max_tokens=24, temperature=0.0, top_k=1, stop=[",", "\n\n"])
        assert res.text == want["choices"][0]["text"], p
        assert res.finish_reason == want["choices"][0]["finish_reason"], p
    lc._reset()                               # create_completion used the same context: forget the cache
    assert (got[0].text, got[0].finish_reason) == (" 5", "stop")


def test_finish_reason_length_and_eos(lc):
    cut, = lc.generate([GenerationRequest("Count: 1, 2, 3, 4, 5, 6,", (), 5)])
    assert cut.finish_reason == "length" and cut.tokens == 5 and cut.text
    # the chat template ends the answer with <|im_end|>, an end-of-generation token: "stop", not in the text
    chat = "<|im_start|>user\nSay hi.<|im_end|>\n<|im_start|>assistant\n"
    done, = lc.generate([GenerationRequest(chat, (), 64)])
    assert done.finish_reason == "stop" and done.tokens < 64 and "<|im_end|>" not in done.text


def test_sampled_generation_is_seeded(lc):
    req = GenerationRequest("Once upon a time", ("\n",), 16, temperature=1.0)
    a, = lc.generate([req])
    b, = lc.generate([req])
    assert a == b                               # same seed and prompt: same text
    greedy, = lc.generate([GenerationRequest("Once upon a time", ("\n",), 16)])
    others = lc.generate([GenerationRequest(f"Once upon a time{'.' * i}", ("\n",), 16, 1.0) for i in range(1, 4)])
    assert any(o.text != greedy.text for o in [a, *others])


class _EchoTask:
    """A tiny generation task: the model continues a count; scored by whether the next number appears."""

    name = "count_gen"
    version = "1"
    output_type = "generate_until"
    default_fewshot = 0
    metrics = ("hit",)

    def load_docs(self, data_dir=None):
        return [{"start": n} for n in range(1, 7)]

    def instances(self, docs, num_fewshot=None, limit=None, fewshot_seed=None, prompt_format=None):
        docs = docs[:limit] if limit else docs
        return [GenerationInstance(self.name, i, ", ".join(str(d["start"] + k) for k in range(4)) + ",",
                                   ("\n",) if i % 2 else (), 4 if i % 2 else 3, str(d["start"] + 4))
                for i, d in enumerate(docs)]

    def process_results_batch(self, instances, texts):
        return [{"hit": float(i.reference in t)} for i, t in zip(instances, texts, strict=True)]

    def aggregate(self, per_doc):
        return {"hit": sum(d["hit"] for d in per_doc) / len(per_doc), "n": float(len(per_doc))}


def test_engine_run_stores_resumes_and_marks_unfinished(lc, tmp_path):
    with Store(tmp_path / "e.db") as store:
        first = run(EvalRequest(model=lc.name, tasks=[_EchoTask()], limit=3), store=store, backend=lc)
        again = run(EvalRequest(model=lc.name, tasks=[_EchoTask()], limit=6), store=store, backend=lc)
    t = again.tasks["count_gen"]
    assert first.tasks["count_gen"].n_computed == 3
    assert (t.n, t.n_reused, t.n_computed) == (6, 3, 3)     # resume: the first three come from the store
    samples = again.samples["count_gen"]
    assert [s.generation for s in samples[:3]] == [s.generation for s in first.samples["count_gen"]]
    # 3 or 4 tokens, never reaching a newline: every generation is cut by the limit
    assert all(s.metrics["did_not_finish"] == 1.0 for s in samples)
    assert t.did_not_finish == 6                             # counted per task
    assert t.metrics["hit"] > 0.5


def test_arc_easy_agrees_with_hf_within_the_paired_ci(lc, smollm2_folder, shared_data, tmp_path, capsys):
    """Same file, two kernels: llama.cpp on Q4_1 blocks (with Q8 activations and an f16 KV cache) and
    transformers on the dequantized float32 weights. Accuracy must agree within the paired CI."""
    from shortlist.evaluate.backends.hf import HFBackend
    from shortlist.evaluate.tasks import get_task

    task = get_task("arc_easy")
    hf = HFBackend(f"hf:{smollm2_folder}", device="cpu", batch_size=8)
    with Store(tmp_path / "arc.db") as store:
        ours = run(EvalRequest(model=lc.name, tasks=[task], limit=60, num_fewshot=0,
                               data_dir=shared_data / "benchmarks"), store=store, backend=lc)
        ref = run(EvalRequest(model=hf.name, tasks=[task], limit=60, num_fewshot=0,
                              data_dir=shared_data / "benchmarks"), store=store, backend=hf)
    rep = report(ours, ref)
    (cost,) = rep.tasks
    assert cost.n == 60 and cost.ci_low <= 0.0 <= cost.ci_high and cost.within_noise
    deltas, per_token = [], []
    for sa, sb in zip(ours.samples["arc_easy"], ref.samples["arc_easy"], strict=True):
        for choice, a, b in zip(sa.choices, sa.loglikelihoods, sb.loglikelihoods, strict=True):
            deltas.append(abs(a - b))
            per_token.append(abs(a - b) / len(lc.encode_pair(sa.prompt, choice)[1]))
    with capsys.disabled():
        print(f"\narc_easy n=60 acc_norm llamacpp {cost.model:.3f} hf {cost.reference:.3f} "
              f"diff {cost.diff:+.3f} [{cost.ci_low:+.3f}, {cost.ci_high:+.3f}]; per-request |Δ loglik| "
              f"max {max(deltas):.4f} median {statistics.median(deltas):.4f} over {len(deltas)} requests; "
              f"per token mean {statistics.mean(per_token):.4f}")
    # llama.cpp multiplies Q4_1 blocks by activations quantized to 8 bits (and keeps an f16 KV cache); the hf
    # backend runs the dequantized weights in float32: measured 0.14 nats median per request, 0.95 at most,
    # ~0.05 per token (the openai backend's test measured 0.084 per token through llama-cpp-python's server)
    assert statistics.mean(per_token) < 0.15 and statistics.median(deltas) < 0.3 and max(deltas) < 2.0
    agree = sum(a.pred == b.pred for a, b in zip(ours.samples["arc_easy"], ref.samples["arc_easy"], strict=True))
    assert agree >= 55


def _cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shortlist", *args, "--db", str(db)], capture_output=True,
                          text=True, timeout=600)


def test_against_end_to_end(smollm2_gguf, smollm2_folder, shared_data, tmp_path):
    args = ["eval", "--model", f"llamacpp:{smollm2_gguf}", "--against", f"hf:{smollm2_folder}", "--tasks",
            "arc_easy", "--limit", "6", "--threads", "1", "--data-dir", str(shared_data / "benchmarks"), "--json"]
    proc = _cli(*args, db=tmp_path / "a.db")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["backend"]["backend"] == "llamacpp" and out["tasks"]["arc_easy"]["n"] == 6
    vs = out["against"]
    ref = vs["reference_result"]
    assert vs["reference"] == Path(smollm2_folder).name and vs["model"] == "SmolLM2-135M-Instruct.Q4_1"
    assert ref["backend"]["backend"] == "hf" and ref["tasks"]["arc_easy"]["n"] == 6
    (cost,) = vs["tasks"]
    assert cost["task"] == "arc_easy" and cost["n"] == 6 and cost["test"] == "mcnemar-exact"
    assert cost["ci_low"] <= cost["diff"] <= cost["ci_high"]
    assert cost["diff"] == pytest.approx(cost["model"] - cost["reference"])
    # a second run is served from the store, both sides
    again = json.loads(_cli(*args, db=tmp_path / "a.db").stdout)
    assert again["tasks"]["arc_easy"]["n_reused"] == 6
    assert again["against"]["reference_result"]["tasks"]["arc_easy"]["n_reused"] == 6


def _unloadable_gguf(path: Path) -> Path:
    """A well-formed GGUF header that llama.cpp cannot load: an architecture it does not know, no tensors."""
    gguf = pytest.importorskip("gguf")
    writer = gguf.GGUFWriter(str(path), "no_such_arch")
    writer.add_block_count(1)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.mark.parametrize("kind", ["unloadable", "not_gguf", "missing"])
def test_bad_gguf_exits_2_with_one_line(kind, tmp_path):
    path = tmp_path / "bad.gguf"
    if kind == "unloadable":
        _unloadable_gguf(path)
    elif kind == "not_gguf":
        path.write_bytes(b"not a model at all" * 10)
    proc = _cli("eval", "--model", f"llamacpp:{path}", "--tasks", "arc_easy", "--limit", "1", db=tmp_path / "b.db")
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "bad.gguf" in lines[0]
    if kind == "unloadable":
        assert "llama.cpp cannot load" in lines[0]


def test_threads_option_is_for_llamacpp_only(tmp_path):
    proc = _cli("eval", "--model", "hf:./nowhere", "--tasks", "arc_easy", "--threads", "2", db=tmp_path / "t.db")
    assert proc.returncode == 2 and "--threads" in proc.stderr
