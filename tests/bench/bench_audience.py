"""audience-svc at 100,000 patients: evaluation, estimate and fan-out beside the raw ceilings of
the same Kafka and FerretDB, measured in the same run.

Run by hand (not part of the suite): .venv/bin/python tests/bench/bench_audience.py [patients]
It seeds a synthetic clinic through Kafka (deploy/local/seed.py), waits until audience-svc
(in-process) folded it, then prints:
- segment evaluation (patients/s): the estimate's read of the clinic's rows plus `evaluate`;
- fan-out (message.due/s): from publishing campaign.launched to the last message.due on the
  topic, every recipient of a campaign that targets (nearly) every reachable patient;
- raw ceilings: an aiokafka producer alone sending as many events of the same size, and a bulk
  read of the same collection (the clinic's shard blobs) alone.
Topics and the database are this run's own (prefix bench-<id>) and removed at the end.
"""

import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from audience_svc.api import EstimateRequest
from audience_svc.app import create_app
from audience_svc.config import AudienceSettings
from audience_svc.domain.targeting import evaluate
from audience_svc.fanout import audience_of
from audience_svc.projection import STATES, Projection
from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.bus import EventPublisher, make_producer
from reengage_common.cpu import without_gc
from reengage_common.db import make_mongo_client
from reengage_common.events import CampaignLaunched, Envelope
from reengage_common.logging import configure_logging
from reengage_testing import serving

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
from seed import clinic_events

CLINIC = "clinic-bench"
KEY = generate_signing_key()


def campaign(now: datetime) -> CampaignLaunched:
    return CampaignLaunched.model_validate(
        {
            "campaignId": f"c-bench-{uuid.uuid4().hex[:6]}",
            "name": "Everyone lapsed",
            "targeting": {"inactiveDays": 30, "includeNoShows": True, "includeDropouts": True},
            "channels": ["EMAIL", "SMS", "MAIL"],
            "messageTemplates": [
                {"channel": "EMAIL", "subject": "Hi", "body": "Hi", "sequence": 1},
                {"channel": "SMS", "body": "Hi", "sequence": 2, "delayDays": 2},
                {"channel": "MAIL", "body": "Hi", "sequence": 3, "delayDays": 5},
            ],
            "variants": [{"name": "A", "weight": 1}, {"name": "B", "weight": 1}],
            "holdoutPercent": 5,
            "schedule": {"startDate": now.isoformat()},
            "incentive": {
                "hasIncentive": True,
                "incentiveDetails": "20% off",
                "incentiveCode": "S20",
            },
            "launchedAt": now.isoformat(),
            "clinic": {"name": "Bright Smiles", "phone": "(555) 010-0100", "address": "1 Main"},
        }
    )


async def seed(settings: AudienceSettings, patients: int) -> float:
    producer = make_producer(settings)
    await producer.start()
    started = time.perf_counter()
    try:
        publisher = EventPublisher(settings, producer)
        batch = []
        for envelope in clinic_events(CLINIC, patients, 7, datetime.now(UTC).date()):
            batch.append(envelope)
            if len(batch) >= 5000:
                await publisher.publish_many(batch)
                batch = []
        await publisher.publish_many(batch)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def wait_folded(projection: Projection, patients: int) -> float:
    started = time.perf_counter()
    while True:
        pending = await projection.pending.count_documents({"clinic_id": CLINIC})
        if not pending and len(await projection.rows(CLINIC)) >= patients:
            return time.perf_counter() - started
        await asyncio.sleep(0.5)


