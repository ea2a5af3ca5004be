"""Kept for imports of the old path: benchmark data loading lives in shortlist.evaluate.datasets."""

from shortlist.evaluate.datasets import (
    BBH_TASKS,
    MATH_SUBJECTS,
    MUSR_SPLITS,
    SOURCES,
    Source,
    benchmarks_dir,
    has_split,
    load_hub_split,
    load_split,
)

__all__ = ["BBH_TASKS", "MATH_SUBJECTS", "MUSR_SPLITS", "SOURCES", "Source", "benchmarks_dir", "has_split",
           "load_hub_split", "load_split"]
