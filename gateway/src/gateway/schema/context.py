"""Per-request GraphQL context: the verified caller, the service clients, fresh DataLoaders.

Made by the context getter (gateway.graphql_app); the schema's resolvers see it through
`gateway.schema.info.GatewayInfo` and never import it at run time."""

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket

from gateway.clients import ServiceClients
from gateway.live.inbox import LiveInbox
from gateway.live.stats import LiveStats
from gateway.operations.access import Caller
from gateway.operations.errors import Unauthenticated
from gateway.schema.loaders import Loaders
from reengage_common.auth import AuthError, Identity, bearer_token, verifier_for
from reengage_common.settings import Settings

STATS_POLL_SECONDS = 2.0


@dataclass
class GatewayContext:
    request: Request | WebSocket | None
    response: Any
    settings: Settings
    clients: ServiceClients
    authorization_header: str | None
    loaders: Loaders = field(init=False)
    # Set by strawberry from a websocket's connection_init payload.
    connection_params: dict[str, Any] | None = None
    # A campaign's live figures also refresh this often without events (per campaign).
    stats_poll_seconds: float = STATS_POLL_SECONDS
    # The process's live-stats hub (one Kafka consumer for every subscription).
    live_stats: LiveStats | None = None
    # The process's live inbox (one Kafka consumer of message.received for every subscription).
    live_inbox: LiveInbox | None = None

    @property
    def authorization(self) -> str | None:
        """The HTTP header, or over a websocket `{"authorization": "Bearer …"}` at connection."""
        if self.authorization_header:
            return self.authorization_header
        params = self.connection_params or {}
        value = params.get("authorization") or params.get("Authorization")
        return value if isinstance(value, str) else None

    @cached_property
    def identity(self) -> Identity:
        """The verified caller; raises AuthError when the token is missing or bad."""
        return verifier_for(self.settings).verify(bearer_token(self.authorization))

    def identity_or_none(self) -> Identity | None:
        try:
            return self.identity
        except AuthError:
            return None

    def caller(self) -> Caller:
        """Who the operations act for; raises Unauthenticated without a good token."""
        try:
            identity = self.identity
        except AuthError as exc:
            raise Unauthenticated(str(exc)) from exc
        return Caller(
            identity=identity, authorization=self.authorization or "", clients=self.clients
        )
