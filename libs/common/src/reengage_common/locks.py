"""Per-document locks inside one process.

FerretDB 1.x on SQLite applies an update by reading the document and writing it back, with
no isolation between concurrent commands: two writers of one document lose updates (measured:
200 concurrent `$inc` kept 7). Every writer of a document in a service (its handlers, its
scheduler, its outbox relay) therefore holds that document's lock. On MongoDB the revision
check alone would do; the lock costs nothing there.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class DocumentLocks:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._holders: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._holders[key] -= 1
            if self._holders[key] == 0:
                del self._holders[key], self._locks[key]
