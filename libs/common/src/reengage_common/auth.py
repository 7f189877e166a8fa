"""JWT verification into an Identity, and the permission rules of the spec.

Tokens are checked as a resource server checks them: signed by a key we hold the public half
of (RS256/ES256 from `JWT_PUBLIC_KEY` or `JWT_JWKS_URL`; in development the dev key pair), with
`exp`, `iss` and `aud` required. The key decides the algorithm, never the token's header.
"""

import asyncio
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from reengage_common.jwks import JwksCache, SigningKeysUnavailable
from reengage_common.jwt_keys import (
    SigningKey,
    VerificationKey,
    development_key_dir,
    development_public_key,
    development_signing_key,
    generate_signing_key,
    load_public_key,
)
from reengage_common.settings import (
    DEVELOPMENT_JWT_AUDIENCE,
    DEVELOPMENT_JWT_ISSUER,
    Settings,
)

# Minting keys are re-exported so a test needs one import: generate_signing_key, issue_token.
__all__ = [
    "CLINIC_ADMIN",
    "MANAGE_REMINDERS",
    "VIEW_ANALYTICS",
    "AuthError",
    "Identity",
    "PermissionDenied",
    "SigningKey",
    "TokenVerifier",
    "VerificationKey",
    "bearer_token",
    "development_signing_key",
    "generate_signing_key",
    "issue_token",
    "verifier_for",
]

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


# Only these are ever accepted, and each only with a key of its own kind; "none" never is.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub", "clinic_id"]
CLOCK_LEEWAY = timedelta(seconds=30)  # clocks of the identity service and ours drift a little
JWKS_CACHE_SECONDS = 300
JWKS_TIMEOUT_SECONDS = 5.0
MAX_KID_LENGTH = 256  # a longer kid names no key of ours; not worth a fetch


class TokenVerifier:
    """Checks a bearer token against the keys it was given and answers with the Identity.

    `keys` are static (a PEM public key, the dev public key, an HS256 secret in development);
    `jwks` holds keys by `kid` from the identity service. `verify` never fetches on a running
    event loop: `load_key` (async, off the loop's time) fetches first, which the web
    middleware does for every request with a bearer token (`SigningKeysMiddleware`).
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        keys: Sequence[VerificationKey] = (),
        jwks: JwksCache | None = None,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.keys = tuple(keys)
        self.jwks = jwks

    async def load_key(self, token: str) -> None:
        """Fetch the JWKS key this token names, if it is not cached; never raises."""
        kid = self._jwks_kid(token)
        if kid is not None and self.jwks is not None:
            await self.jwks.load(kid)

    def verify(self, token: str) -> Identity:
        key = self._key_for(_header_of(token))
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=CLOCK_LEEWAY,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("token expired") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"invalid token: {exc}") from exc
        return _identity_from(claims)

    def _key_for(self, header: dict[str, Any]) -> VerificationKey:
        algorithm, kid = header.get("alg"), header.get("kid")
        if self.jwks is not None and isinstance(kid, str) and algorithm in ASYMMETRIC_ALGORITHMS:
            fetched = self._fetched_key(kid)
            if fetched is not None:
                return _same_algorithm(fetched, algorithm)
        for key in self.keys:
            if key.algorithm == algorithm:
                return key
        raise AuthError(f"invalid token: algorithm {algorithm!r} or key {kid!r} is not accepted")

    def _fetched_key(self, kid: str) -> VerificationKey | None:
        assert self.jwks is not None
        on_loop = _on_event_loop()
        if not on_loop:
            self.jwks.load_blocking(kid)  # a script or sync test: blocking harms nobody
        try:
            key = self.jwks.key_for(kid)
        except SigningKeysUnavailable as exc:
            raise AuthError(str(exc)) from exc
        if key is None:
            if on_loop:
                self.jwks.schedule_load(kid)  # not loaded (yet): a retry may find it
            return None  # a static key may still know it
        if key.algorithm not in ASYMMETRIC_ALGORITHMS:
            raise AuthError(f"invalid token: key {kid!r} is not an asymmetric signing key")
        return key

    def _jwks_kid(self, token: str) -> str | None:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.InvalidTokenError:
            return None  # verify says why
        return kid if isinstance(kid, str) and len(kid) <= MAX_KID_LENGTH else None


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _header_of(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise AuthError(f"invalid token: {exc}") from exc


def _same_algorithm(key: VerificationKey, algorithm: object) -> VerificationKey:
    if key.algorithm != algorithm:
        raise AuthError(f"invalid token: key {key.kid!r} signs {key.algorithm}, not {algorithm}")
    return key


def _identity_from(claims: dict[str, Any]) -> Identity:
    permissions = claims.get("permissions") or []
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        raise AuthError("invalid token: permissions must be a list of strings")
    return Identity(
        user_id=str(claims["sub"]),
        clinic_id=str(claims["clinic_id"]),
        role=str(claims.get("role") or ""),
        permissions=frozenset(permissions),
    )


def verifier_for(settings: Settings) -> TokenVerifier:
    """The verifier these settings describe; one per configuration, so JWKS stay cached."""
    return _verifier(
        settings.env,
        settings.jwt_issuer,
        settings.jwt_audience,
        settings.jwt_public_key,
        settings.jwt_jwks_url,
        settings.jwt_secret,
        str(development_key_dir()),
    )


@functools.lru_cache(maxsize=32)
def _verifier(
    env: str,
    issuer: str,
    audience: str,
    public_key: str | None,
    jwks_url: str | None,
    secret: str | None,
    development_dir: str,
) -> TokenVerifier:
    keys: list[VerificationKey] = []
    if public_key:
        keys.append(load_public_key(public_key))
    jwks = None
    if jwks_url:
        jwks = JwksCache(jwks_url, refresh_seconds=JWKS_CACHE_SECONDS, timeout=JWKS_TIMEOUT_SECONDS)
    if env != "production":
        if not keys and jwks is None:
            keys.append(development_public_key(Path(development_dir)))
        if secret:  # settings refuse JWT_SECRET in production; this keeps it out regardless
            keys.append(VerificationKey(secret.encode(), "HS256"))
    return TokenVerifier(issuer=issuer, audience=audience, keys=keys, jwks=jwks)


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("missing Authorization header")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization header must be 'Bearer <token>'")
    return token.strip()


def issue_token(
    signing_key: SigningKey | str,
    *,
    user_id: str,
    clinic_id: str,
    role: str,
    permissions: list[str] | None = None,
    ttl: timedelta = timedelta(hours=12),
    now: datetime | None = None,
    issuer: str = DEVELOPMENT_JWT_ISSUER,
    audience: str = DEVELOPMENT_JWT_AUDIENCE,
) -> str:
    """A development or test token. Production tokens come from the platform's identity service.

    `signing_key` is a SigningKey (`generate_signing_key()` in tests,
    `development_signing_key()` for `./dev token`); a str is an HS256 secret (development only).
    """
    if not isinstance(signing_key, SigningKey | str) or not signing_key:
        raise TypeError("issue_token needs a SigningKey (tests: generate_signing_key())")
    issued = now or datetime.now(UTC)
    if permissions is None:
        permissions = list(ROLE_DEFAULT_PERMISSIONS.get(role, ()))
    claims = {
        "sub": user_id,
        "clinic_id": clinic_id,
        "role": role,
        "permissions": permissions,
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "exp": issued + ttl,
    }
    if isinstance(signing_key, str):
        return jwt.encode(claims, signing_key, algorithm="HS256")
    return jwt.encode(
        claims,
        signing_key.private_key,
        algorithm=signing_key.algorithm,
        headers={"kid": signing_key.kid},
    )
