"""What the fault suite reads back from Kafka: every message.sent, recipient.responded and
audience.evaluated of its topics (from the start, no consumer group, through broker failures),
and whether a service's consumer group has taken in everything on a topic."""

import asyncio
import contextlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, NodeNotReadyError, RequestTimedOutError

from reengage_common.events import MalformedEvent, parse
from reengage_common.settings import Settings

WATCHED = ("message.sent", "recipient.responded", "audience.evaluated")


@dataclass
class Watch:
    """The events of the run's topics as they arrive; `sent` by message id (every copy)."""

    settings: Settings
    sent: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    responded: list[Any] = field(default_factory=list)
    evaluated: list[Any] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _follow(self) -> None:
        consumer = AIOKafkaConsumer(
            *(self.settings.topic(name) for name in WATCHED),
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            metadata_max_age_ms=2000,  # topics the services create after we subscribed
        )
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=300)
                for records in batches.values():
                    for record in records:
                        self._take(record.value or b"")
        finally:
            await consumer.stop()

    def _take(self, value: bytes) -> None:
        try:
            envelope = parse(value)
        except MalformedEvent:
            return
        data = envelope.data
        if envelope.type == "message.sent":
            self.sent[data.message_id].append(data)
        elif envelope.type == "recipient.responded":
            self.responded.append(data)
        elif envelope.type == "audience.evaluated":
            self.evaluated.append(data)

    def latest_sent(self, campaign_id: str) -> dict[str, Any]:
        """Each message's last message.sent (a retried send reports again)."""
        return {
            mid: copies[-1]
            for mid, copies in self.sent.items()
            if copies[-1].campaign_id == campaign_id
        }

    def responses(self, campaign_id: str) -> set[tuple[str, str]]:
        return {(r.patient_id, str(r.kind)) for r in self.responded if r.campaign_id == campaign_id}


async def group_lag(settings: Settings, group: str, topic: str) -> dict[int, int] | None:
    """Records on each partition of `topic` that `group` has not committed (its effects are
    stored: our consumers commit only after storing); None while the topic is not known, or
    while the broker asked is one a fault just killed (the admin client asks a node of the
    metadata it cached, and the caller asks again)."""
    try:
        return await _group_lag(settings, group, topic)
    except (KafkaConnectionError, NodeNotReadyError, RequestTimedOutError):
        return None


async def _group_lag(settings: Settings, group: str, topic: str) -> dict[int, int] | None:
    physical = settings.topic(topic)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    await consumer.start()
    try:
        described = await admin.describe_topics([physical])
        partitions = [
            TopicPartition(physical, p["partition"])
            for topic in described
            if topic.get("error_code", 0) == 0
            for p in topic.get("partitions", ())
        ]
        if not partitions:
            return None
        ends = await consumer.end_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
        return {
            tp.partition: ends[tp] - max(0, committed[tp].offset if tp in committed else 0)
            for tp in partitions
        }
    finally:
        await consumer.stop()
        await admin.close()


async def group_caught_up(settings: Settings, group: str, topic: str) -> bool:
    """Whether `group` has committed every record now on `topic`."""
    lag = await group_lag(settings, group, topic)
    return lag is not None and not any(lag.values())
