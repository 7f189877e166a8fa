"""Wiring of the gateway: GraphQL at /graphql, the spec's REST paths, health, service clients."""

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.routing import Route, WebSocketRoute

from gateway.clients import ServiceClients, make_service_clients, timeout_of
from gateway.config import GatewaySettings, as_gateway_settings
from gateway.console import ConsolePages
from gateway.dev_sign_in import dev_sign_in_routes
from gateway.graphiql import GraphiQLPage
from gateway.graphql_app import make_graphql_app
from gateway.live.inbox import LiveInbox
from gateway.live.stats import LiveStats
from gateway.rest.routes import rest_routes
from gateway.schema.tracking.subscriptions import fetch_stats
from reengage_common.logging import configure_logging
from reengage_common.service import announce_mode
from reengage_common.settings import Settings, load_settings
from reengage_common.web import ReadinessCheck, health_routes, shared_middleware

SERVICE = "gateway"
IMPORT_PATH = "/api/booking/patients/import"


def create_app(
    settings: Settings | None = None,
    transports: dict[str, httpx.AsyncBaseTransport] | None = None,
) -> Starlette:
    settings = as_gateway_settings(settings or load_settings(SERVICE))

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[dict[str, object]]:
        configure_logging(settings.service, settings.log_level)
        announce_mode(settings)
        clients = make_service_clients(settings, transports)
        live_stats = LiveStats(settings, fetch_stats)  # its Kafka consumer starts on first use
        live_inbox = LiveInbox(settings)
        live_inbox.start()
        try:
            yield {
                "clients": clients,
                "settings": settings,
                "live_stats": live_stats,
                "live_inbox": live_inbox,
            }
        finally:
            await live_stats.close()
            await live_inbox.close()
            await clients.aclose()

    def readiness(request: Request) -> Mapping[str, ReadinessCheck]:
        clients: ServiceClients = request.state.clients
        # A hung service must make /readyz say so quickly, not hold it for a read deadline.
        seconds = clients.deadlines.probe

        def check(client: httpx.AsyncClient) -> ReadinessCheck:
            async def answer() -> None:
                async with asyncio.timeout(seconds):
                    probe = await client.get("/healthz", timeout=timeout_of(seconds))
                probe.raise_for_status()

            return answer

        return {name: check(client) for name, client in clients.all().items()}

    # GraphiQL (from gateway/graphiql-ui's build) everywhere but in production
    ide = GraphiQLPage() if settings.env != "production" else None
    graphql = make_graphql_app(settings, ide)
    # The clinic console (console/'s build) in every environment; its development sign-in only
    # with ENV=development.
    console = ConsolePages(dev_sign_in=settings.env == "development")
    return Starlette(
        routes=[
            *health_routes(readiness, mode=settings.env),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            *(ide.routes() if ide is not None else []),
            *rest_routes(),
            *dev_sign_in_routes(settings),
            *console.routes(),
        ],
        # A patient import streams a whole file: its own, larger body limit.
        middleware=[
            *cors_middleware(settings),
            *shared_middleware(settings, {IMPORT_PATH: settings.max_import_body_bytes}),
        ],
        lifespan=lifespan,
    )


def cors_middleware(settings: GatewaySettings) -> list[Middleware]:
    """Browsers may call the API from a console hosted at one of CORS_ORIGINS; none by default.
    Tokens travel in the Authorization header, never in cookies: no credentials mode."""
    if not settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["authorization", "content-type", "x-trace-id"],
            max_age=600,
        )
    ]
