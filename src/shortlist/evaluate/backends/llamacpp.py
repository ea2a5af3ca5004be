"""A GGUF file run in this process by llama.cpp's own kernels (llama-cpp-python): the numbers of the file you ship.

Spec: `llamacpp:PATH.gguf`. Unlike `hf:FILE.gguf`, which dequantizes the file to float32 and runs it in
transformers, this backend computes with the quantized weights exactly as llama.cpp (and every server and
app built on it) does.

Log-likelihood follows lm-eval's HFLM request by request: the same context/continuation token split (the
context's trailing spaces move to the continuation; continuation tokens are the tail of the whole string's
encoding), the same model input (context + continuation minus the last token, left-truncated to the max
length), the same is_greedy test; log-softmax is taken in float64 over llama.cpp's float32 logits, which are
computed only at the continuation's positions.

Work is shared through the KV cache: before each forward pass the cache keeps the longest prefix it shares
with the new input, so a doc's context runs once for all its choices, and a few-shot prefix common to
consecutive docs (or a prompt prefix common to consecutive generations) runs once for all of them. `plan`
orders docs by their tokens so that shared prefixes are neighbours.

Generation decodes one prompt at a time (greedy at temperature 0, otherwise sampled from the softmax at that
temperature with a generator seeded by the seed and the prompt, so a rerun gives the same text), stops at
end-of-generation tokens and at the request's stop strings (checked on the decoded text after every token),
and reports finish_reason "length" when the token limit ended it first.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shortlist.errors import BadInput, MissingExtra
from shortlist.evaluate.backends import hf_source
from shortlist.evaluate.backends.base import BackendStats, Capabilities, Group, pack
from shortlist.evaluate.backends.pair_encoding import PairEncoding
from shortlist.evaluate.types import GenerationRequest, GenerationResult, LoglikelihoodResult

DEFAULT_MAX_LENGTH = 8192   # the context window when the file's training context is longer (KV memory)
DEFAULT_N_BATCH = 512       # tokens per llama_decode call
DEFAULT_SEED = 1234


@dataclass
class _Row:
    inp: list[int]     # model input tokens: (context + continuation)[-(max_len+1):][:-1]
    cont: list[int]    # scored tokens: the last len(cont) positions of inp predict them


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    if a[:n] == b[:n]:   # the usual case (the cache is a prefix of the next input), compared in C
        return n
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _log_softmax_at(logits: np.ndarray, token: int) -> tuple[float, bool]:
    """log P(token) from one row of float32 logits (computed in float64), and whether it is the argmax."""
    row = logits.astype(np.float64)
    top = float(row.max())
    lse = top + float(np.log(np.exp(row - top).sum()))
    return float(row[token]) - lse, int(np.argmax(logits)) == token


class LlamaCppBackend(PairEncoding):
    """One llama.cpp context over one GGUF file; requests run one sequence at a time through a reused KV cache."""

    capabilities = Capabilities(loglikelihood=True, generate=True)

    def __init__(self, spec: str, *, batch_size: int | str = 8, max_length: int | None = None,
                 threads: int | None = None, n_batch: int = DEFAULT_N_BATCH, seed: int = DEFAULT_SEED,
                 n_gpu_layers: int = 0, device: str = "auto") -> None:
        raw = spec.removeprefix("llamacpp:")
        if not raw.lower().endswith(".gguf"):
            raise BadInput(f"llamacpp: needs a .gguf file, got '{raw}'", "pass --model llamacpp:PATH.gguf")
        self.source = hf_source.resolve(raw)   # exists, GGUF magic, bounded header checks: one-line errors
        try:
            import llama_cpp
            from llama_cpp import _internals
        except ImportError:
            raise MissingExtra("llama-cpp-python", "llamacpp") from None
        self._lib = llama_cpp
        if device not in ("auto", "cpu"):
            n_gpu_layers = n_gpu_layers or -1    # offload every layer when the build has an accelerator
        # llama-cpp-python's default: half the logical cores (about the physical ones); more threads than free cores
        # makes llama.cpp's spinning thread barrier crawl (0.5 s per token instead of 0.05 on 2 busy cores)
        self.threads = int(threads) if threads else max(1, (os.cpu_count() or 2) // 2)
        if self.threads < 1:
            raise BadInput(f"threads must be at least 1, got {threads}")
        if int(n_batch) < 1:
            raise BadInput(f"n_batch must be at least 1, got {n_batch}")
        self.n_batch = int(n_batch)
        self.batch_size = 8 if batch_size == "auto" else int(batch_size)
        if self.batch_size < 1:
            raise BadInput(f"batch size must be at least 1, got {batch_size}", "pass --batch-size 8 or auto")
        self.seed = int(seed)
        self.n_gpu_layers = int(n_gpu_layers)
        train_ctx = _train_context(self.source.ref)
        self.max_length = int(max_length) if max_length else min(train_ctx or 2048, DEFAULT_MAX_LENGTH)
        if self.max_length < 2:
            raise BadInput(f"max_length must be at least 2, got {max_length}")
        try:
            self.llm = llama_cpp.Llama(self.source.ref, n_ctx=self.max_length, n_batch=self.n_batch,
                                       n_ubatch=self.n_batch, n_threads=self.threads, n_threads_batch=self.threads,
                                       n_gpu_layers=self.n_gpu_layers, logits_all=False, seed=self.seed,
                                       verbose=False)
        except Exception as exc:   # llama.cpp reports an unloadable file as ValueError / RuntimeError
            why = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise BadInput(f"llama.cpp cannot load {raw}: {why}",
                           "is it a complete GGUF model of an architecture this llama-cpp-python supports?") from None
        # llama-cpp-python frees the model in __del__, which fails noisily at interpreter exit: close it first
        self._finalizer = weakref.finalize(self, _close, self.llm)
        atexit.register(self._finalizer)
        self._ctx = self.llm._ctx
        self._batch = _internals.LlamaBatch(n_tokens=self.n_batch, embd=0, n_seq_max=1, verbose=False)
        self._vocab = llama_cpp.llama_model_get_vocab(self.llm._model.model)
        self.n_vocab = self.llm.n_vocab()
        self.name = f"llamacpp:{self.source.ref}"
        self.stats = BackendStats()
        self._kv: list[int] = []   # the tokens whose keys/values sit in the cache, positions 0..len-1
        bos, eos = self.llm.token_bos(), self.llm.token_eos()
        self.prefix_token_id = bos if bos >= 0 else eos
        self._prefix_str = self.llm.detokenize([self.prefix_token_id], special=True).decode("utf-8", "replace")
        self._eos_text = self.llm.detokenize([eos], special=True).decode("utf-8", "replace") if eos >= 0 else ""
        self._ctx_cache: dict[str, list[int]] = {}
        self._fingerprint: str | None = None
        template = (self.llm.metadata or {}).get("tokenizer.chat_template")
        self.chat_template = _jinja_template(template, self.llm.detokenize([bos], special=True).decode(
            "utf-8", "replace") if bos >= 0 else "", self._eos_text) if template else None

    # -- identity ----------------------------------------------------------------------------------
    def fingerprint(self) -> str:
        """The file's sha256, the llama.cpp build (its kernels decide the numbers) and the context window."""
        if self._fingerprint is None:
            key = f"llamacpp|{self.source.digest()}|{self._lib.__version__}|ctx={self.max_length}"
            self._fingerprint = hashlib.sha256(key.encode()).hexdigest()[:20]
        return self._fingerprint

    def describe(self) -> dict[str, Any]:
        meta = self.llm.metadata or {}
        return {"backend": "llamacpp", "model": self.source.name, "source": "gguf", "ref": self.source.ref,
                "dtype": _file_type(meta), "device": "cpu" if self.n_gpu_layers == 0 else "offload",
                "batch_size": self.batch_size, "max_length": self.max_length, "threads": self.threads,
                "n_batch": self.n_batch, "llama_cpp_python": self._lib.__version__,
                "fingerprint": self.fingerprint()}

    def close(self) -> None:
        self._finalizer()

    # -- tokenization, exactly as lm-eval's HFLM (with the file's own tokenizer) --------------------
    def _tokenize(self, text: str, add_special: bool = True) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=add_special, special=True)

    def _encode_group(self, group: Group) -> list[_Row]:
        rows = []
        for req in group:
            ctx, cont = self.encode_pair(req.context, req.continuation)
            if not cont:
                raise BadInput(f"continuation {req.continuation!r} encodes to no tokens", "check the task's choices")
            rows.append(_Row((ctx + cont)[-(self.max_length + 1):][:-1], cont))
        return rows

    # -- the KV cache and forward passes ------------------------------------------------------------
    def _forward(self, tokens: list[int], want: Sequence[int]) -> dict[int, np.ndarray]:
        """Bring the cache to `tokens`, computing only what it does not hold; logits at positions `want`.

        A wanted position is always recomputed (logits are not kept), so the cache is cut at or before it.
        """
        if len(tokens) > self.max_length:
            raise BadInput(f"{len(tokens)} tokens do not fit the context of {self.max_length}",
                           "raise max_length")
        keep = _common_prefix(self._kv, tokens)
        if want:
            keep = min(keep, min(want))
        keep = min(keep, len(tokens) - 1) if tokens else 0
        self._ctx.kv_cache_seq_rm(0, keep, -1)
        self._kv = self._kv[:keep]
        wanted = set(want)
        out: dict[int, np.ndarray] = {}
        lib, ctx, batch = self._lib, self._ctx.ctx, self._batch.batch
        for start in range(keep, len(tokens), self.n_batch):
            chunk = tokens[start:start + self.n_batch]
            batch.n_tokens = len(chunk)
            for i, tok in enumerate(chunk):
                batch.token[i] = tok
                batch.pos[i] = start + i
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = 0
                batch.logits[i] = (start + i) in wanted
            rc = lib.llama_decode(ctx, batch)
            if rc != 0:
                self._reset()
                raise BadInput(f"llama.cpp could not run a batch (llama_decode returned {rc})",
                               "lower n_batch or max_length")
            self._kv.extend(chunk)
            for i in range(len(chunk)):
                if (start + i) in wanted:
                    ptr = lib.llama_get_logits_ith(ctx, i)
                    out[start + i] = np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).copy()
            self.stats.tokens_fed += len(chunk)
            self.stats.forward_calls += 1
        return out

    def _reset(self) -> None:
        self._ctx.kv_cache_seq_rm(0, 0, -1)
        self._kv = []

    # -- planning and scoring ---------------------------------------------------------------------
    def plan(self, groups: Sequence[Group]) -> list[list[int]]:
        """Docs in the order of their tokens, so that docs sharing a prefix (few-shot examples) are neighbours
        and the prefix stays in the cache; `batch_size` docs per committed batch."""
        firsts = [self._encode_group(g)[0].inp if g else [] for g in groups]
        order = sorted(range(len(groups)), key=lambda i: firsts[i])
        return pack(order, [1] * len(groups), self.batch_size)

    def loglikelihood(self, groups: Sequence[Group]) -> list[list[LoglikelihoodResult]]:
        out: list[list[LoglikelihoodResult]] = []
        for group in groups:
            rows = self._encode_group(group)
            # choices that share more with the cache first: the shared context runs once
            res: list[LoglikelihoodResult | None] = [None] * len(rows)
            for j in sorted(range(len(rows)), key=lambda j: rows[j].inp):
                res[j] = self._score_row(rows[j])
            out.append([r for r in res if r is not None])
        return out

    def _score_row(self, row: _Row) -> LoglikelihoodResult:
        start = len(row.inp) - len(row.cont)
        logits = self._forward(row.inp, range(start, len(row.inp)))
        total, greedy = 0.0, True
        for k, tok in enumerate(row.cont):
            lp, top = _log_softmax_at(logits[start + k], tok)
            total += lp
            greedy = greedy and top
        return LoglikelihoodResult(total, greedy)

    # -- generation ---------------------------------------------------------------------------------
    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        """One prompt at a time, in prompt order of their tokens so shared prefixes stay cached."""
        encoded = [self.tok_encode(r.prompt) for r in requests]
        out: list[GenerationResult] = [GenerationResult("", "error", 0)] * len(requests)
        for i in sorted(range(len(requests)), key=lambda i: encoded[i]):
            out[i] = self._generate_one(requests[i], encoded[i])
        return out

    def _generate_one(self, req: GenerationRequest, prompt: list[int]) -> GenerationResult:
        if req.max_tokens < 1:
            return GenerationResult("", "length", 0)
        room = self.max_length - req.max_tokens
        if room < 1:
            raise BadInput(f"max_tokens {req.max_tokens} leaves no room for the prompt in a context of "
                           f"{self.max_length}", "raise max_length or lower the task's max_tokens")
        tokens = list(prompt[-room:]) if prompt else [self.prefix_token_id]
        rng = None
        if req.temperature > 0:
            digest = hashlib.sha256(f"{self.seed}|{req.prompt}".encode()).digest()
            rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        stops = [s for s in req.until if s]
        generated: list[int] = []
        pieces = b""   # token pieces so far, to spot a stop string as soon as it is generated
        logits = self._forward(tokens, [len(tokens) - 1])[len(tokens) - 1]
        while True:
            tok = self._pick(logits, req.temperature, rng)
            if self._lib.llama_vocab_is_eog(self._vocab, tok):
                return GenerationResult(_cut(self._decode(generated), stops), "stop", len(generated) + 1)
            generated.append(tok)
            pieces += self.llm.detokenize([tok])
            text = _text(pieces)
            if _cut(text, stops) != text:
                return GenerationResult(_cut(self._decode(generated), stops), "stop", len(generated))
            if len(generated) >= req.max_tokens:
                text = self._decode(generated)
                cut = _cut(text, stops)
                return GenerationResult(cut, "length" if cut == text else "stop", len(generated))
            seq = tokens + generated
            logits = self._forward(seq, [len(seq) - 1])[len(seq) - 1]

    def _decode(self, tokens: list[int]) -> str:
        """The generated tokens decoded on their own, special tokens left out (as lm-eval decodes them)."""
        return self.llm.detokenize(tokens).decode("utf-8", "replace")

    @staticmethod
    def _pick(logits: np.ndarray, temperature: float, rng: np.random.Generator | None) -> int:
        if rng is None or temperature <= 0:
            return int(np.argmax(logits))
        z = logits.astype(np.float64) / temperature
        p = np.exp(z - z.max())
        p /= p.sum()
        return int(rng.choice(len(p), p=p))


