"""Benchmark rows in the Hugging Face schema lm-eval reads, from local files or the Hub.

Lookup order: the `data_dir` argument, $SHORTLIST_DATA_DIR, the shared benchmarks folder beside
the checkout, then (unless HF_HUB_OFFLINE / HF_DATASETS_OFFLINE is set) `datasets.load_dataset`
with the dataset ids lm-eval 0.4.13 uses. Local files keep the original releases' layout (see
shared/data/benchmarks/PROVENANCE.md); each is converted to the HF row form here so that the
tasks see exactly the documents lm-eval sees, in the same order.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shortlist import hub_access, paths
from shortlist.errors import BadInput, MissingExtra, NotFound

Row = dict[str, Any]


def benchmarks_dir(data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The folder laid out like shared/data/benchmarks, or None when there is none."""
    if data_dir:
        return Path(data_dir)
    env = os.environ.get("SHORTLIST_DATA_DIR")
    if env:
        return Path(env)
    shared = paths.shared_data_dir()
    if shared is not None and (shared / "benchmarks").is_dir():
        return shared / "benchmarks"
    return None


def _offline() -> bool:
    return hub_access.offline_by_env("HF_DATASETS_OFFLINE")


# --- readers: one local file -> HF-schema rows -------------------------------------------------


def _read_jsonl(path: Path) -> list[Row]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _arc_rows(path: Path) -> list[Row]:
    """AI2's release nests choices under question; HF's ai2_arc flattens them (labels kept as-is)."""
    out: list[Row] = []
    for r in _read_jsonl(path):
        if isinstance(r.get("question"), dict):
            q = r["question"]
            r = {
                "id": r["id"],
                "question": q["stem"],
                "choices": {"text": [c["text"] for c in q["choices"]], "label": [c["label"] for c in q["choices"]]},
                "answerKey": r["answerKey"],
            }
        out.append(r)
    return out


def _hellaswag_rows(path: Path) -> list[Row]:
    rows = _read_jsonl(path)
    for r in rows:
        r["label"] = str(r["label"])  # HF stores the label as a string
    return rows


def _truthfulqa_rows(path: Path) -> list[Row]:
    """TruthfulQA v0 mc_task.json ({answer: 0|1} dicts) to HF's multiple_choice config."""
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    if path.suffix == ".jsonl" or not isinstance(raw, list):
        raise BadInput(f"{path} is not TruthfulQA's mc_task.json (a JSON list)", "use truthfulqa/v0/mc_task.json")

    def targets(d: Any) -> dict[str, list[Any]]:
        if isinstance(d, dict) and "choices" in d:
            return {"choices": list(d["choices"]), "labels": list(d["labels"])}
        return {"choices": list(d), "labels": [int(v) for v in d.values()]}

    return [
        {"question": r["question"], "mc1_targets": targets(r["mc1_targets"]), "mc2_targets": targets(r["mc2_targets"])}
        for r in raw
    ]


def _winogrande_rows(path: Path) -> list[Row]:
    keys = ("sentence", "option1", "option2", "answer")
    return [{k: str(r[k]) for k in keys} for r in _read_jsonl(path)]


def _bbh_rows(path: Path) -> list[Row]:
    """BIG-Bench Hard's bbh/<task>.json ({"examples": [{"input", "target"}]}) as HF SaylorTwift/bbh rows."""
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    examples = raw.get("examples") if isinstance(raw, dict) else raw
    if not isinstance(examples, list):
        raise BadInput(f"{path} is not a BIG-Bench Hard task file", 'expected {"examples": [{"input", "target"}]}')
    return [{"input": str(e["input"]), "target": str(e["target"])} for e in examples]


def _table_rows(path: Path) -> list[Row]:
    """A parquet file (the Hub's own format) as rows; needs pyarrow."""
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise MissingExtra("pyarrow", "hub") from exc
    return [dict(r) for r in pq.read_table(path).to_pylist()]


