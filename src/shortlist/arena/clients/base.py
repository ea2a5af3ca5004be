"""What an arena needs from a model: stream a chat answer, chunk by chunk, and stop when told.

Every client yields `Chunk`s; `run_answer` turns a stream into a finished answer with the figures the
arena stores (latency to the first token, decode speed, token counts, finish reason), whichever client
produced it. A failure is an exception: the caller stores the answer as failed and the battle as
unfinished, never a half answer that could be voted on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from shortlist.arena.schemas import Sampling

Messages = list[dict[str, str]]


class ClientError(Exception):
    """A backend failed (unreachable, HTTP error, broken stream, model error); the message is one line."""


@dataclass
class Chunk:
    """Some new text and, on the last chunk, how the answer ended and what it cost (when the backend says)."""

    text: str = ""
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class ChatClient(Protocol):
    name: str

    def stream(self, messages: Messages, sampling: Sampling, stop: threading.Event) -> Iterator[Chunk]:
        """Yield the answer to `messages`; end early (no error) once `stop` is set."""
        ...

    def close(self) -> None:
        ...


@dataclass
class Answer:
    """A finished (or stopped) answer with its measurements."""

    text: str = ""
    status: str = "ok"  # ok | stopped | failed
    error: str | None = None
    finish_reason: str | None = None
    ttft_s: float | None = None
    tokens_per_s: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    wall_s: float = 0.0
    started_at: float = field(default_factory=time.time)


def run_answer(client: ChatClient, messages: Messages, sampling: Sampling, stop: threading.Event | None = None,
               on_text: Callable[[str], None] | None = None) -> Answer:
    """Drain one stream into an Answer; never raises for a backend failure (status 'failed' instead).

    Latency to first token counts from the request to the first non-empty text. Decode speed is the tokens
    after the first over the time after it; when the backend reports no token count, each streamed chunk
    counts as one token (llama.cpp and vLLM stream one token per chunk).
    """
    stop = stop or threading.Event()
    ans = Answer()
    warm = getattr(client, "warm", None)
    if warm is not None:  # a model loaded in process: its loading is not the answer's latency
        try:
            warm()
        except Exception as exc:
            ans.status, ans.error = "failed", f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
            return ans
    t0 = time.perf_counter()
    first: float | None = None
    chunks = 0
    parts: list[str] = []
    try:
        for chunk in client.stream(messages, sampling, stop):
            if chunk.text:
                if first is None:
                    first = time.perf_counter()
                chunks += 1
                parts.append(chunk.text)
                if on_text is not None:
                    on_text(chunk.text)
            if chunk.finish_reason:
                ans.finish_reason = chunk.finish_reason
            if chunk.prompt_tokens is not None:
                ans.prompt_tokens = chunk.prompt_tokens
            if chunk.completion_tokens is not None:
                ans.completion_tokens = chunk.completion_tokens
            if stop.is_set():
                break
    except ClientError as exc:
        ans.status, ans.error = "failed", str(exc)
    except Exception as exc:  # a backend's own exception type: still a failed answer, never a crash
        ans.status, ans.error = "failed", f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    end = time.perf_counter()
    ans.text = "".join(parts)
    ans.wall_s = end - t0
    if ans.status == "ok" and stop.is_set() and ans.finish_reason is None:
        ans.status, ans.finish_reason = "stopped", "stopped"
    if ans.status == "ok" and ans.finish_reason is None:
        ans.finish_reason = "stop"
    if ans.completion_tokens is None and chunks:
        ans.completion_tokens = chunks
    if first is not None:
        ans.ttft_s = round(first - t0, 4)
        n = ans.completion_tokens or chunks
        if n > 1 and end > first:
            ans.tokens_per_s = round((n - 1) / (end - first), 2)
    return ans
