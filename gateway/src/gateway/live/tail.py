"""The one shape of the gateway's Kafka readers: a read-only consumer that follows topics from
their latest offsets for as long as the process runs.

Its consumer group is its own (a fresh id per start): every gateway process sees every event,
and nothing is committed, since what it reads only says what to push to this process's
subscribers. A broker outage is logged and retried with a backoff; the subscribers keep what
they have (live stats still refresh by time)."""

import asyncio
import uuid
from collections.abc import Callable, Sequence

import structlog
from aiokafka import AIOKafkaConsumer

from reengage_common.settings import Settings

log = structlog.get_logger(__name__)

FIRST_RETRY_SECONDS = 0.5
LAST_RETRY_SECONDS = 10.0
# Record values of one poll, in the order read (a value may be None: a tombstone).
Batch = list[bytes | None]


class KafkaTail:
    def __init__(
        self,
        settings: Settings,
        topics: Sequence[str],
        *,
        name: str,
        on_batch: Callable[[Batch], None],
        max_records: int,
    ) -> None:
        """`name` tells the consumers apart: its group (`gateway-<name>-<id>`), its client id
        and its log lines."""
        self._settings = settings
        self._topics = tuple(topics)
        self._name = name
        self._on_batch = on_batch
        self._max_records = max_records
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start reading unless it already does (a failed consumer is started again)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._follow(), name=f"gateway-{self._name}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _follow(self) -> None:
        delay = FIRST_RETRY_SECONDS
        while True:
            try:
                await self._read()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker went away
                log.warning("live.consumer_failed", tail=self._name, error=str(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, LAST_RETRY_SECONDS)

    async def _read(self) -> None:
        settings = self._settings
        consumer = AIOKafkaConsumer(
            *(settings.topic(topic) for topic in self._topics),
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=f"{settings.kafka_topic_prefix}gateway-{self._name}-{uuid.uuid4().hex[:12]}",
            client_id=f"{settings.service}-{self._name}",
            auto_offset_reset="latest",
            enable_auto_commit=False,
            metadata_max_age_ms=5000,
        )
        await consumer.start()
        log.info("live.consumer_started", tail=self._name)
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=self._max_records)
                values = [record.value for records in batches.values() for record in records]
                if values:
                    self._on_batch(values)
        finally:
            await consumer.stop()
