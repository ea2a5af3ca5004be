"""The dashboard: a Starlette app whose pages call the same library functions as the CLI.

The arena's pages and its voting API live in arena_pages.py; this module only mounts them.

Each page has a JSON twin (the same path with `.json`, or `Accept: application/json`) whose body is the schema of
the matching `--json`. Bad query parameters give the page with a message and HTTP 400 (JSON: {"error": ...});
the app never shows a traceback. Every asset ships in the package, the chart library included, so it works
offline; templates autoescape everything, and chart data travel as escaped JSON.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from shortlist import __version__
from shortlist.errors import NotFound, ShortlistError
from shortlist.web import forms

log = logging.getLogger("shortlist.web")
HERE = Path(__file__).resolve().parent


def _templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.globals["version"] = __version__
    t.env.filters["gib"] = lambda n: "-" if n is None else f"{n / 2**30:.1f} GiB"
    t.env.filters["pct"] = lambda x: "-" if x is None else f"{x * 100:.1f}"
    t.env.filters["short"] = _short_benchmark
    return t


def _short_benchmark(b: str) -> str:
    from shortlist.catalog.benchmarks import get_benchmark

    try:
        return get_benchmark(b).name
    except ShortlistError:
        return b


def wants_json(request: Request) -> bool:
    return request.url.path.endswith(".json") or "application/json" in request.headers.get("accept", "").split(",")[0]


class Pages:
    """Route handlers bound to one database path (None: the default store)."""

    def __init__(self, db: Path | None) -> None:
        self.db = db
        self.templates = _templates()

    def _render(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        return self.templates.TemplateResponse(request, name, {"request": request, **context}, status_code=status)

    def _error(self, request: Request, exc: ShortlistError, page: str, context: dict[str, Any]) -> Response:
        status = 404 if isinstance(exc, NotFound) and page in ("model.html", "run.html") else 400
        if wants_json(request):
            return JSONResponse({"error": str(exc)}, status_code=status)
        return self._render(request, page, {**context, "error": str(exc)}, status)

    def _answer(self, request: Request, page: str, result: Any, context: dict[str, Any]) -> Response:
        if wants_json(request):
            return JSONResponse(result.model_dump(mode="json") if hasattr(result, "model_dump") else result)
        return self._render(request, page, context)

    async def explorer(self, request: Request) -> Response:
        from shortlist.rank import list_profiles, pick
        from shortlist.web import views

        q = dict(request.query_params)
        base = {"state": forms.pick_state(q), "profiles": list_profiles(), "gpus": views.gpu_names(),
                "families": views.family_names()}
        t0 = time.perf_counter()
        try:
            sl = pick(forms.pick_request(q, self.db))
        except ShortlistError as exc:
            return self._error(request, exc, "explorer.html", base)
        elapsed = time.perf_counter() - t0
        return self._answer(request, "explorer.html", sl, {**base, **views.explorer_context(sl), "elapsed": elapsed})

    async def model(self, request: Request) -> Response:
        from shortlist.report.views import model_view

        name = request.path_params["name"].removesuffix(".json")
        try:
            view = model_view(name, self.db)
        except ShortlistError as exc:
            return self._error(request, exc, "model.html", {"name": name})
        return self._answer(request, "model.html", view, {"view": view})

    async def compare(self, request: Request) -> Response:
        from shortlist.report.views import compare_view
        from shortlist.web import views

        q = dict(request.query_params)
        base = {"state": q, "profiles": _profiles(), "gpus": views.gpu_names()}
        try:
            names = forms.model_list(q)
            context = forms.parse_tokens(q.get("context") or "4096", "context") or 4096
            gpus = forms._int(q, "gpus", 1, 1, 1024) or 1
            view = compare_view(names, task=q.get("task") or "general-chat", gpu=q.get("gpu") or "RTX 4090",
                                gpus=gpus, context=context, db=self.db)
        except ShortlistError as exc:
            return self._error(request, exc, "compare.html", base)
        return self._answer(request, "compare.html", view, {**base, **views.compare_context(view)})

    async def runs(self, request: Request) -> Response:
        from shortlist.evaluate.runs import RunList

        result = self._with_store(lambda store: _list_runs(store)) or RunList(runs=[])
        return self._answer(request, "runs.html", result, {"runs": result.runs})

    async def run(self, request: Request) -> Response:
        from shortlist.web import views

        run_id = request.path_params["run_id"].removesuffix(".json")
        q = dict(request.query_params)
        try:
            detail = self._with_store(lambda store: _get_run(store, run_id), missing=True)
            context = views.run_context(detail, q, self._with_store)
        except ShortlistError as exc:
            return self._error(request, exc, "run.html", {"run_id": run_id, "state": q})
        return self._answer(request, "run.html", detail, {**context, "state": q})

    def _with_store(self, fn: Any, missing: bool = False) -> Any:
        from shortlist import paths
        from shortlist.store import Store

        path = paths.db_path(self.db)
        if not path.is_file():
            if missing:
                raise NotFound("no evaluation runs yet", "run `shortlist eval` first")
            return None
        with Store(path) as store:
            return fn(store)


def _profiles() -> Any:
    from shortlist.rank import list_profiles

    return list_profiles()


def _list_runs(store: Any) -> Any:
    from shortlist.evaluate.runs import list_runs

    return list_runs(store)


def _get_run(store: Any, run_id: str) -> Any:
    from shortlist.evaluate.runs import get_run

    return get_run(store, run_id, with_samples=True)


async def plotly_js(request: Request) -> Response:
    """Plotly's own offline bundle, from the installed package (no CDN)."""
    from shortlist.web.views import plotly_source

    return Response(plotly_source(), media_type="application/javascript",
                    headers={"Cache-Control": "public, max-age=86400"})


