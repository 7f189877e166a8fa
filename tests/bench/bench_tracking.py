"""tracking-svc at 100,000 recipients: events per second into stats, beside the raw consume rate
of the same Kafka broker in the same run, and the latency of the stats query and a recipients
page on the same FerretDB, with and without a fresh snapshot.

Run by hand (not part of the suite): .venv/bin/python tests/bench/bench_tracking.py [recipients]
It replays message.due + message.sent for every recipient and a response for 10 % of them
into topics and a database of its own (removed at the end), twice: once with the compactor
running (ingest rate with it; latencies once it caught up: a fresh snapshot), once without
(ingest rate alone; stats with every page unfolded, the cost before snapshots).
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
from reengage_testing import serving
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


async def replay(settings: TrackingSettings, campaign_id: str, recipients: int, token: str):
    """Publish the campaign, then serve it: (figures, ingest seconds, raw consume rate)."""
    await ensure_topics(settings)
    producer = make_producer(settings)
    await producer.start()
    out: dict = {}
    try:
        batch = envelopes(campaign_id, recipients)
        started = time.perf_counter()
        publisher = EventPublisher(settings, producer)
        for start in range(0, len(batch), 20_000):
            await publisher.publish_many(batch[start : start + 20_000])
        out["events"] = len(batch)
        out["publish"] = len(batch) / (time.perf_counter() - started)
        out["raw"] = await raw_consume_rate(settings, len(batch))
        started = time.perf_counter()
        async with serving(create_app(settings)) as client:
            client.headers["authorization"] = f"Bearer {token}"
            await consumed(settings, len(batch))
            out["ingest"] = time.perf_counter() - started
            if settings.compactor:
                started = time.perf_counter()
                await folded(settings)
                out["catch_up"] = time.perf_counter() - started
            url = f"/campaigns/{campaign_id}"
            out["stats"] = (await client.get(f"{url}/stats")).json()
            out["latencies"] = [await timed(lambda: client.get(f"{url}/stats")) for _ in range(5)]
            out["first_page"] = await timed(lambda: client.get(f"{url}/recipients?first=50"))
            page = (await client.get(f"{url}/recipients?first=50")).json()
            after = page["pageInfo"]["endCursor"]
            out["next_page"] = await timed(
                lambda: client.get(f"{url}/recipients?first=50&after={after}")
            )
            out["rare"] = await timed(
                lambda: client.get(f"{url}/recipients?first=50&status=RESPONDED")
            )
            out["rare_again"] = await timed(
                lambda: client.get(f"{url}/recipients?first=50&status=RESPONDED")
            )
    finally:
        await producer.stop()
    return out


async def folded(settings: TrackingSettings) -> None:
    """Until the compactor folded every page (folded pages are deleted)."""
    mongo: AsyncMongoClient = AsyncMongoClient(settings.mongo_url)
    try:
        pages = mongo[settings.database_name]["fact_pages"]
        while True:
            if not await pages.count_documents({}):
                return
            await asyncio.sleep(0.2)
    finally:
        await mongo.close()


async def cleanup(settings: TrackingSettings) -> None:
    mongo: AsyncMongoClient = AsyncMongoClient(settings.mongo_url)
    await mongo.drop_database(settings.database_name)
    await mongo.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    ours = [t for t in await admin.list_topics() if t.startswith(settings.kafka_topic_prefix)]
    await admin.delete_topics(ours)
    await admin.close()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:>10,.0f} ms"


async def main(recipients: int = 100_000) -> None:
    logging.disable(logging.INFO)
    key = generate_signing_key()
    token = issue_token(key, user_id="bench", clinic_id=CLINIC, role="staff")
    results = {}
    for compactor in (True, False):
        run = uuid.uuid4().hex[:6]
        settings = TrackingSettings(
            kafka_topic_prefix=f"bench-trk-{run}.",
            mongo_db_prefix=f"bench_trk_{run}_",
            jwt_public_key=key.public_pem,
            log_level="WARNING",
            compactor=compactor,
        )
        try:
            results[compactor] = await replay(settings, f"c-bench-{run}", recipients, token)
        finally:
            await cleanup(settings)
    on, off = results[True], results[False]
    events = on["events"]
    print(f"recipients                         {recipients:>10,}")
    print(f"events replayed (per run)          {events:>10,}")
    print(f"publish (idempotent producer)      {on['publish']:>10,.0f} events/s")
    print(
        f"raw aiokafka consume (ceiling)     {on['raw']:>10,.0f} events/s   (2nd run {off['raw']:,.0f})"
    )
    print(
        f"tracking-svc into stats, compactor {events / on['ingest']:>10,.0f} events/s"
        f"  ({on['ingest']:.1f} s, start-up to the last offset committed)"
    )
    print(
        f"tracking-svc into stats, no compac {events / off['ingest']:>10,.0f} events/s"
        f"  ({off['ingest']:.1f} s)"
    )
    print(f"compactor catch-up after ingest    {ms(on['catch_up'])}  (until no page is unfolded)")
    for label, result in (("fresh snapshot", on), ("no snapshot   ", off)):
        latencies = result["latencies"]
        print(
            f"stats query, {label}        {ms(statistics.median(latencies))}"
            f" median of 5 (min {min(latencies) * 1000:.0f} ms)"
        )
    for label, result in (("fresh snapshot", on), ("no snapshot", off)):
        print(f"recipients page (first 50), {label:<14} {ms(result['first_page'])}")
        print(f"recipients page (after a cursor)   {ms(result['next_page'])}")
        print(
            f"recipients page (status=RESPONDED) {ms(result['rare'])}"
            f"  (again: {result['rare_again'] * 1000:.0f} ms)"
        )
    for result in (on, off):
        stats = result["stats"]
        print(
            f"check: sent={stats['sent']} responded={stats['responded']} "
            f"recipients={stats['recipients']}"
        )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
