"""What the broker knows, read from outside the services: a topic read to its end, and the
offsets a consumer group committed (how far its members got, whichever of them is alive)."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from reengage_common.events import Envelope, parse
from reengage_common.settings import Settings

# {(physical topic, partition): offset committed}: the next record the group will read there
Committed = dict[tuple[str, int], int]


async def read_to_end(settings: Settings, topic: str) -> list[Envelope[Any]]:
    """Every event of a physical topic, from its beginning to its end as of now (no group)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()
            ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[Any] = []
        while any([await consumer.position(p) < end for p, end in ends.items()]):
            for batch in (await consumer.getmany(timeout_ms=200, max_records=10_000)).values():
                records.extend(batch)
        return [parse(record.value) for record in records]
    finally:
        await consumer.stop()


@asynccontextmanager
async def committed_offsets(
    settings: Settings, group_id: str
) -> AsyncIterator[Callable[[], Awaitable[Committed]]]:
    """A reader of the offsets `group_id` committed, on every topic. Producers here are
    idempotent, not transactional, so offsets count records: the sum over a topic's partitions
    is the number of its records the group has stored the effects of (consumers commit after)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()

    async def read() -> Committed:
        found = await admin.list_consumer_group_offsets(group_id)
        return {(tp.topic, tp.partition): meta.offset for tp, meta in found.items()}

    try:
        yield read
    finally:
        await admin.close()
