"""`shortlist pick` and `shortlist tasks` through the real CLI: output, --json, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shortlist.cli import app


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "shortlist", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


@pytest.fixture(scope="module")
def v2_db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("clipick") / "v2.db"
    csv_path = shared_data / "leaderboards" / "open_llm_leaderboard_v2_2025-03-21.csv"
    res = CliRunner().invoke(app, ["leaderboard", "import", str(csv_path), "--db", str(db)])
    assert res.exit_code == 0, res.output
    return db


def test_pick_table_with_why_not_and_caveats(v2_db: Path) -> None:
    res = _run("pick", "--gpu", "RTX 4090", "--task", "customer-support", "--license", "commercial", "--db", str(v2_db))
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "Customer support on RTX 4090" in out
    assert "Why not" in out and "does not fit" in out and "needs " in out
    assert "Caveats" in out
    assert "Tier 1" in out


def test_pick_json(v2_db: Path) -> None:
    res = _run("pick", "--gpu", "4090", "--weights", "ifeval=2,truthfulqa=1", "--top", "3", "--json",
               "--db", str(v2_db))
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["weights"] == {"ifeval": 2.0, "truthfulqa_mc2": 1.0}
    assert len(d["shortlist"]) == 3
    assert d["constraints"]["license"] == "any"
    for x in d["excluded"]:
        assert {"model", "task_score", "reason"} <= set(x)


def test_pick_offline_builtin_data_json() -> None:
    """No database at all: built-in data only, and pick must not create one."""
    res = _run("pick", "--gpu", "RTX 4090", "--task", "customer-support", "--license", "commercial", "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["task"] == "customer-support"
    assert all(e["memory_total_bytes"] <= 24 * 2**30 for e in d["shortlist"])
    assert not Path(os.environ["SHORTLIST_DB"]).exists()


def test_tasks_lists_every_profile() -> None:
    res = CliRunner().invoke(app, ["tasks", "--json"])
    assert res.exit_code == 0
    ids = {p["id"] for p in json.loads(res.stdout)}
    assert {"customer-support", "coding", "agents", "knowledge-qa"} <= ids
    one = CliRunner().invoke(app, ["tasks", "tool-use"])
    assert one.exit_code == 0 and "agents" in one.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["pick", "--task", "custmer-suport"], "customer-support"),
        (["pick", "--weights", "ifeval=two"], "ifeval=two"),
        (["pick", "--weights", "nosuchbench=1"], "nosuchbench"),
        (["pick", "--gpu", "RTX 9999 Ultra"], "unknown gpu"),
        (["pick", "--context", "8q"], "--context '8q'"),
        (["pick", "--min-context", "lots"], "--min-context"),
        (["pick", "--license", "free"], "unknown license use"),
        (["pick", "--mode", "train"], "unknown mode"),
        (["pick", "--top", "0"], "--top"),
        (["pick", "--alpha", "1.5"], "--alpha"),
        (["pick", "--max-params", "huge"], "--max-params"),
        (["pick", "--family", "lama"], "unknown model family"),
        (["pick", "--profile-file", "/nonexistent/p.yaml"], "does not exist"),
        (["pick", "--task", "coding", "--weights", "ifeval=1"], "one of --task"),
        (["tasks", "nosuchtask"], "unknown task"),
        (["pick", "--context", "20m"], "no model supports a context of 20,971,520 tokens"),
        (["pick", "--db", "/tmp"], "is a directory"),
        (["pick", "--db", "/nonexistent-folder/x.db"], "does not exist"),
        (["pick", "--max-cost-per-mtok", "-1"], "--max-cost-per-mtok"),
        (["pick", "--gpu-price", "0"], "--gpu-price"),
        (["pick", "--output-tokens", "0"], "--output-tokens"),
        (["pick", "--why-not", "vibes"], "unknown --why-not"),
        (["pick", "--hosted-file", "/nonexistent/h.yaml"], "does not exist"),
        (["leaderboard", "list", "--db", "/tmp"], "is a directory"),
    ],
)
def test_bad_input_is_one_line_exit_2(args: list[str], needle: str) -> None:
    res = _run(*args, "--gpu", "RTX 4090") if args[0] == "pick" and "--gpu" not in args else _run(*args)
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert needle in lines[0]


def test_bad_profile_file_names_the_key(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("weights:\n  ifeval: 2\n  bogus_bench: 1\n", encoding="utf-8")
    res = _run("pick", "--gpu", "RTX 4090", "--profile-file", str(f))
    assert res.returncode == 2
    assert "weights.bogus_bench" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_table_fits_100_columns_and_groups_why_not() -> None:
    env = {**os.environ, "COLUMNS": "100"}
    res = subprocess.run([sys.executable, "-m", "shortlist", "pick", "--gpu", "RTX 4090", "--task", "coding",
                          "--license", "commercial"], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    assert max(len(line) for line in res.stdout.splitlines()) <= 100
    assert "Why not" in res.stdout and "does not fit (" in res.stdout and "--why-not fit" in res.stdout
    assert "Not shown at this width:" in res.stdout  # the columns left out are named, not silently dropped
    wide = subprocess.run([sys.executable, "-m", "shortlist", "pick", "--gpu", "RTX 4090", "--task", "coding",
                           "--license", "commercial"], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "180"}, timeout=120, check=False)
    header = next(line for line in wide.stdout.splitlines() if "Score±CI" in line)
    narrow = next(line for line in res.stdout.splitlines() if "Score±CI" in line)
    assert len(header.split()) > len(narrow.split())  # the full width shows more benchmark columns


def test_why_not_lists_every_model_of_one_reason() -> None:
    folded = _run("pick", "--gpu", "RTX 4090", "--task", "coding", "--license", "commercial", "--json")
    fits = [x for x in json.loads(folded.stdout)["excluded"] if x["kinds"][0] == "fit"]
    res = _run("pick", "--gpu", "RTX 4090", "--task", "coding", "--license", "commercial", "--why-not", "fit")
    assert res.returncode == 0, res.stderr
    assert len(fits) > 4 and all(x["model"] in res.stdout for x in fits)
    assert "more (--why-not fit)" not in res.stdout


def test_tasks_json_carries_the_typical_request() -> None:
    res = CliRunner().invoke(app, ["tasks", "customer-support", "--json"])
    p = json.loads(res.stdout)[0]
    assert p["workload"]["prompt_tokens"] > 0 and p["workload"]["output_tokens"] > 0


def test_nothing_passing_is_said_in_words() -> None:
    res = _run("pick", "--gpu", "RTX 4090", "--context", "10m")  # only Llama 4 Scout reads 10M tokens; not on 24 GiB
    assert res.returncode == 0, res.stderr
    assert "No model passes the constraints" in res.stdout and "Why not" in res.stdout


def test_json_fields_are_documented() -> None:
    """docs/json-pick.md names every key `pick --json` prints (top level, entries, excluded)."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "json-pick.md").read_text(encoding="utf-8")
    res = _run("pick", "--gpu", "RTX 4090", "--task", "coding", "--include-api", "--json")
    d = json.loads(res.stdout)
    keys = set(d) | set(d["shortlist"][0]) | set(d["excluded"][0]) | set(d["device"]) | set(d["workload"])
    keys |= set(d["shortlist"][0]["scores"][next(iter(d["shortlist"][0]["scores"]))])
    assert d["schema_version"] == 2
    missing = sorted(k for k in keys if k not in doc)
    assert not missing, missing
