"""New patient replies for every inbox subscriber of a gateway process, from Kafka.

One read-only consumer per gateway process (`KafkaTail`) reads `message.received` and hands
each reply to the subscribers of its clinic: the event carries what the inbox shows, so nothing
is fetched and nothing touches a database. Started with the process (`start`), not on the first
subscription: a consumer reading from the latest offsets takes seconds to join, and a reply
published meanwhile would never reach the console that had just opened its inbox. A subscriber
that reads slowly keeps the latest 100 replies.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from gateway.live.tail import Batch, KafkaTail
from reengage_common.settings import Settings

TOPIC = "message.received"
BACKLOG = 100
Reply = dict[str, Any]  # the event's data, with its clinic


class LiveInbox:
    """The process-wide hub: `subscribe(clinic_id)` yields the clinic's replies as they come."""

    def __init__(self, settings: Settings, *, kafka: bool = True) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Reply]]] = {}
        self._tail = (
            KafkaTail(settings, (TOPIC,), name="inbox", on_batch=self.read, max_records=1000)
            if kafka
            else None
        )

    def start(self) -> None:
        if self._tail is not None:
            self._tail.start()

    @asynccontextmanager
    async def subscribe(self, clinic_id: str) -> AsyncIterator["asyncio.Queue[Reply]"]:
        self.start()
        queue: asyncio.Queue[Reply] = asyncio.Queue(maxsize=BACKLOG)
        self._subscribers.setdefault(clinic_id, set()).add(queue)
        try:
            yield queue
        finally:
            self._subscribers[clinic_id].discard(queue)
            if not self._subscribers[clinic_id]:
                del self._subscribers[clinic_id]

    def received(self, clinic_id: str, reply: Reply) -> None:
        for queue in self._subscribers.get(clinic_id, ()):
            if queue.full():  # the oldest goes: a slow reader still sees the latest replies
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(reply)

    def read(self, events: Batch) -> None:
        """A batch of message.received events: each reply to the subscribers of its clinic."""
        for value in events:
            found = _reply_of(value)
            if found is not None:
                self.received(*found)

    async def close(self) -> None:
        if self._tail is not None:
            await self._tail.close()


def _reply_of(value: bytes | None) -> tuple[str, Reply] | None:
    try:
        envelope = json.loads(value or b"{}")
    except ValueError:
        return None
    if not isinstance(envelope, dict):
        return None
    data, clinic = envelope.get("data"), envelope.get("clinicId")
    if not isinstance(data, dict) or not isinstance(clinic, str):
        return None
    return clinic, data
