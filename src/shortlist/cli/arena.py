"""`shortlist arena ...`: private blind arenas on your own prompts, rated by Bradley-Terry with honest intervals.

Every command is a thin layer over shortlist.arena (the web page calls the same functions); --json prints
the library's result model as is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from shortlist.cli.output import DbOption, JsonOption, console, emit_json, err_console, progress
from shortlist.errors import BadInput

HELP = """Blind side-by-side arenas on your own prompts and models, rated with Bradley-Terry and 95% CIs.

\b
Examples:
  shortlist arena create bots
  shortlist arena add bots openai:qwen2.5:7b@http://127.0.0.1:11434/v1 --temperature 0.7
  shortlist arena add bots ./SmolLM2-135M-Instruct.Q4_1.gguf --name smol --max-tokens 256
  shortlist arena prompts bots prompts.jsonl
  shortlist arena generate bots
  shortlist arena voters bots alice --cap 200
  shortlist arena leaderboard bots --tag billing
  shortlist arena judge bots openai:gpt-4o@https://api.openai.com/v1 --api-key-env OPENAI_API_KEY
  shortlist arena import public lmarena_votes.csv --create && shortlist arena leaderboard public
"""

arena_app = typer.Typer(name="arena", help=HELP, no_args_is_help=True, rich_markup_mode="rich")

ArenaArg = Annotated[str, typer.Argument(help="The arena's name.")]


def _store(db: Path | None) -> Any:
    from shortlist.store import Store

    return Store(db)


def _emit(result: Any) -> None:
    emit_json(result.model_dump(mode="json"))


@arena_app.command("create")
def create_cmd(name: ArenaArg, description: Annotated[str, typer.Option(help="What this arena compares.")] = "",
               json_: JsonOption = False, db: DbOption = None) -> None:
    """Create an empty arena.

    \b
    Examples:
      shortlist arena create support-bots --description "billing and returns questions"
    """
    from shortlist.arena import create_arena

    with _store(db) as store:
        info = create_arena(store, name, description)
    if json_:
        _emit(info)
    else:
        console.print(f"Created arena [bold]{info.name}[/bold]. Next: shortlist arena add {info.name} SPEC")


@arena_app.command("list")
def list_cmd(name: Annotated[str | None, typer.Argument(help="An arena to describe in full.")] = None,
             json_: JsonOption = False, db: DbOption = None) -> None:
    """List the arenas, or describe one (contestants, prompts, answers, votes).

    \b
    Examples:
      shortlist arena list
      shortlist arena list support-bots --json
    """
    from rich.table import Table

    from shortlist.arena import get_arena, list_arenas

    with _store(db) as store:
        result = get_arena(store, name) if name else list_arenas(store)
    if json_:
        _emit(result)
        return
    if name is None:
        if not result.arenas:
            console.print("No arenas yet. Try: shortlist arena create NAME")
            return
        table = Table(title="Arenas")
        for col in ("arena", "contestants", "prompts", "votes", "created"):
            table.add_column(col, justify="left" if col in ("arena", "created") else "right",
                             max_width=40 if col == "arena" else None, overflow="fold")
        for a in result.arenas:
            table.add_row(a.name, str(a.contestants), f"{a.prompts:,}", f"{a.votes:,}", a.created_at[:10])
        console.print(table)
        return
    console.print(f"[bold]{result.name}[/bold] {result.description}".rstrip())
    console.print(f"{result.prompts:,} prompts, {result.answers_ready:,} answers ready, {result.battles:,} battles "
                  f"({result.unfinished_battles} unfinished), {result.votes:,} votes, {result.judge_votes:,} judge "
                  f"votes, {result.voters} voters")
    if result.tags:
        console.print("tags: " + ", ".join(f"{t} ({n})" for t, n in result.tags.items()))
    table = Table(title="Contestants")
    for col in ("name", "spec", "temp", "max tok", "answers", "votes", "status"):
        table.add_column(col, justify="right" if col in ("temp", "max tok", "answers", "votes") else "left",
                         max_width=34 if col == "spec" else 24, overflow="fold")
    for c in result.contestants:
        table.add_row(c.name, c.spec, f"{c.sampling.temperature:g}", str(c.sampling.max_tokens), str(c.answers_ready),
                      str(c.votes), "active" if c.active else "removed")
    console.print(table)


@arena_app.command("add")
def add_cmd(
    arena: ArenaArg,
    spec: Annotated[str, typer.Argument(help="openai:NAME@URL, hf:PATH_OR_ID, llamacpp:FILE.gguf or FILE.gguf.")],
    name: Annotated[str | None, typer.Option(help="Name on the board (default: from the spec).")] = None,
    temperature: Annotated[float, typer.Option(help="Sampling temperature (0 = greedy).")] = 0.7,
    top_p: Annotated[float, typer.Option("--top-p", help="Nucleus sampling mass.")] = 1.0,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="Longest answer, in tokens.")] = 1024,
    system_prompt: Annotated[str | None, typer.Option("--system-prompt", help="Sent before every prompt.")] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed, where the backend takes one.")] = None,
    api_key_env: Annotated[str | None, typer.Option("--api-key-env", help="Env variable holding the API key.")]
    = None,
    concurrency: Annotated[int | None, typer.Option(help="Answers generated at once (server 4, local 1).")] = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Add a contestant with its sampling settings; nothing is loaded or contacted yet.

    \b
    Examples:
      shortlist arena add bots openai:qwen2.5:7b@http://127.0.0.1:11434/v1
      shortlist arena add bots openai:gpt-4o-mini@https://api.openai.com/v1 --api-key-env OPENAI_API_KEY
      shortlist arena add bots hf:./my-finetune --name finetune --temperature 0.2
      shortlist arena add bots ./base.Q4_K_M.gguf --name base-q4 --max-tokens 512
    """
    from pydantic import ValidationError

    from shortlist.arena import Sampling, add_contestant

    try:
        sampling = Sampling(temperature=temperature, top_p=top_p, max_tokens=max_tokens, system_prompt=system_prompt,
                            seed=seed)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadInput(f"--{str(err['loc'][0]).replace('_', '-')}: {err['msg']}") from None
    with _store(db) as store:
        c = add_contestant(store, arena, spec, name=name, sampling=sampling, api_key_env=api_key_env,
                           concurrency=concurrency)
    if json_:
        _emit(c)
    else:
        console.print(f"Added [bold]{c.name}[/bold] ({c.kind}) to {arena}.")


