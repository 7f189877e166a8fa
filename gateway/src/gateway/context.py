"""Per-request GraphQL context: the verified caller, the service clients, fresh DataLoaders."""

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket

from gateway.clients import ServiceClients
from reengage_common.auth import AuthError, Identity, bearer_token, verify_token
from reengage_common.settings import Settings


@dataclass
class GatewayContext:
    request: Request | WebSocket
    response: Any
    settings: Settings
    clients: ServiceClients
    authorization: str | None
    loaders: dict[str, Any] = field(default_factory=dict)

    @property
    def identity(self) -> Identity:
        """The verified caller; raises AuthError when the token is missing or bad."""
        return verify_token(bearer_token(self.authorization), self.settings.jwt_secret)

    def identity_or_none(self) -> Identity | None:
        try:
            return self.identity
        except AuthError:
            return None
