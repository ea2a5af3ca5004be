"""Calibrate and validate shortlist.fit's speed model on published measurements (bench/speed_points.py).

Run: python bench/speed_accuracy.py           # errors of the constants in src/shortlist/fit/speed.py
     python bench/speed_accuracy.py --fit     # refit the kernel constants on the calibration half, print them
     python bench/speed_accuracy.py --points  # every point with its prediction, quote and source

The points are split in two, deterministically: within each (runtime, device class, decode/prefill) group,
sorted by source and label, every other point calibrates and the rest validate. Only the constants physics
leaves open are fitted (speed.KERNELS: bandwidth and FLOP shares and a per-layer cost per runtime and device
class; the llama.cpp hop cost and prefill pipelining exponent; the tensor-parallel all-reduce cost). Errors
are reported per half, and the validation half is held to the targets: median absolute error <= 15% (decode)
and <= 25% (prefill), no point off by more than 2x. The baseline is the previous model (fixed 65%/55%/50%
bandwidth shares, 45% MFU, no per-layer cost, tensor-parallel scaling for llama.cpp too).
"""

from __future__ import annotations

import math
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shortlist.catalog import get_gpu, get_model
from shortlist.fit import speed
from shortlist.fit.devices import speed_class
from shortlist.fit.estimate import validate
from shortlist.fit.memory import Plan, make_plan
from shortlist.fit.schema import FitRequest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed_points import SOURCES, SpeedPoint, all_points

TARGET = {"decode": 15.0, "prefill": 25.0}
MAX_RATIO = 2.0


@dataclass
class Case:
    point: SpeedPoint
    plan: Plan
    group: tuple[str, str, str]  # runtime, device class, metric
    half: str = ""


def plan_for(pt: SpeedPoint) -> Plan:
    req = FitRequest(model=get_model(pt.model), gpu=get_gpu(pt.gpu), gpus=pt.gpus, context=pt.context,
                     precision=pt.precision, runtime=pt.runtime, allow_long_context=True)
    return make_plan(validate(req))


def predict(c: Case) -> float:
    pt = c.point
    if pt.metric == "decode":
        return 1.0 / speed.decode_step_s(c.plan, pt.context, 1)
    return speed.prefill_rate(c.plan, pt.context)


_OLD_EFF = {"nvidia": 0.65, "amd": 0.55, "intel": 0.5, "apple": 0.55, "cpu": 0.5}


def baseline(c: Case) -> float:
    """The model before calibration (issue 8's starting point): fixed shares, TP scaling for every runtime."""
    from shortlist.fit.kv import kv_cache_bytes

    p, pt = c.plan, c.point
    gpu, n = p.req.gpu, p.req.gpus
    if pt.metric == "decode":
        eff = _OLD_EFF.get(gpu.vendor, 0.5) * (0.85 if n > 1 else 1.0)
        step = (speed.active_weight_bytes(p) + kv_cache_bytes(p.model, pt.context, 1, p.kv_dtype)) / (
            gpu.bandwidth_gb_s * 1e9 * eff * n)
        return 1.0 / step
    m = p.model
    width = m.attention_heads * m.head_dim
    flops = 2 * speed.active_params(m) + 2 * m.layers * pt.context * width
    return gpu.bf16_tflops * 1e12 * 0.45 * n * (0.85 if n > 1 else 1.0) / flops


def cases() -> list[Case]:
    out = []
    for pt in all_points():
        if pt.exclude:
            continue
        plan = plan_for(pt)
        out.append(Case(pt, plan, (plan.runtime, speed_class(plan.req.gpu), pt.metric)))
    groups: dict[tuple[str, str, str], list[Case]] = {}
    for c in out:
        groups.setdefault(c.group, []).append(c)
    for members in groups.values():
        members.sort(key=lambda c: (c.point.source, c.point.label))
        for i, c in enumerate(members):
            c.half = "calibration" if i % 2 == 0 else "validation"
    return out


def excluded() -> list[SpeedPoint]:
    return [pt for pt in all_points() if pt.exclude]


# ---- fitting ------------------------------------------------------------------------------------------------

_FIELDS = ("bw_float", "bw_quant", "layer_us", "mfu_float", "mfu_quant")
_BOUNDS = {"bw_float": (0.1, 0.92), "bw_quant": (0.1, 0.92), "layer_us": (0.0, 400.0), "mfu_float": (0.02, 3.0),
           "mfu_quant": (0.02, 3.0)}
