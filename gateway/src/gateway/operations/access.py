"""Who is calling and what they may do: the spec's permissions, declared once per operation."""

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from gateway.clients import ServiceClients
from gateway.operations.errors import Forbidden, Unauthenticated
from reengage_common.auth import (
    CLINIC_ADMIN,
    MANAGE_REMINDERS,
    VIEW_ANALYTICS,
    AuthError,
    Identity,
    TokenVerifier,
    bearer_token,
)


@dataclass(frozen=True)
class Requirement:
    permission: str
    role: str | None = None

    def allows(self, identity: Identity) -> bool:
        return identity.can(self.permission) and (self.role is None or identity.role == self.role)

    def describe(self) -> str:
        role = f" and role {self.role}" if self.role else ""
        return f"needs permission {self.permission}{role}"


READ = Requirement(VIEW_ANALYTICS)
MANAGE = Requirement(MANAGE_REMINDERS)
LAUNCH = Requirement(MANAGE_REMINDERS, role=CLINIC_ADMIN)


@dataclass(frozen=True)
class Caller:
    """A verified user, the token to forward to the services, and the clients to call them."""

    identity: Identity
    authorization: str
    clients: ServiceClients

    def require(self, requirement: Requirement) -> None:
        if not requirement.allows(self.identity):
            raise Forbidden(requirement.describe())


def authenticate(authorization: str | None, verifier: TokenVerifier) -> Identity:
    try:
        return verifier.verify(bearer_token(authorization))
    except AuthError as exc:
        raise Unauthenticated(str(exc)) from exc


def caller_from(
    authorization: str | None, verifier: TokenVerifier, clients: ServiceClients
) -> Caller:
    identity = authenticate(authorization, verifier)
    return Caller(identity=identity, authorization=cast(str, authorization), clients=clients)


Operation = TypeVar("Operation", bound=Callable[..., Awaitable[Any]])


def requires(requirement: Requirement) -> Callable[[Operation], Operation]:
    """Declare (and enforce) the permission an operation needs; REST and GraphQL read it."""

    def decorate(operation: Operation) -> Operation:
        @functools.wraps(operation)
        async def guarded(caller: Caller, *args: Any, **kwargs: Any) -> Any:
            caller.require(requirement)
            return await operation(caller, *args, **kwargs)

        guarded.requirement = requirement  # type: ignore[attr-defined]
        return cast(Operation, guarded)

    return decorate


def requirement_of(operation: Callable[..., Awaitable[Any]]) -> Requirement:
    return cast(Requirement, operation.requirement)  # type: ignore[attr-defined]
