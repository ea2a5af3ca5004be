"""The arena in the dashboard: the list of arenas, each arena's leaderboard, the voting page, and the JSON
endpoints the voting page calls (usable by scripts too).

Why it is built this way:
- Every handler opens its own Store inside a worker thread and closes it there: a Store is one SQLite
  connection, owned by the thread that opened it, and a vote waits for the write lock (BEGIN IMMEDIATE), which
  must not stall the event loop that serves the other voters.
- A vote is acknowledged (HTTP 200 with the library's VoteAck) only after record_vote returned, i.e. after its
  transaction committed with synchronous=FULL; a retried request with the same idempotency key gets the
  original acknowledgement back (`duplicate: true`), so a client may retry after any network error.
- Both answers stream to the browser as Server-Sent Events (`data: <StreamEvent JSON>` per event) from the
  library's stream_pair, a blocking iterator advanced in worker threads. When the browser goes away the
  iterator is closed, which stops both generations and keeps the text so far.
- Voters are identified by their token: `?token=` on the voting page sets an HttpOnly, SameSite=Strict
  cookie once (then the page redirects to a URL without it); scripts may send `Authorization: Bearer TOKEN`.
  An arena with no voters registered takes anonymous votes, as the library does (voter None).
- CSRF: every state-changing endpoint is a POST with a JSON body. A cross-site page cannot send
  `Content-Type: application/json` without a CORS preflight, which this app never grants; a request whose
  Origin is another site is refused as well, and the cookie is SameSite=Strict.
- Errors are one line of JSON with the status the arena error calls for, never a traceback: BattleClosed and
  NotVotable 409, CapReached 429, NothingToVote and NotFound 404, IdempotencyConflict 422, UnknownVoter 401,
  any other ShortlistError (bad input) 400.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from shortlist import arena as ar
from shortlist.arena.errors import (
    BattleClosed,
    CapReached,
    IdempotencyConflict,
    NothingToVote,
    NotVotable,
    UnknownVoter,
)
from shortlist.arena.schemas import ArenaList
from shortlist.errors import BadInput, NotFound, ShortlistError
from shortlist.web import arena_views

log = logging.getLogger("shortlist.web.arena")

MAX_BODY = 1_000_000  # bytes of JSON per request: a prompt or a follow-up, never a file
MAX_TEXT = 100_000  # characters of a typed prompt or follow-up
COOKIE_PREFIX = "shortlist_arena_"
STREAM_THREADS = 64  # threads advancing live streams, apart from the pool that serves votes and pages
MAX_ID = 2**63 - 1  # SQLite's largest integer: a larger battle id in a URL is simply not there


class Forbidden(ShortlistError):
    """A state-changing request from another site (403)."""


class UnsupportedBody(ShortlistError):
    """A POST whose body is not JSON (415)."""


def api_status(exc: ShortlistError) -> int:
    """The HTTP status for an arena error (order matters: UnknownVoter is a NotFound)."""
    if isinstance(exc, UnknownVoter):
        return 401
    if isinstance(exc, BattleClosed | NotVotable):
        return 409
    if isinstance(exc, CapReached):
        return 429
    if isinstance(exc, IdempotencyConflict):
        return 422
    if isinstance(exc, NothingToVote | NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, UnsupportedBody):
        return 415
    return 400


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def api_error(exc: ShortlistError) -> JSONResponse:
    return JSONResponse({"error": one_line(exc)}, status_code=api_status(exc))


def cookie_name(arena: str) -> str:
    """One cookie per arena; arena names may hold characters a cookie name may not, so the name is hashed."""
    return COOKIE_PREFIX + hashlib.sha256(arena.encode("utf-8")).hexdigest()[:16]


def request_token(request: Request, arena: str) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer ") and auth[7:].strip():
        return auth[7:].strip()
    return request.cookies.get(cookie_name(arena)) or None


def _arena_name(request: Request) -> str:
    return str(request.path_params["name"])


def _text_field(body: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise BadInput(f"field '{name}' is missing")
        return None
    if not isinstance(value, str):
        raise BadInput(f"field '{name}' must be text")
    if len(value) > MAX_TEXT:
        raise BadInput(f"field '{name}' is too long ({len(value):,} characters, at most {MAX_TEXT:,})")
    return value


def _list_field(body: dict[str, Any], name: str) -> list[Any] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise BadInput(f"field '{name}' must be a list")
    return value


class EventStream(Response):
    """Server-Sent Events from a blocking iterator of pydantic events, each advanced in a worker thread.

    Starlette's StreamingResponse does not close a synchronous iterator when the client goes away; this one
    watches for the disconnect and always closes it, which stops the generations behind it.
    """

    media_type = "text/event-stream"

    def __init__(self, events: Iterator[Any], on_close: Callable[[], None], limiter: anyio.CapacityLimiter) -> None:
        self.events = events
        self.on_close = on_close
        self.limiter = limiter
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        end = object()

        def advance() -> Any:
            try:
                return next(self.events)
            except StopIteration:
                return end

        async def pump(scope_: anyio.CancelScope) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            while True:
                try:
                    event = await anyio.to_thread.run_sync(advance, limiter=self.limiter)
                except ShortlistError as exc:
                    await send({"type": "http.response.body", "more_body": True,
                                "body": _sse({"kind": "failed", "error": one_line(exc)})})
                    break
                except Exception:
                    log.exception("stream of %s failed", scope.get("path"))
                    await send({"type": "http.response.body", "more_body": True,
                                "body": _sse({"kind": "failed", "error": "internal error (see the server log)"})})
                    break
                if event is end:
                    break
                await send({"type": "http.response.body", "more_body": True,
                            "body": b"data: " + event.model_dump_json().encode("utf-8") + b"\n\n"})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            scope_.cancel()

        async def watch(scope_: anyio.CancelScope) -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            scope_.cancel()

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(pump, tg.cancel_scope)
                tg.start_soon(watch, tg.cancel_scope)
        except* OSError:
            pass  # the client went away while we were sending
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._close, limiter=self.limiter)

    def _close(self) -> None:
        try:
            close = getattr(self.events, "close", None)
            if close is not None:
                close()
        finally:
            self.on_close()


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload).encode("utf-8") + b"\n\n"


class ArenaPages:
    """The arena's routes, bound to one database path (None: the default store)."""

    def __init__(self, db: Path | None, render: Callable[..., Response], wants_json: Callable[[Request], bool]) -> None:
        self.db = db
        self.render = render
        self.wants_json = wants_json
        self._streaming: set[int] = set()  # battles being streamed now: one stream per battle at a time
        self._streaming_lock = threading.Lock()
        # A stream waits on the models between events; it gets threads of its own so that votes never queue
        # behind streams in the shared pool.
        self._stream_threads = anyio.CapacityLimiter(STREAM_THREADS)

    # --- plumbing -------------------------------------------------------------------------------------

    def _store(self) -> Any:
        from shortlist import paths
        from shortlist.store import Store

        if not paths.db_path(self.db).is_file():  # browsing never creates a database
            raise NotFound("no arenas yet", "create one: shortlist arena create NAME")
        return Store(self.db)

    async def _call(self, fn: Callable[[Any], Any]) -> Any:
        """Run fn(store) in a worker thread on a Store opened and closed in that thread."""

        def work() -> Any:
            with self._store() as store:
                return fn(store)

        return await run_in_threadpool(work)

    def _voter(self, store: Any, request: Request, arena: str) -> str | None:
        """The voter behind this request: the token's voter, or None (anonymous) when the arena has no voters."""
        token = request_token(request, arena)
        if token:
            return str(ar.voter_for_token(store, arena, token).name)
        if ar.get_arena(store, arena).voters:
            raise UnknownVoter(f"arena '{arena}' takes votes from its registered voters only",
                               "open the link with your token that the arena owner gave you")
        return None

    @staticmethod
    def _battle(store: Any, arena: str, battle_id: int, voter: str | None) -> Any:
        """The battle, if it belongs to this arena and was served to this voter (or to nobody in particular)."""
        if not 0 < battle_id <= MAX_ID:
            raise NotFound(f"arena '{arena}' has no battle {battle_id}")
        view = ar.get_battle(store, battle_id)
        if view.arena != arena:
            raise NotFound(f"arena '{arena}' has no battle {battle_id}")
        if view.voter is not None and view.voter != voter:
            raise BattleClosed(f"battle {battle_id} was served to another voter")
        return view

    @staticmethod
    async def _body(request: Request) -> dict[str, Any]:
        """The JSON object a POST carries, after the CSRF checks (JSON only, same origin)."""
        origin = request.headers.get("origin")
        if origin is not None:  # browsers send it on every POST; "null" (a sandboxed frame) is refused too
            here = urlsplit(str(request.base_url))
            there = urlsplit(origin)
            if (there.scheme, there.netloc) != (here.scheme, here.netloc):
                raise Forbidden(f"requests from {origin[:100]} are not accepted", "use the page served by this app")
        if request.headers.get("sec-fetch-site") == "cross-site":
            raise Forbidden("cross-site requests are not accepted", "use the page served by this app")
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise UnsupportedBody("send a JSON body with Content-Type: application/json",
                                  f"got '{kind or 'no content type'}'")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            raise BadInput(f"request body too large ({int(declared):,} bytes, at most {MAX_BODY:,})")
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise BadInput(f"request body too large ({len(raw):,} bytes, at most {MAX_BODY:,})")
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            raise BadInput("the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise BadInput("the request body must be a JSON object")
        return body

    # --- pages ----------------------------------------------------------------------------------------

    async def list_page(self, request: Request) -> Response:
        def work(store: Any) -> tuple[Any, dict[str, str]]:
            return ar.list_arenas(store), last_votes(store)

        try:
            arenas, last = await self._call(work)
        except NotFound:
            arenas, last = ArenaList(arenas=[]), {}
        except ShortlistError as exc:
            return self._page_error(request, exc, "arena_list.html", {"arenas": [], "last": {}})
        if self.wants_json(request):
            return JSONResponse(arenas.model_dump(mode="json"))
        return self.render(request, "arena_list.html", {"arenas": arenas.arenas, "last": last})

    async def board_page(self, request: Request) -> Response:
        """The leaderboard. Its JSON twin is `shortlist arena leaderboard NAME --json` with the same options
        (judge=1: the human and judge boards side by side); the page also shows the judge's board beside the
        humans' whenever the arena has judge votes."""
        raw = _arena_name(request)
        as_json = self.wants_json(request)
        name = raw.removesuffix(".json") if raw.endswith(".json") else raw
        q = dict(request.query_params)
        base = {"name": name, "state": arena_views.board_state(q)}
        try:
            options = arena_views.board_options(q)
            judge = arena_views.wants_judge(q)

            def work(store: Any) -> tuple[Any, Any, Any]:
                info = ar.get_arena(store, name)
                if as_json:
                    result = ar.compare_judge(store, name, **options) if judge else ar.leaderboard(store, name,
                                                                                                  **options)
                    return info, result, None
                board = ar.leaderboard(store, name, **options)
                judged = None
                if judge:
                    judged = ar.compare_judge(store, name, **options)
                elif info.judge_votes:
                    try:
                        judged = ar.compare_judge(store, name, **options)
                    except BadInput:  # none of the judge's votes are on this board (another tag)
                        judged = None
                return info, board, judged

            info, result, judged = await self._call(work)
        except ShortlistError as exc:
            return self._page_error(request, exc, "arena_board.html", base)
        if as_json:
            return JSONResponse(result.model_dump(mode="json"))
        return self.render(request, "arena_board.html",
                           {**base, "info": info, **arena_views.board_context(result, judged)})

    async def vote_page(self, request: Request) -> Response:
        name = _arena_name(request)
        token = request.query_params.get("token")
        if token is not None:
            try:
                voter = await self._call(lambda store: ar.voter_for_token(store, name, token))
            except ShortlistError as exc:
                return self._page_error(request, exc, "arena_vote.html", {"name": name})
            rest = {k: v for k, v in request.query_params.items() if k != "token"}
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(cookie_name(name), token, max_age=400 * 24 * 3600, path="/arena", httponly=True,
                                samesite="strict", secure=request.url.scheme == "https")
            log.info("voter %s of %s signed in", voter.name, name)
            return response

        def work(store: Any) -> tuple[Any, Any]:
            info = ar.get_arena(store, name)
            voter_name = self._voter(store, request, name)
            voter = None
            if voter_name is not None:
                voter = next(v for v in ar.list_voters(store, name) if v.name == voter_name)
            return info, voter

        try:
            info, voter = await self._call(work)
        except ShortlistError as exc:
            response = self._page_error(request, exc, "arena_vote.html", {"name": name})
            if isinstance(exc, UnknownVoter) and request_token(request, name):
                response.delete_cookie(cookie_name(name), path="/arena")
            return response
        tag = request.query_params.get("tag") or ""
        return self.render(request, "arena_vote.html", {"name": name, "info": info, "voter": voter, "tag": tag})

    def _page_error(self, request: Request, exc: ShortlistError, page: str, context: dict[str, Any]) -> Response:
        status = api_status(exc)
        if status not in (401, 404):
            status = 400
        if self.wants_json(request):
            return JSONResponse({"error": one_line(exc)}, status_code=status)
        return self.render(request, page, {**context, "error": str(exc), "status": status}, status)

    # --- the JSON API -----------------------------------------------------------------------------------

    async def _api(self, request: Request, fn: Callable[[Any, str | None, dict[str, Any]], Any],
                   status: int = 200) -> Response:
        """POST plumbing: CSRF checks, body, voter, fn(store, voter, body) in a worker thread, errors mapped."""
        name = _arena_name(request)
        try:
            body = await self._body(request)

            def work(store: Any) -> Any:
                return fn(store, self._voter(store, request, name), body)

            result = await self._call(work)
        except ShortlistError as exc:
            return api_error(exc)
        return JSONResponse(result.model_dump(mode="json"), status_code=status)

    async def new_battle(self, request: Request) -> Response:
        """A new round: a battle on pre-generated answers, or, with `prompt` (or `messages`), on a typed
        prompt whose answers are generated live (then POST .../stream)."""
        name = _arena_name(request)

        def fn(store: Any, voter: str | None, body: dict[str, Any]) -> Any:
            prompt = _text_field(body, "prompt")
            messages = _list_field(body, "messages")
            strategy = _text_field(body, "strategy") or "uniform"
            if prompt is not None or messages is not None:
                pair = _list_field(body, "pair")
                if pair is not None and (len(pair) != 2 or not all(isinstance(p, str) for p in pair)):
                    raise BadInput("field 'pair' must name two contestants")
                tags = _list_field(body, "tags")
                if prompt is not None and not prompt.strip():
                    raise BadInput("the prompt is empty", "type a question for both models")
                return ar.start_battle(store, name, prompt, messages=messages, tags=tags, voter=voter,
                                       strategy=strategy, pair=tuple(pair) if pair else None)
            return ar.next_battle(store, name, voter, strategy=strategy, tag=_text_field(body, "tag") or None)

        return await self._api(request, fn, status=201)

    async def battle(self, request: Request) -> Response:
        """GET: the battle as the page shows it (names only after its vote)."""
        name, battle_id = _arena_name(request), int(request.path_params["battle_id"])

        def work(store: Any) -> Any:
            return self._battle(store, name, battle_id, self._voter(store, request, name))

        try:
            view = await self._call(work)
        except ShortlistError as exc:
            return api_error(exc)
        return JSONResponse(view.model_dump(mode="json"))

    async def vote(self, request: Request) -> Response:
        """Record the vote; answered only once the library's transaction has committed."""
        name, battle_id = _arena_name(request), int(request.path_params["battle_id"])

        def fn(store: Any, voter: str | None, body: dict[str, Any]) -> Any:
            outcome = _text_field(body, "outcome", required=True)
            key = _text_field(body, "idempotency_key") or request.headers.get("idempotency-key") or None
            self._battle(store, name, battle_id, voter)
            return ar.record_vote(store, battle_id, voter, outcome or "", idempotency_key=key)

        return await self._api(request, fn)

    async def continue_(self, request: Request) -> Response:
        name, battle_id = _arena_name(request), int(request.path_params["battle_id"])

        def fn(store: Any, voter: str | None, body: dict[str, Any]) -> Any:
            message = _text_field(body, "message", required=True) or ""
            self._battle(store, name, battle_id, voter)
            return ar.continue_battle(store, battle_id, message)

        return await self._api(request, fn)

    async def regenerate(self, request: Request) -> Response:
        name, battle_id = _arena_name(request), int(request.path_params["battle_id"])

        def fn(store: Any, voter: str | None, body: dict[str, Any]) -> Any:
            self._battle(store, name, battle_id, voter)
            return ar.regenerate(store, battle_id)

        return await self._api(request, fn)

    async def skip(self, request: Request) -> Response:
        name, battle_id = _arena_name(request), int(request.path_params["battle_id"])

        def fn(store: Any, voter: str | None, body: dict[str, Any]) -> Any:
            self._battle(store, name, battle_id, voter)
            return ar.skip_battle(store, battle_id)

        return await self._api(request, fn)

    async def stream(self, request: Request) -> Response:
        """Both answers of the latest turn as Server-Sent Events; answers already there come at once."""
        name, battle_id = _arena_name(request), int(request.path_params["battle_id"])
        try:
            await self._body(request)
            with self._streaming_lock:
                if battle_id in self._streaming:
                    raise BattleClosed(f"battle {battle_id} is already streaming", "close the other page first")
                self._streaming.add(battle_id)
        except ShortlistError as exc:
            return api_error(exc)

        def release() -> None:
            with self._streaming_lock:
                self._streaming.discard(battle_id)

        def work(store: Any) -> Iterator[Any]:
            self._battle(store, name, battle_id, self._voter(store, request, name))
            # stream_pair reads the battle here, with this store; afterwards it only uses the store's path
            return ar.stream_pair(store, battle_id)

        try:
            events = await self._call(work)
        except ShortlistError as exc:
            release()
            return api_error(exc)
        except BaseException:
            release()
            raise
        return EventStream(events, release, self._stream_threads)

    def routes(self) -> list[Route]:
        """Most specific first: `{name:path}` would also match the longer paths."""
        battle = "/arena/{name:path}/battles/{battle_id:int}"
        return [
            Route("/arena", self.list_page),
            Route("/arena.json", self.list_page),
            Route(battle + "/vote", self.vote, methods=["POST"]),
            Route(battle + "/continue", self.continue_, methods=["POST"]),
            Route(battle + "/regenerate", self.regenerate, methods=["POST"]),
            Route(battle + "/skip", self.skip, methods=["POST"]),
            Route(battle + "/stream", self.stream, methods=["POST"]),
            Route(battle, self.battle, methods=["GET"]),
            Route("/arena/{name:path}/battles", self.new_battle, methods=["POST"]),
            Route("/arena/{name:path}/vote", self.vote_page, methods=["GET"]),
            Route("/arena/{name:path}", self.board_page, methods=["GET"]),
        ]


def last_votes(store: Any) -> dict[str, str]:
    """When each arena last got a human vote, for the list page. ArenaSummary does not carry it, so this is one
    read-only query on the arena's vote table; call it after list_arenas, which applies the arena schema."""
    rows = store.conn.execute("SELECT a.name, MAX(v.created_at) FROM arena_arenas a JOIN arena_votes v "
                              "ON v.arena_id = a.id AND v.judge IS NULL GROUP BY a.id").fetchall()
    return {r[0]: r[1] for r in rows if r[1]}
