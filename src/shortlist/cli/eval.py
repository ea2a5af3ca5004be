"""`shortlist eval`: run benchmark tasks on a model, lm-eval-exact, resumable, with leaderboard deltas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from shortlist.cli.output import DbOption, JsonOption, comma_list, console, emit_json, err_console, fmt_bytes, progress
from shortlist.errors import BadInput

HELP = """Evaluate a model on benchmark tasks; numbers match lm-evaluation-harness 0.4.13.

Every finished sample is stored at once: an interrupted run resumes where it stopped,
and an identical re-run is answered from the store.

\b
Examples:
  shortlist eval --model hf:./SmolLM2-135M --tasks hellaswag,arc_easy --limit 100
  shortlist eval --model ./SmolLM2-135M-Instruct.Q4_1.gguf --tasks mmlu --num-fewshot 5
  shortlist eval --model hf:Qwen/Qwen2.5-0.5B --tasks arc_challenge --batch-size auto --json
  shortlist eval --model hf:./m --tasks winogrande --samples-out samples.jsonl --output results.json
  shortlist eval --model openai:qwen2.5-7b@http://127.0.0.1:8000/v1 --tasks my_task.yaml --concurrency 8
  shortlist eval --model llamacpp:./m.Q4_K_M.gguf --against hf:./m --tasks arc_easy --limit 500
  shortlist eval --model hf:HuggingFaceTB/SmolLM2-135M-Instruct --suite open-llm-v2 --limit 20
  shortlist eval --model hf:./m --suite open-llm-v2 --dry-run
