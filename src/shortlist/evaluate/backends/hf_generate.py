"""Batched generation for the hf backend: lm-eval's outputs, with less work.

What lm-evaluation-harness 0.4.13 (HFLM.generate_until) does, and what is kept:
- prompts sorted longest first and cut into batches of `batch_size`; each prompt encoded as its tokenizer
  does (special tokens added unless the prompt starts with the BOS text), left-truncated to
  max_length - max_tokens; greedy decoding (sampling when the request has a temperature) of up to max_tokens
  new tokens; a row ends at the model's end-of-sequence token (generation_config) and at the first stop
  string, found on the decoded last few tokens as lm-eval's stop criterion finds it; the text is the
  generated tokens decoded without special tokens, cut before the first stop string (EOS text included).
What is done differently, so the same text costs less:
- the token prefix every prompt of a batch shares (a few-shot block) runs once, and its key/value cache
  is expanded over the rows; each row's own suffix then runs with the padding placed between the prefix
  and the suffix (positions continue from the prefix, as if unpadded);
- a row that has finished leaves the batch: its cache rows are dropped, so the rest decode on fewer
  rows (lm-eval keeps decoding every row until the last one finishes and cuts the text afterwards);
- the LM head runs on each row's last position only.
Greedy text is the same as lm-eval's up to floating-point ties: the numbers differ only in summation
order (prefix computed apart, fewer padded rows), which can flip an argmax whose top two logits agree to
~1e-6; bench/generation_speed.py counts identical generations on real tasks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from shortlist.evaluate.types import GenerationRequest, GenerationResult

if TYPE_CHECKING:
    from shortlist.evaluate.backends.hf import HFBackend


def encode_prompt(b: HFBackend, prompt: str, max_tokens: int) -> list[int]:
    """lm-eval's tok_batch_encode for one prompt, left-truncated to leave room for max_tokens."""
    tok = b.tokenizer
    bos = getattr(tok, "bos_token", None)
    kwargs = {"add_special_tokens": False} if bos and prompt.startswith(bos) else {}
    ids = tok(prompt, **kwargs)["input_ids"]
    room = b.max_length - max_tokens
    if room < 1:
        from shortlist.errors import BadInput

        raise BadInput(f"max_tokens {max_tokens} leaves no room for the prompt in a context of {b.max_length}",
                       "lower the task's max_tokens")
    return list(ids[-room:]) if ids else [b.prefix_token_id]


class _StopCheck:
    """lm-eval's MultiTokenEOSCriteria for one row: decode the last few tokens, look for the stop strings."""

    def __init__(self, tokenizer: Any, stops: Sequence[str]) -> None:
        self.tokenizer = tokenizer
        self.stops = [s for s in stops if s]
        self.window = max((len(tokenizer.encode(s, add_special_tokens=False)) + 2 for s in self.stops), default=0)

    def hit(self, generated: list[int]) -> bool:
        if not self.stops:
            return False
        tail = self.tokenizer.decode(generated[-self.window:])
        return any(s in tail for s in self.stops)


def eos_ids(b: HFBackend) -> set[int]:
    """The tokens that end a row in transformers' generate: generation_config's eos_token_id(s)."""
    cfg = getattr(b.model, "generation_config", None)
    ids = getattr(cfg, "eos_token_id", None) if cfg is not None else None
    if ids is None:
        ids = b.tokenizer.eos_token_id
    if ids is None:
        return set()
    return {int(i) for i in ids} if isinstance(ids, (list, tuple)) else {int(ids)}


