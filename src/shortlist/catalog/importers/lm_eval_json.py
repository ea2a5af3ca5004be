"""lm-evaluation-harness results JSON (the `results_<date>.json` that `lm_eval --output_path` writes).

Each lm-eval task maps to one registry benchmark and the metric the leaderboards report for it
(e.g. gsm8k -> exact_match with the strict-match filter; leaderboard_ifeval -> the mean of prompt-
and instruction-level strict accuracy, as the Open LLM Leaderboard v2 computes IFEval). Tasks
with no registry benchmark are listed in the import's notes, never guessed.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shortlist.catalog.importers.base import MAX_NAME, Options, Parsed, Row, read_text, snapshot_date
from shortlist.errors import FormatError, shown, single_line
from shortlist.files import MiB, load_json

FORMAT = "lm-eval"

def _registry_tasks() -> dict[str, tuple[str, tuple[str, ...]]]:
    """lm-eval task -> (benchmark id, metric keys averaged, in lm-eval's "metric,filter" spelling): the benchmark
    registry's one task -> metric map (catalog/data/benchmarks.yaml: lm_eval_task, lm_eval_metrics)."""
    from shortlist.catalog.benchmarks import task_metrics

    return {task: (m.benchmark, m.lm_eval_keys) for task, m in task_metrics().items()}


def _iso_time(stamp: str) -> float | None:
    try:
        when = datetime.fromisoformat(stamp.strip()[:64])
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


class LmEvalResultsError(FormatError):
    """An lm-eval results JSON whose fields are missing, of the wrong type or out of range."""

    format_name = "lm-eval results"


MAX_FILE = 64 * MiB
MAX_ITEMS = 10**9  # samples in one task: the largest benchmarks have about a million
MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z


def sniff_json(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("results"), dict)


class _Results:
    """Typed access to one results file, naming the file and the field in every error."""

    def __init__(self, path: Path, data: Any) -> None:
        self.path = path
        if not isinstance(data, dict):
            raise self.fail("", f"is {shown(data)}, expected a JSON object", "pass the results_<date>.json lm_eval "
                            "wrote")
        self.data = data

    def fail(self, field: str, problem: str, hint: str | None = None) -> LmEvalResultsError:
        return LmEvalResultsError(self.path.name, field, problem, hint)

    def mapping(self, value: Any, field: str, required: bool = False) -> dict[str, Any]:
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise self.fail(field, f"is {shown(value)}, expected a JSON object",
                            "pass the results_<date>.json lm_eval wrote")
        return value

    def text(self, value: Any, field: str, max_len: int = MAX_NAME) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str) or len(value) > max_len or not value.isprintable():
            raise self.fail(field, f"is {shown(value)}, expected a string of at most {max_len} printable characters")
        return value

    def metrics(self, section: str) -> dict[str, dict[str, Any]]:
        """`results` or `groups`: task -> its metrics object."""
        raw = self.mapping(self.data.get(section), section, required=section == "results")
        for task, metrics in raw.items():
            self.mapping(metrics, f"{section}.{single_line(task, 60)}", required=True)
        return raw

    def subtasks(self) -> dict[str, list[str]]:
        raw = self.mapping(self.data.get("group_subtasks"), "group_subtasks")
        for group, subs in raw.items():
            if not isinstance(subs, list) or not all(isinstance(t, str) for t in subs):
                raise self.fail(f"group_subtasks.{single_line(group, 60)}",
                                f"is {shown(subs)}, expected a list of task names")
        return raw

    def counts(self) -> dict[str, int]:
        """`n-samples`: task -> the number of samples scored ("effective")."""
        out: dict[str, int] = {}
        for task, entry in self.mapping(self.data.get("n-samples"), "n-samples").items():
            field = f"n-samples.{single_line(task, 60)}"
            if not isinstance(entry, dict) or "effective" not in entry:
                raise self.fail(field, f"is {shown(entry)}, expected an object with 'effective' and 'original' "
                                "sample counts")
            n = entry["effective"]
            if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_ITEMS:
                raise self.fail(f"{field}.effective", f"is {shown(n)}, expected a sample count from 0 to "
                                f"{MAX_ITEMS:,}")
            out[task] = n
        return out

    def when(self) -> datetime | None:
        stamp = self.data.get("date")
        if stamp is None:
            return None
        try:
            value = float(stamp) if not isinstance(stamp, bool) and isinstance(stamp, (int, float, str)) else None
        except ValueError:
            value = _iso_time(stamp)  # older shortlist exports wrote an ISO date
        if value is None or not 0 <= value <= MAX_TIMESTAMP:
            raise self.fail("date", f"is {shown(stamp)}, expected a UNIX timestamp or an ISO 8601 date")
        return datetime.fromtimestamp(value, tz=UTC)

    def model_name(self) -> str | None:
        config = self.mapping(self.data.get("config"), "config")
        fallback = self.text(self.data.get("model_name"), "model_name")  # checked even when unused
        args = config.get("model_args")
        if isinstance(args, dict):
            name = self.text(args.get("pretrained"), "config.model_args.pretrained")
            if name:
                return name
        elif isinstance(args, str):
            for part in args[:10_000].split(","):
                key, _, value = part.partition("=")
                if key.strip() == "pretrained" and value.strip():
                    return self.text(value.strip(), "config.model_args (pretrained=)")
        elif args is not None:
            raise self.fail("config.model_args", f"is {shown(args)}, expected an object or a key=value string")
        return fallback

    def precision(self) -> str:
        config = self.mapping(self.data.get("config"), "config")
        args = config.get("model_args")
        dtype: Any = None
        if isinstance(args, dict):
            dtype = args.get("dtype")
        elif isinstance(args, str):
            for part in args[:10_000].split(","):
                key, _, value = part.partition("=")
                if key.strip() == "dtype":
                    dtype = value.strip()
        dtype = dtype or config.get("model_dtype")
        return (self.text(dtype, "config (dtype)", 40) or "").removeprefix("torch.")

    def number(self, metrics: dict[str, Any], task: str, key: str, section: str,
               missing_if_nan: bool = False) -> float | None:
        """A metric value: None when absent or a placeholder string ("N/A"); an error when not finite."""
        value = metrics.get(key)
        if value is None or isinstance(value, str) or (missing_if_nan and isinstance(value, float) and value != value):
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(f"{section}.{single_line(task, 60)}.{key}", f"is {shown(value)}, expected a finite number")
        return float(value)