"""


def eval_command(
    ctx: typer.Context,
    model: Annotated[str | None, typer.Option(
        "--model", "-m", help="hf:FOLDER, hf:owner/name, FILE.gguf, llamacpp:FILE.gguf, openai:NAME@URL.")] = None,
    tasks: Annotated[str | None, typer.Option(
        "--tasks", "-t", help="Comma-separated tasks or groups (e.g. hellaswag).")] = None,
    suite: Annotated[str | None, typer.Option("--suite", help="A leaderboard's tasks and settings: open-llm-v2.")]
    = None,
    limit: Annotated[int | None, typer.Option(help="Evaluate only the first N docs of each task.")] = None,
    num_fewshot: Annotated[int | None, typer.Option("--num-fewshot", help="Few-shot examples (default: the task's).")]
    = None,
    batch_size: Annotated[str, typer.Option("--batch-size", help="Sequences per forward pass, or 'auto'.")] = "8",
    dtype: Annotated[str | None, typer.Option(help="float32 (CPU default), bfloat16 or float16.")] = None,
    device: Annotated[str, typer.Option(help="cpu, cuda, mps or auto.")] = "auto",
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Local benchmark files folder.")]
    = None,
    resume: Annotated[bool, typer.Option("--resume/--no-resume", help="Reuse samples already in the store.")] = True,
    model_name: Annotated[str | None, typer.Option("--model-name", help="Model id for score lookup/recording.")]
    = None,
    samples_out: Annotated[Path | None, typer.Option("--samples-out", help="Write one JSON line per doc here.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write an lm-eval style results JSON here.")]
    = None,
    concurrency: Annotated[int | None, typer.Option(help="openai: requests in flight at once.")] = None,
    chat: Annotated[bool, typer.Option("--chat", help="openai: generate through /v1/chat/completions.")] = False,
    timeout: Annotated[float | None, typer.Option(help="openai: seconds per request before retrying.")] = None,
    max_retries: Annotated[int | None, typer.Option("--max-retries", help="openai: retries on 429/5xx/timeouts.")]
    = None,
    against: Annotated[str | None, typer.Option(
        "--against", help="Also evaluate this reference model on the same items and report the model's difference "
        "per task with its paired CI (a quantization's cost: --model llamacpp:m.Q4_K_M.gguf --against hf:./m).")]
    = None,
    threads: Annotated[int | None, typer.Option(help="llamacpp: CPU threads (default: half the cores).")] = None,
    chat_template: Annotated[bool | None, typer.Option(
        "--chat-template/--no-chat-template", help="Render prompts with the model's chat template "
        "(default: off; with --suite open-llm-v2, on when the model has one).")] = None,
    multiturn: Annotated[bool | None, typer.Option(
        "--fewshot-as-multiturn/--fewshot-as-one-turn", help="With a chat template: few-shot examples as "
        "user/assistant turns (the leaderboard's way) or one user message.")] = None,
    fewshot_seed: Annotated[int | None, typer.Option("--fewshot-seed", help="Seed of random few-shot draws "
                                                     "(default: the task's, else 1234).")] = None,
    system_instruction: Annotated[str | None, typer.Option(
        "--system-instruction", help="Text put before every prompt (a system message with a chat template).")]
    = None,
    keep_think: Annotated[bool, typer.Option("--keep-think", help="Score <think>...</think> blocks as written "
                                             "(default: removed before scoring).")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the requests, token budget and estimated "
                                          "duration, and stop.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    preset = None
    if suite is not None:
        from shortlist.evaluate.suites import get_suite

        preset = get_suite(suite)                       # an unknown suite fails here, in one line
    if not model or not (tasks or preset):
        missing = " and ".join(o for o, v in (("--model", model), ("--tasks or --suite", tasks or preset)) if not v)
        raise BadInput(f"eval needs {missing}", "e.g. shortlist eval --model hf:./m --tasks arc_easy --limit 100")
    from shortlist.evaluate import EvalRequest, engine
    from shortlist.evaluate.backends import backend_for, hf_source, load_backend
    from shortlist.evaluate.estimate import describe, estimate
    from shortlist.store import Store

    size: int | str = batch_size
    if batch_size != "auto":
        try:
            size = int(batch_size)
        except ValueError:
            raise BadInput(f"--batch-size must be a number or 'auto', got {batch_size!r}") from None
        if size < 1:
            raise BadInput(f"--batch-size must be at least 1, got {size}")
    if limit is not None and limit < 1:
        raise BadInput(f"--limit must be at least 1, got {limit}")
    if data_dir is not None and not data_dir.is_dir():
        raise BadInput(f"--data-dir {data_dir} is not a folder", "point it at a folder like shared/data/benchmarks")
    names = comma_list(tasks) if tasks else list(preset.tasks if preset else [])
    if preset is not None and tasks:
        outside = [n for n in names if n not in _suite_task_names(preset)]
        if outside:
            raise BadInput(f"{', '.join(outside)} not in suite {preset.name}", f"its tasks: {', '.join(preset.tasks)}")
    apply_chat: bool | None = chat_template if chat_template is not None else (
        preset.apply_chat_template if preset else False)
    as_turns = multiturn if multiturn is not None else bool(preset and preset.fewshot_as_multiturn and apply_chat
                                                            is not False)
    task_objs = engine.resolve_tasks(names)           # unknown task names fail here, before any loading
    request = EvalRequest(model=model, tasks=task_objs, limit=limit, num_fewshot=num_fewshot, batch_size=size,
                          dtype=dtype, device=device, data_dir=data_dir, resume=resume, model_name=model_name,
                          fewshot_seed=fewshot_seed, apply_chat_template=apply_chat, fewshot_as_multiturn=as_turns,
                          keep_think=keep_think, suite=preset.name if preset else None,
                          system_instruction=system_instruction)
    loaded = engine.load_docs(request)                # missing data fails here, before the model loads
    kind, spec = backend_for(model)
    server_options = {"concurrency": concurrency, "chat": chat or None, "timeout": timeout, "max_retries": max_retries}
    server_options = {k: v for k, v in server_options.items() if v is not None}
    if server_options and kind != "openai":
        names = ", ".join(f"--{k.replace('_', '-')}" for k in server_options)
        raise BadInput(f"{names} only apply to openai: models", "drop them, or use --model openai:NAME@URL")
    if threads is not None:
        if kind != "llamacpp" or threads < 1:
            raise BadInput("--threads takes a count of at least 1 and applies to llamacpp: models only")
        server_options["threads"] = threads
    if against is not None and backend_for(against)[0] == "hf":
        hf_source.resolve(backend_for(against)[1])     # a missing reference fails before the first run
    if kind == "hf":
        hf_source.resolve(spec)                         # a missing or malformed model fails before the slow load
    if err_console.is_terminal:  # a status line for people; logs and scripts get only results and errors
        err_console.print(f"Loading {model} ...", soft_wrap=True)
    backend = load_backend(model, dtype=dtype, device=device, batch_size=size, **server_options)
    prepared = engine.prepare_run(request, backend, loaded)
    with Store(db) as store:
        from shortlist.evaluate.results import open_store

        plan = estimate(prepared.instances, backend, open_store(store), resume=resume)
    if dry_run:
        if as_json:
            emit_json({"dry_run": True, "model": model, "suite": request.suite,
                       "prompt_format": prepared.fmt.describe(), "plan": plan.model_dump(mode="json")})
        else:
            console.print(f"{model}: {describe(plan)}", soft_wrap=True, markup=False, emoji=False)
        return
    err_console.print(describe(plan), soft_wrap=True, markup=False, emoji=False)   # stderr: --json stays clean
    with Store(db) as store, progress() as bar:
        ids: dict[str, Any] = {}

        def on_progress(task: str, done: int, total: int) -> None:
            if task not in ids:
                ids[task] = bar.add_task(task, total=total, rate="")
            task_state = bar.tasks[ids[task]]
            rate = done / task_state.elapsed if task_state.elapsed else 0.0
            bar.update(ids[task], completed=done, rate=f"{rate:.1f} samples/s")

        result = engine.run(request, store=store, backend=backend, on_progress=on_progress, prepared=prepared)
        if against is not None:
            from shortlist.evaluate.against import run_against

            _, reference, cost = run_against(request, against, store=store, on_progress=on_progress, model_run=result)
    if samples_out is not None:
        from shortlist.evaluate.results import iter_sample_lines

        with samples_out.open("w", encoding="utf-8") as fh:
            for samples in result.samples.values():
                for line in iter_sample_lines(samples):
                    fh.write(line + "\n")
    if output is not None:
        from shortlist.evaluate.results import lm_eval_json

        output.write_text(json.dumps(lm_eval_json(result), indent=2), encoding="utf-8")
    if as_json:
        out = summary(result, plan)
        if against is not None:
            out["against"] = {**cost.model_dump(mode="json"), "reference_result": summary(reference)}
        emit_json(out)
        return
    _print_table(result)
    if result.suite:
        _print_suite(result.suite)
    if against is not None:
        _print_table(reference)
        _print_against(cost)


def _suite_task_names(preset: Any) -> set[str]:
    from shortlist.evaluate.tasks import group_members, list_groups

    out = set(preset.tasks)
    for t in preset.tasks:
        if t in list_groups():
            out |= set(group_members(t))
    return out


def summary(result: Any, plan: Any = None) -> dict[str, Any]:
    """The --json shape: run facts plus task -> counts, metrics, stderrs and leaderboard comparison."""
    tasks: dict[str, Any] = {}
    for name, t in result.tasks.items():
        tasks[name] = {"n": t.n, "n_computed": t.n_computed, "n_reused": t.n_reused, "version": t.version,
                       "num_fewshot": t.num_fewshot, "did_not_finish": t.did_not_finish, **t.metrics,
                       "leaderboard": t.leaderboard}
    for name, metrics in result.groups.items():
        tasks[name] = {"group": True, **metrics, "leaderboard": result.leaderboard.get(name)}
    return {"run_id": result.run_id, "model": result.model, "fingerprint": result.fingerprint,
            "backend": result.backend, "prompt_format": result.request.get("prompt_format"),
            "wall_s": round(result.wall_s, 3), "tokens": result.tokens,
            "tokens_per_s": round(result.tokens_per_s, 1), "peak_rss_bytes": result.peak_rss_bytes, "tasks": tasks,
            "suite": result.suite.model_dump(mode="json") if result.suite else None,
            "plan": plan.model_dump(mode="json") if plan is not None else None}


def _print_suite(suite: Any) -> None:
    from rich.table import Table

    from shortlist.catalog.benchmarks import get_benchmark

    rows = suite.comparison.benchmarks if suite.comparison else {}
    table = Table(title=f"{suite.title} (normalised 0-100 above chance, as the leaderboard shows them)",
                  title_justify="left")
    for col in ("benchmark", "score", "raw", "n", "leaderboard (raw)", "verdict"):
        table.add_column(col, justify="left" if col in ("benchmark", "verdict") else "right")
    for bench, s in suite.scores.items():
        row = rows.get(bench)
        table.add_row(get_benchmark(bench).name + ("" if s.complete else " (partial)"), f"{s.normalized:.2f}",
                      f"{s.raw:.4f}", str(s.n), f"{row.published:.4f}" if row else "-",
                      (row.verdict or "") if row else "")
    table.add_row("Average" + ("" if suite.average_complete else " (of those run)"),
                  "-" if suite.average is None else f"{suite.average:.2f}", "", "", "", "")
    console.print(table)
    if suite.limit:
        console.print(f"[dim]first {suite.limit} docs per task: a subset, not the leaderboard's score[/]")
    if suite.comparison and not suite.comparison.all_reproduced:
        console.print("Settings that differ from the leaderboard's:")
        for line in suite.comparison.settings_differ:
            console.print(f"  - {line}", soft_wrap=True)


def _print_table(result: Any) -> None:
    from rich.table import Table

    table = Table(title=f"{result.model}  (run {result.run_id})")
    for col in ("task", "n", "computed", "reused", "metric", "value", "± stderr", "leaderboard"):
        table.add_column(col, justify="right" if col in {"n", "computed", "reused", "value", "± stderr"} else "left")
    rows: list[tuple[str, Any, dict[str, float], dict[str, Any] | None]] = [
        (name, t, t.metrics, t.leaderboard) for name, t in result.tasks.items()
    ]
    rows += [(name, None, m, result.leaderboard.get(name)) for name, m in result.groups.items()]
    for name, t, metrics, board in rows:
        first = True
        for metric, value in metrics.items():
            if metric.endswith("_stderr") or metric == "n":
                continue
            se = metrics.get(f"{metric}_stderr")
            if metric == "instructions":
                continue
            verdict = ""
            if board and board["metric"] == metric:
                verdict = f"{board['published']:.4f} ({board['source']}): {board['verdict']}"
            table.add_row(
                name if first else "", (str(t.n) if t else str(int(metrics.get("n", 0)))) if first else "",
                str(t.n_computed) if t and first else "", str(t.n_reused) if t and first else "",
                metric, f"{value:.4f}", "" if se is None or se != se else f"{se:.4f}", verdict)
            first = False
    console.print(table)
    console.print(f"wall {result.wall_s:.1f} s · {result.tokens_per_s:,.0f} tokens/s · "
                  f"peak RSS {fmt_bytes(result.peak_rss_bytes)}")


def _print_against(cost: Any) -> None:
    from rich.table import Table

    table = Table(title=f"{cost.model} − {cost.reference} on the same items ({cost.level:.0%} paired CI)",
                  title_justify="left")
    for col in ("task", "n", "model", "reference", "difference [CI]", "p", "test"):
        table.add_column(col, justify="left" if col in ("task", "test") else "right")
    for c in cost.tasks:
        table.add_row(f"{c.task} ({c.metric})", str(c.n), f"{c.model * 100:.1f}", f"{c.reference * 100:.1f}",
                      f"{c.diff * 100:+.1f} [{c.ci_low * 100:+.1f}, {c.ci_high * 100:+.1f}]", f"{c.p_value:.3g}",
                      c.test)
    console.print(table)
    for c in cost.tasks:
        console.print(f"[bold]{c.task}[/]: {c.verdict}", soft_wrap=True)
    for s in cost.skipped:
        console.print(f"[dim]skipped {s}[/]")


COMPARE_HELP = """Is B really better than A? Compare two runs item by item: paired CI, McNemar / paired bootstrap.

