"""Signing keys from the identity service's JWKS, fetched off the event loop and cached.

A token names its key by `kid`. Keys are fetched with httpx's async client (never urllib on
the event loop: one slow identity service would stall every request of the process), at most
one fetch at a time per loop, and cached:

- known keys are used for `refresh_seconds`, then still used while a refresh runs behind;
- a `kid` the JWKS does not have is remembered as unknown for `unknown_kid_seconds`;
- a fetch for an unknown `kid` happens at most once per `refetch_seconds`, so garbage tokens
  with ever new kids cost one fetch per interval, not one each, while the provider is down.

`key_for` (sync) only ever reads the cache; `load` (async) is what fetches.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import httpx
import jwt
import structlog

from reengage_common.jwt_keys import VerificationKey

log = structlog.get_logger(__name__)

Fetch = Callable[[str, float], Awaitable[dict[str, Any]]]
# Unknown kids remembered at most; more are simply fetched for again after `refetch_seconds`.
MAX_UNKNOWN_KIDS = 1024


class SigningKeysUnavailable(Exception):
    """The JWKS could not be fetched and holds no key for this `kid`."""


async def fetch_jwks(url: str, seconds: float) -> dict[str, Any]:
    # the whole fetch within `seconds` (httpx's own timeouts are per phase: a trickle passes)
    async with asyncio.timeout(seconds), httpx.AsyncClient(timeout=seconds) as client:
        response = await client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()


class JwksCache:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        refresh_seconds: float = 300.0,
        refetch_seconds: float = 30.0,
        unknown_kid_seconds: float = 300.0,
        fetch: Fetch = fetch_jwks,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.refresh_seconds = refresh_seconds
        self.refetch_seconds = refetch_seconds
        self.unknown_kid_seconds = unknown_kid_seconds
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, VerificationKey] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._error: str | None = None
        self._unknown: dict[str, float] = {}  # kid -> until when it is known to be absent
        self._inflight: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}
        self._behind: set[asyncio.Task[None]] = set()  # referenced, so none is collected early

    def key_for(self, kid: str) -> VerificationKey | None:
        """The cached key of `kid`, or None; raises if the JWKS was never reachable."""
        key = self._keys.get(kid)
        if key is None and self._error is not None and not self._keys:
            raise SigningKeysUnavailable(self._error)
        return key

    async def load(self, kid: str) -> None:
        """Make `key_for(kid)` answer from a fresh enough JWKS; never raises."""
        if kid in self._keys:
            if self._stale() and not self._fetched_recently():
                self._refresh_behind()  # serve the cached key meanwhile
            return
        if self._known_unknown(kid) or self._fetched_recently():
            return
        await self._refresh_once()
        if kid not in self._keys and self._error is None:
            self._remember_unknown(kid)

    def load_blocking(self, kid: str) -> None:
        """For callers outside any event loop (scripts, sync tests): fetch in this thread."""
        asyncio.run(self.load(kid))

    def schedule_load(self, kid: str) -> None:
        """From sync code on a running loop: fetch behind, so a retry finds the key."""
        self._behind_task(self.load(kid))

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at > self.refresh_seconds

    def _fetched_recently(self) -> bool:
        attempted = self._attempted_at
        return attempted is not None and self._clock() - attempted < self.refetch_seconds

    def _known_unknown(self, kid: str) -> bool:
        until = self._unknown.get(kid)
        if until is not None and until < self._clock():
            del self._unknown[kid]
            return False
        return until is not None

    def _remember_unknown(self, kid: str) -> None:
        if len(self._unknown) >= MAX_UNKNOWN_KIDS:
            self._unknown.pop(next(iter(self._unknown)))
        self._unknown[kid] = self._clock() + self.unknown_kid_seconds

    def _refresh_behind(self) -> None:
        self._behind_task(self._refresh_once())

    def _behind_task(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._behind.add(task)
        task.add_done_callback(self._behind.discard)

    async def _refresh_once(self) -> None:
        # Concurrent callers on one loop share one fetch instead of each starting their own.
        loop = asyncio.get_running_loop()
        task = self._inflight.get(loop)
        if task is None or task.done():
            task = loop.create_task(self._refresh())
            # one entry per live loop: tests and scripts come and go with theirs
            self._inflight = {lp: t for lp, t in self._inflight.items() if not t.done()}
            self._inflight[loop] = task
        await asyncio.shield(task)

    async def _refresh(self) -> None:
        self._attempted_at = self._clock()
        try:
            document = await self._fetch(self.url, self.timeout)
            keys = _keys_of(document)
        except Exception as exc:  # any failure: keep the keys we had, say why on demand
            self._error = f"signing keys unavailable from {self.url}: {type(exc).__name__}"
            log.warning("jwks.fetch_failed", url=self.url, error=type(exc).__name__)
            return
        self._keys, self._fetched_at, self._error = keys, self._clock(), None
        self._unknown = {kid: until for kid, until in self._unknown.items() if kid not in keys}


def _keys_of(document: dict[str, Any]) -> dict[str, VerificationKey]:
    keys: dict[str, VerificationKey] = {}
    for jwk in jwt.PyJWKSet.from_dict(document).keys:
        if jwk.key_id:
            keys[jwk.key_id] = VerificationKey(jwk.key, jwk.algorithm_name, jwk.key_id)
    return keys
