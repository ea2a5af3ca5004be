"""Whether the Hugging Face Hub can be reached from here, asked once and quickly.

Why: offline, the Hub client retries each request for tens of seconds and logs every retry as a warning,
so a command that only needed a local copy (or was going to fail anyway) would hang, then print a page.
A 3-second TCP check first lets callers use the local cache at once, or fail in one line.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
from collections.abc import Iterator
from urllib.parse import urlparse

_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


def offline_by_env(*also: str) -> bool:
    """HF_HUB_OFFLINE, or one of the library-specific variables `also` (HF_DATASETS_OFFLINE, ...), set true."""
    return any(os.environ.get(v, "").strip().lower() in {"1", "true", "yes", "on"}
               for v in ("HF_HUB_OFFLINE", *also))


@functools.cache
def unreachable() -> str | None:
    """Why the Hub cannot be reached (a 3-second TCP check of HF_ENDPOINT), or None; not checked behind a proxy."""
    if any(os.environ.get(v) for v in _PROXY_VARS):
        return None
    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host = url.hostname or "huggingface.co"
    try:
        socket.create_connection((host, url.port or (80 if url.scheme == "http" else 443)), timeout=3).close()
    except OSError as exc:
        return f"the Hugging Face Hub ({host}) cannot be reached ({exc.strerror or type(exc).__name__})"
    return None


@contextlib.contextmanager
def quiet_hub_logs() -> Iterator[None]:
    """The Hub client logs each retry as a warning; callers turn the outcome into one line instead."""
    loggers = [logging.getLogger(n) for n in ("huggingface_hub", "datasets", "transformers")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
