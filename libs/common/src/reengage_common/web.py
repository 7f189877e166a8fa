"""HTTP pieces every part shares: health routes, trace-id, body-limit and signing-key
middleware, auth of internal calls."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reengage_common.auth import AuthError, Identity, TokenVerifier, bearer_token, verifier_for
from reengage_common.logging import traced
from reengage_common.metrics import HTTP_REQUESTS
from reengage_common.settings import Settings

TRACE_HTTP_HEADER = "x-trace-id"
ReadinessCheck = Callable[[], Awaitable[None]]

log = structlog.get_logger(__name__)


def health_routes(
    checks: Callable[[Request], Mapping[str, ReadinessCheck]], *, mode: str = "production"
) -> list[Route]:
    """`/healthz` (the process answers), `/readyz` (its dependencies answer, and the mode it
    runs in: a development process says so to whoever deploys it), `/metrics`."""

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def result_of(check: ReadinessCheck) -> str:
        try:
            await check()
        except Exception as exc:  # any failure means "not ready", with its reason
            return f"failing: {str(exc) or type(exc).__name__}"  # a timeout has no message
        return "ok"

    async def readyz(request: Request) -> Response:
        # All at once: a slow dependency costs its own probe's time, not the sum of all.
        named = checks(request)
        answers = await asyncio.gather(*(result_of(check) for check in named.values()))
        results = dict(zip(named, answers, strict=True))
        ready = all(value == "ok" for value in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "mode": mode, "checks": results},
            status_code=200 if ready else 503,
        )

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
    ]


class TraceMiddleware:
    """Binds the caller's trace id (or a new one) to the request's logs and outgoing events."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        # latin-1 never fails; `traced` keeps only a well-formed id and makes a new one instead
        incoming = headers.get(TRACE_HTTP_HEADER.encode(), b"").decode("latin-1") or None
        with traced(incoming) as trace_id:
            status = 500

            async def send_with_trace(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message.setdefault("headers", []).append(
                        (TRACE_HTTP_HEADER.encode(), trace_id.encode())
                    )
                await send(message)

            try:
                await self.app(scope, receive, send_with_trace)
            finally:
                HTTP_REQUESTS.labels(self.service, scope["method"], str(status)).inc()


def identity_of(request: Request, verifier: TokenVerifier | str | None = None) -> Identity:
    """The verified caller of an internal call; the gateway forwards the user's own token.

    Verified as the settings in the request's state say (`runtime.settings` in a service,
    `settings` in the gateway), unless a TokenVerifier is given. A str is the JWT secret older
    callers passed: ignored, the settings decide (HS256 is only accepted in development).
    """
    if not isinstance(verifier, TokenVerifier):
        verifier = verifier_for(_settings_of(request))
    return verifier.verify(bearer_token(request.headers.get("authorization")))


def _settings_of(request: Request) -> Settings:
    runtime = getattr(request.state, "runtime", None)
    settings = getattr(runtime, "settings", None) or getattr(request.state, "settings", None)
    if not isinstance(settings, Settings):
        raise RuntimeError("no settings in the request's state: pass identity_of a TokenVerifier")
    return settings


def error_response(status: int, code: str, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def unauthenticated(exc: AuthError) -> JSONResponse:
    return error_response(401, "UNAUTHENTICATED", str(exc))


def payload_too_large(limit: int) -> JSONResponse:
    response = error_response(413, "TOO_LARGE", f"request body over {limit} bytes", limit=limit)
    # The rest of the body is never read: closing is how the server stops taking it (kept
    # alive, the connection would wait on a sender who waits on us).
    response.headers["connection"] = "close"
    return response


class BodyTooLarge(Exception):
    """Raised into the app by the body's `receive` once the body passes its limit."""


class BodyLimitMiddleware:
    """At most `limit` bytes of request body (a larger one for the paths in `larger`): 413.

    Checked before anything parses the body or authenticates the caller: a Content-Length
    over the limit is refused unread; a chunked body is counted as it streams, and the app's
    `receive` raises BodyTooLarge at the first byte past the limit. Whatever the app then
    answers (its error handling may turn the exception into a 400 or 500, or a proxy route
    into a 503) is replaced by the 413, if its answer has not started.
    """

    def __init__(self, app: ASGIApp, limit: int, larger: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.limit)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await payload_too_large(limit)(scope, receive, send)
            return
        await _LimitedRequest(self.app, limit).run(scope, receive, send)


class _LimitedRequest:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.received = 0
        self.exceeded = False
        self.started = False
        self.body_done = False

    async def run(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.body_done = not _has_body(scope)

        async def counted_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                self.body_done = not message.get("more_body", False)
                if self.received > self.limit:
                    self.exceeded = True
                    raise BodyTooLarge(f"request body over {self.limit} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            if self.exceeded and not self.started:
                return  # the app's answer to a body it never got whole: the 413 replaces it
            if message["type"] == "http.response.start":
                self.started = True
                if not self.body_done:  # e.g. a 401 before the body: see _closing
                    message = _closing(message)
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not self.exceeded:
                raise
        if self.exceeded and not self.started:
            log.info("request.body_too_large", path=scope["path"], limit=self.limit)
            await payload_too_large(self.limit)(scope, receive, send)


def _has_body(scope: Scope) -> bool:
    declared = _content_length(scope)
    chunked = _header(scope, b"transfer-encoding") is not None
    return chunked or (declared is not None and declared > 0)


def _closing(start: Message) -> Message:
    """An answer given before the request's body was read closes the connection: the server
    stops reading the rest, instead of holding a connection whose sender never stops."""
    headers = [(name, value) for name, value in start.get("headers", []) if name != b"connection"]
    return {**start, "headers": [*headers, (b"connection", b"close")]}


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed one before we see it
    return None


class SigningKeysMiddleware:
    """Loads the signing key a bearer token names before the app verifies it synchronously.

    With a JWKS, an unknown `kid` means a fetch from the identity service: done here, awaited
    on the loop's time (an async client), cached, so `TokenVerifier.verify` (sync, in routes
    and resolvers) finds it and never fetches. Without a JWKS this does nothing.
    """

    def __init__(self, app: ASGIApp, verifier: Callable[[], TokenVerifier]) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            authorization = _header(scope, b"authorization")
            if authorization:
                try:
                    token = bearer_token(authorization)
                except AuthError:
                    token = None  # the route answers 401 itself
                if token is not None:
                    await self.verifier().load_key(token)
        await self.app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key == name:
            return value.decode("latin-1")
    return None


def shared_middleware(
    settings: Settings, larger: Mapping[str, int] | None = None
) -> list[Middleware]:
    """What every part's app wraps its routes in, outermost first: a trace id for everything
    (the 413 too), then the body limit, then the signing key of the caller's token."""
    return [
        Middleware(TraceMiddleware, service=settings.service),
        Middleware(BodyLimitMiddleware, limit=settings.max_body_bytes, larger=larger),
        Middleware(SigningKeysMiddleware, verifier=lambda: verifier_for(settings)),
    ]
