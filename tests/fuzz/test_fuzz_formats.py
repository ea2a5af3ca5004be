"""Property: whatever a malformed file holds, the CLI exits 2 with one line, or succeeds sensibly.

Hypothesis mutates real seeds of every format (fuzzkit.CASES) and each case runs through the real
CLI entry point in this process; the store must be unchanged after every failure, and each case must
finish within fuzzkit.TIME_BOUND_S. Deterministic (derandomize), about 1,300 cases in all; run
scripts/fuzz.py for many more.
"""

from __future__ import annotations

import fuzzkit
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

# cases per format: the formats get a few hundred each (HF folders and custom tasks are split
# into their files: safetensors header + config.json + shard index, and YAML/TOML/JSONL/CSV)
EXAMPLES = {
    "safetensors": 100, "hf-config": 110, "hf-index": 90, "gguf": 200, "leaderboard-csv": 150, "parquet": 150,
    "lm-eval": 200, "task-yaml": 80, "task-toml": 70, "task-jsonl": 80, "task-csv": 70,
}


def test_every_format_is_fuzzed():
    assert set(EXAMPLES) == set(fuzzkit.CASES)


@pytest.mark.parametrize("fmt", list(EXAMPLES))
def test_malformed_files_exit_2_with_one_line_or_succeed(fmt: str, runner: fuzzkit.Runner) -> None:
    seen: dict[str, int] = {}

    @settings(max_examples=EXAMPLES[fmt], derandomize=True, database=None, deadline=None, print_blob=False,
              phases=(Phase.explicit, Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data: st.DataObject) -> None:
        result = runner.run(fmt, fuzzkit.DataChooser(data))
        seen[result.outcome] = seen.get(result.outcome, 0) + 1
        assert result.outcome in ("ok", "exit-2"), result.describe()
        assert result.seconds <= fuzzkit.TIME_BOUND_S, result.describe()

    check()
    assert seen.get("exit-2", 0) > 0 and seen.get("ok", 0) > 0, f"{fmt}: mutations should both fail and pass: {seen}"


def test_the_valid_seeds_succeed(runner: fuzzkit.Runner) -> None:
    for fmt in fuzzkit.CASES:
        result = runner.run(fmt, fuzzkit.ValidSeed())
        assert result.outcome == "ok", result.describe()
