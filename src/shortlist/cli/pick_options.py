"""The options `pick` and `report` share: one definition, so the two commands ask the same question alike."""

from __future__ import annotations

from typing import Annotated

import typer

GpuOption = Annotated[str | None, typer.Option("--gpu", help="GPU name; default: detect, else system RAM.")]
GpusOption = Annotated[int | None, typer.Option("--gpus", help="Number of GPUs.")]
TaskOption = Annotated[str | None, typer.Option("--task", "-t", help="Task profile (see `shortlist tasks`).")]
WeightsOption = Annotated[str | None, typer.Option("--weights", help="Own weights: ifeval=2,truthfulqa=1.")]
LicenseOption = Annotated[str, typer.Option("--license", help="commercial, non-commercial, research, any.")]
ModeOption = Annotated[str, typer.Option("--mode", help="inference, lora, qlora or full.")]
ContextOption = Annotated[str, typer.Option("--context", help="Context to fit, e.g. 8k.")]
MinContextOption = Annotated[str | None, typer.Option("--min-context", help="Models must support this.")]
TopOption = Annotated[int, typer.Option("--top", help="How many models to shortlist.")]
MaxParamsOption = Annotated[str | None, typer.Option("--max-params", help="Largest size, e.g. 14b.")]
IncludeApiOption = Annotated[bool, typer.Option("--include-api", help="Also rank API-only models.")]

