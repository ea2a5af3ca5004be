"""Hugging Face transformers backend: lm-eval-exact tokenization, shared-context scoring.

Numbers match lm-evaluation-harness's HFLM (0.4.13): the same context/continuation token split,
the same model inputs (context + continuation minus the last token, left-truncated to the max
length), the same is_greedy test. What differs is only the work done: within one doc the
common token prefix of its requests runs once and its key/value cache is expanded over the
choices, and log-softmax is taken only at continuation positions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shortlist import hub_access
from shortlist.errors import BadInput, NotFound
from shortlist.evaluate.backends import hf_generate, hf_scoring, hf_source
from shortlist.evaluate.backends.base import BackendStats, Capabilities, Group
from shortlist.evaluate.backends.pair_encoding import PairEncoding
from shortlist.evaluate.types import GenerationRequest, GenerationResult, LoglikelihoodResult

DTYPES = ("float32", "bfloat16", "float16")
CPU_BATCH_SIZE = 8  # see _auto_batch_size
# A batch is `batch_size` docs: their contexts run as batch_size sequences (as lm-eval runs batch_size
# full sequences) and their choices ride along on the cached contexts, up to this many per context.
CHOICE_ROWS_PER_CONTEXT = 4


@dataclass
class _Row:
    inp: list[int]     # model input tokens: (context + continuation)[-(max_len+1):][:-1]
    cont: list[int]    # scored tokens (the last len(cont) positions of inp predict them)


@dataclass
class _Encoded:
    rows: list[_Row]
    prefix: int        # leading tokens shared by every row and scored by none: computed once


class HFBackend(PairEncoding):
    """A causal LM from transformers, scored the way lm-eval's HFLM scores it."""

    capabilities = Capabilities(loglikelihood=True, generate=True)

    def __init__(self, spec: str, *, dtype: str | None = None, device: str = "auto",
                 batch_size: int | str = 8, max_length: int | None = None) -> None:
        self.source = hf_source.resolve(spec)
        try:
            import torch
            import transformers
        except ImportError as exc:
            raise hf_source.MissingExtra(exc.name or "torch", "hf") from None
        self.torch = torch
        transformers.utils.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        dtype = dtype or ("float32" if self.device.type == "cpu" else "bfloat16")
        if dtype not in DTYPES:
            raise BadInput(f"unknown dtype '{dtype}'", f"use one of {', '.join(DTYPES)}")
        self.dtype = dtype
        self.model, self.tokenizer = self._load(transformers, getattr(torch, dtype))
        self.name = f"hf:{self.source.ref}" if self.source.kind != "gguf" else self.source.ref
        self.stats = BackendStats()
        cfg = getattr(self.model.config, "text_config", None) or self.model.config
        self.max_length = max_length or _config_max_length(cfg, self.tokenizer)
        self._softcap = getattr(cfg, "final_logit_softcapping", None)
        self._logit_scale = getattr(cfg, "logit_scale", None)
        bos = self.tokenizer.bos_token_id
        self.prefix_token_id = bos if bos is not None else self.tokenizer.eos_token_id
        # messages -> prompt with the model's template (None: it has none), read by the engine's prompt format
        self.chat_template = hf_chat_template(self.tokenizer) if getattr(self.tokenizer, "chat_template", None) \
            else None
        self._prefix_str = self.tokenizer.decode(self.prefix_token_id)
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        self._ctx_cache: dict[str, list[int]] = {}
        # transformers 5 renamed the decoder's `past_key_values` argument (and output) to `cache`
        import inspect

        params = inspect.signature(self.model.get_decoder().forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        self.batch_size = self._auto_batch_size() if batch_size == "auto" else int(batch_size)
        if self.batch_size < 1:
            raise BadInput(f"batch size must be at least 1, got {batch_size}", "pass --batch-size 8 or auto")
        self._fingerprint: str | None = None
        # One packed sequence per doc (context once, every choice after it under a block mask) needs an
        # attention that takes a custom 4D mask; otherwise the context's KV cache is expanded per choice.
        attn = getattr(self.model.config, "_attn_implementation", None)
        self.packed = attn in ("sdpa", "eager")
        self.grow_cache = True   # generation: preallocated KV buffers instead of torch.cat per token (hf_generate)

    # -- loading ---------------------------------------------------------------------------------
    def _load(self, transformers: Any, torch_dtype: Any) -> tuple[Any, Any]:
        src = self.source
        kwargs: dict[str, Any] = {}
        if src.kind == "gguf":
            folder: str = str(hf_source.gguf_folder(src))
        elif src.kind == "folder":
            folder = src.ref
        else:
            folder = src.ref
            why_offline = "HF_HUB_OFFLINE is set" if hub_access.offline_by_env() else hub_access.unreachable()
            if why_offline:   # a cached copy still loads; nothing waits on the Hub client's retries
                kwargs["local_files_only"] = True
        try:
            with hub_access.quiet_hub_logs():
                tok = transformers.AutoTokenizer.from_pretrained(folder, **kwargs)
                model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch_dtype, **kwargs)
        except OSError as exc:
            if src.kind == "hub":
                if kwargs:
                    raise hf_source.offline_error(src.ref, why_offline) from None
                raise NotFound(f"cannot load {src.ref} from the Hub ({exc})", "check the model id") from None
            raise BadInput(f"{src.ref}: cannot load model ({exc})", "check the folder is complete") from None
        except ValueError as exc:
            raise BadInput(f"{src.ref}: cannot load model ({exc})", "is it a causal language model?") from None
        model.to(self.device)
        model.eval()
        return model, tok

    def fingerprint(self) -> str:
        if self._fingerprint is None:
            import hashlib

            if self.source.kind == "hub":
                rev = getattr(self.model.config, "_commit_hash", None) or "unknown"
                digest = f"hub:{self.source.ref}@{rev}"
            else:
                digest = self.source.digest()
            self._fingerprint = hashlib.sha256(f"{digest}|{self.dtype}".encode()).hexdigest()[:20]
        return self._fingerprint

    def describe(self) -> dict[str, Any]:
        return {"backend": "hf", "model": self.source.name, "source": self.source.kind, "ref": self.source.ref,
                "dtype": self.dtype, "device": str(self.device), "batch_size": self.batch_size,
                "max_length": self.max_length, "fingerprint": self.fingerprint()}

    def _auto_batch_size(self) -> int:
        """CPU: a fixed 8. Big batches do not raise CPU throughput (the matmuls already use every core),
        they only add padding and memory: lm-eval's auto picks 64 and runs 1.7x slower at 3x the RSS.
        Accelerators: the largest power of two up to 64 whose long-sequence probe fits in memory."""
        if self.device.type == "cpu":
            return CPU_BATCH_SIZE
        torch = self.torch
        length = min(self.max_length, 2048)
        best = 1
        for size in (1, 2, 4, 8, 16, 32, 64):
            try:
                with torch.no_grad():
                    ids = torch.ones((size, length), dtype=torch.long, device=self.device)
                    self.model(ids[:, :-1]).logits.float().log_softmax(-1)
                best = size
            except RuntimeError:  # out of memory
                break
            finally:
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
        return best

    # -- tokenization, exactly as lm-eval's HFLM (the split itself: pair_encoding) ----------------
    def _tokenize(self, text: str, add_special: bool = True) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=add_special))

    def _encode_group(self, group: Group) -> _Encoded:
        rows = []
        for req in group:
            ctx, cont = self.encode_pair(req.context, req.continuation)
            if not cont:
                raise BadInput(f"continuation {req.continuation!r} encodes to no tokens", "check the task's choices")
            rows.append(_Row((ctx + cont)[-(self.max_length + 1):][:-1], cont))
        prefix = 0
        if len(rows) > 1:
            first = rows[0].inp
            limit = min(len(r.inp) - len(r.cont) for r in rows)
            while prefix < limit and all(r.inp[prefix] == first[prefix] for r in rows):
                prefix += 1
        return _Encoded(rows, prefix)

    # -- planning and scoring --------------------------------------------------------------------
    def plan(self, groups: Sequence[Group]) -> list[list[int]]:
        """Longest docs first (in tokens), `batch_size` docs per batch (see CHOICE_ROWS_PER_CONTEXT)."""
        encoded = [self._encode_group(g) for g in groups]
        cost = [e.prefix + sum(len(r.inp) - e.prefix for r in e.rows) for e in encoded]
        order = sorted(range(len(groups)), key=lambda i: -cost[i])
        return self._pack(order, encoded)

    def _pack(self, order: Sequence[int], encoded: Sequence[_Encoded]) -> list[list[int]]:
        """At most batch_size docs per batch (and, expanding caches, batch_size * CHOICE_ROWS_PER_CONTEXT rows)."""
        max_rows = 1 << 30 if self.packed else self.batch_size * CHOICE_ROWS_PER_CONTEXT
        batches: list[list[int]] = []
        for i in order:
            rows = len(encoded[i].rows)
            last = batches[-1] if batches else None
            full = last is None or len(last) >= self.batch_size
            if full or sum(len(encoded[j].rows) for j in last or ()) + rows > max_rows:
                batches.append([i])
            else:
                last.append(i)
        return batches

    def loglikelihood(self, groups: Sequence[Group]) -> list[list[LoglikelihoodResult]]:
        encoded = [self._encode_group(g) for g in groups]
        out: list[list[LoglikelihoodResult] | None] = [None] * len(groups)
        for use_prefix in (True, False):
            idx = [i for i, e in enumerate(encoded) if (e.prefix > 0) == use_prefix]
            # keep every forward pass within the batch limits even if the caller sent more
            for chunk in self._pack(idx, encoded):
                for i, res in zip(chunk, self._score([encoded[i] for i in chunk], use_prefix), strict=True):
                    out[i] = res
        return [r for r in out if r is not None]

    def _score(self, encs: list[_Encoded], use_prefix: bool) -> list[list[LoglikelihoodResult]]:
        if self.packed and use_prefix:
            return hf_scoring.score_packed(self, encs)
        return hf_scoring.score_cached(self, encs, use_prefix)

    def project(self, hidden: Any) -> Any:
        """The LM head on the picked positions only (with the softcap / scale some families apply)."""
        logits = self.model.get_output_embeddings()(hidden)
        if self._logit_scale:
            logits = logits * self._logit_scale
        if self._softcap:
            logits = self.torch.tanh(logits / self._softcap) * self._softcap
        return logits.float()

    # -- generation ------------------------------------------------------------------------------
    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        """lm-eval's generate_until, batched with a KV cache: shared prefix once, finished rows dropped (see
        hf_generate)."""
        return hf_generate.generate(self, requests)


def _config_max_length(cfg: Any, tokenizer: Any) -> int:
    """lm-eval's rule: n_positions, max_position_embeddings, n_ctx, tokenizer limit, else 2048."""
    for attr in ("n_positions", "max_position_embeddings", "n_ctx"):
        value = getattr(cfg, attr, None)
        if value is not None:
            return int(value)
    limit = getattr(tokenizer, "model_max_length", None)
    if limit is not None and limit < 10**29:
        return int(limit)
    return 2048


def load(spec: str, **options: Any) -> HFBackend:
    return HFBackend(spec, **options)


def hf_chat_template(tokenizer: Any) -> Callable[[list[dict[str, str]]], str]:
    """Messages -> prompt through a Hugging Face tokenizer's template, generation turn opened, as lm-eval's HFLM
    (which retries without the system message when the template rejects it)."""
    def render(messages: list[dict[str, str]]) -> str:
        import jinja2

        try:
            return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True,
                                                     continue_final_message=False))
        except jinja2.exceptions.TemplateError:
            rest = [m for m in messages if m["role"] != "system"]
            return str(tokenizer.apply_chat_template(rest, tokenize=False, add_generation_prompt=True,
                                                     continue_final_message=False))
    return render
