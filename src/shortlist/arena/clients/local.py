"""Models run in this process: a GGUF file through llama-cpp-python, or a Hugging Face model through transformers.

A loaded model is kept for the life of the process (loading costs seconds, answering one prompt far less)
and shared by every battle; one lock per model serialises its streams, since one model instance decodes
one sequence at a time. Both stream token by token and stop between tokens when asked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from shortlist.arena.clients.base import Chunk, ClientError, Messages
from shortlist.arena.schemas import Sampling
from shortlist.errors import MissingExtra

_MODELS: dict[tuple[str, str], Any] = {}
_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_REGISTRY_LOCK = threading.Lock()


def _shared(kind: str, path: str, load: Any) -> tuple[Any, threading.Lock]:
    key = (kind, path)
    with _REGISTRY_LOCK:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:
        if key not in _MODELS:
            _MODELS[key] = load()
    return _MODELS[key], lock


class LlamaCppClient:
    """A .gguf file run by llama-cpp-python's create_chat_completion(stream=True), with the file's chat template."""

    def __init__(self, path: str, n_ctx: int = 4096) -> None:
        self.name = f"llamacpp:{path}"
        self.path = path
        self.n_ctx = n_ctx

    def _load(self) -> Any:
        try:
            from llama_cpp import Llama
        except ImportError:
            raise MissingExtra("llama-cpp-python", "llamacpp") from None
        try:
            return Llama(self.path, n_ctx=self.n_ctx, verbose=False)
        except Exception as exc:  # llama.cpp reports a bad file as ValueError/RuntimeError
            raise ClientError(f"cannot load {self.path}: {exc}") from None

    def warm(self) -> None:
        """Load the model now, so its loading time is not counted as the first answer's latency."""
        _shared("llamacpp", self.path, self._load)

    def stream(self, messages: Messages, sampling: Sampling, stop: threading.Event) -> Iterator[Chunk]:
        llm, lock = _shared("llamacpp", self.path, self._load)
        with lock:
            produced = 0
            kwargs: dict[str, Any] = {"temperature": sampling.temperature, "top_p": sampling.top_p,
                                      "max_tokens": sampling.max_tokens, "stream": True}
            if sampling.seed is not None:
                kwargs["seed"] = sampling.seed
            try:
                finish = None
                for event in llm.create_chat_completion(messages, **kwargs):
                    choice = event["choices"][0]
                    text = choice.get("delta", {}).get("content") or ""
                    if text:
                        produced += 1
                        yield Chunk(text=text)
                    if choice.get("finish_reason"):
                        finish = choice["finish_reason"]
                    if stop.is_set():
                        return
            except ClientError:
                raise
            except Exception as exc:
                why = " ".join(str(exc).split())[:200]
                raise ClientError(f"llama.cpp failed: {type(exc).__name__}: {why}") from None
            # the context holds the prompt and the answer; one chunk is one token in llama-cpp-python's stream
            prompt_tokens = max(int(llm.n_tokens) - produced, 0)
            yield Chunk(finish_reason=finish or "stop", prompt_tokens=prompt_tokens, completion_tokens=produced)

    def close(self) -> None:
        """Models stay loaded for other battles; release_models() frees them."""


class HFClient:
    """A Hugging Face folder or hub id: transformers generate with the tokenizer's chat template, on CPU or GPU."""

    def __init__(self, target: str) -> None:
        self.name = f"hf:{target}"
        self.target = target

    def _load(self) -> Any:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise MissingExtra("transformers", "hf") from None
        try:
            tok = AutoTokenizer.from_pretrained(self.target)
            model = AutoModelForCausalLM.from_pretrained(self.target, dtype=torch.float32)
        except Exception as exc:
            raise ClientError(f"cannot load {self.target}: {' '.join(str(exc).split())[:200]}") from None
        model.eval()
        if torch.cuda.is_available():
            model.to("cuda")
        if tok.chat_template is None:
            raise ClientError(f"{self.target} has no chat template", "use an instruct/chat model")
        return tok, model

    def warm(self) -> None:
        """Load the model now, so its loading time is not counted as the first answer's latency."""
        _shared("hf", self.target, self._load)

    def stream(self, messages: Messages, sampling: Sampling, stop: threading.Event) -> Iterator[Chunk]:
        (tok, model), lock = _shared("hf", self.target, self._load)
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
                return stop.is_set()

        with lock:
            enc = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                          return_dict=True)
            enc = {k: v.to(model.device) for k, v in enc.items()}
            prompt_len = int(enc["input_ids"].shape[1])
            streamer = TextIteratorStreamer(tok, skip_prompt=True, skip_special_tokens=True, timeout=sampling.timeout_s)
            do_sample = sampling.temperature > 0
            pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
            gen: dict[str, Any] = {**enc, "max_new_tokens": sampling.max_tokens, "do_sample": do_sample,
                                   "streamer": streamer, "stopping_criteria": StoppingCriteriaList([_Stop()]),
                                   "pad_token_id": pad}
            if do_sample:
                gen.update(temperature=sampling.temperature, top_p=sampling.top_p)
            result: dict[str, Any] = {}

            def work() -> None:
                try:
                    if sampling.seed is not None:
                        torch.manual_seed(sampling.seed)
                    with torch.no_grad():
                        result["out"] = model.generate(**gen)
                except Exception as exc:  # surfaced below, after the streamer ends
                    result["error"] = exc
                    streamer.end()

            thread = threading.Thread(target=work, daemon=True)
            thread.start()
            try:
                for text in streamer:
                    if text:
                        yield Chunk(text=text)
            except Exception as exc:  # the streamer's queue timed out
                stop.set()
                thread.join()
                raise ClientError(f"transformers stopped streaming: {type(exc).__name__}") from None
            thread.join()
            if "error" in result:
                exc = result["error"]
                raise ClientError(f"transformers failed: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
            new = int(result["out"].shape[1]) - prompt_len
            eos = tok.eos_token_id
            last = int(result["out"][0, -1]) if new > 0 else None
            ended = last is not None and (last == eos or (isinstance(eos, list) and last in eos))
            finish = "stop" if ended else ("length" if new >= sampling.max_tokens else "stop")
            yield Chunk(finish_reason=finish, prompt_tokens=prompt_len, completion_tokens=new)

    def close(self) -> None:
        """Models stay loaded for other battles; release_models() frees them."""


def release_models() -> None:
    """Drop every model this process loaded (tests, long-lived servers that retire a contestant)."""
    with _REGISTRY_LOCK:
        _MODELS.clear()
