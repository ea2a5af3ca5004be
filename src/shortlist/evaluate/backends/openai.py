"""A model behind any OpenAI-compatible HTTP server: vLLM, SGLang, TGI, llama.cpp, Ollama, OpenAI.

Spec: `openai:<model>@<base url>` (e.g. `openai:qwen2.5:7b@http://127.0.0.1:11434/v1`), or
`openai:<model>` with OPENAI_BASE_URL set, or `openai:<base url>` to use the first model the
server lists. OPENAI_API_KEY, when set, is sent as a bearer token. A base URL with no path gets
`/v1` appended.

Generation uses /v1/completions (or /v1/chat/completions with `chat=True`). Log-likelihood uses
/v1/completions with echo=true, logprobs=1, max_tokens=1 over context + continuation: the
continuation's tokens are found by their character offsets (`text_offset`), their logprobs are
summed, and the answer is greedy when each token's logprob is the top one. max_tokens is 1, not
0, because llama-cpp-python reads 0 as "no limit"; the generated token lies past the prompt and
is ignored. Before the first log-likelihood request a counting probe checks that the server's
prompt logprobs line up with the tokens (llama-cpp-python's are shifted by one for models that
add no BOS token).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from shortlist.errors import BadInput, Offline
from shortlist.evaluate.backends.base import BackendStats, Capabilities, Group, simple_plan
from shortlist.evaluate.types import GenerationRequest, GenerationResult, LoglikelihoodRequest, LoglikelihoodResult

T = TypeVar("T")
R = TypeVar("R")

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
MAX_BACKOFF_S = 30.0
ECHO_SERVERS = (
    "servers that do: vLLM, SGLang, llama-cpp-python (python -m llama_cpp.server); "
    "llama.cpp's llama-server, Ollama and TGI's OpenAI route do not"
)
PROBE = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20"
_SPEC = re.compile(r"^(?P<model>.*?)@(?P<url>https?://.+)$")


def parse_spec(spec: str) -> tuple[str, str]:
    """(model, base_url) from `model@url`, `url`, or `model` plus $OPENAI_BASE_URL."""
    spec = spec.strip()
    if m := _SPEC.match(spec):
        model, url = m.group("model"), m.group("url")
    elif spec.startswith(("http://", "https://")):
        model, url = "", spec
    else:
        model, url = spec, os.environ.get("OPENAI_BASE_URL", "")
        if not url:
            raise BadInput(
                f"no server URL for openai:{spec}",
                "write --model openai:NAME@http://127.0.0.1:8000/v1 or set OPENAI_BASE_URL",
            )
    url = url.rstrip("/")
    if re.fullmatch(r"https?://[^/]+", url):
        url += "/v1"
    return model, url


class NoPromptLogprobs(Exception):
    """The server's answer has no log-probabilities for the prompt tokens."""


def continuation_logprob(logprobs: Any, start: int, end: int) -> LoglikelihoodResult:
    """Sum the logprobs of the tokens overlapping prompt characters [start, end).

    A token straddling the context/continuation boundary counts as continuation. Tokens at or
    past `end` (the one generated token) are ignored.
    """
    if not isinstance(logprobs, dict):
        raise NoPromptLogprobs("no logprobs object")
    tokens, offsets, values = logprobs.get("tokens"), logprobs.get("text_offset"), logprobs.get("token_logprobs")
    tops = logprobs.get("top_logprobs") or []
    if not tokens or not offsets or values is None or len(offsets) != len(tokens) or len(values) != len(tokens):
        raise NoPromptLogprobs("no tokens with text offsets")
    if offsets[0] != 0:
        raise NoPromptLogprobs("the prompt was not echoed")
    total, greedy, found = 0.0, True, False
    for i, off in enumerate(offsets):
        if off >= end:
            break
        tok_end = offsets[i + 1] if i + 1 < len(offsets) else off + len(tokens[i])
        if tok_end <= start:
            continue
        value = values[i]
        if value is None:
            if i == 0:
                raise BadInput("the server gives no logprob for the first prompt token",
                               "log-likelihood needs a non-empty context")
            raise NoPromptLogprobs(f"no logprob for prompt token {i}")
        found = True
        total += float(value)
        top = tops[i] if i < len(tops) else None
        if isinstance(top, dict) and top:
            greedy = greedy and float(value) >= max(float(v) for v in top.values()) - 1e-5
        else:
            greedy = False
    if not found and end > start:
        raise NoPromptLogprobs("no prompt token covers the continuation")
    return LoglikelihoodResult(total, greedy)


