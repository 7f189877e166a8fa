"""Events per second through the bus into the database, beside the raw ceilings of the same servers.

Run by hand (not part of the suite), with Kafka and FerretDB up (`./dev up` or
`deploy/local/infra.sh start`):

    .venv/bin/python tests/bench/bench_bus.py [--events 50000]

It measures, in one run:
  - raw Kafka: aiokafka producing the events (acks=all, idempotent) and a consumer reading them;
  - raw database: `insert_many` of the same documents, unordered, in batches;
  - ours: EventPublisher -> EventConsumer with a batch handler that appends one transition
    record per event (`insert_new`, the append-only pattern of `reengage_common.storage`);
  - for contrast, on a tenth of the events: a one-event handler doing one `update_one` per event,
    the pattern the storage rules forbid on hot paths.
Machines here are noisy: compare the figures of one run with each other, not across runs.
"""

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient

from reengage_common.bus import EventConsumer, EventPublisher, batch, ensure_topics, make_producer
from reengage_common.events import Channel, Envelope, MessageSent, SendOutcome
from reengage_common.logging import configure_logging
from reengage_common.settings import Settings
from reengage_common.storage import insert_new


def sent_event(n: int, at: datetime) -> Envelope[MessageSent]:
    return Envelope.wrap(
        MessageSent(
            message_id=f"m-{n}",
            campaign_id="c-bench",
            patient_id=f"p-{n}",
            sequence=1,
            channel=Channel.EMAIL,
            outcome=SendOutcome.SENT,
            provider="smtp",
            cost_cents=1,
            at=at,
        ),
        source="bench",
        clinic_id="clinic-bench",
    )


def transition(envelope: Envelope[MessageSent]) -> dict[str, Any]:
    """One record per message and state: its unique `_id` makes a redelivery insert nothing."""
    sent = envelope.data
    return {
        "_id": f"{sent.message_id}:{sent.outcome.value}",
        "item": sent.message_id,
        "state": sent.outcome.value,
        "campaign_id": sent.campaign_id,
        "patient_id": sent.patient_id,
        "cost_cents": sent.cost_cents,
        "at": sent.at,
    }


async def raw_kafka(settings: Settings, events: list[Envelope[MessageSent]]) -> float:
    topic = f"{settings.kafka_topic_prefix}raw"
    payloads = [(e.key.encode(), e.to_json()) for e in events]
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        linger_ms=settings.kafka_linger_ms,
        max_batch_size=1024 * 1024,
    )
    await producer.start()
    started = time.perf_counter()
    futures = [await producer.send(topic, value=value, key=key) for key, value in payloads]
    await asyncio.gather(*futures)
    await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    seen = 0
    while seen < len(events):
        for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
            seen += len(records)
    elapsed = time.perf_counter() - started
    await consumer.stop()
    return len(events) / elapsed


async def raw_inserts(mongo: AsyncMongoClient, settings: Settings, documents: list[dict]) -> float:
    collection = mongo[settings.database_name]["raw_inserts"]
    started = time.perf_counter()
    await insert_new(collection, documents)
    return len(documents) / (time.perf_counter() - started)


async def through_the_bus(
    mongo: AsyncMongoClient, settings: Settings, events: list[Envelope[MessageSent]]
) -> float:
    transitions = mongo[settings.database_name]["transitions"]
    stored = 0
    done = asyncio.Event()

    async def store(envelopes: list[Envelope[MessageSent]]) -> None:
        nonlocal stored
        appended = await insert_new(transitions, [transition(e) for e in envelopes])
        stored += appended.inserted  # after the await: partitions run concurrently
        if stored >= len(events):
            done.set()

    return await _run_consumer(settings, events, {MessageSent: batch(store)}, done)


async def update_per_event(
    mongo: AsyncMongoClient, settings: Settings, events: list[Envelope[MessageSent]]
) -> float:
    collection = mongo[settings.database_name]["per_event_updates"]
    await insert_new(collection, [{"_id": e.data.message_id, "state": "QUEUED"} for e in events])
    handled = 0
    done = asyncio.Event()

    async def store(envelope: Envelope[MessageSent]) -> None:
        nonlocal handled
        await collection.update_one(
            {"_id": envelope.data.message_id}, {"$set": {"state": envelope.data.outcome.value}}
        )
        handled += 1
        if handled >= len(events):
            done.set()

    return await _run_consumer(settings, events, {MessageSent: store}, done)


async def _run_consumer(
    settings: Settings, events: list[Envelope[Any]], handlers: dict, done: asyncio.Event
) -> float:
    producer = make_producer(settings)
    await producer.start()
    publisher = EventPublisher(settings, producer)
    consumer = EventConsumer(settings, handlers, publisher)
    task = asyncio.create_task(consumer.run())
    await consumer.ready.wait()
    started = time.perf_counter()
    for start in range(0, len(events), 5000):
        await publisher.publish_many(events[start : start + 5000])
    await done.wait()
    elapsed = time.perf_counter() - started
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await producer.stop()
    return len(events) / elapsed


def settings_for(run: str, name: str) -> Settings:
    return Settings(
        service=f"bench-{name}",
        kafka_topic_prefix=f"bench-{run}.{name}.",
        mongo_db_prefix=f"bench_{run}_",
        kafka_partitions=3,
    )


async def main(count: int) -> None:
    configure_logging("bench", "WARNING")
    run = uuid.uuid4().hex[:6]
    at = datetime.now(UTC)
    events = [sent_event(n, at) for n in range(count)]
    mongo: AsyncMongoClient = AsyncMongoClient(settings_for(run, "x").mongo_url, tz_aware=True)
    settings = {name: settings_for(run, name) for name in ("raw", "bus", "updates")}
    for each in settings.values():
        await ensure_topics(each)
    await ensure_topics(settings["raw"], ["raw"])
    print(f"events: {count} (update-per-event contrast: {count // 10})", flush=True)
    try:
        kafka = await raw_kafka(settings["raw"], events)
        print(f"  raw aiokafka produce + consume      {kafka:10,.0f} events/s", flush=True)
        inserts = await raw_inserts(mongo, settings["raw"], [transition(e) for e in events])
        print(f"  raw insert_many of the same records {inserts:10,.0f} docs/s", flush=True)
        ours = await through_the_bus(mongo, settings["bus"], events)
        ceiling = min(kafka, inserts)
        # The pipeline does both jobs for each event: Kafka's round trip, then the insert.
        serial = 1 / (1 / kafka + 1 / inserts)
        print(
            f"  ours: bus -> batch handler -> insert_new {ours:10,.0f} events/s "
            f"({ours / ceiling:.0%} of the slower raw ceiling, "
            f"{ours / serial:.0%} of both raw steps back to back, {serial:,.0f}/s)",
            flush=True,
        )
        updates = await update_per_event(mongo, settings["updates"], events[: count // 10])
        print(f"  contrast: one update_one per event  {updates:10,.0f} events/s", flush=True)
    finally:
        for name in await mongo.list_database_names():
            if name.startswith(f"bench_{run}_"):
                await mongo.drop_database(name)
        await mongo.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    asyncio.run(main(parser.parse_args().events))
