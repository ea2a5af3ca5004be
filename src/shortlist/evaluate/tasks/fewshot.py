"""Kept for imports of the old path: few-shot sampling lives in shortlist.evaluate.fewshot."""

from shortlist.evaluate.fewshot import Doc, Sampler, SamplerKind, render_shots

__all__ = ["Doc", "Sampler", "SamplerKind", "render_shots"]