_GLOBALS = {"LLAMA_CPP_HOP_US": (0.0, 3000.0), "LLAMA_CPP_PP_EXPONENT": (0.0, 1.0), "TP_ALLREDUCE_US": (0.0, 2000.0)}


def _identifiable(cal: list[Case]) -> list[tuple[str, Any]]:
    """Parameters some calibration point depends on (the rest keep their current values)."""
    names: list[tuple[str, Any]] = []
    seen: set[tuple[str, Any]] = set()

    def add(key: tuple[str, Any]) -> None:
        if key not in seen:
            seen.add(key)
            names.append(key)

    for c in cal:
        rt, cls, metric = c.group
        quant = not speed.unquantized(c.plan)
        if metric == "decode":
            add(("k", (rt, cls, "bw_quant" if quant else "bw_float")))
            add(("k", (rt, cls, "layer_us")))
            if c.point.gpus > 1:
                add(("g", "LLAMA_CPP_HOP_US" if rt == "llama.cpp" else "TP_ALLREDUCE_US"))
        else:
            add(("k", (rt, cls, "mfu_quant" if quant else "mfu_float")))
            if c.point.gpus > 1 and rt == "llama.cpp":
                add(("g", "LLAMA_CPP_PP_EXPONENT"))
    return names


def _set(names: list[tuple[str, Any]], x: list[float]) -> None:
    table = {k: dict(vars(v)) for k, v in speed.KERNELS.items()}
    for (kind, key), value in zip(names, x, strict=True):
        if kind == "g":
            setattr(speed, key, float(value))
        else:
            rt, cls, field = key
            table.setdefault((rt, cls), dict(vars(speed.KERNELS.get((rt, cls)) or speed.kernels(rt, _any_gpu(cls)))))
            table[(rt, cls)][field] = float(value)
    speed.KERNELS = {k: speed.Kernels(**v) for k, v in table.items()}


def _any_gpu(cls: str) -> Any:
    for c in cases_cache:
        if speed_class(c.plan.req.gpu) == cls:
            return c.plan.req.gpu
    raise KeyError(cls)


cases_cache: list[Case] = []


def fit(all_cases: list[Case]) -> None:
    from scipy.optimize import least_squares

    cal = [c for c in all_cases if c.half == "calibration"]
    names = _identifiable(cal)
    x0, lo, hi = [], [], []
    for kind, key in names:
        if kind == "g":
            x0.append(getattr(speed, key))
            lo.append(_GLOBALS[key][0])
            hi.append(_GLOBALS[key][1])
        else:
            rt, cls, field = key
            base = speed.KERNELS.get((rt, cls)) or speed.kernels(rt, _any_gpu(cls))
            x0.append(getattr(base, field))
            lo.append(_BOUNDS[field][0])
            hi.append(_BOUNDS[field][1])
    x0 = [min(max(v, a + 1e-6), b - 1e-6) for v, a, b in zip(x0, lo, hi, strict=True)]

    def residuals(x: Any) -> list[float]:
        _set(names, list(x))
        return [math.log(predict(c) / c.point.measured) for c in cal]

    res = least_squares(residuals, x0, bounds=(lo, hi), loss="soft_l1", f_scale=0.15, diff_step=1e-3)
    _set(names, list(res.x))
    print("Fitted on", len(cal), "calibration points. Paste into src/shortlist/fit/speed.py:")
    print("KERNELS: dict[tuple[str, str], Kernels] = {")
    for (rt, cls), k in sorted(speed.KERNELS.items()):
        vals = ", ".join(f"{getattr(k, f):.3g}" if f != "layer_us" else f"{getattr(k, f):.1f}" for f in _FIELDS)
        print(f"    ({rt!r}, {cls!r}): Kernels({vals}),")
    print("}")
    for g in _GLOBALS:
        print(f"{g} = {getattr(speed, g):.4g}")


# ---- reporting ----------------------------------------------------------------------------------------------

def _err(c: Case) -> tuple[float, float]:
    pred = predict(c)
    return pred, (pred - c.point.measured) / c.point.measured * 100


