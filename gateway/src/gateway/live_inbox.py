"""New patient replies for every inbox subscriber of a gateway process, from Kafka.

One read-only consumer per gateway process (a group of its own, from the latest offsets)
reads `message.received` and hands each reply to the subscribers of its clinic: the event
carries what the inbox shows, so nothing is fetched and nothing touches a database. Started
with the process (`start`), not on the first subscription: a consumer reading from the latest
offsets takes seconds to join, and a reply published meanwhile would never reach the console
that had just opened its inbox. A subscriber that reads slowly keeps the latest 100 replies.
"""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer

from reengage_common.settings import Settings

log = structlog.get_logger(__name__)
TOPIC = "message.received"
BACKLOG = 100
Reply = dict[str, Any]  # the event's data, with its clinic


class LiveInbox:
    def __init__(self, settings: Settings, *, kafka: bool = True) -> None:
        self._settings = settings
        self._kafka = kafka
        self._subscribers: dict[str, set[asyncio.Queue[Reply]]] = {}
        self._consumer_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._start_consumer()

    @asynccontextmanager
    async def subscribe(self, clinic_id: str) -> AsyncIterator["asyncio.Queue[Reply]"]:
        self._start_consumer()
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

    def _start_consumer(self) -> None:
        if self._kafka and (self._consumer_task is None or self._consumer_task.done()):
            self._consumer_task = asyncio.create_task(self._consume(), name="live-inbox-consumer")

    async def _consume(self) -> None:
        delay = 0.5
        while True:
            try:
                await self._consume_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker went away: retry with a backoff
                log.warning("live_inbox.consumer_failed", error=str(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _consume_once(self) -> None:
        settings = self._settings
        consumer = AIOKafkaConsumer(
            settings.topic(TOPIC),
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=f"{settings.kafka_topic_prefix}gateway-inbox-{uuid.uuid4().hex[:12]}",
            client_id=f"{settings.service}-inbox",
            auto_offset_reset="latest",
            enable_auto_commit=False,
            metadata_max_age_ms=5000,
        )
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=1000)
                for record in (r for records in batches.values() for r in records):
                    found = _reply_of(record.value)
                    if found is not None:
                        self.received(*found)
        finally:
            await consumer.stop()

    async def close(self) -> None:
        if self._consumer_task is not None:
            self._consumer_task.cancel()
            await asyncio.gather(self._consumer_task, return_exceptions=True)


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
