"""MATH Level 5 answers (lm-eval `leaderboard_math_hard` v3.0): the reference answer, and the two equivalence checks.

- `exact_match` (what the leaderboard reports): Math-Verify (the `math-verify` package, extra
  `shortlist[math]`) parses the reference solution's LaTeX and the whole generation and checks them
  for mathematical equivalence, as the harness does.
- `exact_match_original`: the Minerva check (Lewkowycz et al. 2022, appendix D): the text after
  "Final Answer: The final answer is" is normalised and compared with the normalised reference, as
  strings or, failing that, by SymPy simplifying their difference to 0 within one second. Any error
  counts as 0, as in the harness (whose SymPy LaTeX parser needs antlr4 4.11 exactly).

The reference answer of a problem is the content of the last \\boxed{...} (or \\fbox{...}) of its solution.
"""

from __future__ import annotations

import re
import signal
from typing import Any

from shortlist.errors import MissingExtra

INVALID = "[invalidanswer]"


def last_boxed(text: str) -> str:
    """The last \\boxed{...} (braces balanced), "\\boxed X" up to the next $, or the last \\fbox{...}; else INVALID."""
    if "\\boxed " in text:
        return "\\boxed " + text.split("\\boxed ")[-1].split("$")[0]
    start = text.rfind("\\boxed")
    if start < 0:
        start = text.rfind("\\fbox")
        if start < 0:
            return INVALID
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
    return INVALID


def unbox(boxed: str) -> str:
    if "\\boxed " in boxed:
        return boxed[len("\\boxed "):] if boxed.startswith("\\boxed ") else INVALID
    if boxed.startswith("\\boxed{") and boxed.endswith("}"):
        return boxed[len("\\boxed{"):-1]
    return INVALID


def reference_answer(solution: str) -> str:
    return unbox(last_boxed(solution))


# Minerva's normalisation (appendix D of Lewkowycz et al. 2022), in its order
_REPLACE = (("an ", ""), ("a ", ""), (".$", "$"), ("\\$", ""), ("\\ ", ""), (" ", ""), ("mbox", "text"),
            (",\\text{and}", ","), ("\\text{and}", ","), ("\\text{m}", "\\text{}"))
_REMOVE = ("square", "ways", "integers", "dollars", "mph", "inches", "ft", "hours", "km", "units", "\\ldots", "sue",
           "points", "feet", "minutes", "digits", "cents", "degrees", "cm", "gm", "pounds", "meters", "meals", "edges",
           "students", "childrentickets", "multiples", "\\text{s}", "\\text{.}", "\\text{\ns}", "\\text{}^2",
           "\\text{}^3", "\\text{\n}", "\\text{}", "\\mathrm{th}", "^\\circ", "^{\\circ}", "\\;", ",\\!", "{,}", '"',
           "\\dots")


def normalize(answer: str) -> str:
    answer = answer.split("=")[-1]
    for old, new in _REPLACE:
        answer = answer.replace(old, new)
    for old in _REMOVE:
        answer = answer.replace(old, "")
    answer = re.sub(r"(.*?)(\$)(.*?)(\$)(.*)", "$\\3$", answer)
    for command in ("text", "textbf", "overline"):
        answer = re.sub(r"(\\" + command + r"\{)(.*?)(\})", "\\2", answer)
    answer = re.sub(r"(\\boxed\{)(.*)(\})", "\\2", answer)
    answer = re.sub(r"(frac)([^{])(.)", "frac{\\2}{\\3}", answer)
    answer = re.sub(r"(sqrt)([^{])", "sqrt{\\2}", answer)
    answer = answer.replace("$", "")
    if answer.replace(",", "").isdigit():
        answer = answer.replace(",", "")
    return answer


def stated_answer(generation: str) -> str:
    found = re.search(r"Final Answer: The final answer is(.*?). I hope it is correct.",
                      generation + "I hope it is correct.")
    return found.group(1).strip() if found else INVALID


class _Timeout:
    def __init__(self, seconds: int) -> None:
        self.seconds = seconds

    def _raise(self, signum: int, frame: Any) -> None:
        raise TimeoutError

    def __enter__(self) -> None:
        signal.signal(signal.SIGALRM, self._raise)
        signal.alarm(self.seconds)

    def __exit__(self, *exc: object) -> None:
        signal.alarm(0)


def sympy_equal(a: str, b: str) -> bool:
    """Both parse as LaTeX and their difference simplifies to 0 within a second; raises when SymPy's LaTeX
    parser cannot run at all (as the harness does, whose caller then scores 0)."""
    import sympy
    from sympy.parsing.latex import parse_latex

    try:
        with _Timeout(1):
            try:
                x, y = parse_latex(a), parse_latex(b)
            except (sympy.parsing.latex.errors.LaTeXParsingError, sympy.SympifyError, TypeError):
                return False
            try:
                diff = x - y
            except TypeError:
                return False
            try:
                return bool(sympy.simplify(diff) == 0)
            except ValueError:
                return False
    except TimeoutError:
        return False
    except ImportError:
        raise
    except Exception:
        return False


def minerva_match(generation: str, reference: str) -> float:
    try:
        answer = normalize(stated_answer(generation))
        gold = normalize(reference)
        if answer == INVALID:
            return 0.0
        return float(answer.strip() == gold.strip() or sympy_equal(answer, gold))
    except Exception:  # the harness scores any failure of this check as 0
        return 0.0


def verified_match(generation: str, solution: str) -> float:
    try:
        from math_verify import LatexExtractionConfig, parse, verify
    except ImportError as exc:
        raise MissingExtra("math-verify", "math") from exc
    gold = parse(solution, extraction_config=[LatexExtractionConfig()])
    return float(bool(verify(gold, parse(generation))))


def score(doc: dict[str, Any], generation: str) -> dict[str, float]:
    return {"exact_match": verified_match(generation, doc["solution"]),
            "exact_match_original": minerva_match(generation, doc["answer"])}
