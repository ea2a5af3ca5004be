"""Open LLM Leaderboard v1/v2 and LMArena imports from the real public snapshots."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from shortlist.catalog.importers import choose_rows, detect_format, import_file
from shortlist.catalog.importers.base import Options, Row
from shortlist.catalog.scores import load_scores
from shortlist.errors import BadInput
from shortlist.store import Store

V2 = "open_llm_leaderboard_v2_2025-03-21.csv"
V1 = "open_llm_leaderboard_v1_2024-07-13.csv"
ARENA = "lmarena_text_2025-08-06.csv"
CONTENTS_HEADER = (
    "eval_name,Precision,Type,T,Weight type,Architecture,Model,fullname,Model sha,Average ⬆️,Hub License,"
    "Hub ❤️,#Params (B),Available on the hub,MoE,Flagged,Chat Template,CO₂ cost (kg),IFEval Raw,IFEval,"
    "BBH Raw,BBH,MATH Lvl 5 Raw,MATH Lvl 5,GPQA Raw,GPQA,MUSR Raw,MUSR,MMLU-PRO Raw,MMLU-PRO,Merged,"
    "Official Providers,Upload To Hub Date,Submission Date,Generation,Base Model"
)
BENCH_KEYS = ("ifeval", "bbh", "math", "gpqa", "musr", "mmlu_pro")
TABLES = ("imports", "leaderboard_rows", "leaderboard_models", "scores")


def dump(store: Store) -> dict[str, list[tuple]]:
    return {t: sorted(tuple(r) for r in store.conn.execute(f"SELECT * FROM {t}")) for t in TABLES}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "lb.db")
    yield s
    s.close()


def test_v2_csv_stores_every_row_and_reimport_changes_nothing(shared_data: Path, store: Store) -> None:
    path = shared_data / "leaderboards" / V2
    assert detect_format(path) == "v2"
    report = import_file(store, path)
    assert report.rows_read == 4576 and report.rows_stored == 4576
    assert store.conn.execute("SELECT COUNT(*) FROM leaderboard_rows").fetchone()[0] == 4576
    # 4,497 distinct model names (79 appear at two precisions), 6 benchmarks each
    names = store.conn.execute("SELECT COUNT(DISTINCT name) FROM leaderboard_models").fetchone()[0]
    assert names == 4497
    n_scores = store.conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    assert n_scores == report.scores_stored
    assert store.conn.execute(
        "SELECT COUNT(*) FROM (SELECT model FROM scores GROUP BY model, benchmark, source HAVING COUNT(*) > 1)"
    ).fetchone()[0] == 0
    before = dump(store)
    again = import_file(store, path)
    assert again.rows_stored == 4576 and again.import_id == report.import_id
    assert dump(store) == before


def test_v2_values_are_raw_fractions_and_duplicates_keep_bfloat16(shared_data: Path, store: Store) -> None:
    import_file(store, shared_data / "leaderboards" / V2)
    table = load_scores(store)
    llama2 = table.for_model("meta-llama/Llama-2-7b-hf")
    # IFEval raw = mean(prompt-level 0.18484288354898337, instruction-level 0.31894484412470026), the two
    # figures of that model's published lm-eval details (HF forum thread on reproducing v2 scores)
    assert llama2["ifeval"].value == pytest.approx((0.18484288354898337 + 0.31894484412470026) / 2, abs=1e-12)
    assert llama2["ifeval"].source == "open_llm_leaderboard_v2" and llama2["ifeval"].origin == "imported"
    assert set(llama2) >= {"ifeval", "bbh", "math_lvl5", "gpqa", "musr", "mmlu_pro"}
    # AtAndDev/Qwen2.5-1.5B-continuous-learnt has a float16 row (avg 16.52) and a bfloat16 row (avg 17.48)
    rows = {r["model_precision"]: r for r in csv.DictReader((shared_data / "leaderboards" / V2).open())
            if r["model_name"] == "AtAndDev/Qwen2.5-1.5B-continuous-learnt"}
    s = table.for_model("AtAndDev/Qwen2.5-1.5B-continuous-learnt")
    assert s["bbh"].precision == "bfloat16"
    assert s["bbh"].value == pytest.approx(float(rows["bfloat16"]["evaluations_bbh_value"]))
    lb = table.leaderboard_models()
    assert "meta-llama/Llama-2-7b-hf" not in lb  # catalogued models carry catalog facts, not leaderboard ones
    matter = lb["0-hero/Matter-0.2-7B-DPO"]
    assert matter.params_b == pytest.approx(7.242) and matter.architecture == "MistralForCausalLM"
    assert matter.license == "apache-2.0" and not matter.is_merged and matter.base_model == "0-hero/Matter-0.2-7B-DPO"


def test_v1_scores_are_divided_by_100_and_flags_inverted(shared_data: Path, store: Store) -> None:
    path = shared_data / "leaderboards" / V1
    assert detect_format(path) == "v1"
    report = import_file(store, path)
    assert report.rows_read == 7169 and report.rows_stored == 7169
    s = load_scores(store).for_model("meta-llama/Llama-2-7b-hf")
    # the float16 row (ARC 53.07, HellaSwag 78.59, GSM8K 14.48) wins over the 4bit row (GSM8K 5.38)
    assert s["arc_challenge"].value == pytest.approx(0.5307)
    assert s["hellaswag"].value == pytest.approx(0.7859)
    assert s["gsm8k"].value == pytest.approx(0.1448) and s["gsm8k"].precision == "float16"
    row = store.conn.execute(
        "SELECT is_merged, is_moe, is_flagged FROM leaderboard_models WHERE name = 'meta-llama/Llama-2-7b-hf'"
    ).fetchone()
    assert tuple(row) == (0, 0, 0)


def test_lmarena_rating_ci_and_precision_suffix(shared_data: Path, store: Store) -> None:
    path = shared_data / "leaderboards" / ARENA
    assert detect_format(path) == "lmarena"
    report = import_file(store, path)
    assert report.rows_read == 266 and report.rows_stored == 265  # Yi-34B-Chat is listed twice, identically
    table = load_scores(store)
    s = table.for_model("meta-llama/Llama-3.1-405B-Instruct")["lmarena_text"]
    assert (s.value, s.precision) == (1286.0, "bfloat16")  # the -bf16 row, not the -fp8 one (1284)
    assert s.stderr == pytest.approx(3 / 1.959964, rel=1e-6)  # "+3/-3"
    assert table.for_model("Gemini-2.5-Pro")["lmarena_text"].value == 1470.0
    assert not table.leaderboard_models()["Gemini-2.5-Pro"].available_on_hub  # Proprietary


def _contents_csv(shared_data: Path, out: Path, names: list[str]) -> list[dict[str, str]]:
    """Real v2 rows rewritten under the `contents` dataset's own header (PROVENANCE.md)."""
    header = CONTENTS_HEADER.split(",")
    src = [r for r in csv.DictReader((shared_data / "leaderboards" / V2).open(encoding="utf-8"))
           if r["model_name"] in names]
    tf = {"TRUE": "True", "FALSE": "False"}
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in src:
            b = {k: r[f"evaluations_{k}_value"] for k in BENCH_KEYS}
            nb = {k: r[f"evaluations_{k}_normalized_score"] for k in BENCH_KEYS}
            w.writerow([
                r["id"], r["model_precision"], r["model_type"], "", r["model_weight_type"], r["model_architecture"],
                f'<a target="_blank" href="https://huggingface.co/{r["model_name"]}">{r["model_name"]}</a>',
                r["model_name"], r["model_sha"], r["model_average_score"], r["metadata_hub_license"],
                r["metadata_hub_hearts"], r["metadata_params_billions"], tf[r["features_is_not_available_on_hub"]],
                tf[r["features_is_moe"]], tf[r["features_is_flagged"]], tf[r["model_has_chat_template"]],
                r["metadata_co2_cost"], b["ifeval"], nb["ifeval"], b["bbh"], nb["bbh"], b["math"], nb["math"],
                b["gpqa"], nb["gpqa"], b["musr"], nb["musr"], b["mmlu_pro"], nb["mmlu_pro"],
                tf[r["features_is_merged"]], tf[r["features_is_official_provider"]], r["metadata_upload_date"],
                r["metadata_submission_date"], r["metadata_generation"], r["metadata_base_model"],
            ])
    return src


