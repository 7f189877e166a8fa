"""Signing keys from a JWKS are fetched off the event loop: while the identity service hangs,
a token naming an unknown key waits alone and every other request keeps answering; unknown
kids are remembered, so garbage tokens do not fetch again and again."""

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gateway.app import create_app
from reengage_common.auth import SigningKey, generate_signing_key, issue_token
from reengage_common.settings import load_settings
from reengage_testing import serving

from .conftest import Services

QUERY = {"query": "query { me { clinicId } }"}
SLOW_SECONDS = 2.0


@contextmanager
def slow_jwks(key: SigningKey, hits: list[float]) -> Iterator[str]:
    """A JWKS of `key` that takes SLOW_SECONDS to answer, as a struggling identity service."""
    document = json.dumps({"keys": [key.public_jwk()]}).encode()

    class SlowHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(time.monotonic())
            time.sleep(SLOW_SECONDS)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def bearer(key: SigningKey) -> dict[str, str]:
    token = issue_token(key, user_id="u", clinic_id="clinic-a", role="staff", permissions=[])
    return {"authorization": f"Bearer {token}"}


async def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    answer = await call
    return answer, time.monotonic() - started


async def test_a_hanging_jwks_stalls_only_the_token_that_needs_it(services: Services) -> None:
    served, hits = generate_signing_key(), []
    with slow_jwks(served, hits) as url:
        settings = load_settings("gateway", jwt_jwks_url=url)
        async with serving(create_app(settings, services.transports())) as client:
            # a garbage token naming a key nobody has: the gateway must ask the JWKS
            started = time.monotonic()
            garbage = asyncio.create_task(
                client.post("/graphql", json=QUERY, headers=bearer(generate_signing_key()))
            )
            await asyncio.sleep(0.2)  # its fetch is under way
            health = await client.get("/healthz")
            # from the garbage token's arrival: a fetch on the loop would hold this SLOW_SECONDS
            health_seconds = time.monotonic() - started
            refused = await garbage
            # another unknown kid right after: remembered fetch, no second wait
            again, again_seconds = await timed(
                client.post("/graphql", json=QUERY, headers=bearer(generate_signing_key()))
            )
            valid, valid_seconds = await timed(
                client.post("/graphql", json=QUERY, headers=bearer(served))
            )

    assert health.status_code == 200
    assert health_seconds < 1.0, f"/healthz waited {health_seconds:.2f}s behind the JWKS"
    assert refused.json()["data"] == {"me": None}  # `me` is null for an unverified caller
    assert again.json()["data"] == {"me": None}
    assert again_seconds < 0.5
    assert valid.json()["data"] == {"me": {"clinicId": "clinic-a"}}
    assert valid_seconds < 0.5  # its key came with the first fetch
    assert len(hits) == 1
