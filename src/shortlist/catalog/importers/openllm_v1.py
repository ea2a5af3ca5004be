"""Open LLM Leaderboard v1 (retired 2024): six benchmarks published as 0..100, stored as 0..1.

In the flattened snapshot the `merged`, `flagged` and `moe` columns hold the negation of their
names (meta-llama/Llama-2-7b-hf, a plain dense base model, reads TRUE for all three, and 7,060 of
7,169 rows read flagged=TRUE), so they are inverted on import.
"""

from __future__ import annotations

from pathlib import Path

from shortlist.catalog.importers.base import (
    CsvTable,
    Options,
    Parsed,
    Row,
    flag,
    model_name,
    number,
    opt_str,
    snapshot_date,
)
from shortlist.catalog.scores import LeaderboardModel

FORMAT = "v1"
SOURCE = "open_llm_leaderboard_v1"
BENCHMARKS = {
    "arc_challenge": "arc",
    "hellaswag": "hellaswag",
    "mmlu": "mmlu",
    "truthfulqa_mc2": "truthfulqa",
    "winogrande": "winogrande",
    "gsm8k": "gsm8k",
}


def sniff(header: list[str]) -> bool:
    return {"arc", "hellaswag", "truthfulqa", "winogrande"} <= set(header)


def parse(path: Path, opts: Options) -> Parsed:
    table = CsvTable(path)
    name_col = "fullname" if "fullname" in table.columns else "model"
    table.require([name_col, "precision", *BENCHMARKS.values()], "Open LLM Leaderboard v1")
    rows: list[Row] = []
    read = 0
    for line, rec in table.rows():
        read += 1
        name = model_name(path, line, name_col, rec[name_col])
        values = {b: number(path, line, c, rec[c]) / 100.0 for b, c in BENCHMARKS.items()}  # type: ignore[operator]
        facts = LeaderboardModel(
            name=name,
            params_b=number(path, line, "params_b", rec.get("params_b", ""), optional=True) or None,
            architecture=None if rec.get("architecture") in (None, "", "Unknown") else rec["architecture"],
            license=opt_str(rec.get("hub_license")),
            is_merged=not flag(rec.get("merged")) if "merged" in rec else False,
            is_flagged=not flag(rec.get("flagged")) if "flagged" in rec else False,
            is_moe=not flag(rec.get("moe")) if "moe" in rec else False,
            is_official=False,
            available_on_hub=flag(rec["available_on_the_hub"]) if "available_on_the_hub" in rec else True,
            base_model=None,
            chat_template=None,
        )
        avg = number(path, line, "average", rec.get("average", ""), optional=True)
        rows.append(Row(name, rec["precision"].strip(), values, line, weight=avg, facts=facts))
    return Parsed(opts.source or SOURCE, snapshot_date(path, opts.date), FORMAT, rows, read)
