"""Any CSV, with a column mapping from the user: `--map model=Model,ifeval=IF score --scale 100`.

Keys of the mapping are `model` (required), `precision` (optional) and benchmark ids or aliases;
values are the CSV's column names. `--scale 100` divides every score by 100 (0..100 -> 0..1). Without
--scale, a fraction-scale column whose values lie in 0..100 with some above 1 is read as percentages (and
the import says so); anything else out of range is an error naming the line (importers.check_ranges).
"""

from __future__ import annotations

from pathlib import Path

from shortlist.catalog.importers.base import (
    CsvTable,
    Options,
    Parsed,
    Row,
    benchmark_id,
    model_name,
    number,
    snapshot_date,
)
from shortlist.errors import BadInput

FORMAT = "csv"
_FIELDS = {"model", "precision"}


def parse_mapping(spec: str) -> dict[str, str]:
    """"model=Model,ifeval=IF score" -> {"model": "Model", "ifeval": "IF score"}."""
    mapping: dict[str, str] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        key, sep, column = part.partition("=")
        if not sep or not key.strip() or not column.strip():
            raise BadInput(f"--map entry '{part.strip()}' is not KEY=COLUMN", "e.g. --map model=Model,ifeval=IFEval")
        mapping[key.strip()] = column.strip()
    return mapping


def parse(path: Path, opts: Options) -> Parsed:
    if "model" not in opts.mapping:
        raise BadInput("a CSV import needs --map model=<column>", "e.g. --map model=Model,ifeval=IFEval")
    benches = {benchmark_id(k): c for k, c in opts.mapping.items() if k not in _FIELDS}
    if not benches:
        raise BadInput("--map names no benchmark column", "add e.g. ifeval=<column>")
    if opts.scale is not None and not 0 < opts.scale < float("inf"):
        raise BadInput(f"--scale must be a positive number, got {opts.scale}")
    scale = opts.scale or 1.0
    table = CsvTable(path)
    needed = [opts.mapping["model"], *benches.values()]
    if "precision" in opts.mapping:
        needed.append(opts.mapping["precision"])
    table.require(needed, "mapped")
    rows: list[Row] = []
    read = 0
    for line, rec in table.rows():
        read += 1
        name = model_name(path, line, opts.mapping["model"], rec[opts.mapping["model"]])
        values: dict[str, float] = {}
        for bench, column in benches.items():
            v = number(path, line, column, rec[column], optional=True)
            if v is not None:
                values[bench] = v / scale
        precision = rec[opts.mapping["precision"]].strip() if "precision" in opts.mapping else ""
        rows.append(Row(name, precision, values, line))
    notes = [] if opts.scale is not None else _detect_percent(rows, benches)
    source = opts.source or f"csv:{path.stem}"
    return Parsed(source, snapshot_date(path, opts.date), FORMAT, rows, read, notes)


def _detect_percent(rows: list[Row], benches: dict[str, str]) -> list[str]:
    """Columns of fractions published as 0..100 are divided by 100, in place; returns what was done."""
    from shortlist.catalog.benchmarks import get_benchmark

    notes = []
    for bench, column in benches.items():
        if get_benchmark(bench).scale != "fraction":
            continue
        seen = [r.values[bench] for r in rows if bench in r.values]
        if seen and all(0.0 <= v <= 100.0 for v in seen) and any(v > 1.0 for v in seen):
            for r in rows:
                if bench in r.values:
                    r.values[bench] /= 100.0
            notes.append(f"column '{column}' read as percentages (0-100) and divided by 100")
    return notes