def summary(all_cases: list[Case]) -> dict[tuple[str, str], dict[str, float]]:
    out: dict[tuple[str, str], dict[str, float]] = {}
    for half in ("calibration", "validation"):
        for metric in ("decode", "prefill"):
            errs = []
            worst = 1.0
            for c in all_cases:
                if c.half != half or c.point.metric != metric:
                    continue
                pred, e = _err(c)
                errs.append(abs(e))
                worst = max(worst, pred / c.point.measured, c.point.measured / pred)
            if errs:
                out[(half, metric)] = {"n": len(errs), "median": statistics.median(errs),
                                       "p80": sorted(errs)[int(0.8 * (len(errs) - 1))], "worst_ratio": worst,
                                       "over_2x": sum(1 for c in all_cases if c.half == half and
                                                      c.point.metric == metric and
                                                      max(predict(c) / c.point.measured,
                                                          c.point.measured / predict(c)) > MAX_RATIO)}
    return out


def report(all_cases: list[Case], show_points: bool) -> int:
    print(f"{len(all_cases)} points ({len(excluded())} left out, reasons below), "
          f"{sum(c.half == 'calibration' for c in all_cases)} calibration / "
          f"{sum(c.half == 'validation' for c in all_cases)} validation")
    if show_points:
        print(f"\n{'half':5} {'point':58} {'src':9} {'measured':>9} {'pred':>9} {'err%':>7}")
        for c in sorted(all_cases, key=lambda c: (c.point.metric, c.half, c.point.source, c.point.label)):
            pred, e = _err(c)
            print(f"{c.half[:3]:5} {c.point.label[:58]:58} {c.point.source:9} {c.point.measured:9.1f} {pred:9.1f} "
                  f"{e:+7.1f}")
    print(f"\n{'half':12} {'metric':8} {'n':>4} {'median |err|':>13} {'p80 |err|':>10} {'worst ratio':>12} "
          f"{'>2x':>4}  target")
    ok = True
    for (half, metric), s in summary(all_cases).items():
        target = f"<= {TARGET[metric]:g}%, none > 2x" if half == "validation" else ""
        passed = s["median"] <= TARGET[metric] and s["over_2x"] == 0
        if half == "validation":
            ok = ok and passed
            target += " PASS" if passed else " MISS"
        print(f"{half:12} {metric:8} {s['n']:4.0f} {s['median']:12.1f}% {s['p80']:9.1f}% {s['worst_ratio']:11.2f}x "
              f"{s['over_2x']:4.0f}  {target}")
    for metric in ("decode", "prefill"):
        errs = [abs(baseline(c) - c.point.measured) / c.point.measured * 100 for c in all_cases
                if c.half == "validation" and c.point.metric == metric]
        worst = max(max(baseline(c) / c.point.measured, c.point.measured / baseline(c)) for c in all_cases
                    if c.half == "validation" and c.point.metric == metric)
        print(f"{'baseline':12} {metric:8} {len(errs):4d} {statistics.median(errs):12.1f}% "
              f"{sorted(errs)[int(0.8 * (len(errs) - 1))]:9.1f}% {worst:11.2f}x        (previous model, validation)")
    print("\nPer group (validation): runtime / device class / metric: n, median |err|")
    groups: dict[tuple[str, str, str], list[float]] = {}
    for c in all_cases:
        if c.half == "validation":
            groups.setdefault(c.group, []).append(abs(_err(c)[1]))
    for g, errs in sorted(groups.items()):
        print(f"  {' / '.join(g):32} {len(errs):3d}  {statistics.median(errs):6.1f}%")
    misses = [c for c in all_cases if c.half == "validation" and
              max(predict(c) / c.point.measured, c.point.measured / predict(c)) > 1.5]
    if misses:
        print("\nValidation points off by more than 1.5x:")
        for c in misses:
            pred, e = _err(c)
            print(f"  {c.point.label} [{c.point.source}]: measured {c.point.measured:g}, predicted {pred:.1f} "
                  f"({e:+.0f}%)")
    print("\nLeft out of both halves (reason):")
    for pt in excluded():
        print(f"  {pt.label} [{pt.source}] {pt.measured:g}: {pt.exclude}")
    return 0 if ok else 1


def main() -> int:
    global cases_cache
    if "--sources" in sys.argv:
        for key, text in SOURCES.items():
            print(f"[{key}] {text}")
        return 0
    cases_cache = cases()
    if "--fit" in sys.argv:
        fit(cases_cache)
    return report(cases_cache, "--points" in sys.argv)


if __name__ == "__main__":
    sys.exit(main())
