"""HTTP pieces every part shares: health routes, trace-id middleware, auth of internal calls."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
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


def health_routes(checks: Callable[[Request], Mapping[str, ReadinessCheck]]) -> list[Route]:
    """`/healthz` (the process answers), `/readyz` (its dependencies answer), `/metrics`."""

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
            {"status": "ready" if ready else "not ready", "checks": results},
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
        incoming = headers.get(TRACE_HTTP_HEADER.encode(), b"").decode() or None
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
