"""The strawberry ASGI app with its caches and hardening, and the context getter."""

from collections.abc import Callable
from typing import Any

from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.requests import Request
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

from gateway.context import GatewayContext
from gateway.schema import build_schema
from reengage_common.settings import Settings


def schema_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    # Factories: strawberry builds a fresh extension per request; the caches live at module level.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        lambda: QueryDepthLimiter(max_depth=10),
        lambda: MaxTokensLimiter(max_token_count=4000),
        lambda: MaxAliasesLimiter(max_alias_count=30),
    ]
    if settings.env != "development":
        extensions.append(lambda: MaskErrors())
    if settings.env == "production":
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return extensions


class GatewayGraphQL(GraphQL):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(schema_extensions(settings)),
            graphql_ide="graphiql" if settings.env != "production" else None,
        )
        self.settings = settings

    async def get_context(self, request: Request | WebSocket, response: Any) -> GatewayContext:
        return GatewayContext(
            request=request,
            response=response,
            settings=self.settings,
            clients=request.state.clients,
            authorization=request.headers.get("authorization"),
        )


def make_graphql_app(settings: Settings) -> GatewayGraphQL:
    return GatewayGraphQL(settings)
