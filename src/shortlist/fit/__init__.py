"""Memory and speed: what fits on which hardware, exactly, and how the estimate was made.

Public API (the `rank` package codes against these names):
FitRequest, FitResult, MemoryBreakdown, estimate, best_fit, PRECISIONS, approximate_spec,
precisions_at_least, DEFAULT_MIN_BITS, serving_estimate, device_precisions (the precisions a device runs,
native formats first), measured_for (a stored `shortlist measure` run shown instead of the estimate).
"""

from shortlist.fit.approx import approximate_spec
from shortlist.fit.estimate import PRECISIONS, best_fit, device_precisions, estimate, serving_estimate
from shortlist.fit.formats import DEFAULT_MIN_BITS, precisions_at_least
from shortlist.fit.measured import measured_for
from shortlist.fit.schema import Basis, FitRequest, FitResult, Latency, Measured, MemoryBreakdown, Offload, Term

__all__ = [
    "DEFAULT_MIN_BITS",
    "PRECISIONS",
    "Basis",
    "FitRequest",
    "FitResult",
    "Latency",
    "Measured",
    "MemoryBreakdown",
    "Offload",
    "Term",
    "approximate_spec",
    "best_fit",
    "device_precisions",
    "estimate",
    "measured_for",
    "precisions_at_least",
    "serving_estimate",
]
