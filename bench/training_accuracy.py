"""Training memory: calibration on one published source, validation on the others (bench/training_points.py).

Run: python bench/training_accuracy.py. Prints every point (measured peak, shortlist's total, error), then the
mean and median absolute error per half, and the out-of-memory / fits claims checked as pass/fail. Target on
validation totals: within 10%. Unsloth's requirements table states no settings and calls its numbers minimums,
so it is reported apart from the measured tables.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from shortlist.catalog import get_gpu, get_model
from shortlist.fit import FitRequest, estimate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from training_points import POINTS, SOURCES, GiB, TrainPoint, llama_65b

TARGET = 10.0


def total_gib(p: TrainPoint) -> float:
    kw = dict(p.kwargs)
    name = kw.pop("model")
    model, gpu = (llama_65b() if name == "llama-65b" else get_model(name)), get_gpu(kw.pop("gpu"))
    return estimate(FitRequest(model=model, gpu=gpu, **kw)).memory.total_bytes / GiB


def main() -> int:
    if "--sources" in sys.argv:
        for key, text in SOURCES.items():
            print(f"[{key}] {text}")
        return 0
    errs: dict[tuple[str, str], list[float]] = {}
    claims_ok = True
    print(f"{'half':5} {'point':50} {'src':12} {'published':>10} {'shortlist':>10} {'err%':>7}")
    for p in POINTS:
        pred = total_gib(p)
        if p.measured_gib is not None:
            e = (pred - p.measured_gib) / p.measured_gib * 100
            errs.setdefault((p.half, p.source), []).append(abs(e))
            print(f"{p.half[:3]:5} {p.label[:50]:50} {p.source:12} {p.measured_gib:9.2f}G {pred:9.2f}G {e:+7.1f}"
                  + (f"  ({p.notes})" if p.notes else ""))
        else:
            limit = p.oom_on_gib or p.fits_gib or 0.0
            ok = pred > limit if p.oom_on_gib else pred <= limit
            claims_ok = claims_ok and ok
            what = "OOM on" if p.oom_on_gib else "fits"
            print(f"{p.half[:3]:5} {p.label[:50]:50} {p.source:12} {what:>6}{limit:3.0f}G {pred:9.2f}G "
                  f"{'PASS' if ok else 'MISS':>7}")
    print()
    for half in ("calibration", "validation"):
        all_errs = [e for (h, _), v in errs.items() if h == half for e in v]
        print(f"{half}: {len(all_errs)} totals, mean |err| {statistics.mean(all_errs):.1f}%, "
              f"median {statistics.median(all_errs):.1f}%")
        for (h, src), v in sorted(errs.items()):
            if h == half:
                print(f"  {src:13} {len(v):3d} points  mean {statistics.mean(v):5.1f}%  median "
                      f"{statistics.median(v):5.1f}%  within {TARGET:g}%: {sum(e <= TARGET for e in v)}/{len(v)}")
    print(f"out-of-memory / fits claims: {'all hold' if claims_ok else 'some miss'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
