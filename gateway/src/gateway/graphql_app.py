"""The strawberry ASGI app with its caches and hardening, and the context getter."""

from collections.abc import Callable
from typing import Any

from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from gateway.clients import ServiceClients
from gateway.graphiql import GraphiQLPage
from gateway.operation_cost import OperationCostRule
from gateway.schema import build_schema
from gateway.schema.context import GatewayContext
from gateway.schema.errors import should_mask_error
from gateway.schema.loaders import make_loaders
from reengage_common.settings import Settings

MAX_DEPTH = 10
MAX_TOKENS = 4000
MAX_ALIASES = 30

ExtensionFactory = Callable[[], SchemaExtension]

# The validation cache is keyed by the document and the rule classes. strawberry's depth and
# alias limiters make a new rule class per instance: made per request, every request missed the
# cache and was validated again (a third of the gateway's CPU under the console's load
# scenario, docs/perf.md). Their rules are made once, here, and added by one extension.
LIMIT_RULES = (
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    # Estimates, stats and recipients per operation (gateway.operation_cost).
    OperationCostRule,
)


def schema_extensions(settings: Settings) -> list[ExtensionFactory]:
    """Factories, so each request gets fresh extension instances (they keep per-request state);
    the parser and validation caches live at module level and are shared all the same."""
    extensions: list[ExtensionFactory] = [
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(list(LIMIT_RULES)),
    ]
    if settings.env != "development":
        # Our coded errors (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, ...) and errors in the query
        # document stay readable; an unexpected exception becomes "Unexpected error.".
        extensions.append(lambda: MaskErrors(should_mask_error=should_mask_error))
    if settings.env == "production":
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return extensions


def make_context(
    settings: Settings,
    clients: ServiceClients,
    authorization: str | None,
    *,
    request: Request | WebSocket | None = None,
    response: Any = None,
) -> GatewayContext:
    """A context with fresh DataLoaders; a websocket's loaders batch but do not cache."""
    context = GatewayContext(
        request=request,
        response=response,
        settings=settings,
        clients=clients,
        authorization_header=authorization,
    )
    context.loaders = make_loaders(context.caller, cache=not isinstance(request, WebSocket))
    context.live_stats = getattr(getattr(request, "state", None), "live_stats", None)
    context.live_inbox = getattr(getattr(request, "state", None), "live_inbox", None)
    return context


class GatewayGraphQL(GraphQL):
    def __init__(self, settings: Settings, ide: GraphiQLPage | None) -> None:
        super().__init__(
            build_schema(schema_extensions(settings)),
            graphql_ide="graphiql" if ide is not None else None,
        )
        self.settings = settings
        self.ide = ide

    async def render_graphql_ide(self, request: Request) -> Response:
        # our own build instead of strawberry's page, whose scripts come from a CDN
        if self.ide is None:  # strawberry asks only when graphql_ide is set
            return await super().render_graphql_ide(request)
        return await self.ide.response()

    async def get_context(self, request: Request | WebSocket, response: Any) -> GatewayContext:
        # Over a websocket the token may instead come in the connection_init payload
        # (`{"authorization": "Bearer …"}`), which strawberry puts in `connection_params`.
        return make_context(
            self.settings,
            request.state.clients,
            request.headers.get("authorization"),
            request=request,
            response=response,
        )


def make_graphql_app(settings: Settings, ide: GraphiQLPage | None = None) -> GatewayGraphQL:
    return GatewayGraphQL(settings, ide)
