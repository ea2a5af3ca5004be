"""Scorers for generated text: exact, contains, regex, token F1 and an LLM judge.

Each scorer is a factory registered under a name; its keyword arguments are the options a task
file may set. A scorer declares the metric names it writes and aggregates them as a mean with the
sample standard error. A doc a scorer could not score (a judge verdict that does not parse) gets
no value for that metric: it is counted as `<metric>_unscored`, never averaged in as 0.

Edge cases, each with a test in tests/evaluate/test_scoring.py:
- exact: case and runs of whitespace are ignored (ignore_case=False keeps case); when both sides
  are plain numbers they are compared as numbers ("1,000" == "1000", "3.0" == "3"), but "60%"
  is not the number 60. An empty reference matches only an empty answer.
- contains: the reference must appear in the answer as whole words ("4" is not in "14"); an empty
  reference never matches (it would be found in every answer).
- regex: with `pattern`, the first (or `select: last`) match is extracted from the answer and
  compared to the reference as `exact` does (group 1 when the pattern has a group); without it,
  each reference is itself a pattern searched in the answer. No match scores 0.
- f1: SQuAD's normalisation (lower case, no punctuation, no articles a/an/the); when either side
  has no tokens left, 1 if both are empty, else 0.
- Several references: each scorer takes the best over them.
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from shortlist.errors import BadInput
from shortlist.evaluate import metrics as M
from shortlist.names import suggest

if TYPE_CHECKING:
    from shortlist.evaluate.backends.base import Backend


@dataclass(frozen=True)
class Sample:
    """One generated answer with what it is scored against."""

    prediction: str
    references: tuple[str, ...]
    question: str = ""


PerDoc = dict[str, float]


class Scorer:
    """Base: per-sample scoring, mean + sample-stderr aggregation of each declared metric."""

    name: str = ""
    metrics: tuple[str, ...] = ()

    def score(self, samples: Sequence[Sample]) -> list[PerDoc]:
        return [self.score_one(s) for s in samples]

    def score_one(self, sample: Sample) -> PerDoc:
        raise NotImplementedError

    def check_reference(self, reference: str) -> None:
        """ValueError when this scorer cannot use `reference`; task files check every row on load."""

    def aggregate(self, per_doc: Sequence[PerDoc]) -> dict[str, float]:
        out: dict[str, float] = {}
        for metric in self.metrics:
            values = [d[metric] for d in per_doc if metric in d]
            out[metric] = M.mean(values) if values else float("nan")
            out[f"{metric}_stderr"] = M.mean_stderr(values)
            if len(values) < len(per_doc):
                out[f"{metric}_unscored"] = float(len(per_doc) - len(values))
        return out


@dataclass(frozen=True)
class ScorerSpec:
    factory: Callable[..., Scorer]
    doc: str


SCORERS: dict[str, ScorerSpec] = {}


def register(name: str, doc: str) -> Callable[[Callable[..., Scorer]], Callable[..., Scorer]]:
    def deco(factory: Callable[..., Scorer]) -> Callable[..., Scorer]:
        SCORERS[name] = ScorerSpec(factory, doc)
        return factory

    return deco


def make_scorer(name: str, options: dict[str, Any] | None = None, where: str = "") -> Scorer:
    """Build a registered scorer; unknown names or options are BadInput naming `where`."""
    prefix = f"{where}: " if where else ""
    spec = SCORERS.get(name)
    if spec is None:
        close = suggest(name, SCORERS)
        hint = f"did you mean: {', '.join(close)}?" if close else f"known scorers: {', '.join(sorted(SCORERS))}"
        raise BadInput(f"{prefix}unknown scorer '{name}'", hint)
    for key, value in (options or {}).items():
        problem = _option_problem(spec.factory, key, value)
        if problem:
            raise BadInput(f"{prefix}bad options for scorer '{name}': {key} {problem}", spec.doc)
    try:
        return spec.factory(**(options or {}))
    except TypeError as exc:
        raise BadInput(f"{prefix}bad options for scorer '{name}': {exc}", spec.doc) from exc


_OPTION_TYPES = {"bool": "true or false", "int": "an integer from 1 to 1,000,000", "str": "a string",
                 "str | None": "a string"}


def _option_problem(factory: Callable[..., Scorer], key: str, value: Any) -> str | None:
    """Why `value` cannot be the factory's option `key`, from its annotation; None when it can.

    Options come from task files, so a rubric that is a list or a max_tokens of 10**30 must stop at
    load time rather than deep inside a run.
    """
    import inspect

    param = inspect.signature(factory).parameters.get(key)
    expected = _OPTION_TYPES.get(str(param.annotation)) if param is not None else None
    if expected is None:
        return None  # unknown options are the factory's TypeError; backends are passed by code
    if str(param.annotation) == "str | None" and value is None:
        return None
    ok = {
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1_000_000,
        "str": isinstance(value, str) and len(value) <= 100_000,
    }[str(param.annotation).removesuffix(" | None")]
    return None if ok else f"must be {expected}"


# --- normalisation ---------------------------------------------------------------------------

_WS = re.compile(r"\s+")
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize(text: str, ignore_case: bool = True, ignore_punctuation: bool = False) -> str:
    text = _WS.sub(" ", text).strip()
    if ignore_punctuation:
        text = _WS.sub(" ", text.translate(_PUNCT)).strip()
    return text.casefold() if ignore_case else text


def as_number(text: str) -> Decimal | None:
    """A plain number ("1,000", "-3.50", ".5"), or None for anything else ("60%", "1e3", "")."""
    text = text.strip()
    if not text or not any(c.isdigit() for c in text) or not _NUMBER.match(text):
        return None
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def same_answer(prediction: str, reference: str, ignore_case: bool = True, ignore_punctuation: bool = False,
                numeric: bool = True) -> bool:
    if numeric:
        a, b = as_number(prediction), as_number(reference)
        if a is not None and b is not None:
            return a == b
    return normalize(prediction, ignore_case, ignore_punctuation) == normalize(reference, ignore_case,
                                                                               ignore_punctuation)


def squad_tokens(text: str) -> list[str]:
    text = text.lower().translate(_PUNCT)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return text.split()


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = squad_tokens(prediction), squad_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


# --- simple scorers --------------------------------------------------------------------------


class _PerSample(Scorer):
    def __init__(self, name: str, metric: str, fn: Callable[[str, str], float],
                 check: Callable[[str], None] | None = None) -> None:
        self.name, self.metric, self.fn, self.check = name, metric, fn, check
        self.metrics = (metric,)

    def check_reference(self, reference: str) -> None:
        if self.check is not None:
            self.check(reference)

    def score_one(self, sample: Sample) -> PerDoc:
        best = max((self.fn(sample.prediction, r) for r in sample.references), default=0.0)
        return {self.metric: best}


@register("exact", "options: ignore_case (true), ignore_punctuation (false), numeric (true)")
def exact(ignore_case: bool = True, ignore_punctuation: bool = False, numeric: bool = True) -> Scorer:
    def fn(pred: str, ref: str) -> float:
        return float(same_answer(pred, ref, ignore_case, ignore_punctuation, numeric))

    return _PerSample("exact", "exact_match", fn)


@register("contains", "options: ignore_case (true), word_boundary (true)")
def contains(ignore_case: bool = True, word_boundary: bool = True) -> Scorer:
    def fn(pred: str, ref: str) -> float:
        needle = normalize(ref, ignore_case)
        if not needle:
            return 0.0
        hay = normalize(pred, ignore_case)
        if not word_boundary:
            return float(needle in hay)
        return float(re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", hay) is not None)

    return _PerSample("contains", "contains", fn)


@register("regex", "options: pattern (extract then compare; default: each reference is a pattern), "
                   "select (first|last), ignore_case (true)")
def regex(pattern: str | None = None, select: str = "first", ignore_case: bool = True) -> Scorer:
    if select not in ("first", "last"):
        raise TypeError(f"select must be 'first' or 'last', not {select!r}")
    flags = re.IGNORECASE if ignore_case else 0
    compiled = compile_pattern(pattern, flags) if pattern is not None else None

    def fn(pred: str, ref: str) -> float:
        if compiled is None:
            return float(re.search(ref, pred, flags) is not None)
        matches = list(compiled.finditer(pred))
        if not matches:
            return 0.0
        m = matches[0] if select == "first" else matches[-1]
        got = m.group(1) if compiled.groups else m.group(0)
        return float(same_answer(got or "", ref, ignore_case))

    def check(ref: str) -> None:
        try:
            re.compile(ref)
        except re.error as exc:
            raise ValueError(f"reference {ref!r} is not a valid regular expression ({exc}); without `pattern` "
                             "the regex scorer reads references as patterns") from None

    return _PerSample("regex", "regex_match", fn, check if compiled is None else None)


def compile_pattern(pattern: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise TypeError(f"invalid regular expression {pattern!r}: {exc}") from exc


@register("f1", "token F1 with SQuAD normalisation; no options")
def f1() -> Scorer:
    return _PerSample("f1", "f1", token_f1)


# --- LLM judge -------------------------------------------------------------------------------

RUBRIC_SCORE = """You are grading an answer to a question against a reference answer.
Rate how correct and complete the answer is on a scale of 1 to 10, where 1 means wrong or unrelated and 10 means \
fully correct and complete. Judge the content, not the length or style.

