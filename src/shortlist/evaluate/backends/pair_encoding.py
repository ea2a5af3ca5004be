"""lm-eval's context/continuation token split, shared by the backends that hold a tokenizer (hf, llamacpp).

lm-eval's HFLM encodes `context + continuation` as one string and takes the continuation as the tokens after
the context's own encoding (trailing spaces of the context move to the continuation first), so a word that
merges across the boundary is split the way the model saw it. Log-likelihoods match lm-eval's only when the
split does, so both local backends use this one implementation.
"""

from __future__ import annotations

_CTX_CACHE_MAX = 4096


class PairEncoding:
    """Mixin: set `prefix_token_id`, `_prefix_str` and `_ctx_cache`, and implement `_tokenize`."""

    prefix_token_id: int
    _prefix_str: str
    _ctx_cache: dict[str, list[int]]

    def _tokenize(self, text: str, add_special: bool = True) -> list[int]:
        raise NotImplementedError

    def tok_encode(self, text: str) -> list[int]:
        """Special tokens are added unless the text already starts with the prefix token (a chat template's)."""
        if self._prefix_str and text.startswith(self._prefix_str):
            return self._tokenize(text, add_special=False)
        return self._tokenize(text)

    def encode_pair(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        if context == "":
            cont = self._tokenize(continuation, add_special=False)
            if cont and cont[0] == self.prefix_token_id:
                return cont[:1], cont[1:]
            return [self.prefix_token_id], cont
        n_spaces = len(context) - len(context.rstrip())
        if n_spaces:
            continuation = context[-n_spaces:] + continuation
            context = context[:-n_spaces]
        whole = self.tok_encode(context + continuation)
        ctx = self._ctx_cache.get(context)
        if ctx is None:
            ctx = self.tok_encode(context)
            if len(self._ctx_cache) > _CTX_CACHE_MAX:
                self._ctx_cache.clear()
            self._ctx_cache[context] = ctx
        return ctx, whole[len(ctx):]
