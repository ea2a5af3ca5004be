"""What happens to generated text between the backend and the scorer: reasoning blocks, unfinished answers.

Reasoning models write `<think>…</think>` before their answer. Scorers read answers, so the blocks are
removed before scoring (the stored sample keeps the whole text); `keep_think=True` scores the text as
written. A block left open (the token limit came first) removes everything after `<think>`: the answer
never came. A `</think>` with no `<think>` before it (chat templates that open the block in the prompt)
removes everything up to it. Text without the tags is returned unchanged, so models that do not reason
score exactly as lm-evaluation-harness scores them.
"""

from __future__ import annotations

import re

OPEN, CLOSE = "<think>", "</think>"
_BLOCK = re.compile(re.escape(OPEN) + r".*?" + re.escape(CLOSE), re.DOTALL)


def strip_think(text: str) -> str:
    if OPEN not in text and CLOSE not in text:
        return text
    head, close, tail = text.partition(CLOSE)
    if close and OPEN not in head:   # the template opened the block: the generation starts inside it
        text = tail
    text = _BLOCK.sub("", text)
    if OPEN in text:                 # still open: cut by the token limit before the answer
        text = text[:text.index(OPEN)]
    return text.lstrip()
