"""lm-evaluation-harness results JSON (the `results_<date>.json` that `lm_eval --output_path` writes).

Each lm-eval task maps to one registry benchmark and the metric the leaderboards report for it
(e.g. gsm8k -> exact_match with the strict-match filter; leaderboard_ifeval -> the mean of prompt-
and instruction-level strict accuracy, as the Open LLM Leaderboard v2 computes IFEval). Tasks
with no registry benchmark are listed in the import's notes, never guessed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shortlist.catalog.importers.base import Options, Parsed, Row, read_text, snapshot_date
from shortlist.errors import BadInput

FORMAT = "lm-eval"

# lm-eval task -> (benchmark id, metric keys averaged, in lm-eval's "metric,filter" spelling)
TASKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "arc_challenge": ("arc_challenge", ("acc_norm,none",)),
    "arc_easy": ("arc_easy", ("acc_norm,none",)),
    "hellaswag": ("hellaswag", ("acc_norm,none",)),
    "mmlu": ("mmlu", ("acc,none",)),
    "truthfulqa_mc2": ("truthfulqa_mc2", ("acc,none",)),
    "winogrande": ("winogrande", ("acc,none",)),
    "gsm8k": ("gsm8k", ("exact_match,strict-match",)),
    "ifeval": ("ifeval", ("prompt_level_strict_acc,none", "inst_level_strict_acc,none")),
    "leaderboard_ifeval": ("ifeval", ("prompt_level_strict_acc,none", "inst_level_strict_acc,none")),
    "leaderboard_bbh": ("bbh", ("acc_norm,none",)),
    "leaderboard_math_hard": ("math_lvl5", ("exact_match,none",)),
    "leaderboard_gpqa": ("gpqa", ("acc_norm,none",)),
    "leaderboard_musr": ("musr", ("acc_norm,none",)),
    "leaderboard_mmlu_pro": ("mmlu_pro", ("acc,none",)),
    "humaneval": ("humaneval", ("pass@1,create_test",)),
    "mbpp": ("mbpp", ("pass_at_1,none",)),
}


def _registry_tasks() -> dict[str, tuple[str, tuple[str, ...]]]:
    """TASKS, plus any registry benchmark naming an lm-eval task scored by its own metric."""
    from shortlist.catalog.benchmarks import list_benchmarks

    tasks = dict(TASKS)
    for spec in list_benchmarks():
        if spec.lm_eval_task and spec.lm_eval_task not in tasks:
            tasks[spec.lm_eval_task] = (spec.id, (f"{spec.metric},none",))
    return tasks


def sniff_json(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("results"), dict)


def _model_name(data: dict[str, Any]) -> str | None:
    args = (data.get("config") or {}).get("model_args")
    if isinstance(args, dict) and args.get("pretrained"):
        return str(args["pretrained"])
    if isinstance(args, str):
        for part in args.split(","):
            key, _, value = part.partition("=")
            if key.strip() == "pretrained" and value.strip():
                return value.strip()
    name = data.get("model_name")
    return str(name) if name else None


def _precision(data: dict[str, Any]) -> str:
    config = data.get("config") or {}
    args = config.get("model_args")
    dtype = None
    if isinstance(args, dict):
        dtype = args.get("dtype")
    elif isinstance(args, str):
        for part in args.split(","):
            key, _, value = part.partition("=")
            if key.strip() == "dtype":
                dtype = value.strip()
    dtype = dtype or config.get("model_dtype") or ""
    return str(dtype).removeprefix("torch.")


def _n_items(data: dict[str, Any], task: str) -> int | None:
    counts = data.get("n-samples") or {}
    if task in counts:
        return int(counts[task]["effective"])
    subtasks = (data.get("group_subtasks") or {}).get(task) or []
    total = sum(int(counts[t]["effective"]) for t in subtasks if t in counts)
    return total or None


def parse(path: Path, opts: Options, model: str | None = None) -> Parsed:
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path.name}: line {exc.lineno}: not valid JSON: {exc.msg}") from None
    if not sniff_json(data):
        raise BadInput(f"{path.name} has no 'results' object", "pass the results_<date>.json lm_eval wrote")
    name = model or _model_name(data)
    if not name:
        raise BadInput(f"{path.name} does not name its model (config.model_args has no pretrained=)")
    stamp = data.get("date")
    try:
        when = datetime.fromtimestamp(float(stamp), tz=UTC) if stamp is not None else None
    except (TypeError, ValueError, OverflowError):
        raise BadInput(f"{path.name}: 'date' is not a UNIX timestamp: {stamp!r}") from None
    source_date = snapshot_date(path, opts.date) if opts.date or not when else when.date().isoformat()
    run = when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else source_date
    values: dict[str, float] = {}
    stderr: dict[str, float] = {}
    n: dict[str, int] = {}
    notes: list[str] = []
    groups = data.get("groups") or {}
    merged = {t: {**data["results"].get(t, {}), **groups.get(t, {})} for t in {**data["results"], **groups}}
    subtasks = {t for subs in (data.get("group_subtasks") or {}).values() for t in subs}
    tasks = _registry_tasks()
    for task, metrics in merged.items():
        if task not in tasks:
            if task not in subtasks:  # a group's subtasks are scored through the group
                notes.append(f"skipped {task} (no registry benchmark)")
            continue
        bench, keys = tasks[task]
        if not all(isinstance(metrics.get(k), (int, float)) for k in keys):
            notes.append(f"skipped {task} (no {' / '.join(keys)})")
            continue
        values[bench] = sum(float(metrics[k]) for k in keys) / len(keys)
        errs = [metrics.get(k.replace(",", "_stderr,", 1)) for k in keys]
        if all(isinstance(e, (int, float)) for e in errs):
            stderr[bench] = sum(float(e) for e in errs) / len(errs)  # type: ignore[arg-type]
        items = _n_items(data, task)
        if items:
            n[bench] = items
    if not values:
        known = ", ".join(sorted(tasks))
        raise BadInput(f"{path.name} has no results for a known task (found: {', '.join(merged) or 'none'})",
                       f"known lm-eval tasks: {known}")
    row = Row(name, _precision(data), values, 1, stderr=stderr, n=n)
    return Parsed(opts.source or f"lm_eval:{name}@{run}", source_date, FORMAT, [row], 1, notes)
