"""Tasks from the user's own data: a JSONL/CSV file, described by a YAML/TOML task file or used bare.

Custom tasks implement the same Task protocol as the built-ins, so the engine runs them unchanged.
Everything is read and checked when the file is loaded, before any model is contacted, and every
problem names the file and, for data rows, the line. docs/custom-tasks.md documents the format.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from shortlist.errors import NotFound, shown
from shortlist.evaluate import metrics as M
from shortlist.evaluate.fewshot import Sampler
from shortlist.evaluate.prompts import Prompter
from shortlist.evaluate.protocol import PLAIN, PromptFormat
from shortlist.evaluate.scoring import Sample, Scorer, make_scorer
from shortlist.evaluate.spec import GenerationKwargs, MetricSpec, TaskSpec
from shortlist.evaluate.task_files import (
    DATA_SUFFIXES,
    MAX_DEPTH,
    TaskFileError,
    check_template,
    data_path,
    fields_setting,
    int_setting,
    parse_config,
    read_rows,
    scalar_cell,
    text_setting,
    until_setting,
)
from shortlist.evaluate.tasks import list_tasks
from shortlist.evaluate.types import GenerationInstance, Instance, LoglikelihoodResult, MultipleChoiceInstance
from shortlist.files import file_kind, load_json
from shortlist.names import suggest

TASK_SUFFIXES = (".yaml", ".yml", ".toml")
MAX_TASKS = 1_000  # tasks in one file
DEFAULT_PROMPT = {"multiple_choice": "Question: {question}\nAnswer:", "generate": "{prompt}"}
LETTERS = string.ascii_uppercase
KEYS = {
    "name", "data", "type", "prompt", "description", "target_delimiter", "fewshot_delimiter", "num_fewshot",
    "fewshot_data", "fewshot_seed", "fields", "choice_format", "answer_index_base", "until", "max_tokens",
    "scorers", "judge", "version",
}
Doc = dict[str, Any]
__all__ = ["CustomTask", "TaskConfig", "TaskFileError", "is_task_file", "load_task_file", "read_rows"]


def is_task_file(name: str) -> bool:
    """Whether a --tasks entry names a custom task file rather than a built-in task."""
    return name.lower().endswith(TASK_SUFFIXES + DATA_SUFFIXES) or "/" in name or "\\" in name


# --- task configuration ----------------------------------------------------------------------


@dataclass
class TaskConfig:
    name: str
    data: Path
    type: Literal["multiple_choice", "generate"]
    source: Path  # the task file (or the data file when used bare)
    prompt: str = ""
    description: str = ""
    target_delimiter: str = " "
    fewshot_delimiter: str = "\n\n"
    num_fewshot: int = 0
    fewshot_data: Path | None = None
    fields: dict[str, str] = field(default_factory=dict)
    choice_format: Literal["text", "letter"] = "text"
    answer_index_base: int = 0
    until: tuple[str, ...] = ("\n\n",)
    max_tokens: int = 256
    scorers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fewshot_seed: int = 1234           # lm-eval's default seed for random few-shot draws
    version: str = ""                  # the author's own version label, part of the task version


def load_task_file(path: str | Path, judge_backend: Any = None) -> list[CustomTask]:
    """Tasks from a YAML/TOML task file (one task, or several under `tasks`), or one bare data file."""
    path = Path(path).expanduser()
    kind = file_kind(path)
    if kind is None:
        raise NotFound(f"task file {path} does not exist", "pass a .yaml/.toml task file or a .jsonl/.csv data file")
    if kind != "file":
        raise TaskFileError(path, "", f"is {'a folder' if kind == 'folder' else 'not a regular file'}, expected a "
                            "task file", "pass a .yaml/.toml task file or a .jsonl/.csv data file")
    suffix = path.suffix.lower()
    if suffix in DATA_SUFFIXES:
        return [_bare(path, judge_backend)]
    if suffix not in TASK_SUFFIXES:
        raise TaskFileError(path, "", f"unknown task file type '{suffix}'", "use .yaml, .toml, .jsonl or .csv")
    raw = parse_config(path)
    entries = raw.get("tasks") if isinstance(raw, dict) and "tasks" in raw else [raw]
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise TaskFileError(path, "", f"holds {shown(raw)}, expected a mapping of task settings (or `tasks:` with "
                            "a list of them)")
    if len(entries) > MAX_TASKS:
        raise TaskFileError(path, "tasks", f"lists {len(entries):,} tasks, expected at most {MAX_TASKS:,}")
    tasks = [CustomTask(_config(path, e, i if len(entries) > 1 else None), judge_backend)
             for i, e in enumerate(entries)]
    seen: set[str] = set()
    for t in tasks:
        if t.name in seen:
            raise TaskFileError(path, "name", f"two tasks are named '{t.name}'", "give each task its own name")
        seen.add(t.name)
    return tasks


def _bare(path: Path, judge_backend: Any) -> CustomTask:
    """A data file on its own: rows with `choices` are multiple choice, others generative (exact, f1)."""
    first = read_rows(path)[0][1]
    kind = "multiple_choice" if "choices" in first or _letter_columns(first) else "generate"
    entry: dict[str, Any] = {"name": path.stem, "data": path.name, "type": kind}
    return CustomTask(_config(path.parent / (path.name + ".task"), entry, None, source=path), judge_backend)


def _config(path: Path, e: dict[str, Any], index: int | None, source: Path | None = None) -> TaskConfig:
    where = f"{source or path}" + (f" (task {index + 1})" if index is not None else "")
    for key in e:
        if key not in KEYS:
            close = suggest(str(key), KEYS)
            raise TaskFileError(where, "", f"unknown key {shown(key)}", f"did you mean: {', '.join(close)}?" if close
                                else f"known keys: {', '.join(sorted(KEYS))}")
    name = text_setting(where, "name", e["name"], 100) if e.get("name") is not None else path.stem
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
        raise TaskFileError(where, "name", f"task name {shown(name)} may use only letters, digits, '_', '-' and '.'")
    if name in list_tasks():
        raise TaskFileError(where, "name", f"'{name}' is a built-in task's name", "give your task another name")
    if "data" not in e:
        raise TaskFileError(where, "data", "missing, expected the JSONL or CSV file, relative to the task file")
    kind = text_setting(where, "type", e.get("type", "multiple_choice"), 40).replace("-", "_")
    kind = {"generate_until": "generate", "generative": "generate", "mc": "multiple_choice"}.get(kind, kind)
    if kind not in ("multiple_choice", "generate"):
        raise TaskFileError(where, "type", f"unknown type {shown(e['type'])}", "use multiple_choice or generate")
    cfg = TaskConfig(name=name, data=data_path(path, "data", e["data"]), type=kind,  # type: ignore[arg-type]
                     source=source or path)
    cfg.prompt = text_setting(where, "prompt", e.get("prompt", DEFAULT_PROMPT[kind]))
    for key in ("description", "target_delimiter", "fewshot_delimiter"):
        if key in e:
            setattr(cfg, key, text_setting(where, key, e[key]))
    for key in ("num_fewshot", "answer_index_base", "max_tokens"):
        if key in e:
            setattr(cfg, key, int_setting(where, key, e[key]))
    if "fewshot_seed" in e:
        cfg.fewshot_seed = int_setting(where, "fewshot_seed", e["fewshot_seed"])
    if "version" in e:
        cfg.version = text_setting(where, "version", e["version"], 100)
    if "fewshot_data" in e:
        cfg.fewshot_data = data_path(path, "fewshot_data", e["fewshot_data"])
    cfg.fields = fields_setting(where, e.get("fields", {}))
    cfg.choice_format = e.get("choice_format", "text")
    if cfg.choice_format not in ("text", "letter"):
        raise TaskFileError(where, "choice_format", f"is {shown(cfg.choice_format)}, expected 'text' or 'letter'")
    if "until" in e:
        cfg.until = until_setting(where, e["until"])
    cfg.scorers = _scorer_list(where, kind, e.get("scorers"), e.get("judge"))
    check_template(where, cfg.prompt, kind)
    return cfg


def _scorer_list(where: str, kind: str, raw: Any, judge: Any) -> list[tuple[str, dict[str, Any]]]:
    if kind == "multiple_choice":
        if raw:
            raise TaskFileError(where, "scorers", "apply to generate tasks only",
                                "multiple_choice tasks report acc and acc_norm")
        return []
    if raw is None:
        raw = ["exact", "f1"] if judge is None else ["judge"]
    if isinstance(raw, str):
        raw = [s.strip() for s in raw.split(",") if s.strip()]
    if not isinstance(raw, list) or len(raw) > 20:
        raise TaskFileError(where, "scorers", f"is {shown(raw)}, expected a list of up to 20 scorers")
    out: list[tuple[str, dict[str, Any]]] = []
    for item in raw:
        if isinstance(item, str):
            out.append((item, {}))
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            out.append((item["name"], {str(k): v for k, v in item.items() if k != "name"}))
        else:
            raise TaskFileError(where, "scorers", f"each scorer is a name or a mapping with 'name', got {shown(item)}")
    if judge is not None:
        if not isinstance(judge, dict):
            raise TaskFileError(where, "judge", f"is {shown(judge)}, expected a mapping of judge settings (model, "
                                "mode, rubric, max_tokens)")
        if not any(n == "judge" for n, _ in out):
            out.append(("judge", {}))
        out = [(n, {**{str(k): v for k, v in judge.items()}, **o} if n == "judge" else o) for n, o in out]
    for n, o in out:  # validate names and options now; the judge connects only when it scores
        make_scorer(n, o, where)
    return out


def _letter_columns(row: dict[str, Any]) -> list[str]:
    cols = []
    for letter in LETTERS:
        if letter not in row:
            break
        cols.append(letter)
    return cols if len(cols) >= 2 else []


# --- the task --------------------------------------------------------------------------------


class CustomTask:
    """Task protocol over validated rows of the user's file."""

    def __init__(self, cfg: TaskConfig, judge_backend: Any = None) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.output_type: Literal["multiple_choice", "generate_until"] = (
            "multiple_choice" if cfg.type == "multiple_choice" else "generate_until")
        self.default_fewshot = cfg.num_fewshot
        self.scorers: list[Scorer] = []
        for n, o in cfg.scorers:
            opts = {**o, "backend": judge_backend} if n == "judge" and judge_backend is not None else o
            self.scorers.append(make_scorer(n, opts, str(cfg.source)))
        self.docs = self._docs(cfg.data)
        self.fewshot_pool = self._docs(cfg.fewshot_data) if cfg.fewshot_data else None
        self._check_fewshot(cfg.num_fewshot)
        if cfg.type == "multiple_choice":
            self.metrics: tuple[str, ...] = ("acc", "acc_norm")
        else:
            self.metrics = tuple(m for s in self.scorers for m in s.metrics)
        # settings and data contents, not file locations: moving the files keeps the cached samples
        # (the seed shows in the prompts, the version label in the version: neither changes the hash)
        settings = {k: v for k, v in cfg.__dict__.items()
                    if k not in ("source", "data", "fewshot_data", "fewshot_seed", "version")}
        h = hashlib.sha256(json.dumps(settings, default=str, sort_keys=True).encode())
        for p in (cfg.data, cfg.fewshot_data):
            if p is not None:
                h.update(p.read_bytes())
        # the author's version label leads; the hash still changes with any setting or data edit
        self.version = f"{cfg.version}+{h.hexdigest()[:12]}" if cfg.version else "custom-" + h.hexdigest()[:12]
        self.fewshot_seed = cfg.fewshot_seed
        self.spec = self._spec()

    def __repr__(self) -> str:
        return f"<custom task {self.name} ({self.cfg.type}, {len(self.docs)} docs)>"

    # -- documents --------------------------------------------------------------------------------
    def _get(self, row: dict[str, Any], key: str, lineno: int, path: Path) -> Any:
        column = self.cfg.fields.get(key, key)
        if column not in row or row[column] is None:
            mapped = f" (column '{column}')" if column != key else ""
            raise TaskFileError(path, f"line {lineno}", f"missing field '{key}'{mapped}",
                                "map your column names with `fields:` in the task file")
        return row[column]

    def _docs(self, path: Path) -> list[Doc]:
        return [self._doc(row, lineno, path) for lineno, row in read_rows(path)]

    def _doc(self, row: dict[str, Any], lineno: int, path: Path) -> Doc:
        doc: Doc = {"line": lineno, "row": row}
        values = {k: row[k] for k in row}
        values.update({k: row[v] for k, v in self.cfg.fields.items() if v in row})
        line = f"line {lineno}"
        if self.cfg.type == "multiple_choice":
            doc["choices"] = self._choices(row, lineno, path)
            doc["gold"] = self._gold(self._get(row, "answer", lineno, path), doc["choices"], lineno, path)
            values["choices"] = "\n".join(f"{LETTERS[i]}. {c}" for i, c in enumerate(doc["choices"]))
        else:
            refs = self._get(row, "reference", lineno, path)
            refs = [refs] if not isinstance(refs, list) else refs
            if not refs or len(refs) > 1_000:
                raise TaskFileError(path, line, f"'reference' is {shown(refs)}, expected the answer or a list of up "
                                    "to 1,000 accepted answers")
            doc["references"] = [scalar_cell(path, lineno, "reference", r) for r in refs]
            needs_ref = any(s.name != "judge" for s in self.scorers)
            if needs_ref and not any(r.strip() for r in doc["references"]):
                raise TaskFileError(path, line, "empty reference", "every row needs the expected answer")
            for scorer in self.scorers:
                for r in doc["references"]:
                    try:
                        scorer.check_reference(r)
                    except ValueError as exc:
                        raise TaskFileError(path, line, str(exc)) from None
        try:
            doc["text"] = self.cfg.prompt.format_map(values)
        except KeyError as exc:
            raise TaskFileError(path, line, f"missing field {shown(exc.args[0])} (used by the prompt template)",
                                f"this row has: {', '.join(shown(k, 30) for k in list(row)[:20])}") from None
        except (ValueError, IndexError, AttributeError, TypeError) as exc:
            raise TaskFileError(path, line, f"cannot fill the prompt template ({exc})") from None
        return doc

    def _choices(self, row: dict[str, Any], lineno: int, path: Path) -> list[str]:
        column = self.cfg.fields.get("choices", "choices")
        if column not in row and not self.cfg.fields.get("choices") and (letters := _letter_columns(row)):
            return [scalar_cell(path, lineno, c, row[c]) for c in letters]
        raw = self._get(row, "choices", lineno, path)
        if isinstance(raw, str):
            try:
                raw = load_json(raw, path, TaskFileError, max_depth=MAX_DEPTH, field=f"line {lineno}")
            except TaskFileError:
                raise TaskFileError(path, f"line {lineno}", "'choices' must be a list (in CSV, a JSON array such as "
                                    '["yes", "no"])', "or give columns A, B, C, ...") from None
        if isinstance(raw, dict) and isinstance(raw.get("text"), list):
            raw = raw["text"]
        if not isinstance(raw, list) or not 2 <= len(raw) <= len(LETTERS):
            raise TaskFileError(path, f"line {lineno}", f"'choices' is {shown(raw)}, expected a list of 2 to "
                                f"{len(LETTERS)} answers")
        return [scalar_cell(path, lineno, "choices", c) for c in raw]

    def _gold(self, answer: Any, choices: list[str], lineno: int, path: Path) -> int:
        n = len(choices)
        line = f"line {lineno}"
        base = self.cfg.answer_index_base
        if isinstance(answer, bool) or not isinstance(answer, (int, str)):
            raise TaskFileError(path, line, f"answer {shown(answer)} must be an index, a letter or one of the "
                                "choices")
        if isinstance(answer, str):
            text = answer.strip()
            if text in choices:
                return choices.index(text)
            if len(text) == 1 and len(text.upper()) == 1 and text.upper() in LETTERS:
                idx = LETTERS.index(text.upper())
                if idx >= n:
                    raise TaskFileError(path, line, f"answer '{text}' is out of range for {n} choices "
                                        f"(A-{LETTERS[n - 1]})")
                return idx
            if not re.fullmatch(r"-?\d{1,9}", text):
                raise TaskFileError(path, line, f"answer {shown(text)} is not an index, a letter or one of the "
                                    "choices")
            answer = int(text)
        idx = answer - base
        if not 0 <= idx < n:
            raise TaskFileError(path, line, f"answer index {shown(answer)} is out of range for {n} choices "
                                f"({base}-{n - 1 + base})", "indices count from 0 (set answer_index_base: 1 for "
                                "1-based)")
        return idx

    def _check_fewshot(self, n: int) -> None:
        """Few-shot examples come from the pool (without the evaluated row when the pool is the data itself)."""
        available = len(self.fewshot_pool) if self.fewshot_pool is not None else len(self.docs) - 1
        if n > available:
            raise TaskFileError(self.cfg.source, "num_fewshot", f"is {n}, but only {max(available, 0)} rows are "
                                "there to draw examples from", "lower num_fewshot or add fewshot_data rows")

    def load_docs(self, data_dir: Any = None) -> list[Doc]:
        """The rows of the data file, in file order (data_dir does not apply to custom tasks)."""
        return list(self.docs)

    # -- instances -------------------------------------------------------------------------------
    def _answer(self, doc: Doc) -> str:
        if self.cfg.type == "multiple_choice":
            return self._continuation(doc["choices"], doc["gold"])
        return doc["references"][0]

    def _continuation(self, choices: list[str], i: int) -> str:
        return LETTERS[i] if self.cfg.choice_format == "letter" else choices[i]

    def _spec(self) -> TaskSpec:
        """The task in lm-eval's terms (the one task specification built-in tasks use too)."""
        cfg = self.cfg
        gen = GenerationKwargs(until=list(cfg.until), max_gen_toks=max(cfg.max_tokens, 1)) \
            if cfg.type == "generate" else None
        target = "gold" if cfg.type == "multiple_choice" else "references"
        return TaskSpec(task=cfg.name, output_type=self.output_type, doc_to_text="text", doc_to_target=target,
                        description=cfg.description, target_delimiter=cfg.target_delimiter,
                        fewshot_delimiter=cfg.fewshot_delimiter, num_fewshot=cfg.num_fewshot,
                        fewshot_seed=cfg.fewshot_seed, generation_kwargs=gen,
                        metric_list=[MetricSpec(metric=m) for m in self.metrics],
                        metadata={"version": self.version})

    def instances(self, docs: list[Doc], num_fewshot: int | None = None, limit: int | None = None,
                  fewshot_seed: int | None = None, prompt_format: PromptFormat | None = None) -> list[Instance]:
        n = self.default_fewshot if num_fewshot is None else num_fewshot
        docs = docs[:limit] if limit is not None else docs
        sampler = None
        self._check_fewshot(n)  # again: --num-fewshot may ask for more than the file does
        if n > 0:
            pool = self.fewshot_pool if self.fewshot_pool is not None else self.docs
            seed = self.cfg.fewshot_seed if fewshot_seed is None else fewshot_seed
            sampler = Sampler(pool, "random", seed, exclude_eval_doc=self.fewshot_pool is None)
        out: list[Instance] = []
        cfg = self.cfg
        for doc_id, doc in enumerate(docs):
            shots = sampler.sample(n, doc) if sampler is not None else []
            prompter = Prompter(cfg.description, [(s["text"], self._answer(s)) for s in shots], cfg.target_delimiter,
                                cfg.fewshot_delimiter, prompt_format or PLAIN)
            meta = {"line": doc["line"]}
            if cfg.type == "multiple_choice":
                conts = [self._continuation(doc["choices"], i) for i in range(len(doc["choices"]))]
                out.append(MultipleChoiceInstance(
                    task=self.name, doc_id=doc_id, context=prompter.context(doc["text"]),
                    continuations=tuple(prompter.continuation_delimiter + c for c in conts), gold=doc["gold"],
                    meta={**meta, "choices": conts}))
            else:
                out.append(GenerationInstance(
                    task=self.name, doc_id=doc_id, prompt=prompter.context(doc["text"]), until=cfg.until,
                    max_tokens=cfg.max_tokens, reference=doc["references"][0],
                    meta={**meta, "references": doc["references"], "question": doc["text"]}))
        return out

    # -- scoring ---------------------------------------------------------------------------------
    def process_results(self, instance: Instance, results: list[LoglikelihoodResult] | str) -> dict[str, float]:
        return self.process_results_batch([instance], [results])[0]

    def process_results_batch(self, instances: Sequence[Instance],
                              results: Sequence[list[LoglikelihoodResult] | str]) -> list[dict[str, float]]:
        """Score many docs at once, so a judge grades them in one concurrent batch."""
        if self.cfg.type == "multiple_choice":
            out = []
            for inst, res in zip(instances, results, strict=True):
                if not isinstance(inst, MultipleChoiceInstance) or isinstance(res, str):
                    raise TypeError("a multiple-choice task scores log-likelihood results")
                out.append(M.multiple_choice([r.logprob for r in res], inst.meta["choices"], int(inst.gold)))  # type: ignore[arg-type]
            return out
        samples = []
        for inst, res in zip(instances, results, strict=True):
            if not isinstance(inst, GenerationInstance) or not isinstance(res, str):
                raise TypeError("a generate task scores generated text")
            samples.append(Sample(res, tuple(inst.meta.get("references", [inst.reference])),
                                  inst.meta.get("question", inst.prompt)))
        per_doc: list[dict[str, float]] = [{} for _ in samples]
        for scorer in self.scorers:
            for d, scored in zip(per_doc, scorer.score(samples), strict=True):
                d.update(scored)
        return per_doc

    def aggregate(self, per_doc: list[dict[str, float]]) -> dict[str, float]:
        if self.cfg.type == "multiple_choice":
            return M.aggregate_means(per_doc, self.metrics)
        out: dict[str, float] = {}
        for scorer in self.scorers:
            out.update(scorer.aggregate(per_doc))
        out["n"] = float(len(per_doc))
        return out