RUN_OR_MODEL is a run id (or a unique prefix of one) or a model name (its latest finished run).

\b
Examples:
  shortlist eval compare 3f2a9c 81d0e4
  shortlist eval compare meta-llama/Llama-3.2-1B-Instruct Qwen/Qwen2.5-1.5B-Instruct --tasks arc_easy
  shortlist eval compare 3f2a9c 81d0e4 --json
"""

RUNS_HELP = """List stored evaluation runs (running, interrupted, finished) with their progress and headline results.

\b
Examples:
  shortlist eval runs
  shortlist eval runs --json
"""


def _run_id(store: Any, name: str) -> str:
    """A run id prefix, or a model name meaning its latest finished run."""
    from shortlist.evaluate.runs import list_runs

    runs = list_runs(store).runs
    if any(r.run_id.startswith(name) for r in runs):
        return name
    finished = [r for r in runs if r.model == name and r.status == "finished"]
    if not finished:
        raise BadInput(f"no finished run and no run id matches '{name}'", "see `shortlist eval runs`")
    return finished[0].run_id


def compare_command(
    run_a: Annotated[str, typer.Argument(help="Run id (or prefix) or model name: A.")],
    run_b: Annotated[str, typer.Argument(help="Run id (or prefix) or model name: B.")],
    tasks: Annotated[str | None, typer.Option("--tasks", "-t", help="Only these tasks.")] = None,
    level: Annotated[float, typer.Option("--level", help="Confidence level.")] = 0.95,
    flips: Annotated[int, typer.Option("--flips", help="Flipped items to print per task.")] = 5,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    from shortlist.evaluate.compare import compare_runs
    from shortlist.store import Store

    if not 0.5 <= level < 1.0:
        raise BadInput(f"--level must be in [0.5, 1), got {level}")
    names = comma_list(tasks)
    with Store(db) as store:
        result = compare_runs(store, _run_id(store, run_a), _run_id(store, run_b), names, level)
    if as_json:
        emit_json(result.model_dump(mode="json"))
        return
    from rich.table import Table

    table = Table(title=f"B = {result.model_b} ({result.run_b})  vs  A = {result.model_a} ({result.run_a})",
                  title_justify="left")
    for col in ("task", "n", "A", "B", "B-A [CI]", "p", "A only", "B only"):
        table.add_column(col, justify="left" if col == "task" else "right")
    for c in result.tasks:
        table.add_row(f"{c.task} ({c.metric})", str(c.n), f"{c.mean_a * 100:.1f}", f"{c.mean_b * 100:.1f}",
                      f"{c.diff * 100:+.1f} [{c.ci_low * 100:+.1f}, {c.ci_high * 100:+.1f}]", f"{c.p_value:.3g}",
                      "-" if c.a_only is None else str(c.a_only), "-" if c.b_only is None else str(c.b_only))
    console.print(table)
    for c in result.tasks:
        console.print(f"[bold]{c.task}[/]: {c.verdict}")
        for f in c.flipped[:flips]:
            prompt = (f.prompt or "(prompt not stored)").strip().replace("\n", " ")
            console.print(f"  doc {f.doc_id}: gold {f.gold!r}, A {f.answer_a!r} ({f.value_a:g}), "
                          f"B {f.answer_b!r} ({f.value_b:g}) - {prompt[:90]}", soft_wrap=True)
    for s in result.skipped:
        console.print(f"[dim]skipped {s}[/]")


def runs_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    from shortlist.evaluate.runs import list_runs
    from shortlist.store import Store

    with Store(db) as store:
        result = list_runs(store)
    if as_json:
        emit_json(result.model_dump(mode="json"))
        return
    from rich.table import Table

    table = Table(title=f"{len(result.runs)} evaluation runs", title_justify="left")
    for col in ("run", "model", "status", "tasks", "progress", "results"):
        table.add_column(col, overflow="fold")
    for r in result.runs:
        progress_text = f"{r.docs_done}/{r.docs_total}" if r.docs_total else str(r.docs_done)
        table.add_row(r.run_id, r.model, r.status, ",".join(r.tasks), progress_text,
                      ", ".join(f"{t} {v * 100:.1f}" for t, v in r.headline.items()))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Attach `eval` (run), `eval compare` and `eval runs` to the root app."""
    group = typer.Typer(help=HELP, no_args_is_help=True, invoke_without_command=True, rich_markup_mode="rich")
    group.callback(invoke_without_command=True, help=HELP)(eval_command)
    group.command("compare", help=COMPARE_HELP)(compare_command)
    group.command("runs", help=RUNS_HELP)(runs_command)
    app.add_typer(group, name="eval")
