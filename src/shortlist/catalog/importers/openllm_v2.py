"""Open LLM Leaderboard v2: the `contents` dataset's own columns, its flattened CSV, or its parquet.

Raw scores (`X Raw`, `evaluations_x_value`) are stored as 0..1 fractions; the normalized 0..100
columns are derived from them and not stored. In the flattened CSV the column
`features_is_not_available_on_hub` carries the dataset's "Available on the hub" value despite its
name (it reads TRUE for meta-llama/Llama-2-7b-hf and Qwen/Qwen2.5-72B-Instruct), so it is read as
availability.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from shortlist.catalog.importers.base import (
    CsvTable,
    LeaderboardFileError,
    Options,
    Parsed,
    Row,
    check_header,
    flag,
    model_name,
    number,
    opt_str,
    require_columns,
    snapshot_date,
)
from shortlist.catalog.scores import LeaderboardModel
from shortlist.errors import MissingExtra
from shortlist.files import require_file

FORMAT = "v2"
SOURCE = "open_llm_leaderboard_v2"

# benchmark id -> (contents column, flattened column)
BENCHMARKS = {
    "ifeval": ("IFEval Raw", "evaluations_ifeval_value"),
    "bbh": ("BBH Raw", "evaluations_bbh_value"),
    "math_lvl5": ("MATH Lvl 5 Raw", "evaluations_math_value"),
    "gpqa": ("GPQA Raw", "evaluations_gpqa_value"),
    "musr": ("MUSR Raw", "evaluations_musr_value"),
    "mmlu_pro": ("MMLU-PRO Raw", "evaluations_mmlu_pro_value"),
}
# fact -> (contents column, flattened column)
FACTS = {
    "name": ("fullname", "model_name"),
    "precision": ("Precision", "model_precision"),
    "average": ("Average ⬆️", "model_average_score"),
    "architecture": ("Architecture", "model_architecture"),
    "license": ("Hub License", "metadata_hub_license"),
    "params_b": ("#Params (B)", "metadata_params_billions"),
    "available": ("Available on the hub", "features_is_not_available_on_hub"),
    "moe": ("MoE", "features_is_moe"),
    "flagged": ("Flagged", "features_is_flagged"),
    "merged": ("Merged", "features_is_merged"),
    "official": ("Official Providers", "features_is_official_provider"),
    "chat_template": ("Chat Template", "model_has_chat_template"),
    "base_model": ("Base Model", "metadata_base_model"),
}
REQUIRED = ("name", "precision")


def sniff(header: list[str]) -> bool:
    cols = set(header)
    return "evaluations_ifeval_value" in cols or ("IFEval Raw" in cols and "fullname" in cols)


def _spelling(header: list[str]) -> int:
    """0 for the dataset's own column names, 1 for the flattened CSV's."""
    return 1 if "model_name" in header or "evaluations_ifeval_value" in header else 0


def parse(path: Path, opts: Options) -> Parsed:
    if path.suffix.lower() == ".parquet":
        return _parse_records(path, *_read_parquet(path), opts)
    table = CsvTable(path)
    return _parse_records(path, table.header, table.rows(), opts)


MAX_PARQUET_ROWS = 5_000_000  # the real contents dataset has about 4,600 rows
MAX_PARQUET_CELLS = 100_000_000


def _read_parquet(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """A parquet file's columns and rows, its schema and size checked before any row is decoded.

    Why check first: parquet compresses, so a small file can declare billions of rows; and pyarrow's own
    errors span many lines (a duplicated column prints the whole schema).
    """
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingExtra("pyarrow", "hub") from None
    size = require_file(path, LeaderboardFileError, "a parquet file")
    try:
        pf = pq.ParquetFile(path)
        names = list(pf.schema_arrow.names)
        rows, cells = pf.metadata.num_rows, pf.metadata.num_rows * max(1, len(names))
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ValueError, ... for damaged files
        raise LeaderboardFileError(path.name, "", f"not a readable parquet file ({_first_line(exc)})",
                                   "export the table again") from None
    check_header(path, names)
    if rows > MAX_PARQUET_ROWS or cells > MAX_PARQUET_CELLS:
        raise LeaderboardFileError(path.name, "num_rows", f"{rows:,} rows x {len(names):,} columns in a {size:,}-byte "
                                   f"file, expected at most {MAX_PARQUET_ROWS:,} rows and {MAX_PARQUET_CELLS:,} cells",
                                   "split the file")
    try:
        data = pf.read()
    except Exception as exc:
        raise LeaderboardFileError(path.name, "", f"not a readable parquet file ({_first_line(exc)})",
                                   "export the table again") from None

    def records() -> Iterator[tuple[int, dict[str, str]]]:
        for i, batch in enumerate(data.to_batches(max_chunksize=4096)):
            try:
                recs = batch.to_pylist()
            except Exception as exc:  # e.g. string data that is not UTF-8
                raise LeaderboardFileError(path.name, f"rows {i * 4096 + 1}-{i * 4096 + batch.num_rows}",
                                           f"unreadable values ({_first_line(exc)})", "export the table again",
                                           ) from None
            for j, rec in enumerate(recs, start=1):
                yield i * 4096 + j, {k: "" if v is None else str(v) for k, v in rec.items()}

    return names, records()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:160]}" if text else type(exc).__name__


def _parse_records(
    path: Path, header: list[str], records: Iterable[tuple[int, dict[str, str]]], opts: Options
) -> Parsed:
    which = _spelling(header)
    col = {fact: names[which] for fact, names in FACTS.items()}
    bench_cols = {bench: names[which] for bench, names in BENCHMARKS.items()}
    needed = [col[f] for f in REQUIRED] + list(bench_cols.values())
    require_columns(path, header, needed, "Open LLM Leaderboard v2")
    present = set(header)
    rows: list[Row] = []
    read = 0
    for line, rec in records:
        read += 1

        def get(fact: str, rec: dict[str, str] = rec) -> str | None:
            return rec.get(col[fact]) if col[fact] in present else None

        values = {b: number(path, line, c, rec[c]) for b, c in bench_cols.items()}
        name = model_name(path, line, col["name"], get("name"))
        params = get("params_b")
        facts = LeaderboardModel(
            name=name,
            params_b=number(path, line, col["params_b"], params, optional=True) if params is not None else None,
            architecture=opt_str(get("architecture")),
            license=opt_str(get("license")),
            is_merged=flag(get("merged")),
            is_flagged=flag(get("flagged")),
            is_moe=flag(get("moe")),
            is_official=flag(get("official")),
            available_on_hub=flag(get("available")) if get("available") is not None else True,
            base_model=opt_str(get("base_model")),
            chat_template=flag(get("chat_template")) if get("chat_template") is not None else None,
        )
        avg = get("average")
        rows.append(
            Row(
                name=name,
                precision=(get("precision") or "").strip(),
                values=values,  # type: ignore[arg-type]
                line=line,
                weight=number(path, line, col["average"], avg, optional=True) if avg is not None else None,
                facts=facts,
            )
        )
    return Parsed(opts.source or SOURCE, snapshot_date(path, opts.date), FORMAT, rows, read)