async def not_found(request: Request, exc: Exception) -> Response:
    if wants_json(request):
        return JSONResponse({"error": f"no page at {request.url.path}"}, status_code=404)
    return PlainTextResponse(f"no page at {request.url.path}", status_code=404)


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    allow = getattr(exc, "headers", None) or {}
    if wants_json(request) or request.method not in ("GET", "HEAD"):
        return JSONResponse({"error": f"{request.method} is not allowed on {request.url.path}"}, status_code=405,
                            headers=allow)
    return PlainTextResponse(f"{request.method} is not allowed on {request.url.path}", status_code=405, headers=allow)


async def server_error(request: Request, exc: Exception) -> Response:
    """A bug, not bad input: logged, answered without a traceback."""
    log.exception("error serving %s", request.url.path)
    if wants_json(request):
        return JSONResponse({"error": "internal error (see the server log)"}, status_code=500)
    return HTMLResponse("<h1>Internal error</h1><p>See the server log.</p>", status_code=500)


class ServerTiming:
    """Adds `Server-Timing: app;dur=<ms>` to every response: what the server spent, for bench/web_explorer.py."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - start) * 1000
                message["headers"] = [*message.get("headers", []), (b"server-timing", f"app;dur={ms:.1f}".encode())]
            await send(message)

        await self.app(scope, receive, timed_send)


def create_app(db: str | Path | None = None) -> Starlette:
    """The dashboard app on the store at `db` (None: --db / SHORTLIST_DB / the default location)."""
    from shortlist.web.arena_pages import ArenaPages

    pages = Pages(Path(db) if db else None)
    arena = ArenaPages(pages.db, pages._render, wants_json)
    routes = [
        Route("/", pages.explorer),
        Route("/explore.json", pages.explorer),
        Route("/model/{name:path}", pages.model),
        Route("/compare", pages.compare),
        Route("/compare.json", pages.compare),
        Route("/runs", pages.runs),
        Route("/runs.json", pages.runs),
        Route("/runs/{run_id}", pages.run),
        *arena.routes(),
        Route("/static/plotly.min.js", plotly_js),
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    from starlette.middleware import Middleware

    return Starlette(routes=routes, exception_handlers={404: not_found, 405: method_not_allowed,
                                                       500: server_error},
                     middleware=[Middleware(ServerTiming)])