def probe_alignment(logprobs: Any) -> tuple[int, int]:
    """(aligned, shifted) votes: how often row i's top token is token i, and how often it is token i+1."""
    tokens, values, tops = logprobs["tokens"], logprobs["token_logprobs"], logprobs.get("top_logprobs") or []
    aligned = shifted = 0
    for i in range(1, min(len(tokens), len(tops)) - 1):
        top = tops[i]
        if not isinstance(top, dict) or not top or values[i] is None:
            continue
        best_token = max(top, key=lambda k: top[k])
        best = top[best_token]
        if float(values[i]) >= best - 1e-5:
            aligned += 1
        elif best_token == tokens[i + 1]:
            shifted += 1
    return aligned, shifted


class _Http:
    """JSON POST/GET with bounded retries: exponential backoff on 408/429/5xx and dropped connections."""

    def __init__(self, base_url: str, api_key: str | None, timeout: float, max_retries: int, backoff: float,
                 connections: int) -> None:
        import httpx

        self.httpx = httpx
        self.base_url = base_url
        self.max_retries = max_retries
        self.backoff = backoff
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(
            base_url=base_url + "/", headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )
        self.timeout = timeout

    def request(self, method: str, path: str, payload: dict[str, Any] | None = None, retries: int | None = None) -> Any:
        httpx = self.httpx
        url = f"{self.base_url}/{path}"
        tries = (self.max_retries if retries is None else retries) + 1
        for attempt in range(tries):
            last = attempt == tries - 1
            try:
                resp = self.client.request(method, path, json=payload)
            except httpx.ConnectError as exc:
                if last:
                    reason = "connection refused" if "refused" in str(exc).lower() else str(exc) or "cannot connect"
                    raise Offline(f"cannot reach {self.base_url}: {reason}; is the server running?") from None
                self._sleep(attempt, None)
                continue
            except httpx.TimeoutException:
                if last:
                    raise Offline(f"{url}: no answer within {self.timeout:g} s after {tries} tries",
                                  "raise --timeout or lower --concurrency") from None
                self._sleep(attempt, None)
                continue
            except httpx.TransportError as exc:
                if last:
                    raise Offline(f"{url}: {type(exc).__name__}: {exc}") from None
                self._sleep(attempt, None)
                continue
            if resp.status_code in RETRY_STATUS and not last:
                self._sleep(attempt, resp.headers.get("retry-after"))
                continue
            if resp.status_code >= 400:
                raise HTTPStatus(resp.status_code, url, _error_text(resp), attempt + 1)
            try:
                return resp.json()
            except ValueError:
                raise BadInput(f"{url} answered with something that is not JSON: {resp.text[:120]!r}") from None
        raise AssertionError("unreachable")

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        delay = min(self.backoff * 2**attempt, MAX_BACKOFF_S)
        if retry_after:
            with contextlib.suppress(ValueError):
                delay = min(max(float(retry_after), 0.0), 2 * MAX_BACKOFF_S)
        time.sleep(delay)


class HTTPStatus(BadInput):
    def __init__(self, status: int, url: str, text: str, tries: int) -> None:
        after = f" after {tries} tries" if tries > 1 else ""
        super().__init__(f"{url} answered HTTP {status}{after}: {text}")
        self.status = status


def _error_text(resp: Any) -> str:
    try:
        body = resp.json()
        err = body.get("error", body) if isinstance(body, dict) else body
        text = err.get("message") or err.get("detail") or str(err) if isinstance(err, dict) else str(err)
    except ValueError:
        text = resp.text
    return " ".join(str(text).split())[:200] or "(empty body)"