def test_contents_spelling_imports_like_the_flat_csv(shared_data: Path, store: Store, tmp_path: Path) -> None:
    names = ["meta-llama/Llama-2-7b-hf", "mistralai/Mixtral-8x7B-v0.1", "0-hero/Matter-0.2-7B-DPO"]
    path = tmp_path / "contents_2025-03-21.csv"
    src = _contents_csv(shared_data, path, names)
    assert len(src) == 4  # Mixtral-8x7B-v0.1 has a bfloat16 and a float16 row
    assert detect_format(path) == "v2"
    report = import_file(store, path)
    assert (report.rows_read, report.rows_stored, report.scores_stored) == (4, 4, 18)
    mix = load_scores(store).for_model("mistralai/Mixtral-8x7B-v0.1")
    assert mix["ifeval"].precision == "bfloat16"
    assert mix["ifeval"].value == pytest.approx(0.24152692633324)  # the bfloat16 row's raw IFEval
    facts = load_scores(store).leaderboard_models()["0-hero/Matter-0.2-7B-DPO"]
    assert facts.params_b == pytest.approx(7.242) and facts.chat_template is True


def test_rank_rule_prefers_official_then_exact_then_bf16_then_average() -> None:
    a = Row("org/x", "float16", {"ifeval": 0.1}, 2, weight=30.0)
    b = Row("org/x", "bfloat16", {"ifeval": 0.2}, 3, weight=10.0)
    c = Row("org/x", "4bit", {"ifeval": 0.3}, 4, weight=50.0)
    assert choose_rows([a, b, c], {})["org/x"] is b
    d = Row("org/X-old-name", "bfloat16", {"ifeval": 0.4}, 5, weight=99.0)
    assert choose_rows([a, d], {"org/X-old-name": "org/x"})["org/x"] is a  # the exact id beats an old spelling


