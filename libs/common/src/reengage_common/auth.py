"""JWT verification into an Identity, and the permission rules of the spec."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt

VIEW_ANALYTICS = "booking:view_analytics"
MANAGE_REMINDERS = "booking:manage_reminders"
CLINIC_ADMIN = "clinic_admin"

# What `./dev token --role X` grants when no permissions are given.
ROLE_DEFAULT_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "clinic_admin": (VIEW_ANALYTICS, MANAGE_REMINDERS),
    "manager": (VIEW_ANALYTICS, MANAGE_REMINDERS),
    "staff": (VIEW_ANALYTICS,),
}


class AuthError(Exception):
    """The caller is not authenticated: no token, a bad signature, expired, or missing claims."""


class PermissionDenied(Exception):
    """The caller is authenticated but may not do this."""


@dataclass(frozen=True)
class Identity:
    user_id: str
    clinic_id: str
    role: str
    permissions: frozenset[str] = field(default_factory=frozenset)

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str, *, role: str | None = None) -> None:
        if not self.can(permission):
            raise PermissionDenied(f"needs permission {permission}")
        if role is not None and self.role != role:
            raise PermissionDenied(f"needs role {role}")


def verify_token(token: str, secret: str) -> Identity:
    """An HS256 token with claims sub, clinic_id, role, permissions; exp is honoured."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["sub", "clinic_id"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthError("token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise AuthError(f"invalid token: {exc}") from exc
    permissions = claims.get("permissions") or []
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        raise AuthError("invalid token: permissions must be a list of strings")
    return Identity(
        user_id=str(claims["sub"]),
        clinic_id=str(claims["clinic_id"]),
        role=str(claims.get("role") or ""),
        permissions=frozenset(permissions),
    )


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("missing Authorization header")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization header must be 'Bearer <token>'")
    return token.strip()


def issue_token(
    secret: str,
    *,
    user_id: str,
    clinic_id: str,
    role: str,
    permissions: list[str] | None = None,
    ttl: timedelta = timedelta(hours=12),
    now: datetime | None = None,
) -> str:
    """A development or test token. Production tokens come from the platform's identity service."""
    issued = now or datetime.now(UTC)
    if permissions is None:
        permissions = list(ROLE_DEFAULT_PERMISSIONS.get(role, ()))
    claims = {
        "sub": user_id,
        "clinic_id": clinic_id,
        "role": role,
        "permissions": permissions,
        "iat": issued,
        "exp": issued + ttl,
    }
    return jwt.encode(claims, secret, algorithm="HS256")
