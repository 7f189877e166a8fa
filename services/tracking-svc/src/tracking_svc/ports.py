"""Two doors into one tracking-svc process: the internal port and the public one.

The public routes (`/u/`, `/b/`, `/webhooks/...`) are reached by patients and providers from
the internet; the internal API, `/metrics` and `/readyz` (whose failures name the exception)
only by the gateway and operators. They share the process's clients (one lifespan), but are
served on separate ports, so a deployment exposes only `PUBLIC_PORT` and a request to the
wrong port finds nothing (404).
"""

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from reengage_common.settings import Settings
from reengage_common.web import shared_middleware


def serves_public(settings: Settings) -> bool:
    """The public port belongs with the API role (a worker serves only health and metrics)."""
    return settings.service_role in ("all", "api")


class ByPort:
    """Sends a request to the public app when it came in on `public_port`, else to the
    internal app, which also runs the lifespan both share (uvicorn hands its state to every
    request of the server, whichever socket it arrived on)."""

    def __init__(self, internal: Starlette, public: ASGIApp, public_port: int) -> None:
        self.internal, self.public, self.public_port = internal, public, public_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server") or (None, None)
        if scope["type"] != "lifespan" and server[1] == self.public_port:
            await self.public(scope, receive, send)
        else:
            await self.internal(scope, receive, send)


def public_app(settings: Settings, routes: Sequence[BaseRoute]) -> Starlette:
    return Starlette(routes=list(routes), middleware=shared_middleware(settings))


def split_by_port(
    settings: Settings, internal: Starlette, routes: Sequence[BaseRoute], public_port: int
) -> ASGIApp:
    if not serves_public(settings):
        return internal
    return ByPort(internal, public_app(settings, routes), public_port)
