"""Suites: a benchmark set run with one preset of settings, scored the way its leaderboard scores it.

`open-llm-v2` is the Open LLM Leaderboard v2 as it ran (lm-evaluation-harness `leaderboard` group): the six
benchmarks, the model's chat template applied when it has one, few-shot examples as chat turns. Its scores are
normalised as the leaderboard did, each to 0-100 above chance:

- IFEval: the mean of prompt-level and instruction-level strict accuracy (no chance level);
- BBH, MuSR: each subtask rescaled above its chance level (1 / its number of choices), clipped at 0, then the
  plain mean over subtasks;
- MATH Lvl 5: the group's exact match (the size-weighted mean over its 7 subjects), no chance level;
- GPQA: the group's acc_norm (size-weighted over its 3 sets) rescaled above 0.25;
- MMLU-Pro: acc rescaled above 0.1;
- the average: the plain mean of the six.

The comparison with the published row (imported with `shortlist leaderboard import`) is per benchmark on the raw
value the leaderboard stores, with "reproduced" or "differs by X, outside CI", and the run settings that differ
from the leaderboard's (chat template, few-shot format, dtype, batch size, revision, a --limit subset).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from shortlist.catalog.benchmarks import get_benchmark
from shortlist.errors import NotFound
from shortlist.evaluate.results import BenchmarkComparison, EvalRun, SuiteComparison, SuiteResult, SuiteScore
from shortlist.evaluate.tasks import group_members
from shortlist.names import suggest

Rule = Literal["ifeval", "subtasks", "value"]


@dataclass(frozen=True)
class SuiteBenchmark:
    benchmark: str          # registry id
    task: str               # the lm-eval task or group whose result it reads
    metric: str
    rule: Rule


@dataclass(frozen=True)
class Suite:
    name: str
    title: str
    benchmarks: tuple[SuiteBenchmark, ...]
    apply_chat_template: bool | None = None   # None: when the model has one
    fewshot_as_multiturn: bool = True
    leaderboard_source: str = ""
    settings: dict[str, str] = field(default_factory=dict)   # the leaderboard's own run settings, in words

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(b.task for b in self.benchmarks)


SUITES: dict[str, Suite] = {
    "open-llm-v2": Suite(
        name="open-llm-v2", title="Open LLM Leaderboard v2",
        benchmarks=(
            SuiteBenchmark("ifeval", "leaderboard_ifeval", "prompt_level_strict_acc+inst_level_strict_acc", "ifeval"),
            SuiteBenchmark("bbh", "leaderboard_bbh", "acc_norm", "subtasks"),
            SuiteBenchmark("math_lvl5", "leaderboard_math_hard", "exact_match", "value"),
            SuiteBenchmark("gpqa", "leaderboard_gpqa", "acc_norm", "value"),
            SuiteBenchmark("musr", "leaderboard_musr", "acc_norm", "subtasks"),
            SuiteBenchmark("mmlu_pro", "leaderboard_mmlu_pro", "acc", "value"),
        ),
        leaderboard_source="open_llm_leaderboard_v2",
        settings={"chat_template": "the model's, when it has one", "fewshot_format": "multi-turn with a chat template",
                  "dtype": "the model's precision (bfloat16 / float16)", "batch_size": "auto (GPU)",
                  "revision": "the Hub commit at submission"}),
}


def get_suite(name: str) -> Suite:
    if name not in SUITES:
        close = suggest(name, list(SUITES))
        raise NotFound(f"unknown suite '{name}'", f"did you mean: {', '.join(close)}?" if close else
                       f"suites: {', '.join(SUITES)}")
    return SUITES[name]


def rescale(value: float, chance: float) -> float:
    """The leaderboard's normalisation: 0-100 above the chance level, clipped at 0."""
    return max(0.0, value - chance) / (1.0 - chance) * 100.0


def _chance(benchmark: str, subtask: str | None = None) -> float:
    spec = get_benchmark(benchmark)
    if subtask is None:
        return spec.random_baseline
    for s in spec.subtasks:
        if s.id == subtask:
            return 1.0 / round(1.0 / s.random_baseline) if s.random_baseline > 0 else 0.0  # 1 / number of choices
    raise NotFound(f"{benchmark}: no subtask {subtask}")


def _metrics(run: EvalRun, name: str) -> dict[str, float] | None:
    if name in run.tasks:
        return run.tasks[name].metrics
    return run.groups.get(name)


