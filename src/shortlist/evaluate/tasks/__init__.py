"""Built-in evaluation tasks, reproducing lm-evaluation-harness 0.4.13's definitions exactly.

get_task("arc_easy") gives a Task (see evaluate.protocol.Task); expand_tasks(["mmlu"]) gives the 57
MMLU subject tasks, expand_tasks(["leaderboard_bbh"]) the 24 BBH tasks of the Open LLM Leaderboard v2;
aggregate_group("mmlu", {task: task.aggregate(...)}) scores a group as lm-eval does (size-weighted
mean, pooled stderr). Task files (a user's YAML/TOML/JSONL/CSV) are resolved by the engine, not here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from shortlist import names
from shortlist.errors import BadInput
from shortlist.evaluate import metrics as M
from shortlist.evaluate.tasks.arc import ArcChallenge, ArcEasy
from shortlist.evaluate.tasks.base import Task
from shortlist.evaluate.tasks.gsm8k import GSM8K
from shortlist.evaluate.tasks.hellaswag import HellaSwag
from shortlist.evaluate.tasks.leaderboard import FACTORIES as LEADERBOARD_TASKS
from shortlist.evaluate.tasks.leaderboard import GROUP_METRICS as LEADERBOARD_GROUP_METRICS
from shortlist.evaluate.tasks.leaderboard import GROUPS as LEADERBOARD_GROUPS
from shortlist.evaluate.tasks.mmlu import CATEGORIES, SUBJECTS, MMLUSubject
from shortlist.evaluate.tasks.truthfulqa import TruthfulQAMC1, TruthfulQAMC2
from shortlist.evaluate.tasks.winogrande import Winogrande

__all__ = [
    "SUITES", "Task", "aggregate_group", "expand_tasks", "get_task", "group_members", "group_metrics", "group_of",
    "list_groups", "list_tasks",
]

_FACTORIES: dict[str, Callable[[], Task]] = {
    "hellaswag": HellaSwag,
    "arc_easy": ArcEasy,
    "arc_challenge": ArcChallenge,
    "truthfulqa_mc1": TruthfulQAMC1,
    "truthfulqa_mc2": TruthfulQAMC2,
    "winogrande": Winogrande,
    "gsm8k": GSM8K,
}
for _subject in SUBJECTS:
    _FACTORIES[f"mmlu_{_subject}"] = lambda s=_subject: MMLUSubject(s)
_FACTORIES.update(LEADERBOARD_TASKS)

# group -> member task names; every group aggregates as lm-eval's mmlu groups (weight_by_size)
_GROUPS: dict[str, tuple[str, ...]] = {"mmlu": tuple(f"mmlu_{s}" for s in SUBJECTS)}
for _cat, _subjects in CATEGORIES.items():
    _GROUPS[f"mmlu_{_cat}"] = tuple(f"mmlu_{s}" for s in SUBJECTS if s in _subjects)
_GROUPS.update(LEADERBOARD_GROUPS)
# metrics a group reports (lm-eval's aggregate_metric_list); default: its first member's
_GROUP_METRICS: dict[str, tuple[str, ...]] = dict(LEADERBOARD_GROUP_METRICS)
# top-level groups a member's score rolls up into (mmlu's categories are views, not roll-ups)
_GROUP_OF: dict[str, str] = {m: g for g in ("mmlu", *LEADERBOARD_GROUPS) for m in _GROUPS[g]}

# suites: named sets of tasks run with one preset of settings (see evaluate.suites)
SUITES: dict[str, tuple[str, ...]] = {
    "open-llm-v2": ("leaderboard_ifeval", "leaderboard_bbh", "leaderboard_math_hard", "leaderboard_gpqa",
                    "leaderboard_musr", "leaderboard_mmlu_pro"),
}


def list_tasks() -> list[str]:
    """Every single task name (groups not included; see list_groups)."""
    return list(_FACTORIES)


def list_groups() -> list[str]:
    return list(_GROUPS)


def group_members(group: str) -> tuple[str, ...]:
    return _GROUPS[group]


def _resolve(name: str) -> str:
    if name in _FACTORIES or name in _GROUPS:
        return name
    known = [*_FACTORIES, *_GROUPS]
    return names.resolve(name, names.build_index({k: () for k in known}), "task", display=known)


def get_task(name: str) -> Task:
    """A fresh task object; NotFound with suggestions for unknown names, BadInput for a group."""
    key = _resolve(name)
    if key in _GROUPS:
        raise BadInput(f"'{key}' is a group of {len(_GROUPS[key])} tasks", "use expand_tasks() to get its members")
    task: Task = _FACTORIES[key]()
    return task


def expand_tasks(task_names: Sequence[str]) -> list[Task]:
    """Tasks for the given names, groups replaced by their members, each task once, order kept."""
    seen: set[str] = set()
    out: list[Task] = []
    for raw in task_names:
        key = _resolve(raw)
        for member in _GROUPS.get(key, (key,)):
            if member not in seen:
                seen.add(member)
                out.append(get_task(member))
    return out


def group_of(task_name: str) -> str | None:
    """The top-level group a task's score rolls up into ("mmlu" for every mmlu_<subject>, "leaderboard_bbh", ...)."""
    return _GROUP_OF.get(task_name)


def group_metrics(group: str) -> tuple[str, ...]:
    """The metrics a group reports (lm-eval's aggregate_metric_list)."""
    key = _resolve(group)
    return _GROUP_METRICS.get(key) or get_task(_GROUPS[key][0]).metrics


def aggregate_group(
    group: str, per_task_results: Mapping[str, Mapping[str, float]], sizes: Mapping[str, int] | None = None
) -> dict[str, float]:
    """lm-eval's group score over the member tasks present: size-weighted mean and pooled stderr.

    per_task_results maps task name -> that task's aggregate() (metric, <metric>_stderr, n);
    `sizes` overrides the doc counts. Members missing from the results are left out, as lm-eval
    does; the stderr is NaN when any member's stderr is (lm-eval writes "N/A").
    """
    key = _resolve(group)
    if key not in _GROUPS:
        raise BadInput(f"'{key}' is a task, not a group", f"groups: {', '.join(_GROUPS)}")
    present = [t for t in _GROUPS[key] if t in per_task_results]
    if not present:
        raise BadInput(f"no results for any task of group '{key}'")
    counts = [int(sizes[t]) if sizes and t in sizes else int(per_task_results[t]["n"]) for t in present]
    out: dict[str, float] = {}
    for metric in _GROUP_METRICS.get(key) or get_task(present[0]).metrics:
        values = [per_task_results[t][metric] for t in present]
        stderrs = [per_task_results[t].get(f"{metric}_stderr", float("nan")) for t in present]
        out[metric] = M.weighted_mean(values, counts)
        out[f"{metric}_stderr"] = M.pooled_stderr(stderrs, counts)
    out["n"] = float(sum(counts))
    return out