def _n_items(task: str, counts: dict[str, int], subtasks: dict[str, list[str]]) -> int | None:
    if task in counts:
        return counts[task]
    total = sum(counts[t] for t in subtasks.get(task, ()) if t in counts)
    return total or None


def parse(path: Path, opts: Options, model: str | None = None) -> Parsed:
    text = read_text(path, MAX_FILE)  # results files without samples are well under 1 MB
    r = _Results(path, load_json(text, Path(path.name), LmEvalResultsError, max_depth=32))
    if not sniff_json(r.data):
        raise r.fail("results", "missing, expected an object of task -> metrics",
                     "pass the results_<date>.json lm_eval wrote")
    results, groups = r.metrics("results"), r.metrics("groups")
    subtasks, counts = r.subtasks(), r.counts()
    name = model or r.model_name()
    if not name:
        raise r.fail("config.model_args", "the file does not name its model (no pretrained=, no model_name)",
                     "add model_name to the file")
    when = r.when()
    source_date = snapshot_date(path, opts.date) if opts.date or not when else when.date().isoformat()
    run = when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else source_date
    values: dict[str, float] = {}
    stderr: dict[str, float] = {}
    n: dict[str, int] = {}
    notes: list[str] = []
    in_groups = {t for subs in subtasks.values() for t in subs}
    tasks = _registry_tasks()
    for task in {**results, **groups}:
        section = "groups" if task in groups else "results"
        metrics = {**results.get(task, {}), **groups.get(task, {})}
        if task not in tasks:
            if task not in in_groups:  # a group's subtasks are scored through the group
                notes.append(f"skipped {single_line(task, 60)} (no registry benchmark)")
            continue
        bench, keys = tasks[task]
        scores = [r.number(metrics, task, k, section) for k in keys]
        if any(v is None for v in scores):
            notes.append(f"skipped {task} (no {' / '.join(keys)})")
            continue
        values[bench] = sum(scores) / len(scores)  # type: ignore[arg-type]
        # lm-eval writes "N/A" (or NaN) when it could not compute a standard error: no stderr then
        errs = [r.number(metrics, task, k.replace(",", "_stderr,", 1), section, missing_if_nan=True) for k in keys]
        if all(e is not None for e in errs):
            if any(e < 0 for e in errs):  # type: ignore[operator]
                raise r.fail(f"{section}.{task}", f"a standard error is negative ({errs}), expected >= 0")
            stderr[bench] = sum(errs) / len(errs)  # type: ignore[arg-type]
        items = _n_items(task, counts, subtasks)
        if items:
            n[bench] = items
    if not values:
        known = ", ".join(sorted(tasks))
        found = ", ".join(single_line(t, 40) for t in list({**results, **groups})[:10]) or "none"
        raise r.fail("results", f"no results for a known task (found: {found})", f"known lm-eval tasks: {known}")
    row = Row(name, r.precision(), values, 1, stderr=stderr, n=n)
    return Parsed(opts.source or f"lm_eval:{name}@{run}", source_date, FORMAT, [row], 1, notes)
