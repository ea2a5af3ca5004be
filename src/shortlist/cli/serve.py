"""`shortlist serve`: the dashboard (explorer, model, compare, runs) on a local HTTP server."""

from __future__ import annotations

import errno
import socket
from typing import Annotated

import typer

from shortlist.cli.output import DbOption, err_console
from shortlist.errors import BadInput, MissingExtra

HELP = """Serve the dashboard: the pick explorer, model pages, compare, evaluation runs, arenas and their voting
page; every page has a JSON twin.

The app has no authentication: it binds to 127.0.0.1 unless --host says otherwise.

\b
Examples:
  shortlist serve
  shortlist serve --port 8300 --open
  shortlist serve --db team.db --host 0.0.0.0   # visible to your network: no login, you have been warned
"""


def _check_port(host: str, port: int) -> None:
    """A port in use is one line and exit 2, before uvicorn prints its own multi-line error."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise BadInput(f"port {port} on {host} is in use or not allowed", "pick another with --port") from None
            raise BadInput(f"cannot listen on {host}:{port}: {exc.strerror}", "check --host") from None


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to bind (default: loopback only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8200,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the explorer in a browser.")] = False,
    db: DbOption = None,
) -> None:
    if not 1 <= port <= 65535:
        raise BadInput(f"--port must be from 1 to 65535, got {port}")
    try:
        import uvicorn

        from shortlist.web.app import create_app
    except ImportError as exc:
        raise MissingExtra(exc.name or "starlette", "web") from None
    _check_port(host, port)
    if host not in ("127.0.0.1", "localhost", "::1"):
        err_console.print(f"[yellow]Warning:[/] serving on {host}: the app has no authentication; anyone who can "
                          "reach this address can read your store.")
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    err_console.print(f"shortlist dashboard on {url} (Ctrl+C to stop)")
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    uvicorn.run(create_app(db), host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("serve", help=HELP)(serve_command)
