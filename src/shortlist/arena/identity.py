"""Identity-leak guard: an answer that names a model or its maker breaks the blind test.

Public arenas drop such battles (FastChat's identity-word filter); here answers are flagged when they are
generated and the leaderboard can leave flagged battles out. Words match whole words, case-insensitively;
ambiguous everyday words (meta, phi, yi, falcon, google) only count in the phrases that name the model or
company. The arena's own contestant names are added, so "I am SmolLM" is caught for a private model too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

VENDOR_WORDS = (
    "openai", "chatgpt", "gpt-3", "gpt-3.5", "gpt-4", "gpt-4o", "gpt-5", "gpt-oss", "anthropic", "claude",
    "gemini", "gemma", "bard", "deepmind", "google deepmind", "google ai", "palm 2", "meta ai", "meta platforms",
    "llama", "mistral", "mistral ai", "mixtral", "codestral", "qwen", "alibaba cloud", "tongyi", "deepseek",
    "microsoft", "phi-3", "phi-4", "cohere", "command r", "command-r", "01.ai", "yi-34b", "grok", "xai",
    "falcon llm", "technology innovation institute", "nvidia", "nemotron", "smollm", "hugging face", "huggingface",
    "allen institute", "olmo", "tulu", "vicuna", "lmsys", "zhipu", "chatglm", "glm-4", "baichuan", "internlm",
    "moonshot ai", "kimi", "minimax", "ernie bot", "baidu", "amazon nova", "granite", "ibm", "perplexity",
    "reka", "inflection ai", "pi.ai", "stability ai", "stablelm", "jamba", "ai21",
)
_GENERIC = {"instruct", "chat", "base", "model", "gguf", "hf", "it", "latest", "preview", "v1", "v2", "v3"}


def contestant_words(names: Iterable[str]) -> list[str]:
    """Distinctive pieces of the arena's contestant names ('SmolLM2-135M-Instruct' -> 'smollm2', 'smollm')."""
    words: set[str] = set()
    for name in names:
        base = name.rsplit("/", 1)[-1].lower()
        for piece in re.split(r"[\s_:@./-]+", base):
            if len(piece) >= 4 and piece not in _GENERIC and not re.fullmatch(r"[\dbmkq]+|q\d.*|\d.*", piece):
                words.add(piece)
                stem = piece.rstrip("0123456789.")
                if len(stem) >= 4:
                    words.add(stem)
    return sorted(words)


class IdentityGuard:
    """Compiled once per arena; `check(text)` lists the words found (empty: the answer stays blind)."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        words = sorted({w.lower() for w in (*VENDOR_WORDS, *extra) if w}, key=len, reverse=True)
        body = "|".join(re.escape(w) for w in words)
        self._pattern = re.compile(rf"(?<![\w-])(?:{body})(?![\w])", re.IGNORECASE)

    def check(self, text: str) -> list[str]:
        return sorted({m.group(0).lower() for m in self._pattern.finditer(text)})
