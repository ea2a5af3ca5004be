"""Fuzz every file reader through the real CLI, many more cases than the test suite, and count outcomes.

Each case mutates a real seed of one format (tests/fuzz/fuzzkit.py: model folders, safetensors headers,
shard indexes, GGUF files, leaderboard CSV and parquet, lm-eval results, custom task YAML/TOML/JSONL/CSV)
and runs `shortlist` in this process. Outcomes: ok (exit 0, sensible result), exit-2 (one line, store
unchanged) — the two the contract allows — and traceback, timeout, multi-line, store-changed, bad-ok,
other. Cases are seeded (case i of a run with --seed S uses seed S * 1,000,003 + i), so any case can be
replayed with --replay FORMAT:SEED.

    python scripts/fuzz.py --cases 500                 # 500 per format
    python scripts/fuzz.py --formats gguf,lm-eval --cases 5000
    python scripts/fuzz.py --replay gguf:1000003       # print one case's full outcome

Exit status 1 when any case broke the contract.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fuzz"))

import fuzzkit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=500, help="cases per format (default 500)")
    parser.add_argument("--formats", default=",".join(fuzzkit.CASES), help="comma-separated formats")
    parser.add_argument("--seed", type=int, default=1, help="run seed (default 1)")
    parser.add_argument("--replay", help="FORMAT:SEED: run one case and print everything about it")
    parser.add_argument("--show", type=int, default=3, help="broken cases to print per format (default 3)")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="shortlist-fuzz-"))
    os.environ["SHORTLIST_HOME"] = str(home)  # caches and stores of the run stay in one scratch folder
    os.environ["HF_HUB_OFFLINE"] = "1"
    runner = fuzzkit.Runner(home / "cases")
    if args.replay:
        fmt, _, seed = args.replay.partition(":")
        result = runner.run(fmt, fuzzkit.RandomChooser(int(seed)))
        print(result.describe())
        return 0 if result.outcome in ("ok", "exit-2") else 1
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in fuzzkit.CASES]
    if unknown:
        parser.error(f"unknown format(s) {', '.join(unknown)}; known: {', '.join(fuzzkit.CASES)}")
    width = max(map(len, formats))
    print(f"{'format':<{width}}  {'cases':>6}  " + "  ".join(f"{o:>13}" for o in fuzzkit.OUTCOMES)
          + "  slowest_s  total_s")
    totals: Counter[str] = Counter()
    broken = 0
    for fmt in formats:
        counts: Counter[str] = Counter()
        shown: list[fuzzkit.Result] = []
        slowest = 0.0
        start = time.perf_counter()
        for i in range(args.cases):
            seed = args.seed * 1_000_003 + i
            result = runner.run(fmt, fuzzkit.RandomChooser(seed))
            counts[result.outcome] += 1
            slowest = max(slowest, result.seconds)
            if result.outcome not in ("ok", "exit-2") and len(shown) < args.show:
                result.detail = f"(replay: --replay {fmt}:{seed})\n{result.detail}"
                shown.append(result)
        totals.update(counts)
        broken += sum(n for o, n in counts.items() if o not in ("ok", "exit-2"))
        print(f"{fmt:<{width}}  {args.cases:>6}  " + "  ".join(f"{counts[o]:>13}" for o in fuzzkit.OUTCOMES)
              + f"  {slowest:>9.2f}  {time.perf_counter() - start:>7.1f}", flush=True)
        for result in shown:
            print("   ", result.describe().replace("\n", "\n    "))
    print(f"{'all':<{width}}  {sum(totals.values()):>6}  " + "  ".join(f"{totals[o]:>13}" for o in fuzzkit.OUTCOMES))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