@arena_app.command("remove")
def remove_cmd(arena: ArenaArg, name: Annotated[str, typer.Argument(help="The contestant's name.")],
               json_: JsonOption = False, db: DbOption = None) -> None:
    """Retire a contestant: no new battles; its votes stay on the board.

    \b
    Examples:
      shortlist arena remove bots base-q4
    """
    from shortlist.arena import remove_contestant

    with _store(db) as store:
        c = remove_contestant(store, arena, name)
    if json_:
        _emit(c)
    else:
        console.print(f"Removed {c.name} from new battles; its {c.votes} votes still count.")


@arena_app.command("prompts")
def prompts_cmd(arena: ArenaArg, file: Annotated[Path, typer.Argument(help=".jsonl, .csv or .yaml prompt set.")],
                json_: JsonOption = False, db: DbOption = None) -> None:
    """Add a prompt set: rows with `prompt`, optional `tags`, optional multi-turn `messages`.

    \b
    A bad row stops the import with its line number; nothing is added then. Examples:
      shortlist arena prompts bots prompts.jsonl
      shortlist arena prompts bots prompts.csv --json
    """
    from shortlist.arena import add_prompts

    with _store(db) as store:
        r = add_prompts(store, arena, file)
    if json_:
        _emit(r)
    else:
        tags = f"; tags: {', '.join(f'{t} ({n})' for t, n in r.tags.items())}" if r.tags else ""
        console.print(f"Added {r.added} prompts ({r.duplicates} already there); {r.total} in {arena}{tags}.")


@arena_app.command("voters")
def voters_cmd(arena: ArenaArg,
               name: Annotated[str | None, typer.Argument(help="Add a voter with this name (else list them).")] = None,
               token: Annotated[str | None, typer.Option(help="The voter's secret (default: a random one).")] = None,
               cap: Annotated[int | None, typer.Option(help="Most votes this voter may cast.")] = None,
               json_: JsonOption = False, db: DbOption = None) -> None:
    """List voters, or add one (its token is shown once; the page identifies voters by it).

    \b
    Examples:
      shortlist arena voters bots alice --cap 200
      shortlist arena voters bots
    """
    from rich.table import Table

    from shortlist.arena import add_voter, list_voters

    with _store(db) as store:
        if name is not None:
            v = add_voter(store, arena, name, token=token, cap=cap)
            if json_:
                _emit(v)
            else:
                console.print(f"Added voter {v.name}; token (shown once): {v.token}")
            return
        voters = list_voters(store, arena)
    if json_:
        emit_json({"schema_version": 1, "arena": arena, "voters": [v.model_dump(mode="json") for v in voters]})
        return
    table = Table(title=f"Voters of {arena}")
    for col in ("voter", "votes", "cap"):
        table.add_column(col, justify="left" if col == "voter" else "right")
    for v in voters:
        table.add_row(v.name, str(v.votes), "-" if v.cap is None else str(v.cap))
    console.print(table)