[Question]
{question}

[Reference answer]
{reference}

[Answer to grade]
{answer}

First write one or two sentences of reasoning. Then end with a line of the form "Score: N", N an integer from 1 to 10.
"""

RUBRIC_PASS_FAIL = """You are checking whether an answer to a question agrees with a reference answer.
The answer passes if it states the same result as the reference, even in other words; otherwise it fails.

[Question]
{question}

[Reference answer]
{reference}

[Answer to check]
{answer}

First write one sentence of reasoning. Then end with a line of the form "Verdict: PASS" or "Verdict: FAIL".
"""

_PASS_WORDS = {"pass": 1.0, "passed": 1.0, "correct": 1.0, "yes": 1.0, "true": 1.0,
               "fail": 0.0, "failed": 0.0, "incorrect": 0.0, "wrong": 0.0, "no": 0.0, "false": 0.0}
_JSON_OBJ = re.compile(r"\{[^{}]*\}")
_SCORE_LINE = re.compile(
    r"(?:score|rating|grade)\**\s*(?:is|of|=|:)?\s*\**\s*(\d+(?:\.\d+)?)(?!\s*[-–]\s*\d)(?:\s*(?:/|out of)\s*(\d+))?",
    re.IGNORECASE,
)
_BRACKETS = re.compile(r"\[\[\s*(\d+(?:\.\d+)?)\s*\]\]")
_OUT_OF = re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:/|out of)\s*(\d+)\b", re.IGNORECASE)
_VERDICT_LINE = re.compile(r"(?:verdict|result|grade|answer)\**\s*[:=]\s*\**\s*([a-z]+)", re.IGNORECASE)


def _json_objects(text: str) -> list[dict[str, Any]]:
    out = []
    for m in _JSON_OBJ.finditer(text):
        try:
            obj = json.loads(m.group(0))
        except ValueError:
            continue
        if isinstance(obj, dict):
            out.append({str(k).lower(): v for k, v in obj.items()})
    return out


def parse_score(text: str, scale: int = 10) -> float | None:
    """The last stated score in [1, scale]: JSON {"score": N}, [[N]], "Score: N", "N/10", or a bare N."""
    def ok(value: Any, denom: str | None = None) -> float | None:
        try:
            v = float(value)
        except (TypeError, ValueError):
            return None
        if denom is not None and int(denom) != scale:
            return None
        return v if 1 <= v <= scale else None

    for obj in reversed(_json_objects(text)):
        for key in ("score", "rating", "grade"):
            if key in obj and not isinstance(obj[key], bool):
                return ok(obj[key])
    for pattern in (_BRACKETS, _SCORE_LINE, _OUT_OF):
        found = list(pattern.finditer(text))
        if found:
            last = found[-1]
            denom = last.group(2) if last.re.groups > 1 else None
            return ok(last.group(1), denom)
    bare = text.strip().strip("*.").strip()
    return ok(bare) if as_number(bare) is not None else None


def parse_pass_fail(text: str) -> float | None:
    """1.0 for pass, 0.0 for fail, None when the verdict cannot be read."""
    for obj in reversed(_json_objects(text)):
        for key in ("verdict", "pass", "passed", "correct", "result"):
            if key in obj:
                v = obj[key]
                if isinstance(v, bool):
                    return float(v)
                if isinstance(v, str) and v.strip().lower() in _PASS_WORDS:
                    return _PASS_WORDS[v.strip().lower()]
    found = [m.group(1).lower() for m in _VERDICT_LINE.finditer(text) if m.group(1).lower() in _PASS_WORDS]
    if found:
        return _PASS_WORDS[found[-1]]
    first = re.match(r"\W*([a-zA-Z]+)", text)
    if first and first.group(1).lower() in _PASS_WORDS:
        return _PASS_WORDS[first.group(1).lower()]
    return None


class JudgeScorer(Scorer):
    """Single-answer grading by another model, with the reference shown to it.

    The judge's prompts are sent in one `generate` call so a concurrent backend grades in
    parallel. `backend` may be given directly; otherwise `model` (a backend spec) is loaded on
    first use, so that reading a task file never contacts a server.
    """

    def __init__(self, model: str | None = None, mode: str = "score", rubric: str | None = None,
                 max_tokens: int = 256, scale: int = 10, chat: bool = False, backend: Backend | None = None,
                 loader: Callable[..., Backend] | None = None) -> None:
        if mode not in ("score", "pass_fail"):
            raise TypeError(f"mode must be 'score' or 'pass_fail', not {mode!r}")
        if backend is None and not model:
            raise TypeError("the judge needs `model` (a backend spec such as openai:NAME@http://host:port/v1)")
        self.name = "judge"
        self.mode = mode
        self.metrics = ("judge_score",) if mode == "score" else ("judge_pass",)
        self.rubric = rubric or (RUBRIC_SCORE if mode == "score" else RUBRIC_PASS_FAIL)
        for key in ("{answer}",):
            if key not in self.rubric:
                raise TypeError(f"the judge rubric must contain the placeholder {key}")
        self.max_tokens = max_tokens
        self.scale = scale
        self.model = model
        self.chat = chat
        self._backend = backend
        self._loader = loader
        self.last_verdicts: list[str] = []

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            assert self.model is not None
            loader = self._loader or _default_loader
            self._backend = loader(self.model, **({"chat": True} if self.chat else {}))
        return self._backend

    def prompt(self, sample: Sample) -> str:
        refs = sample.references
        reference = refs[0] if len(refs) == 1 else "any of: " + "; ".join(refs) if refs else "(none given)"
        values = {"question": sample.question, "reference": reference, "answer": sample.prediction}
        return re.sub(r"\{(question|reference|answer)\}", lambda m: values[m.group(1)], self.rubric)

    def parse(self, verdict: str) -> float | None:
        return parse_score(verdict, self.scale) if self.mode == "score" else parse_pass_fail(verdict)

    def score(self, samples: Sequence[Sample]) -> list[PerDoc]:
        from shortlist.evaluate.types import GenerationRequest

        if not samples:
            return []
        requests = [GenerationRequest(self.prompt(s), (), self.max_tokens, 0.0) for s in samples]
        self.last_verdicts = [getattr(r, "text", r) for r in self.backend.generate(requests)]
        out: list[PerDoc] = []
        for text in self.last_verdicts:
            value = self.parse(text)
            out.append({} if value is None else {self.metrics[0]: value})
        return out

    def score_one(self, sample: Sample) -> PerDoc:
        return self.score([sample])[0]


def _default_loader(spec: str, **options: Any) -> Backend:
    from shortlist.evaluate import backends

    load = getattr(backends, "load_backend", None) or getattr(backends, "load", None)
    if load is None:
        raise BadInput(f"cannot load judge model '{spec}': no backend registry", "pass the judge backend directly")
    return load(spec, **options)


@register("judge", "options: model (backend spec), mode (score|pass_fail), rubric (with {question}, {reference}, "
                   "{answer}), max_tokens (256), scale (10), chat (false: send the rubric as a chat message)")
def judge(model: str | None = None, mode: str = "score", rubric: str | None = None, max_tokens: int = 256,
          scale: int = 10, chat: bool = False, backend: Backend | None = None) -> Scorer:
    return JudgeScorer(model=model, mode=mode, rubric=rubric, max_tokens=max_tokens, scale=scale, chat=chat,
                       backend=backend)
