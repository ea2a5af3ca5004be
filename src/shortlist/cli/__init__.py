"""The `shortlist` command: a Typer app whose commands live one module each.

Every ShortlistError becomes one line on stderr and exit code 2; SHORTLIST_DEBUG=1 re-raises
to show the traceback. Command modules import heavy libraries only inside their commands.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from shortlist import __version__
from shortlist.errors import ShortlistError

HELP = """Choose the right base LLM: what fits your hardware, what is strong at your task, proven by your own evals.

\b
Examples:
  shortlist pick --gpu "RTX 4090" --task coding
  shortlist fit meta-llama/Llama-3.1-8B --gpu 4090 --context 8k --mode qlora
  shortlist fit --gpu "A100 80GB" --json
  shortlist models --family qwen2.5
  shortlist leaderboard import open_llm_leaderboard_v2.csv
  shortlist eval --model hf:./SmolLM2-135M --tasks hellaswag,arc_easy --limit 100
  shortlist arena leaderboard my-arena
"""

app = typer.Typer(
    name="shortlist",
    help=HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

# One module per command group; each exposes register(app).
COMMAND_MODULES = ("catalog", "fit", "measure", "leaderboard", "pick", "eval", "arena", "report", "serve")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"shortlist {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Show the version."
    ),
) -> None:
    """Choose the right base LLM."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"shortlist.cli.{_name}").register(app)


def error_line(message: str) -> None:
    """One line, whatever the message holds (text quoted from a user's file may carry line breaks)."""
    sys.stderr.write("Error: " + " ".join(message.splitlines()) + "\n")


def main(argv: list[str] | None = None) -> None:
    debug = os.environ.get("SHORTLIST_DEBUG") == "1"
    try:
        app(args=argv, standalone_mode=True)
    except ShortlistError as exc:
        if debug:
            raise
        error_line(str(exc))
        sys.exit(2)
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