@arena_app.command("generate")
def generate_cmd(
    arena: ArenaArg,
    contestant: Annotated[list[str] | None, typer.Option("--contestant", "-c", help="Only this contestant.")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N prompts.")] = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Pre-generate answers for every prompt x contestant (resumable; concurrent per backend).

    \b
    Interrupt at any time: finished answers are kept and the next run continues. Examples:
      shortlist arena generate bots
      shortlist arena generate bots -c finetune --limit 50
    """
    from shortlist.arena import generate

    with _store(db) as store:
        if err_console.is_terminal:
            with progress() as bar:
                task = bar.add_task("answers", total=None, rate="")

                def update(done: int, total: int, name: str) -> None:
                    bar.update(task, completed=done, total=total, rate=name)

                report = generate(store, arena, contestants=contestant, limit=limit, progress=update)
        else:
            report = generate(store, arena, contestants=contestant, limit=limit)
    if json_:
        _emit(report)
        return
    console.print(f"{report.generated} answers generated, {report.failed} failed, {report.already_done} already "
                  f"there, {report.flagged} flagged (name a model), in {report.wall_s:.1f} s.")
    for c in report.contestants:
        speed = f", {c.mean_tokens_per_s:.1f} tok/s" if c.mean_tokens_per_s else ""
        ttft = f", first token {c.mean_ttft_s:.2f} s" if c.mean_ttft_s is not None else ""
        console.print(f"  {c.contestant}: {c.generated} ok, {c.failed} failed{ttft}{speed}")
    for e in report.errors:
        console.print(f"  [red]error[/red] {e}")


def _anchor(value: str | None) -> tuple[str, float] | None:
    if value is None:
        return None
    model, sep, rating = value.rpartition("=")
    try:
        return (model, float(rating)) if sep and model else _bad_anchor(value)
    except ValueError:
        return _bad_anchor(value)


def _bad_anchor(value: str) -> tuple[str, float]:
    raise BadInput(f"--anchor '{value}' is not MODEL=RATING", "e.g. --anchor base-q4=1000")


@arena_app.command("leaderboard")
def leaderboard_cmd(
    arena: ArenaArg,
    tag: Annotated[str | None, typer.Option(help="Only votes on prompts with this tag.")] = None,
    exclude_flagged: Annotated[bool, typer.Option("--exclude-flagged", help="Drop battles whose answers name a "
                                                  "model or vendor.")] = False,
    judge: Annotated[bool, typer.Option("--judge", help="Judge and human boards side by side.")] = False,
    anchor: Annotated[str | None, typer.Option(help="MODEL=RATING pins a model (default: mean 1000).")] = None,
    ties: Annotated[str, typer.Option(help="half (a tie is half a win) or davidson.")] = "half",
    style_control: Annotated[bool, typer.Option("--style-control", help="Length and markdown as covariates.")]
    = False,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples (0: sandwich intervals).")] = 1000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 42,
    matrix: Annotated[bool, typer.Option("--matrix", help="Also print the win-rate matrix.")] = False,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Bradley-Terry ratings with 95% CIs, Rank (UB), tiers and what it takes to separate neighbours.

    \b
    Examples:
      shortlist arena leaderboard bots
      shortlist arena leaderboard bots --tag billing --exclude-flagged
      shortlist arena leaderboard bots --style-control --anchor base-q4=1000
      shortlist arena leaderboard bots --judge --json
    """
    from shortlist.arena import compare_judge, leaderboard

    options: dict[str, Any] = {"tag": tag, "exclude_flagged": exclude_flagged, "anchor": _anchor(anchor), "ties": ties,
                               "style_control": style_control, "resamples": resamples, "seed": seed}
    with _store(db) as store:
        result = compare_judge(store, arena, **options) if judge else leaderboard(store, arena, **options)
    if json_:
        _emit(result)
        return
    if judge:
        _print_board(result.human, "Human votes", matrix)
        _print_board(result.judge, f"Judge votes ({result.judge.judge or 'all judges'})", matrix)
        ag = result.agreement
        if ag is not None and ag.rate is not None:
            consistency = f"; judge consistent across orders {ag.judge_consistency:.0%}" \
                if ag.judge_consistency is not None else ""
            console.print(f"Judge-human agreement: {ag.rate:.0%} of {ag.battles} shared battles "
                          f"({ag.decisive_agree}/{ag.decisive_battles} decisive){consistency}.")
        return
    _print_board(result, None, matrix)


def _print_board(board: Any, title: str | None, matrix: bool) -> None:
    from rich.table import Table

    head = f"{board.arena}: {board.votes:,} votes, {board.method}, anchor {board.anchor}"
    if board.tag:
        head += f", tag {board.tag}"
    if not board.rows:
        console.print(f"[bold]{title or board.arena}[/bold]: " + "; ".join(board.notes or ["no votes yet"]))
        return
    table = Table(title=title or head, caption=None if title is None else head, title_justify="left")
    style = board.style is not None
    cols = ["Rank(UB)", "Tier", "Model", "Rating", "95% CI", "Votes", "Win%"] + (["UB w/o style"] if style else [])
    for col in cols:
        table.add_column(col, justify="left" if col == "Model" else "right", max_width=30 if col == "Model" else None,
                         overflow="fold", no_wrap=col != "Model")
    for r in board.rows:
        mark = "*" if r.provisional else ""
        name = r.model if r.active else f"{r.model} (removed)"
        cells = [str(r.rank_ub), str(r.tier), name, f"{r.rating:.0f}{mark}",
                 f"+{r.ci_high - r.rating:.0f}/-{r.rating - r.ci_low:.0f}", f"{r.votes:,}", f"{r.win_rate:.0%}"]
        if style:
            cells.append(str(r.rank_ub_unstyled))
        table.add_row(*cells)
    console.print(table)
    if any(r.provisional for r in board.rows):
        console.print(f"* provisional: fewer than {board.provisional_below} votes")
    pos = board.position
    parts = [f"ties {board.tie_rate:.0%} (both bad {board.both_bad_rate:.0%})"]
    if pos.left_share is not None:
        parts.append(f"left answer won {pos.left_share:.0%} of decisive votes [{pos.ci_low:.0%}, {pos.ci_high:.0%}]")
    if board.davidson_tie is not None:
        parts.append(f"Davidson tie parameter {board.davidson_tie:.3f}")
    if board.style is not None:
        parts.append("style: " + ", ".join(f"{k} {v:+.3f}" for k, v in board.style.coefficients.items()))
    console.print("; ".join(parts) + ".")
    for s in board.separations:
        if s.separated:
            console.print(f"  {s.a} > {s.b}: separated ({s.gap:.0f} ± {1.96 * s.se_diff:.0f})")
        elif s.more_votes is not None:
            console.print(f"  {s.a} ≈ {s.b}: gap {s.gap:.0f} ± {1.96 * s.se_diff:.0f}; ≈ {s.more_votes:,} more "
                          "votes to separate them")
        else:
            console.print(f"  {s.a} ≈ {s.b}: gap {s.gap:.0f} ± {1.96 * s.se_diff:.0f}; too close to separate")
    if board.excluded:
        console.print("left out: " + ", ".join(f"{n} {why}" for why, n in board.excluded.items()))
    for note in board.notes:
        console.print(f"note: {note}")
    if matrix and len(board.models) <= 15:
        m = Table(title="Win rate (row vs column, ties half)")
        m.add_column("")
        for k in range(len(board.models)):
            m.add_column(str(k + 1), justify="right")
        for k, (name, row) in enumerate(zip(board.models, board.win_rate, strict=True)):
            m.add_row(f"{k + 1} {name[:20]}", *["-" if v is None else f"{v:.0%}" for v in row])
        console.print(m)


@arena_app.command("import")
def import_cmd(arena: ArenaArg, file: Annotated[Path, typer.Argument(help="Votes: .csv or .jsonl (.gz ok).")],
               create: Annotated[bool, typer.Option("--create", help="Create the arena if it is missing.")] = False,
               json_: JsonOption = False, db: DbOption = None) -> None:
    """Import votes in LMArena's columns (model_a, model_b, winner, judge, tstamp, ...).

    \b
    Examples:
      shortlist arena import public arena_votes.csv.gz --create
      shortlist arena import bots2 bots-votes.jsonl
    """
    from shortlist.arena import create_arena, import_votes, list_arenas

    with _store(db) as store:
        if create and arena not in {a.name for a in list_arenas(store).arenas}:
            create_arena(store, arena)
        r = import_votes(store, arena, file)
    if json_:
        _emit(r)
    else:
        console.print(f"Imported {r.imported:,} of {r.rows:,} votes into {arena} ({r.duplicates:,} already there, "
                      f"{r.self_votes:,} self-votes, {r.not_blind:,} not blind); {len(r.contestants_created)} new "
                      "contestants.")


@arena_app.command("export")
def export_cmd(arena: ArenaArg, file: Annotated[Path, typer.Argument(help=".csv or .jsonl (.gz ok).")],
               battles: Annotated[bool, typer.Option("--battles", help="Battles with prompts and answers (JSONL).")]
               = False,
               judge: Annotated[bool, typer.Option("--judge", help="The judge's votes instead of the humans'.")]
               = False,
               json_: JsonOption = False, db: DbOption = None) -> None:
    """Export counted votes in LMArena's columns, or whole battles with prompts and answers.

    \b
    Examples:
      shortlist arena export bots votes.csv
      shortlist arena export bots battles.jsonl --battles
    """
    from shortlist.arena import export_battles, export_votes

    with _store(db) as store:
        r = export_battles(store, arena, file) if battles else export_votes(store, arena, file, judge=judge)
    if json_:
        _emit(r)
    else:
        console.print(f"Wrote {r.rows:,} {'battles' if battles else 'votes'} to {r.file}.")


@arena_app.command("judge")
def judge_cmd(
    arena: ArenaArg,
    spec: Annotated[str, typer.Argument(help="The judge model: openai:NAME@URL, hf:PATH or FILE.gguf.")],
    name: Annotated[str | None, typer.Option(help="Label of its votes (default judge:MODEL).")] = None,
    rubric: Annotated[Path | None, typer.Option(help="A text file with your own rubric.")] = None,
    api_key_env: Annotated[str | None, typer.Option("--api-key-env", help="Env variable holding the API key.")]
    = None,
    concurrency: Annotated[int | None, typer.Option(help="Battles judged at once.")] = None,
    limit: Annotated[int | None, typer.Option(help="Judge at most N battles.")] = None,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="Longest judgement.")] = 1024,
    new_battles: Annotated[bool, typer.Option("--new-battles/--voted-only", help="Also judge answer pairs no "
                                              "human has seen.")] = True,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Let an LLM judge every battle in both orders; its votes get their own board.

    \b
    Examples:
      shortlist arena judge bots openai:gpt-4o@https://api.openai.com/v1 --api-key-env OPENAI_API_KEY
      shortlist arena judge bots ./judge.Q4_K_M.gguf --voted-only --limit 200
      shortlist arena leaderboard bots --judge
    """
    from shortlist.arena import Sampling, judge_battles

    text = None
    if rubric is not None:
        if not rubric.is_file():
            raise BadInput(f"rubric file {rubric} does not exist")
        text = rubric.read_text(encoding="utf-8")
    with _store(db) as store:
        if err_console.is_terminal and not json_:
            with progress() as bar:
                task = bar.add_task("battles", total=None, rate="")
                r = judge_battles(store, arena, spec, name=name, rubric=text, api_key_env=api_key_env,
                                  concurrency=concurrency, limit=limit, create_battles=new_battles,
                                  sampling=Sampling(temperature=0.0, max_tokens=max_tokens),
                                  progress=lambda d, t: bar.update(task, completed=d, total=t))
        else:
            r = judge_battles(store, arena, spec, name=name, rubric=text, api_key_env=api_key_env,
                              concurrency=concurrency, limit=limit, create_battles=new_battles,
                              sampling=Sampling(temperature=0.0, max_tokens=max_tokens))
    if json_:
        _emit(r)
        return
    console.print(f"{r.judge} judged {r.battles} battles ({r.failed} failed, {r.already_judged} judged before) in "
                  f"{r.wall_s:.1f} s: " + ", ".join(f"{k} {v}" for k, v in sorted(r.votes.items())))
    if r.consistency is not None:
        console.print(f"Both orders agreed on {r.consistency:.0%} (disagreements count as ties).")
    for e in r.errors:
        console.print(f"  [red]error[/red] {e}")


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the root app."""
    app.add_typer(arena_app, name="arena")
