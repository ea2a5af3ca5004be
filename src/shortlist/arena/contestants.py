"""Contestant specs: what `openai:NAME@URL`, `hf:PATH`, `llamacpp:PATH` and a bare `.gguf` path mean.

Parsing is separate from running (clients/) so adding a contestant checks its spec without loading a
model or touching the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from shortlist.errors import BadInput

_OPENAI = re.compile(r"^openai:(?P<model>[^@\s]+)@(?P<url>https?://\S+)$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SPEC_HELP = "openai:NAME@http://HOST:PORT/v1, hf:PATH_OR_HUB_ID, llamacpp:FILE.gguf or FILE.gguf"


@dataclass(frozen=True)
class Spec:
    """A parsed contestant spec. `target` is the model name (openai) or the local path / hub id."""

    kind: str  # openai | hf | llamacpp | imported
    target: str
    url: str | None = None

    @property
    def default_name(self) -> str:
        if self.kind in ("openai", "imported"):
            return self.target
        name = Path(self.target.rstrip("/")).name
        return name.removesuffix(".gguf") if self.kind == "llamacpp" else name

    @property
    def runnable(self) -> bool:
        return self.kind != "imported"


def parse_spec(spec: str) -> Spec:
    """Parse a contestant spec or raise BadInput naming the accepted forms."""
    spec = spec.strip()
    if not spec:
        raise BadInput("empty contestant spec", f"use one of: {SPEC_HELP}")
    if spec.startswith("openai:"):
        m = _OPENAI.match(spec)
        if not m:
            raise BadInput(f"contestant '{spec}' is not openai:NAME@URL", "e.g. openai:qwen2.5:7b@http://127.0.0.1:11434/v1")
        url = m.group("url").rstrip("/")
        if re.fullmatch(r"https?://[^/]+", url):
            url += "/v1"
        return Spec("openai", m.group("model"), url)
    if spec.startswith("hf:"):
        target = spec[3:]
        if not target:
            raise BadInput("hf: needs a folder or a Hugging Face id", "e.g. hf:./SmolLM2-135M-Instruct")
        return Spec("hf", target)
    if spec.startswith(("llamacpp:", "gguf:")):
        return Spec("llamacpp", _gguf(spec.split(":", 1)[1]))
    if spec.startswith("imported:"):
        return Spec("imported", spec[len("imported:"):])
    if spec.lower().endswith(".gguf"):
        return Spec("llamacpp", _gguf(spec))
    raise BadInput(f"unknown contestant spec '{spec}'", f"use one of: {SPEC_HELP}")


def spec_model_name(spec: str) -> str:
    """The model's own name inside a stored spec (no file checks): what an answer might call itself."""
    kind, _, rest = spec.partition(":")
    if kind == "openai":
        return rest.split("@", 1)[0]
    return Path(rest.rstrip("/")).name.removesuffix(".gguf")


def _gguf(path: str) -> str:
    p = Path(path).expanduser()
    if not p.is_file():
        raise BadInput(f"GGUF file {path} does not exist", "give the path of a .gguf file")
    return str(p.resolve())


def check_env_name(name: str | None) -> str | None:
    """The API key is read from this environment variable at generation time; only its name is stored."""
    if name is None or name == "":
        return None
    if not _ENV_NAME.match(name):
        raise BadInput(f"'{name}' is not an environment variable name",
                       "pass the variable's NAME (e.g. OPENAI_API_KEY), never the key itself")
    return name
