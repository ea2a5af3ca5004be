"""IFEval (lm-eval `leaderboard_ifeval` v3.0): does a response follow each verifiable instruction of its prompt?

The 25 instruction checkers are lm-evaluation-harness's own (`lm_eval.tasks.ifeval.instructions_registry`,
the extra `shortlist[ifeval]`), so every verdict is the harness's. What this module adds is the scoring
around them, as the leaderboard task does it:

- strict: each instruction is checked on the response as written (an empty or blank response follows none);
- loose: an instruction counts as followed when it holds on any of eight variants of the response (as
  written, without its first line, without its last line, without both, and each of those four with every
  `*` removed);
- prompt level: 1 when every instruction of the prompt is followed; instruction level: the share of all
  instructions of all prompts that are followed (so a prompt with more instructions weighs more).

Two checkers need NLTK's punkt tokenizer data (number of sentences, capital-word frequency; 64 of the 541
prompts); without it they raise, in the harness and here alike. `require_nltk_data` says so before a run
starts, in one line with the command that installs it, rather than after the model has generated.

Some checkers draw from Python's global `random` when a prompt's arguments are unusable (prompt 1122 asks for
the "letter" '#', so the checker picks a random letter): the harness's verdict then depends on everything its
process drew before. Here each prompt is scored with `random` seeded by its key (and the global state restored),
so verdicts are reproducible; they equal the harness's under the same seed.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from typing import Any

from shortlist.errors import BadInput, MissingExtra
from shortlist.evaluate import metrics as M
from shortlist.evaluate.protocol import Doc

STRICT = ("prompt_level_strict_acc", "inst_level_strict_acc")
LOOSE = ("prompt_level_loose_acc", "inst_level_loose_acc")
METRICS = (STRICT[0], STRICT[1], LOOSE[0], LOOSE[1])
COUNT = "instructions"   # per-doc: how many instructions the prompt has (the instruction-level weight)


@functools.cache
def checkers() -> dict[str, Any]:
    """Instruction id -> lm-eval's checker class."""
    try:
        from lm_eval.tasks.ifeval import instructions_registry
    except ImportError as exc:
        raise MissingExtra("lm_eval (its IFEval instruction checkers)", "ifeval") from exc
    return dict(instructions_registry.INSTRUCTION_DICT)


class MissingNLTKData(BadInput, LookupError):
    """A checker needs NLTK data that is not installed (a LookupError, as NLTK raises, and a one-line error)."""


NLTK_INSTRUCTIONS = frozenset({"length_constraints:number_sentences", "change_case:capital_word_frequency"})


def nltk_data_missing() -> bool:
    """True when NLTK's punkt tables (what lm-eval's sentence splitter loads) are not installed."""
    try:
        import nltk
    except ImportError:
        return True
    try:
        nltk.data.find("tokenizers/punkt_tab/english/")
    except LookupError:
        return True
    return False


def require_nltk_data(docs: Sequence[Doc]) -> None:
    """MissingNLTKData when any of these prompts has an instruction whose checker needs punkt and it is absent."""
    needing = sum(1 for d in docs if NLTK_INSTRUCTIONS.intersection(d.get("instruction_id_list") or ()))
    if needing and nltk_data_missing():
        raise MissingNLTKData(f"{needing} IFEval prompt(s) have checks that need NLTK's punkt tokenizer data, "
                              "which is not installed", "run once, online: python -m nltk.downloader punkt_tab")


def loose_variants(response: str) -> list[str]:
    lines = response.split("\n")
    cut = ["\n".join(lines[1:]).strip(), "\n".join(lines[:-1]).strip(), "\n".join(lines[1:-1]).strip()]
    return [response, response.replace("*", ""), *cut, *(c.replace("*", "") for c in cut)]


def follows(doc: Doc, response: str, loose: bool = False) -> list[bool]:
    """One verdict per instruction of the doc, in order."""
    registry = checkers()
    variants = loose_variants(response) if loose else [response]
    verdicts = []
    for i, instruction_id in enumerate(doc["instruction_id_list"]):
        checker = registry[instruction_id](instruction_id)
        kwargs = doc["kwargs"][i] or {}
        checker.build_description(**{k: v for k, v in kwargs.items() if v})
        args = checker.get_instruction_args()
        if args and "prompt" in args:
            checker.build_description(prompt=doc["prompt"])
        try:
            verdicts.append(any(v.strip() and checker.check_following(v) for v in variants))
        except LookupError as exc:
            raise MissingNLTKData(f"IFEval's {instruction_id} check needs NLTK's punkt tokenizer data, which is not "
                                  "installed", "run: python -m nltk.downloader punkt punkt_tab") from exc
    return verdicts


def score(doc: Doc, response: str) -> dict[str, float]:
    state = random.getstate()
    random.seed(doc.get("key", 0))
    try:
        strict, loose = follows(doc, response), follows(doc, response, loose=True)
    finally:
        random.setstate(state)
    n = len(strict)
    return {
        STRICT[0]: float(all(strict)), STRICT[1]: sum(strict) / n if n else 0.0,
        LOOSE[0]: float(all(loose)), LOOSE[1]: sum(loose) / n if n else 0.0,
        COUNT: float(n),
    }


def aggregate(per_doc: Sequence[dict[str, float]]) -> dict[str, float]:
    """Prompt level: mean with its stderr. Instruction level: followed / all instructions, no stderr (lm-eval: N/A)."""
    out = M.aggregate_means(per_doc, (STRICT[0], LOOSE[0]))
    total = sum(d.get(COUNT, 0.0) for d in per_doc)
    for key in (STRICT[1], LOOSE[1]):
        followed = sum(round(d[key] * d.get(COUNT, 0.0)) for d in per_doc)   # whole counts: lm-eval's exact sum
        out[key] = followed / total if total else float("nan")
        out[f"{key}_stderr"] = float("nan")
    out["n"] = float(len(per_doc))
    return {k: out[k] for k in (*(x for m in METRICS for x in (m, f"{m}_stderr")), "n")}