def test_missing_columns_are_named_and_store_unchanged(shared_data: Path, store: Store, tmp_path: Path) -> None:
    import_file(store, shared_data / "leaderboards" / ARENA)
    before = dump(store)
    bad = tmp_path / "v2_cut.csv"
    lines = (shared_data / "leaderboards" / V2).read_text(encoding="utf-8").splitlines()[:5]
    header = lines[0].split(",")
    drop = {header.index("evaluations_gpqa_value"), header.index("model_precision")}
    bad.write_text("\n".join(",".join(c for i, c in enumerate(ln.split(",")) if i not in drop) for ln in lines))
    with pytest.raises(BadInput, match="model_precision, evaluations_gpqa_value"):
        import_file(store, bad, "v2")
    assert dump(store) == before


def test_bad_number_names_the_line_and_nothing_is_written(shared_data: Path, store: Store, tmp_path: Path) -> None:
    lines = (shared_data / "leaderboards" / V1).read_text(encoding="utf-8").splitlines()[:40]
    header = lines[0].split(",")
    cells = next(csv.reader([lines[30]]))
    cells[header.index("mmlu")] = "n/a%"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    lines[30] = buf.getvalue().rstrip("\n")
    path = tmp_path / "v1_2024-07-13.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_file(store, shared_data / "leaderboards" / ARENA)
    before = dump(store)
    with pytest.raises(BadInput, match=r"line 31: column 'mmlu' is not a number: 'n/a%'"):
        import_file(store, path)
    assert dump(store) == before


