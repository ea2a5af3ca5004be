"""Explorer speed and weight with the whole Open LLM Leaderboard v2 snapshot imported (budget: 300 ms, 1 MB).

Starts `shortlist serve` on a free loopback port over a fresh store holding the 4,576-row v2 snapshot
(../shared/data/leaderboards; source and date in its PROVENANCE.md), then asks the explorer 24 questions that
change one filter at a time (task, GPU, count, license, mode, context, size, API models). Server time is read
from each response's Server-Timing header (what the app spent; the network is loopback anyway). Page weight is
the HTML plus the CSS and JS it loads, without the chart library, which the budget excludes. For comparison in
the same run it also times the same questions through the CLI (`shortlist pick --json`, a new process each).
Exits 1 when the median server time is 300 ms or more, or a page weighs 1 MB or more.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from shortlist import paths

BUDGET_MS = 300.0
BUDGET_BYTES = 1_000_000
QUESTIONS = [
    {"gpu": "RTX 4090", "task": t, "license": lic}
    for t in ("customer-support", "coding", "general-chat", "math", "rag-qa", "reasoning")
    for lic in ("commercial", "any")
] + [
    {"gpu": g, "gpus": n, "task": "general-chat"} for g, n in (("H100 SXM", 8), ("A100 80GB", 2), ("L40S", 4),
                                                               ("RTX 3090", 1), ("M3 Max 64GB", 1), ("L4", 1))
] + [
    {"gpu": "RTX 4090", "task": "coding", "mode": "qlora"}, {"gpu": "RTX 4090", "task": "coding", "context": "32k"},
    {"gpu": "RTX 4090", "task": "coding", "max_params": "8b"}, {"gpu": "RTX 4090", "task": "coding", "include_api": 1},
    {"gpu": "A100 80GB", "task": "agents", "mode": "lora"}, {"gpu": "RTX 4090", "weights": "ifeval=2,arena_2025_if=1"},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    shared = paths.shared_data_dir()
    if shared is None:
        print("shared data not found (set SHORTLIST_SHARED_DATA); nothing to measure")
        return 0
    csv_path = shared / "leaderboards" / "open_llm_leaderboard_v2_2025-03-21.csv"
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        env = {**os.environ, "SHORTLIST_DB": str(db), "SHORTLIST_HOME": tmp}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([sys.executable, "-m", "shortlist", "leaderboard", "import", str(csv_path)], env=env,
                       check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "shortlist", "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    httpx.get(base + "/runs.json", timeout=2)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            httpx.get(base + "/?gpu=RTX+4090", timeout=60)  # first request fills the caches (not counted)
            server_ms, weights = [], []
            assets = sum(len(httpx.get(base + a).content) for a in ("/static/app.css", "/static/app.js"))
            for q in QUESTIONS:
                r = httpx.get(base + "/?" + urlencode(q), timeout=60)
                assert r.status_code == 200, (q, r.status_code, r.text[:300])
                server_ms.append(float(r.headers["server-timing"].split("dur=")[1]))
                weights.append(len(r.content) + assets)
        finally:
            server.terminate()
            server.wait(timeout=10)
        cli_s = []
        for q in QUESTIONS[:6]:
            args = [f"--{k.replace('_', '-')}" if v == 1 else f"--{k.replace('_', '-')}={v}" for k, v in q.items()]
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "shortlist", "pick", *args, "--json"], env=env, check=True,
                           capture_output=True)
            cli_s.append(time.perf_counter() - t)
    med = statistics.median(server_ms)
    print(f"explorer server time over {len(server_ms)} changed filters: median {med:.0f} ms, "
          f"p90 {statistics.quantiles(server_ms, n=10)[-1]:.0f} ms, max {max(server_ms):.0f} ms "
          f"(budget {BUDGET_MS:.0f} ms)")
    print(f"page weight before charts: max {max(weights) / 1e3:.0f} kB, "
          f"median {statistics.median(weights) / 1e3:.0f} kB "
          f"(budget {BUDGET_BYTES / 1e6:.0f} MB)")
    cli = statistics.median(cli_s) * 1000
    print(f"the same questions through the CLI (new process each): median {cli:.0f} ms; "
          f"server / CLI = {med / cli:.2f}x")
    return 0 if med < BUDGET_MS and max(weights) < BUDGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
