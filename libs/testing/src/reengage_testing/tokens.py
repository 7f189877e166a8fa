"""Tokens for tests (imported by tests only): ones a resource server must refuse, and a JWKS.

A test mints good tokens with `issue_token(key, ...)` from a `generate_signing_key()` whose
`public_pem` it gives the settings (`jwt_public_key=key.public_pem`); these are the bad ones.
"""

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

from reengage_common.auth import ROLE_DEFAULT_PERMISSIONS, issue_token
from reengage_common.jwt_keys import SigningKey, generate_signing_key
from reengage_common.settings import DEVELOPMENT_JWT_AUDIENCE, DEVELOPMENT_JWT_ISSUER


def refused_tokens(key: SigningKey, clinic_id: str = "clinic-a") -> dict[str, str]:
    """Tokens for `clinic_admin` of `clinic_id` that must all be refused, named by their flaw."""
    now = datetime.now(UTC)
    claims = _admin_claims(clinic_id, now)
    admin: dict[str, Any] = {
        "user_id": "u-attacker",
        "clinic_id": clinic_id,
        "role": "clinic_admin",
    }
    return {
        "no exp": _signed(key, {k: v for k, v in claims.items() if k != "exp"}),
        "expired": issue_token(key, **admin, now=now - timedelta(hours=2), ttl=timedelta(hours=1)),
        "wrong aud": issue_token(key, **admin, audience="another-api"),
        "wrong iss": issue_token(key, **admin, issuer="someone-else"),
        "no iss": _signed(key, {k: v for k, v in claims.items() if k != "iss"}),
        "alg none": jwt.encode(claims, None, algorithm="none"),
        "HS256 with the public key as secret": hs256_signed_with(key.public_pem, claims),
        "another key": issue_token(generate_signing_key(key.algorithm), **admin),
    }


def hs256_signed_with(secret: str, claims: dict[str, Any]) -> str:
    """An HS256 token made by hand: PyJWT itself refuses to use a PEM as an HMAC secret."""
    header = {"alg": "HS256", "typ": "JWT"}
    body = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in claims.items()}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(body).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


@contextmanager
def serving_jwks(*keys: SigningKey) -> Iterator[str]:
    """A JWKS of `keys` on a real local HTTP server (PyJWKClient fetches with urllib)."""
    document = json.dumps({"keys": [key.public_jwk() for key in keys]}).encode()

    class JwksHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), JwksHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def _admin_claims(clinic_id: str, now: datetime) -> dict[str, Any]:
    return {
        "sub": "u-attacker",
        "clinic_id": clinic_id,
        "role": "clinic_admin",
        "permissions": list(ROLE_DEFAULT_PERMISSIONS["clinic_admin"]),
        "iss": DEVELOPMENT_JWT_ISSUER,
        "aud": DEVELOPMENT_JWT_AUDIENCE,
        "iat": now,
        "exp": now + timedelta(hours=1),
    }


def _signed(key: SigningKey, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, key.private_key, algorithm=key.algorithm, headers={"kid": key.kid})


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