def test_unreadable_file_is_bad_input(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(BadInput, match=r"garbage\.csv"):
        import_file(store, path)


def test_mapped_csv_with_scale(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "vendor.csv"
    path.write_text("Model,IF score,Math\nmeta-llama/Llama-3.1-8B-Instruct,80.4,51.9\nacme/tiny,12.5,\n")
    opts = Options(mapping={"model": "Model", "ifeval": "IF score", "MATH Lvl 5": "Math"}, scale=100, date="2025-01-02")
    report = import_file(store, path, "csv", options=opts)
    assert (report.rows_read, report.rows_stored, report.scores_stored, report.matched) == (2, 2, 3, 1)
    s = load_scores(store).for_model("meta-llama/Llama-3.1-8B-Instruct")
    assert s["ifeval"].value == pytest.approx(0.804) and s["math_lvl5"].value == pytest.approx(0.519)
    assert s["ifeval"].source == "csv:vendor" and s["ifeval"].source_date == "2025-01-02"
    with pytest.raises(BadInput, match="missing required mapped column"):
        import_file(store, path, "csv", options=Options(mapping={"model": "Model", "ifeval": "IFEval"}))


def test_contents_parquet_imports(shared_data: Path, store: Store, tmp_path: Path) -> None:
    pa_csv = pytest.importorskip("pyarrow.csv")
    pq = pytest.importorskip("pyarrow.parquet")
    src = tmp_path / "contents.csv"
    _contents_csv(shared_data, src, ["meta-llama/Llama-2-7b-hf", "mistralai/Mixtral-8x7B-v0.1"])
    path = tmp_path / "train-00000-of-00001.parquet"
    pq.write_table(pa_csv.read_csv(src), path)  # typed columns: floats and booleans, as the Hub's parquet
    report = import_file(store, path, options=Options(date="2025-03-21"))
    assert (report.format, report.rows_read, report.rows_stored, report.scores_stored) == ("v2", 3, 3, 12)
    s = load_scores(store).for_model("mistralai/Mixtral-8x7B-v0.1")
    assert s["ifeval"].value == pytest.approx(0.24152692633324) and s["ifeval"].precision == "bfloat16"


@pytest.mark.parametrize(("cell", "needle"), [("150", "ifeval value 150 is outside 0-1"),
                                               ("-3", "ifeval value -3 is outside 0-1")])
def test_out_of_range_values_stop_the_import(tmp_path: Path, store: Store, cell: str, needle: str) -> None:
    f = tmp_path / "own.csv"
    f.write_text(f"Model,IF,TQA\nacme/good-7b,0.71,0.5\nacme/bad-7b,{cell},0.5\n", encoding="utf-8")
    from shortlist.catalog.migrations import CATALOG_MIGRATIONS

    store.migrate(CATALOG_MIGRATIONS)
    before = dump(store)
    with pytest.raises(BadInput) as err:
        import_file(store, f, "csv", options=Options(mapping={"model": "Model", "ifeval": "IF", "truthfulqa": "TQA"}))
    assert needle in str(err.value) and "line 3" in str(err.value) and "acme/bad-7b" in str(err.value)
    assert dump(store) == before  # nothing stored, not even the good row


def test_percent_columns_are_detected_and_said(tmp_path: Path, store: Store) -> None:
    f = tmp_path / "pct.csv"
    f.write_text("Model,IF\nacme/a-7b,85\nacme/b-7b,71.25\n", encoding="utf-8")
    report = import_file(store, f, "csv", options=Options(mapping={"model": "Model", "ifeval": "IF"}))
    assert any("read as percentages" in n for n in report.notes)
    assert load_scores(store).for_model("acme/b-7b")["ifeval"].value == pytest.approx(0.7125)


def test_an_arena_rating_out_of_range_is_refused(tmp_path: Path, store: Store) -> None:
    f = tmp_path / "arena.csv"
    f.write_text("Model,Elo\nacme/a-7b,0.62\n", encoding="utf-8")  # a win rate, not a rating
    with pytest.raises(BadInput, match="not an arena rating"):
        import_file(store, f, "csv", options=Options(mapping={"model": "Model", "lmarena_text": "Elo"}))