async def fan_out(settings: AudienceSettings, launched: CampaignLaunched) -> tuple[int, float, int]:
    """Publish the launch, read message.due until audience.evaluated's count is on the topic."""
    consumer = AIOKafkaConsumer(
        settings.topic("message.due"),
        settings.topic("audience.evaluated"),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="latest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)
    for partition in consumer.assignment():
        await consumer.seek_to_end(partition)
        await consumer.position(partition)
    producer = make_producer(settings)
    await producer.start()
    ids: set[str] = set()
    size = 0
    targeted = None
    last = started = time.perf_counter()
    try:
        await EventPublisher(settings, producer).publish(
            Envelope.wrap(launched, source="bench", clinic_id=CLINIC)
        )
        while targeted is None or len(ids) < targeted:
            for batch in (await consumer.getmany(timeout_ms=500, max_records=20_000)).values():
                for record in batch:
                    document = json.loads(record.value)
                    if document["data"]["campaignId"] != launched.campaign_id:
                        continue
                    if document["type"] == "audience.evaluated":
                        targeted = document["data"]["targeted"]
                    else:
                        ids.add(document["data"]["messageId"])
                        size += len(record.value)
                        last = time.perf_counter()
    finally:
        await producer.stop()
        await consumer.stop()
    return len(ids), last - started, size // max(len(ids), 1)


async def raw_producer(settings: AudienceSettings, count: int, size: int) -> float:
    """aiokafka alone: `count` records of `size` bytes, every send queued, then every ack."""
    producer = make_producer(settings)
    await producer.start()
    topic = settings.topic("bench.raw")
    value = b"x" * size
    try:
        started = time.perf_counter()
        for start in range(0, count, 2000):
            pending = [
                await producer.send(topic, value=value, key=str(n).encode())
                for n in range(start, min(start + 2000, count))
            ]
            await asyncio.gather(*pending)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def raw_batches(settings: AudienceSettings, count: int, size: int) -> float:
    """aiokafka alone, the way the fan-out sends: one BatchBuilder per partition per 2,000
    records (keys by the producer's partitioner), submitted without waiting, then every ack."""
    producer = make_producer(settings)
    await producer.start()
    topic = settings.topic("bench.raw-batches")
    value = b"x" * size
    try:
        partitions = sorted(await producer.partitions_for(topic))
        started = time.perf_counter()
        for start in range(0, count, 2000):
            builders: dict[int, object] = {}
            acks = []
            for n in range(start, min(start + 2000, count)):
                key = str(n).encode()
                partition = producer._partitioner(key, partitions, partitions)
                builder = builders.setdefault(partition, producer.create_batch())
                if builder.append(key=key, value=value, timestamp=None, headers=[]) is None:
                    acks.append(await producer.send_batch(builder, topic, partition=partition))
                    builders[partition] = builder = producer.create_batch()
                    builder.append(key=key, value=value, timestamp=None, headers=[])
            for partition, builder in builders.items():
                acks.append(await producer.send_batch(builder, topic, partition=partition))
            await asyncio.gather(*acks)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def raw_read(projection: Projection) -> float:
    """The clinic's shard blobs read alone (no decoding)."""
    started = time.perf_counter()
    read = 0
    async for doc in projection.blobs_of(STATES, CLINIC).find({}, batch_size=8):
        read += len(doc["blob"])
    return time.perf_counter() - started


async def main() -> None:
    patients = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    configure_logging("bench", "INFO")
    own = uuid.uuid4().hex[:6]
    settings = AudienceSettings(
        kafka_topic_prefix=f"bench-{own}.",
        mongo_db_prefix=f"bench_{own}_",
        jwt_public_key=KEY.public_pem,
        log_level="INFO",
    )
    token = issue_token(KEY, user_id="bench", clinic_id=CLINIC, role="clinic_admin")
    mongo = make_mongo_client(settings)
    projection = Projection(mongo[settings.database_name], settings.projection_shards)
    try:
        async with serving(create_app(settings)) as client:
            seeded = await seed(settings, patients)
            folded = await wait_folded(projection, patients)
            print(f"seeded {patients:,} patients in {seeded:.1f} s; folded {folded:.1f} s later")

            timings = []
            for _ in range(3):  # the first decodes the shards it has not seen yet (cold)
                started = time.perf_counter()
                answer = await client.post(
                    "/estimate",
                    json={"targeting": {"inactiveDays": 180}},
                    headers={"authorization": f"Bearer {token}"},
                )
                timings.append(time.perf_counter() - started)
            print(
                f"estimate on {answer.json()['patients']:,} patients: cold {timings[0]:.2f} s, "
                f"warm {min(timings[1:]):.2f} s"
            )

            # Uncached: a replica that has not read this clinic yet (the compacting replica
            # above keeps the generations it writes, so even its first estimate is warm).
            cold = Projection(mongo[settings.database_name], settings.projection_shards)
            started = time.perf_counter()
            cold_rows = await cold.rows(CLINIC)
            read_at = time.perf_counter()
            with without_gc():
                evaluate(
                    EstimateRequest.model_validate({"targeting": {"inactiveDays": 180}}).audience(),
                    cold_rows,
                    time.time(),
                    keep=False,
                )
            print(
                f"estimate on a replica that has not read the clinic yet: "
                f"{time.perf_counter() - started:.2f} s (read and decode {read_at - started:.2f} s)"
            )

            launched = campaign(datetime.now(UTC))
            fresh = Projection(mongo[settings.database_name], settings.projection_shards)
            started = time.perf_counter()
            rows = await fresh.rows(CLINIC)  # a cold cache: read and decode every shard
            read_seconds = time.perf_counter() - started
            result = evaluate(audience_of(launched), rows, time.time())
            evaluate_seconds = time.perf_counter() - started
            raw_read_seconds = await raw_read(fresh)
            print(
                f"segment evaluation: {len(rows) / evaluate_seconds:,.0f} patients/s "
                f"(read {read_seconds:.2f} s + evaluate {evaluate_seconds - read_seconds:.2f} s); "
                f"raw bulk read of the same shards alone: {len(rows) / raw_read_seconds:,.0f} "
                f"patients/s"
            )

            recipients, seconds, due_size = await fan_out(settings, launched)
            raw_seconds = await raw_producer(settings, recipients, due_size)
            batch_seconds = await raw_batches(settings, recipients, due_size)
            print(
                f"fan-out: {recipients:,} message.due in {seconds:.1f} s = "
                f"{recipients / seconds:,.0f}/s ({result.held_out:,} held out); "
                f"raw aiokafka producer alone: {recipients / raw_seconds:,.0f}/s with a send "
                f"per record, {recipients / batch_seconds:,.0f}/s with batches per partition "
                f"({due_size} B records)"
            )
    finally:
        await mongo.drop_database(settings.database_name)
        await mongo.close()
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
        await admin.start()
        ours = [t for t in await admin.list_topics() if t.startswith(settings.kafka_topic_prefix)]
        if ours:
            await admin.delete_topics(ours)
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
