"""tracking-svc at 100,000 recipients: events per second into stats, beside the raw consume rate
of the same Kafka broker in the same run, and the latency of the stats query and a recipients
page on the same FerretDB.

Run by hand (not part of the suite): .venv/bin/python tests/bench/bench_tracking.py [recipients]
It replays message.due + message.sent for every recipient and a response for 10 % of them
into topics and a database of its own (removed at the end).
"""

import asyncio
import logging
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.bus import EventPublisher, ensure_topics, make_producer
from reengage_common.events import (
    Channel,
    Contact,
    Envelope,
    MessageDue,
    MessageSent,
    RecipientResponded,
    ResponseKind,
    SendOutcome,
    message_id,
)
from reengage_common.testing import serving
from tracking_svc.app import create_app
from tracking_svc.config import TrackingSettings

T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
CLINIC = "clinic-bench"
TOPICS = ("message.due", "message.sent", "recipient.responded")


def envelopes(campaign_id: str, recipients: int) -> list[Envelope]:
    out = []
    for n in range(recipients):
        patient = f"p-{n:07d}"
        mid = message_id(campaign_id, patient, 1, 1)
        channel = Channel.SMS if n % 3 == 0 else Channel.EMAIL
        variant = "AB"[n % 2]
        common = {"message_id": mid, "campaign_id": campaign_id, "patient_id": patient}
        events = [
            MessageDue(
                **common,
                sequence=1,
                channel=channel,
                variant=variant,
                due_at=T0,
                contact=Contact(email=f"{patient}@example.com", phone=f"+1555{n:07d}"),
                merge_data={"patient": {"firstName": f"F{n}", "lastName": "Doe"}},
            ),
            MessageSent(
                **common,
                sequence=1,
                channel=channel,
                variant=variant,
                outcome=SendOutcome.SENT,
                provider="bench",
                provider_message_id=f"pm-{n}",
                cost_cents=1,
                at=T0 + timedelta(minutes=1),
            ),
        ]
        if n % 10 == 0:
            events.append(
                RecipientResponded(
                    campaign_id=campaign_id,
                    patient_id=patient,
                    kind=ResponseKind.INTERESTED,
                    channel=channel,
                    at=T0 + timedelta(hours=2),
                )
            )
        out += [Envelope.wrap(e, source="bench", clinic_id=CLINIC, at=T0) for e in events]
    return out


async def raw_consume_rate(settings: TrackingSettings, total: int) -> float:
    """Records per second one plain aiokafka consumer reads of the same topics, no handling."""
    consumer = AIOKafkaConsumer(
        *(settings.topic(t) for t in TOPICS),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    read, started = 0, time.perf_counter()
    try:
        while read < total:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10000)
            read += sum(len(records) for records in batches.values())
    finally:
        await consumer.stop()
    return read / (time.perf_counter() - started)


async def consumed(settings: TrackingSettings, total: int) -> None:
    """Until tracking-svc's group committed every record (offsets are committed only after a
    batch's facts are stored); asking the group costs the service nothing."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        while True:
            offsets = await admin.list_consumer_group_offsets(settings.group_id())
            done = sum(
                meta.offset
                for partition, meta in offsets.items()
                if partition.topic in {settings.topic(t) for t in TOPICS} and meta.offset > 0
            )
            if done >= total:
                return
            await asyncio.sleep(0.5)
    finally:
        await admin.close()


async def timed(call) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


async def main(recipients: int = 100_000) -> None:
    logging.disable(logging.INFO)
    run = uuid.uuid4().hex[:6]
    key = generate_signing_key()
    settings = TrackingSettings(
        kafka_topic_prefix=f"bench-trk-{run}.",
        mongo_db_prefix=f"bench_trk_{run}_",
        jwt_public_key=key.public_pem,
        log_level="WARNING",
    )
    token = issue_token(key, user_id="bench", clinic_id=CLINIC, role="staff")
    campaign_id = f"c-bench-{run}"
    await ensure_topics(settings)
    producer = make_producer(settings)
    await producer.start()
    try:
        batch = envelopes(campaign_id, recipients)
        started = time.perf_counter()
        publisher = EventPublisher(settings, producer)
        for start in range(0, len(batch), 20_000):
            await publisher.publish_many(batch[start : start + 20_000])
        publish_rate = len(batch) / (time.perf_counter() - started)
        raw_rate = await raw_consume_rate(settings, len(batch))

        started = time.perf_counter()
        async with serving(create_app(settings)) as client:
            client.headers["authorization"] = f"Bearer {token}"
            await consumed(settings, len(batch))
            ingest = time.perf_counter() - started
            stats = (await client.get(f"/campaigns/{campaign_id}/stats")).json()
            latencies = [
                await timed(lambda: client.get(f"/campaigns/{campaign_id}/stats")) for _ in range(5)
            ]
            first_page = await timed(
                lambda: client.get(f"/campaigns/{campaign_id}/recipients?first=50")
            )
            page = (await client.get(f"/campaigns/{campaign_id}/recipients?first=50")).json()
            after = page["pageInfo"]["endCursor"]
            next_page = await timed(
                lambda: client.get(f"/campaigns/{campaign_id}/recipients?first=50&after={after}")
            )
            rare = await timed(
                lambda: client.get(f"/campaigns/{campaign_id}/recipients?first=50&status=RESPONDED")
            )
        print(f"recipients                         {recipients:>10,}")
        print(f"events replayed                    {len(batch):>10,}")
        print(f"publish (idempotent producer)      {publish_rate:>10,.0f} events/s")
        print(f"raw aiokafka consume (ceiling)     {raw_rate:>10,.0f} events/s")
        print(
            f"tracking-svc into stats            {len(batch) / ingest:>10,.0f} events/s"
            f"  ({ingest:.1f} s, from start-up to the last offset committed)"
        )
        print(
            f"stats query at {recipients:,}        {statistics.median(latencies) * 1000:>10,.0f} ms"
            f" median of 5 (min {min(latencies) * 1000:.0f} ms)"
        )
        print(f"recipients page (first 50)         {first_page * 1000:>10,.0f} ms")
        print(f"recipients page (after a cursor)   {next_page * 1000:>10,.0f} ms")
        print(f"recipients page (status=RESPONDED) {rare * 1000:>10,.0f} ms")
        print(
            f"check: sent={stats['sent']} responded={stats['responded']} "
            f"recipients={stats['recipients']}"
        )
    finally:
        await producer.stop()
        mongo: AsyncMongoClient = AsyncMongoClient(settings.mongo_url)
        await mongo.drop_database(settings.database_name)
        await mongo.close()
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
        await admin.start()
        ours = [t for t in await admin.list_topics() if t.startswith(settings.kafka_topic_prefix)]
        await admin.delete_topics(ours)
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