def generate(b: HFBackend, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
    tok = b.tokenizer
    eos_text = tok.decode(tok.eos_token_id, skip_special_tokens=False) if tok.eos_token_id is not None else ""
    encoded = [encode_prompt(b, r.prompt, r.max_tokens) for r in requests]
    # lm-eval's Collator: longest prompt first, ties by prompt text
    order = sorted(range(len(requests)), key=lambda i: (-len(encoded[i]), requests[i].prompt))
    out: list[GenerationResult | None] = [None] * len(requests)
    for start in range(0, len(order), b.batch_size):
        idx = order[start:start + b.batch_size]
        stops = [(*requests[i].until, *([eos_text] if eos_text else [])) for i in idx]
        for i, res in zip(idx, _batch(b, [requests[i] for i in idx], [encoded[i] for i in idx], stops),
                          strict=True):
            out[i] = res
    return [r if r is not None else GenerationResult("", "error", 0) for r in out]


def _grow_cache(b: HFBackend) -> Any:
    """transformers' DynamicCache whose layers append into preallocated buffers instead of torch.cat.

    DynamicLayer copies the whole cache at every decoding step (torch.cat): at 1,300 tokens, 8 rows, SmolLM2's 30
    layers that is ~0.5 GB moved per token, as much as the weights. Here each layer keeps a buffer with room
    to spare (doubled when full) and hands attention a view of its filled part; the values are the same.
    """
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    class GrowLayer(DynamicLayer):
        def lazy_initialization(self, key_states: Any, value_states: Any) -> None:
            super().lazy_initialization(key_states, value_states)
            self.n = 0
            self._k = self._v = None

        def _room(self, need: int, like_k: Any, like_v: Any) -> None:
            if self._k is not None and need <= self._k.shape[2]:
                return
            cap = max(need + 64, 2 * (self._k.shape[2] if self._k is not None else 0))
            k = like_k.new_empty((like_k.shape[0], like_k.shape[1], cap, like_k.shape[3]))
            v = like_v.new_empty((like_v.shape[0], like_v.shape[1], cap, like_v.shape[3]))
            if self.n:
                k[:, :, :self.n] = self._k[:, :, :self.n]
                v[:, :, :self.n] = self._v[:, :, :self.n]
            self._k, self._v = k, v

        def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
            if not self.is_initialized:
                self.lazy_initialization(key_states, value_states)
            end = self.n + key_states.shape[2]
            self._room(end, key_states, value_states)
            self._k[:, :, self.n:end] = key_states
            self._v[:, :, self.n:end] = value_states
            self.n = end
            self.keys, self.values = self._k[:, :, :end], self._v[:, :, :end]
            return self.keys, self.values

        def get_seq_length(self) -> int:
            return self.n if self.is_initialized else 0

        def batch_repeat_interleave(self, repeats: int) -> None:
            if self.is_initialized and self.n:
                self._k = self._k[:, :, :self.n].repeat_interleave(repeats, dim=0)
                self._v = self._v[:, :, :self.n].repeat_interleave(repeats, dim=0)
                self.keys, self.values = self._k, self._v

        def batch_select_indices(self, indices: Any) -> None:
            if self.is_initialized and self.n:
                self._k, self._v = self._k[indices], self._v[indices]
                self.keys, self.values = self._k[:, :, :self.n], self._v[:, :, :self.n]

    cache = DynamicCache()
    if getattr(cache, "layer_class_to_replicate", None) is not DynamicLayer or cache.layers:
        return None     # another transformers layout: let the model make its own cache
    cache.layer_class_to_replicate = GrowLayer
    return cache


def _common_prefix(rows: Sequence[Sequence[int]]) -> int:
    first = rows[0]
    n = min(len(r) for r in rows)
    p = 0
    while p < n and all(r[p] == first[p] for r in rows):
        p += 1
    return p


def _batch(b: HFBackend, reqs: Sequence[GenerationRequest], prompts: list[list[int]],
           stops: list[tuple[str, ...]]) -> list[GenerationResult]:
    torch = b.torch
    dev = b.device
    base = b.model.get_decoder()
    n = len(prompts)
    ends = eos_ids(b)
    checks = [_StopCheck(b.tokenizer, s) for s in stops]
    # the shared prefix, leaving every row at least one token of its own
    p = _common_prefix(prompts) if n > 1 else len(prompts[0]) - 1
    p = max(0, min(p, min(len(x) for x in prompts) - 1))
    suffixes = [x[p:] for x in prompts]
    width = max(len(s) for s in suffixes)
    gens = [_sampler(b, r) for r in reqs]
    with torch.inference_mode():
        cache = _grow_cache(b) if b.grow_cache else None
        if p:
            out = base(input_ids=torch.tensor([prompts[0][:p]], device=dev), use_cache=True,
                       **{b._cache_kw: cache})
            cache = out.cache if b._cache_kw == "cache" else out.past_key_values
            if n > 1:
                cache.batch_repeat_interleave(n)
            b.stats.tokens_fed += p
            b.stats.forward_calls += 1
        ids = torch.full((n, width), b.pad_id, dtype=torch.long)
        smask = torch.zeros((n, width), dtype=torch.long)
        pos = torch.zeros((n, width), dtype=torch.long)
        for j, s in enumerate(suffixes):
            ids[j, width - len(s):] = torch.tensor(s)
            smask[j, width - len(s):] = 1
            pos[j, width - len(s):] = torch.arange(p, p + len(s))
        mask = torch.cat([torch.ones((n, p), dtype=torch.long), smask], dim=1).to(dev)
        next_pos = torch.tensor([p + len(s) for s in suffixes], device=dev)
        hidden = base(input_ids=ids.to(dev), attention_mask=mask, position_ids=pos.to(dev),
                      use_cache=True, **{b._cache_kw: cache})
        cache = hidden.cache if b._cache_kw == "cache" else hidden.past_key_values
        logits = b.project(hidden.last_hidden_state[:, -1])
        b.stats.tokens_fed += sum(len(s) for s in suffixes)
        b.stats.forward_calls += 1
        active = list(range(n))            # original row of each live cache row
        generated: list[list[int]] = [[] for _ in range(n)]
        results: list[GenerationResult | None] = [None] * n
        while active:
            picks = [_pick(torch, logits[k], gens[j]) for k, j in enumerate(active)]
            keep: list[int] = []
            for k, (j, t) in enumerate(zip(active, picks, strict=True)):
                if t in ends:
                    results[j] = _finish(b, generated[j], stops[j], "stop", len(generated[j]) + 1)
                    continue
                generated[j].append(t)
                if checks[j].hit(generated[j]):
                    results[j] = _finish(b, generated[j], stops[j], "stop", len(generated[j]))
                elif len(generated[j]) >= reqs[j].max_tokens:
                    results[j] = _finish(b, generated[j], stops[j], "length", len(generated[j]))
                else:
                    keep.append(k)
            if not keep:
                break
            if len(keep) < len(active):        # finished rows leave the batch
                sel = torch.tensor(keep, device=dev)
                cache.batch_select_indices(sel)
                mask, next_pos = mask[sel], next_pos[sel]
                active = [active[k] for k in keep]
                picks = [picks[k] for k in keep]
            step = torch.tensor(picks, device=dev).unsqueeze(1)
            mask = torch.cat([mask, torch.ones((len(active), 1), dtype=mask.dtype, device=dev)], dim=1)
            out = base(input_ids=step, attention_mask=mask, position_ids=next_pos.unsqueeze(1), use_cache=True,
                       **{b._cache_kw: cache})
            cache = out.cache if b._cache_kw == "cache" else out.past_key_values
            logits = b.project(out.last_hidden_state[:, -1])
            next_pos = next_pos + 1
            b.stats.tokens_fed += len(active)
            b.stats.forward_calls += 1
    return [r if r is not None else GenerationResult("", "error", 0) for r in results]


def _finish(b: HFBackend, generated: list[int], stops: Sequence[str], reason: str, tokens: int) -> GenerationResult:
    """lm-eval's text: the tokens decoded without special tokens, cut before the first stop string."""
    text = b.tokenizer.decode(generated, skip_special_tokens=True)
    cut = text
    for s in stops:
        if s:
            cut = cut.split(s)[0]
    if reason == "length" and cut != text:
        reason = "stop"        # a stop string the window check could not see (special tokens between)
    return GenerationResult(cut, reason, tokens)


def _sampler(b: HFBackend, req: GenerationRequest) -> Any:
    """None for greedy; else a torch generator seeded by the prompt, so a rerun samples the same text."""
    if req.temperature <= 0:
        return None
    g = b.torch.Generator(device="cpu")
    g.manual_seed(int.from_bytes(hashlib.sha256(req.prompt.encode()).digest()[:8], "little") & ((1 << 63) - 1))
    return (g, req.temperature)


def _pick(torch: Any, logits: Any, gen: Any) -> int:
    if gen is None:
        return int(torch.argmax(logits))
    g, temperature = gen
    probs = torch.softmax(logits.double().cpu() / temperature, dim=-1)
    return int(torch.multinomial(probs, 1, generator=g))
