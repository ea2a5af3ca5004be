"""Streaming chat completions from any OpenAI-compatible server (vLLM, llama.cpp, Ollama, TGI, SGLang, APIs).

Server-sent events over one httpx stream. The request is retried (with backoff) only until the first byte
of an answer arrives: before that a retry is invisible to the voter, after it a broken stream is a failed
answer, so the battle is marked unfinished rather than showing a spliced answer. The API key is read from
the environment variable the contestant names, at request time, and never stored.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from shortlist.arena.clients.base import Chunk, ClientError, Messages
from shortlist.arena.schemas import Sampling

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class OpenAIChatClient:
    def __init__(self, model: str, base_url: str, api_key_env: str | None = None, retries: int = 2,
                 backoff_s: float = 0.5) -> None:
        import httpx

        self.name = f"openai:{model}@{base_url}"
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.retries = retries
        self.backoff_s = backoff_s
        self._httpx = httpx
        self._client = httpx.Client(timeout=httpx.Timeout(300.0, connect=10.0),
                                    limits=httpx.Limits(max_connections=64, max_keepalive_connections=16))
        self._usage_ok = True  # cleared if the server refuses stream_options

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream"}
        if self.api_key_env:
            key = os.environ.get(self.api_key_env)
            if not key:
                raise ClientError(f"environment variable {self.api_key_env} (this contestant's API key) is not set")
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _payload(self, messages: Messages, sampling: Sampling) -> dict[str, Any]:
        payload: dict[str, Any] = {"model": self.model, "messages": messages, "stream": True,
                                   "temperature": sampling.temperature, "top_p": sampling.top_p,
                                   "max_tokens": sampling.max_tokens}
        if sampling.seed is not None:
            payload["seed"] = sampling.seed
        if self._usage_ok:
            payload["stream_options"] = {"include_usage": True}
        return payload

    def stream(self, messages: Messages, sampling: Sampling, stop: threading.Event) -> Iterator[Chunk]:
        httpx = self._httpx
        url = f"{self.base_url}/chat/completions"
        headers = self._headers()
        timeout = httpx.Timeout(sampling.timeout_s, connect=min(10.0, sampling.timeout_s))
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                with self._client.stream("POST", url, json=self._payload(messages, sampling), headers=headers,
                                         timeout=timeout) as resp:
                    if resp.status_code >= 400:
                        body = resp.read().decode("utf-8", "replace")
                        if resp.status_code == 400 and self._usage_ok and "stream_options" in body:
                            self._usage_ok = False
                            continue
                        if resp.status_code in RETRY_STATUS and not last:
                            time.sleep(self.backoff_s * 2**attempt)
                            continue
                        raise ClientError(f"{url} answered HTTP {resp.status_code}: {' '.join(body.split())[:200]}")
                    yield from self._events(resp, stop)
                    return
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if last:
                    raise ClientError(f"cannot reach {self.base_url}: {exc or 'connection failed'}") from None
                time.sleep(self.backoff_s * 2**attempt)
            except httpx.TimeoutException:
                raise ClientError(f"{url}: no data for {sampling.timeout_s:g} s") from None
            except httpx.TransportError as exc:
                raise ClientError(f"{url}: the stream broke ({type(exc).__name__}: {exc})") from None

    def _events(self, resp: Any, stop: threading.Event) -> Iterator[Chunk]:
        finished = False
        for line in resp.iter_lines():
            if stop.is_set():
                return
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                finished = True
                break
            try:
                event = json.loads(data)
            except json.JSONDecodeError:
                raise ClientError(f"{self.base_url} sent a malformed stream event: {data[:120]!r}") from None
            if isinstance(event, dict) and event.get("error"):
                err = event["error"]
                msg = err.get("message") if isinstance(err, dict) else err
                raise ClientError(f"{self.base_url} reported an error mid-answer: {' '.join(str(msg).split())[:200]}")
            chunk = Chunk()
            usage = event.get("usage") if isinstance(event, dict) else None
            if isinstance(usage, dict):
                chunk.prompt_tokens = usage.get("prompt_tokens")
                chunk.completion_tokens = usage.get("completion_tokens")
            choices = event.get("choices") or [] if isinstance(event, dict) else []
            if choices:
                choice = choices[0]
                delta = choice.get("delta") or {}
                chunk.text = delta.get("content") or ""
                if choice.get("finish_reason"):
                    chunk.finish_reason = choice["finish_reason"]
                    finished = True
            yield chunk
        if not finished:
            raise ClientError(f"{self.base_url}: the stream ended before the answer did")

    def close(self) -> None:
        self._client.close()