def _jinja_template(source: str, bos: str, eos: str) -> Any:
    """messages -> prompt with the file's chat template, rendered as transformers' apply_chat_template renders it
    (sandboxed jinja2, trim_blocks and lstrip_blocks, the generation turn opened); when the template rejects a
    system message, it is dropped, as lm-eval does."""
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.globals["raise_exception"] = raise_exception
    compiled = env.from_string(source)

    def render(messages: list[dict[str, str]]) -> str:
        try:
            return compiled.render(messages=messages, add_generation_prompt=True, bos_token=bos, eos_token=eos)
        except jinja2.exceptions.TemplateError:
            rest = [m for m in messages if m["role"] != "system"]
            return compiled.render(messages=rest, add_generation_prompt=True, bos_token=bos, eos_token=eos)

    return render


def _text(data: bytes) -> str:
    """Decoded text so far; an incomplete multi-byte character at the end waits for its next token."""
    return data.decode("utf-8", "ignore") if data else ""


def _cut(text: str, stops: Sequence[str]) -> str:
    at = min((i for s in stops if (i := text.find(s)) >= 0), default=len(text))
    return text[:at]


def _close(llm: Any) -> None:
    with contextlib.suppress(Exception):  # already closed, or the interpreter is shutting down
        llm.close()


def _train_context(path: str) -> int | None:
    """The file's training context length (`<arch>.context_length`), from its header."""
    try:
        from shortlist.catalog.readers.gguf_header import read_gguf_header

        header = read_gguf_header(Path(path))
    except Exception:
        return None
    meta = getattr(header, "metadata", header if isinstance(header, dict) else {})
    for key, value in (meta or {}).items():
        if str(key).endswith(".context_length") and isinstance(value, (int, np.integer)) and value > 0:
            return int(value)
    return None


# llama.cpp's general.file_type codes (llama_ftype) for the common quantizations
_FTYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
           12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K",
           32: "BF16"}


def _file_type(meta: dict[str, Any]) -> str:
    raw = meta.get("general.file_type")
    try:
        return _FTYPES.get(int(raw), f"ftype {raw}") if raw is not None else "gguf"
    except (TypeError, ValueError):
        return "gguf"


def load(spec: str, **options: Any) -> LlamaCppBackend:
    """dtype is the file's: only None (or the CLI default) is accepted."""
    if options.get("dtype") not in (None, "auto"):
        raise BadInput("--dtype does not apply to llamacpp: models", "the GGUF file's quantization is what runs")
    known = {"batch_size", "max_length", "threads", "n_batch", "seed", "n_gpu_layers", "device"}
    return LlamaCppBackend(spec, **{k: v for k, v in options.items() if k in known and v is not None})