def _rows(path: Path) -> list[Row]:
    """JSONL (optionally gzipped), a JSON list, CSV (UTF-8, header line) or parquet, by the file's suffix."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        return _table_rows(path)
    if name.endswith(".csv"):
        import csv

        with open(path, encoding="utf-8-sig", newline="") as fh:
            return [dict(r) for r in csv.DictReader(fh)]
    if name.endswith(".json"):
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
        if not isinstance(raw, list):
            raise BadInput(f"{path} is not a JSON list of rows")
        return raw
    return _read_jsonl(path)


@functools.lru_cache(maxsize=16)
def _cached(reader: Callable[[Path], list[Row]], path: str, mtime_ns: int) -> tuple[Row, ...]:
    return tuple(reader(Path(path)))


@functools.lru_cache(maxsize=8)
def _by_subject(path: str, mtime_ns: int) -> dict[str, tuple[Row, ...]]:
    groups: dict[str, list[Row]] = {}
    for r in _read_jsonl(Path(path)):
        groups.setdefault(r["subject"], []).append(r)
    return {k: tuple(v) for k, v in groups.items()}


# --- the table of splits -----------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where one split lives: local file names (first existing wins) and the Hub id lm-eval loads."""

    local: tuple[str, ...]
    reader: Callable[[Path], list[Row]]
    hub_path: str
    hub_name: str | None
    hub_split: str
    title: str = ""          # the benchmark's name in messages
    gated: bool = False      # the authors gate the data: never shipped, the user supplies it
    where: Callable[[Row], bool] | None = None   # keep only these rows of the local file


def _arc(level: str, split: str, hub_split: str) -> Source:
    return Source((f"arc/ARC-{level}-{split}.jsonl",), _arc_rows, "allenai/ai2_arc", f"ARC-{level}", hub_split)


SOURCES: dict[tuple[str, str], Source] = {
    ("hellaswag", "validation"): Source(
        ("hellaswag/hellaswag_val.jsonl.gz", "hellaswag/hellaswag_val.jsonl"),
        _hellaswag_rows, "Rowan/hellaswag", None, "validation"),
    ("hellaswag", "train"): Source(
        ("hellaswag/hellaswag_train.jsonl.gz", "hellaswag/hellaswag_train.jsonl"),
        _hellaswag_rows, "Rowan/hellaswag", None, "train"),
    ("arc_easy", "test"): _arc("Easy", "Test", "test"),
    ("arc_easy", "train"): _arc("Easy", "Train", "train"),
    ("arc_easy", "validation"): _arc("Easy", "Dev", "validation"),
    ("arc_challenge", "test"): _arc("Challenge", "Test", "test"),
    ("arc_challenge", "train"): _arc("Challenge", "Train", "train"),
    ("arc_challenge", "validation"): _arc("Challenge", "Dev", "validation"),
    ("truthfulqa_mc", "validation"): Source(
        ("truthfulqa/v0/mc_task.json",), _truthfulqa_rows, "truthfulqa/truthful_qa", "multiple_choice", "validation"),
    ("winogrande", "validation"): Source(
        ("winogrande/winogrande_xl_validation.jsonl",), _winogrande_rows, "allenai/winogrande", "winogrande_xl",
        "validation"),
    ("winogrande", "train"): Source(
        ("winogrande/winogrande_xl_train.jsonl",), _winogrande_rows, "allenai/winogrande", "winogrande_xl", "train"),
    ("gsm8k", "test"): Source(("gsm8k/test.jsonl",), _read_jsonl, "openai/gsm8k", "main", "test"),
    ("gsm8k", "train"): Source(("gsm8k/train.jsonl",), _read_jsonl, "openai/gsm8k", "main", "train"),
}
for _split in ("test", "dev", "validation"):
    SOURCES[("mmlu", _split)] = Source((f"mmlu/mmlu_{_split}.jsonl",), _read_jsonl, "cais/mmlu", None, _split)