def score_benchmark(run: EvalRun, b: SuiteBenchmark) -> SuiteScore | None:
    """One benchmark's raw value, normalised score and how much of it the run covered (None: not run)."""
    spec = get_benchmark(b.benchmark)
    if b.rule == "ifeval":
        m = _metrics(run, b.task)
        if not m or "prompt_level_strict_acc" not in m:
            return None
        raw = (m["prompt_level_strict_acc"] + m["inst_level_strict_acc"]) / 2
        return SuiteScore(task=b.task, raw=raw, normalized=raw * 100.0, n=int(m.get("n", 0)))
    if b.rule == "value":
        m = _metrics(run, b.task)
        if not m or b.metric not in m:
            return None
        members = _members(b.task)
        present = [t for t in members if t in run.tasks] if members else [b.task]
        return SuiteScore(task=b.task, raw=m[b.metric], normalized=rescale(m[b.metric], _chance(b.benchmark)),
                          n=int(m.get("n", 0)), complete=len(present) == max(len(members), 1))
    parts = {t: run.tasks[t].metrics[b.metric] for t in group_members(b.task)
             if t in run.tasks and b.metric in run.tasks[t].metrics}
    if not parts:
        return None
    normalized = {t: rescale(v, _chance(b.benchmark, t)) for t, v in parts.items()}
    group = run.groups.get(b.task, {})
    raw = group.get(b.metric, sum(parts.values()) / len(parts))
    return SuiteScore(task=b.task, raw=raw, normalized=sum(normalized.values()) / len(normalized),
                      n=int(group.get("n", sum(run.tasks[t].n for t in parts))), subtasks=normalized,
                      complete=len(parts) == len(spec.subtasks))


def _members(task: str) -> tuple[str, ...]:
    try:
        return group_members(task)
    except KeyError:
        return ()


def score_suite(name: str, run: EvalRun) -> SuiteResult:
    """The suite's normalised scores and their average (complete when every benchmark ran)."""
    suite = get_suite(name)
    scores: dict[str, SuiteScore] = {}
    for b in suite.benchmarks:
        s = score_benchmark(run, b)
        if s is not None:
            scores[b.benchmark] = s
    complete = len(scores) == len(suite.benchmarks) and all(s.complete for s in scores.values())
    average = sum(s.normalized for s in scores.values()) / len(scores) if scores else None
    return SuiteResult(name=suite.name, title=suite.title, scores=scores, average=average, average_complete=complete,
                       limit=run.request.get("limit"))


def settings_differences(run: EvalRun, chat_template: bool | None, precision: str | None) -> list[str]:
    """The run settings that differ from the leaderboard's, in words (why a score may not reproduce)."""
    fmt = run.request.get("prompt_format") or {}
    out = []
    if chat_template is not None and bool(fmt.get("chat_template")) != chat_template:
        out.append(f"chat template: yours {'on' if fmt.get('chat_template') else 'off'}, the leaderboard's "
                   f"{'on' if chat_template else 'off'}")
    if fmt.get("chat_template") and not fmt.get("fewshot_as_multiturn"):
        out.append("few-shot format: yours one user message, the leaderboard's multi-turn")
    dtype = run.backend.get("dtype")
    if precision and dtype and str(dtype).removeprefix("torch.") != precision:
        out.append(f"dtype: yours {dtype}, the leaderboard's {precision}")
    batch = run.backend.get("batch_size")
    if batch is not None:
        out.append(f"batch size: yours {batch}, the leaderboard's auto on a GPU (padding changes the last digits)")
    out.append("revision: the leaderboard's Hub commit is not recorded; yours is "
               f"{run.backend.get('ref') or run.model} ({run.fingerprint})")
    if run.request.get("limit"):
        out.append(f"items: yours the first {run.request['limit']} per task, the leaderboard's all")
    return out


def compare_suite(run: EvalRun, table: Any) -> SuiteComparison | None:
    """Per benchmark: the run's raw value beside the published one with the verdict; and the settings that
    differ. `table` is the published score table (catalog.scores.load_scores(include_own=False))."""
    if not run.suite:
        return None
    published = table.for_model(run.model)
    lb = table.leaderboard_models().get(run.model)
    rows: dict[str, BenchmarkComparison] = {}
    precision = None
    for bench, score in run.suite.scores.items():
        ref = published.get(bench)
        if ref is None:
            continue
        precision = precision or ref.precision
        entry = (run.tasks[score.task].leaderboard if score.task in run.tasks else run.leaderboard.get(score.task))
        entry = entry or {}
        verdict = entry.get("verdict")
        if not score.complete:   # part of a group is not the benchmark: no verdict (results._scored)
            verdict = "not comparable: only part of its subtasks ran"
        rows[bench] = BenchmarkComparison(published=ref.value, source=ref.source, verdict=verdict,
                                          delta=entry.get("delta"), within_ci=entry.get("within_ci"))
    if not rows:
        return None
    return SuiteComparison(benchmarks=rows, all_reproduced=all(r.within_ci for r in rows.values()),
                           settings_differ=settings_differences(run, lb.chat_template if lb else None, precision))
