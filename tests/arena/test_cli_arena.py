"""`shortlist arena ...` through the real CLI: every command, --json, tables within 100 columns, one-line errors."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from shortlist import arena as ar
from shortlist.cli import app
from shortlist.store import Store

runner = CliRunner()
COMMANDS = ("create", "list", "add", "remove", "prompts", "voters", "generate", "leaderboard", "import", "export",
            "judge")


def _json(*args: str) -> dict:
    res = runner.invoke(app, ["arena", *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shortlist", "arena", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "100"})


def _one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_workflow_with_json_everywhere(tmp_path: Path, scripted_server) -> None:
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": f"q{i}", "tags": ["t"]}) + "\n" for i in range(5)))
    assert _json("create", "cli", "--description", "test")["name"] == "cli"
    with scripted_server() as (url, _):
        for name in ("alpha", "beta"):
            out = _json("add", "cli", f"openai:{name}@{url}", "--temperature", "0", "--max-tokens", "16")
            assert out["name"] == name and out["sampling"]["max_tokens"] == 16 and out["schema_version"] == 1
        assert _json("prompts", "cli", str(prompts))["added"] == 5
        gen = _json("generate", "cli")
        assert (gen["generated"], gen["failed"]) == (10, 0)
    voter = _json("voters", "cli", "ann", "--cap", "50")
    assert voter["token"] and voter["cap"] == 50
    assert [v["name"] for v in _json("voters", "cli")["voters"]] == ["ann"]
    with Store(os.environ["SHORTLIST_DB"]) as store:
        rng = random.Random(1)
        for _ in range(20):
            b = ar.next_battle(store, "cli", "ann", rng=rng)
            ar.record_vote(store, b.id, "ann", rng.choice(["a", "b", "tie"]))
    board = _json("leaderboard", "cli", "--resamples", "100")
    assert board["votes"] == 20 and [r["model"] for r in board["rows"]] and board["schema_version"] == 1
    assert _json("leaderboard", "cli", "--anchor", "alpha=1200", "--resamples", "0")["anchor"] == "alpha = 1200"
    assert _json("leaderboard", "cli", "--ties", "davidson", "--resamples", "0")["ties"] == "davidson"
    assert _json("leaderboard", "cli", "--tag", "t", "--exclude-flagged", "--resamples", "0")["tag"] == "t"
    info = _json("list", "cli")
    assert [c["answers_ready"] for c in info["contestants"]] == [5, 5] and info["votes"] == 20
    assert _json("list")["arenas"][0]["name"] == "cli"
    votes = tmp_path / "votes.csv"
    assert _json("export", "cli", str(votes))["rows"] == 20
    assert _json("export", "cli", str(tmp_path / "battles.jsonl"), "--battles")["rows"] == 20
    assert _json("import", "copy", str(votes), "--create")["imported"] == 20
    copy = _json("leaderboard", "copy", "--resamples", "100")
    assert [(r["model"], r["rating"], r["ci_low"]) for r in copy["rows"]] == \
        [(r["model"], r["rating"], r["ci_low"]) for r in board["rows"]]
    removed = _json("remove", "cli", "beta")
    assert removed["active"] is False and removed["votes"] == 20

    table = _run("leaderboard", "cli", "--matrix", "--resamples", "100")
    assert table.returncode == 0, table.stderr
    assert "Rank(UB)" in table.stdout and "95% CI" in table.stdout and "left answer won" in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 100
    listing = _run("list", "cli")
    assert max(len(line) for line in listing.stdout.splitlines()) <= 100


def test_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    assert "no arena named 'nope'" in _one_line_error(_run("leaderboard", "nope"))
    subprocess.run([sys.executable, "-m", "shortlist", "arena", "create", "e"], check=True, capture_output=True)
    assert "is not MODEL=RATING" in _one_line_error(_run("leaderboard", "e", "--anchor", "x"))
    assert "unknown contestant spec" in _one_line_error(_run("add", "e", "ollama:qwen"))
    assert "--temperature" in _one_line_error(_run("add", "e", "openai:m@http://h:1/v1", "--temperature", "9"))
    bad = tmp_path / "p.jsonl"
    bad.write_text('{"prompt": "ok"}\n{"prompt": ""}\n')
    assert "line 2: no prompt" in _one_line_error(_run("prompts", "e", str(bad)))
    votes = tmp_path / "v.csv"
    votes.write_text("model_a,model_b,winner\nx,y,model_a\nx,y,modle_b\n")
    assert "line 3: unknown winner 'modle_b'" in _one_line_error(_run("import", "e", str(votes)))
    assert "ties" in _one_line_error(_run("leaderboard", "e", "--ties", "thirds"))


def test_help_has_examples() -> None:
    top = runner.invoke(app, ["arena", "--help"])
    assert top.exit_code == 0 and "Examples:" in top.stdout
    for cmd in COMMANDS:
        res = runner.invoke(app, ["arena", cmd, "--help"])
        assert res.exit_code == 0 and "Examples:" in res.stdout and "shortlist arena" in res.stdout, cmd
