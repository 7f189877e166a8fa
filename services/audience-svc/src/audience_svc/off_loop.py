"""Parsing a request's body in a worker thread, in slices, while the event loop serves others.

A large import is seconds of CPU (cutting lines, CSV, validating rows); on the event loop it
would hold every other request of the service (every clinic's estimates, /healthz) for that
long. The worker pulls the body's chunks from the loop as it needs them (`blocking_chunks`),
so the file is still streamed, never held whole, and hands back one slice of rows at a time
(`next_slice`), which the loop stores before asking for the next: memory stays one slice.
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# A client that stops sending holds a worker thread at most this long (uvicorn has no body
# timeout of its own); the request then fails as any read would.
CHUNK_WAIT_SECONDS = 300.0


def blocking_chunks(
    stream: AsyncIterator[bytes], loop: asyncio.AbstractEventLoop
) -> Iterator[bytes]:
    """The async body as a plain iterator, for a worker thread: each chunk is awaited on the
    loop (whose receive also enforces the body limit: its BodyTooLarge surfaces here)."""
    while True:
        future = asyncio.run_coroutine_threadsafe(_next_chunk(stream), loop)
        chunk = future.result(timeout=CHUNK_WAIT_SECONDS)
        if chunk is None:
            return
        if chunk:
            yield chunk


async def _next_chunk(stream: AsyncIterator[bytes]) -> bytes | None:
    try:
        return await anext(stream)
    except StopAsyncIteration:
        return None


async def next_slice(
    items: Iterator[T], size: int, convert: Callable[[T], R]
) -> tuple[list[R], Exception | None]:
    """Up to `size` items, each converted, taken in a worker thread; with the error that
    ended the items early, if one did (what came before it is kept, as a loop would)."""

    def take() -> tuple[list[R], Exception | None]:
        taken: list[R] = []
        try:
            for item in items:
                taken.append(convert(item))
                if len(taken) >= size:
                    break
        except ValueError as exc:  # the reader's own refusals (BadImport, TooManyRows)
            return taken, exc
        return taken, None

    return await asyncio.to_thread(take)