# --- Open LLM Leaderboard v2 (lm-eval 0.4.13 leaderboard_*): the Hub ids its task YAMLs load ---------------
BBH_TASKS = (
    "boolean_expressions", "causal_judgement", "date_understanding", "disambiguation_qa", "formal_fallacies",
    "geometric_shapes", "hyperbaton", "logical_deduction_five_objects", "logical_deduction_seven_objects",
    "logical_deduction_three_objects", "movie_recommendation", "navigate", "object_counting", "penguins_in_a_table",
    "reasoning_about_colored_objects", "ruin_names", "salient_translation_error_detection", "snarks",
    "sports_understanding", "temporal_sequences", "tracking_shuffled_objects_five_objects",
    "tracking_shuffled_objects_seven_objects", "tracking_shuffled_objects_three_objects", "web_of_lies",
)
for _t in BBH_TASKS:
    SOURCES[(f"bbh_{_t}", "test")] = Source((f"bbh/data/{_t}.json", f"bbh/{_t}.json", f"bbh/{_t}.jsonl"), _bbh_rows,
                                            "SaylorTwift/bbh", _t, "test", "BIG-Bench Hard")
SOURCES[("ifeval", "train")] = Source(("ifeval/input_data.jsonl",), _read_jsonl, "wis-k/instruction-following-eval",
                                      None, "train", "IFEval")
# MATH subject config -> the `type` of its rows in the original release
MATH_SUBJECTS = {
    "algebra": "Algebra", "counting_and_probability": "Counting & Probability", "geometry": "Geometry",
    "intermediate_algebra": "Intermediate Algebra", "number_theory": "Number Theory", "prealgebra": "Prealgebra",
    "precalculus": "Precalculus",
}
for _subject, _type in MATH_SUBJECTS.items():
    SOURCES[(f"math_{_subject}", "test")] = Source(
        ("math/math_test_level5_1324.jsonl", "math/math_test_5000.jsonl", f"math/{_subject}_test.jsonl"), _rows,
        "DigitalLearningGmbH/MATH-lighteval", _subject, "test", "MATH",
        where=lambda r, t=_type: r.get("type", t) == t)
SOURCES[("mmlu_pro", "test")] = Source(
    ("mmlu_pro/mmlu_pro_test.jsonl", "mmlu_pro/mmlu_pro_test_hf_early.parquet", "mmlu_pro/test.parquet"), _rows,
    "TIGER-Lab/MMLU-Pro", None, "test", "MMLU-Pro")
SOURCES[("mmlu_pro", "validation")] = Source(
    ("mmlu_pro/mmlu_pro_validation.jsonl", "mmlu_pro/mmlu_pro_validation.parquet", "mmlu_pro/validation.parquet"),
    _rows, "TIGER-Lab/MMLU-Pro", None, "validation", "MMLU-Pro")
MUSR_SPLITS = ("murder_mysteries", "object_placements", "team_allocation")
for _split in MUSR_SPLITS:
    SOURCES[("musr", _split)] = Source((f"musr/{_split}.jsonl", f"musr/{_split}.parquet", f"musr/{_split}.csv"), _rows,
                                       "TAUR-Lab/MuSR", None, _split, "MuSR")
for _subset in ("diamond", "extended", "main"):
    SOURCES[(f"gpqa_{_subset}", "train")] = Source(
        (f"gpqa/gpqa_{_subset}.csv", f"gpqa/gpqa_{_subset}.jsonl", f"gpqa/gpqa_{_subset}.parquet"), _rows,
        "Idavidrein/gpqa", f"gpqa_{_subset}", "train", "GPQA", gated=True)


def _local_file(source: Source, root: Path | None) -> Path | None:
    if root is None:
        return None
    for rel in source.local:
        if (root / rel).is_file():
            return root / rel
    return None


class HubUnreachable(Exception):
    """The Hub could not give the dataset (no network, no token for a gated set, no such config)."""