class OpenAIBackend:
    """Requests run `concurrency` at a time on threads; each is retried on its own."""

    def __init__(self, spec: str, *, concurrency: int = 8, chat: bool = False, timeout: float = 120.0,
                 max_retries: int = 5, backoff: float = 1.0, api_key: str | None = None,
                 batch_size: int | str | None = None) -> None:
        self.model, self.base_url = parse_spec(spec)
        if concurrency < 1:
            raise BadInput(f"concurrency must be at least 1, got {concurrency}")
        if max_retries < 0 or timeout <= 0:
            raise BadInput("max_retries must be >= 0 and timeout > 0")
        self.concurrency = concurrency
        self.chat = chat
        self.capabilities = Capabilities(loglikelihood=not chat, generate=True)
        # a batch is what the engine commits at once: enough requests to keep every worker busy
        self.batch_size = int(batch_size) if batch_size not in (None, "auto") else 4 * concurrency
        self.stats = BackendStats()
        self._http = _Http(self.base_url, api_key or os.environ.get("OPENAI_API_KEY"), timeout, max_retries,
                           backoff, concurrency)
        self._lock = threading.Lock()
        self._served: list[str] | None = None
        self._aligned_checked = False
        self.name = f"openai:{self.model or '?'}@{self.base_url}"

    # -- identity ------------------------------------------------------------------------------
    def served_models(self) -> list[str]:
        """Model ids the server lists; the first contact, so an unreachable server fails fast (no retries)."""
        if self._served is None:
            try:
                data = self._http.request("GET", "models", retries=0)
                self._served = [str(m.get("id")) for m in data.get("data", []) if isinstance(m, dict)]
            except HTTPStatus:
                self._served = []  # some servers have no /models; the completions call will tell
            if not self.model:
                if not self._served:
                    raise BadInput(f"{self.base_url} lists no models", "name one: openai:NAME@URL")
                self.model = self._served[0]
                self.name = f"openai:{self.model}@{self.base_url}"
        return self._served

    def fingerprint(self) -> str:
        served = ",".join(sorted(self.served_models()))
        key = f"openai|{self.model}|{self.base_url}|chat={self.chat}|served={served}"
        return hashlib.sha256(key.encode()).hexdigest()[:20]

    def describe(self) -> dict[str, Any]:
        return {"backend": "openai", "model": self.model, "base_url": self.base_url, "chat": self.chat,
                "concurrency": self.concurrency, "served_models": self.served_models(),
                "fingerprint": self.fingerprint()}

    def plan(self, groups: Sequence[Group]) -> list[list[int]]:
        return simple_plan(groups, self.batch_size)

    # -- requests ------------------------------------------------------------------------------
    def _post(self, path: str, payload: dict[str, Any]) -> Any:
        data = self._http.request("POST", path, payload)
        usage = data.get("usage") if isinstance(data, dict) else None
        with self._lock:
            self.stats.forward_calls += 1
            if isinstance(usage, dict) and isinstance(usage.get("prompt_tokens"), int):
                self.stats.tokens_fed += usage["prompt_tokens"]
        if not isinstance(data, dict) or not data.get("choices"):
            raise BadInput(f"{self.base_url}/{path} answered without choices: {str(data)[:120]}")
        return data["choices"][0]

    def _map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        if len(items) <= 1 or self.concurrency == 1:
            return [fn(x) for x in items]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(items))) as pool:
            futures = [pool.submit(fn, x) for x in items]
            try:
                return [f.result() for f in futures]
            except BaseException:
                for f in futures:
                    f.cancel()
                raise

    def _echo(self, prompt: str) -> Any:
        payload = {"model": self.model, "prompt": prompt, "max_tokens": 1, "temperature": 0.0, "echo": True,
                   "logprobs": 1}
        try:
            return self._post("completions", payload).get("logprobs")
        except HTTPStatus as exc:
            if 400 <= exc.status < 500 and exc.status != 429:
                raise self._no_echo(exc.message) from None
            raise

    def _no_echo(self, why: str) -> BadInput:
        return BadInput(
            f"{self.base_url} does not return prompt log-probabilities (completions with echo=true and logprobs), "
            f"which log-likelihood tasks need ({why})",
            f"{ECHO_SERVERS}; or run generative tasks only",
        )

    def _check_alignment(self) -> None:
        if self._aligned_checked:
            return
        lp = self._echo(PROBE)
        try:
            continuation_logprob(lp, 1, len(PROBE))
        except NoPromptLogprobs as exc:
            raise self._no_echo(str(exc)) from None
        aligned, shifted = probe_alignment(lp)
        if shifted >= 5 and shifted > 2 * aligned:
            raise BadInput(
                f"{self.base_url} returns prompt log-probabilities shifted by one token (llama-cpp-python does "
                "this for models that add no BOS token), so log-likelihoods would be wrong",
                "restart it with --kv_overrides tokenizer.ggml.add_bos_token=bool:true, serve with vLLM, "
                "or evaluate the GGUF file with the hf backend",
            )
        self._aligned_checked = True

    def _loglikelihood_one(self, req: LoglikelihoodRequest) -> LoglikelihoodResult:
        prompt = req.context + req.continuation
        lp = self._echo(prompt)
        try:
            return continuation_logprob(lp, len(req.context), len(prompt))
        except NoPromptLogprobs as exc:
            raise self._no_echo(str(exc)) from None

    def loglikelihood(self, groups: Sequence[Group]) -> list[list[LoglikelihoodResult]]:
        if self.chat:
            raise BadInput("chat endpoints cannot score log-likelihood (multiple-choice tasks)",
                           "drop --chat to use /v1/completions, or run generative tasks only")
        self.served_models()
        self._check_alignment()
        flat = [r for g in groups for r in g]
        results = self._map(self._loglikelihood_one, flat)
        out: list[list[LoglikelihoodResult]] = []
        i = 0
        for g in groups:
            out.append(results[i:i + len(g)])
            i += len(g)
        return out

    def _generate_one(self, req: GenerationRequest) -> GenerationResult:
        payload: dict[str, Any] = {"model": self.model, "max_tokens": req.max_tokens, "temperature": req.temperature}
        if req.until:
            payload["stop"] = list(req.until[:4])  # OpenAI accepts at most 4; the rest are cut below
        if self.chat:
            payload["messages"] = [{"role": "user", "content": req.prompt}]
            choice = self._post("chat/completions", payload)
            text = (choice.get("message") or {}).get("content") or ""
        else:
            payload["prompt"] = req.prompt
            choice = self._post("completions", payload)
            text = choice.get("text") or ""
        cut = cut_at_stop(text, req.until)
        reason = "stop" if cut != text else finish_reason(choice.get("finish_reason"))
        return GenerationResult(cut, reason, None)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        self.served_models()
        return self._map(self._generate_one, list(requests))

    def close(self) -> None:
        self._http.client.close()


def finish_reason(api_reason: Any) -> str:
    """The API's finish_reason as ours: "length" when the token limit cut it, "stop" otherwise (also when the
    server does not say: a server that omits it is not claiming a cut)."""
    return "length" if api_reason == "length" else "stop"


def cut_at_stop(text: str, until: Sequence[str]) -> str:
    cut = min((i for s in until if s and (i := text.find(s)) >= 0), default=len(text))
    return text[:cut]


def load(spec: str, **options: Any) -> OpenAIBackend:
    """Options that only apply to local weights (dtype, device, max_length) must be left unset."""
    local_only = [k for k, v in options.items() if k in ("dtype", "device", "max_length") and v not in (None, "auto")]
    if local_only:
        names = ", ".join(f"--{k.replace('_', '-')}" for k in local_only)
        raise BadInput(f"{names} does not apply to openai: models", "the server decides how the model runs")
    known = {"concurrency", "chat", "timeout", "max_retries", "backoff", "api_key", "batch_size"}
    return OpenAIBackend(spec, **{k: v for k, v in options.items() if k in known and v is not None})