def _from_hub(source: Source, name: str | None) -> list[Row]:
    try:
        import datasets
    except ImportError as exc:
        raise MissingExtra("datasets", "hub") from exc
    unreachable = hub_access.unreachable()
    if unreachable:   # fail in a moment, not after the Hub client's retries
        raise HubUnreachable(unreachable)
    try:
        with hub_access.quiet_hub_logs():
            ds = datasets.load_dataset(source.hub_path, name, split=source.hub_split)
    except Exception as exc:   # network, auth and dataset errors come in many classes; all mean "not from here"
        raise HubUnreachable(f"the Hugging Face Hub did not give it ({type(exc).__name__})") from exc
    return [dict(r) for r in ds]


def _not_found(dataset: str, split: str, source: Source, root: Path | None, subject: str | None,
               why: str = "the Hugging Face Hub is offline") -> NotFound:
    hub = source.hub_path + (f" ({subject or source.hub_name})" if subject or source.hub_name else "")
    title = source.title or dataset
    missing = f"{root / source.local[0]} does not exist" if root is not None else "no data folder is set"
    if source.gated:
        return NotFound(
            f"{title} ({hub}, split '{source.hub_split}') is gated by its authors and not shipped: {missing} and "
            f"{why}",
            f"accept its terms on the Hub and pass --data-dir FOLDER holding {source.local[0]}, or go online with "
            "HF_TOKEN set")
    return NotFound(
        f"no local copy of {title} ({hub}, split '{source.hub_split}'): {missing} and {why}",
        f"pass --data-dir FOLDER holding {source.local[0]} (see shared/data/benchmarks/PROVENANCE.md for the "
        "layout), or " + ("unset HF_HUB_OFFLINE to read it from the Hub" if _offline() else "go online"),
    )


def has_split(dataset: str, split: str, data_dir: str | os.PathLike[str] | None = None) -> bool:
    """Whether a split can be read without the network (a local file exists)."""
    source = SOURCES.get((dataset, split))
    return source is not None and _local_file(source, benchmarks_dir(data_dir)) is not None


def load_split(
    dataset: str, split: str, data_dir: str | os.PathLike[str] | None = None, *, subject: str | None = None
) -> list[Row]:
    """Rows of one split in HF's schema and order; `subject` picks one MMLU subject."""
    try:
        source = SOURCES[(dataset, split)]
    except KeyError as exc:
        raise NotFound(f"no split '{split}' for dataset '{dataset}'") from exc
    root = benchmarks_dir(data_dir)
    local = _local_file(source, root)
    if local is not None:
        mtime = local.stat().st_mtime_ns
        if dataset == "mmlu":
            groups = _by_subject(str(local), mtime)
            if subject is None:
                return [dict(r) for rows in groups.values() for r in rows]
            if subject not in groups:
                raise NotFound(f"MMLU subject '{subject}' not in {local}", "the file needs a 'subject' field per row")
            return [dict(r) for r in groups[subject]]
        rows = _cached(source.reader, str(local), mtime)
        return [dict(r) for r in rows if source.where is None or source.where(r)]
    if _offline():
        raise _not_found(dataset, split, source, root, subject)
    try:
        return _from_hub(source, subject if dataset == "mmlu" else source.hub_name)
    except HubUnreachable as exc:
        raise _not_found(dataset, split, source, root, subject, str(exc)) from exc


def load_hub_split(path: str, name: str | None, split: str,
                   data_dir: str | os.PathLike[str] | None = None) -> list[Row]:
    """Rows of a split named as lm-eval's task YAML names it (dataset_path, dataset_name, split)."""
    for (dataset, key_split), source in SOURCES.items():
        if source.hub_path == path and source.hub_name == name and source.hub_split == split:
            return load_split(dataset, key_split, data_dir)
    if _offline():
        hub = path + (f" ({name})" if name else "")
        raise NotFound(f"no local copy of {hub} split '{split}' and the Hugging Face Hub is offline",
                       "unset HF_HUB_OFFLINE to read it from the Hub")
    try:
        return _from_hub(Source((), _read_jsonl, path, name, split), name)
    except HubUnreachable as exc:
        hub = path + (f" ({name})" if name else "")
        raise NotFound(f"no local copy of {hub} split '{split}' and {exc}",
                       "pass --data-dir FOLDER holding it, or check the network and HF_TOKEN") from exc
