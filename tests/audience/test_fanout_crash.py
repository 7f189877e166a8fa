"""A SIGKILL of audience-svc in the middle of a 20,000-recipient fan-out, then a restart:
every recipient gets exactly one distinct message.due, none is missing."""

import json
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient

from audience_svc.fanout import IN_FLIGHT
from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.bus import EventPublisher, make_producer
from reengage_common.events import CampaignLaunched, Envelope
from reengage_common.settings import Settings
from reengage_testing import eventually, free_port

pytestmark = pytest.mark.infra
RECIPIENTS = 20_000
CHUNK = 200
KEY = generate_signing_key()
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


class AudienceProcess:
    """audience-svc as a real process, in this test's own topics and database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "KAFKA_TOPIC_PREFIX": self.settings.kafka_topic_prefix,
            "MONGO_DB_PREFIX": self.settings.mongo_db_prefix,
            "PORT": str(self.port),
            "JWT_PUBLIC_KEY": KEY.public_pem,
            "FANOUT_CHUNK_SIZE": str(CHUNK),
            "LEASE_TTL_SECONDS": "2",
            "LOG_LEVEL": "WARNING",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "audience_svc"], env=env, stdout=subprocess.DEVNULL
        )

    async def ready(self) -> None:
        async def answers() -> bool:
            try:
                async with httpx.AsyncClient() as client:
                    response = await client.get(f"http://127.0.0.1:{self.port}/readyz")
                    return response.status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(answers, within=60, interval=0.2)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
async def audience(infra, settings_for):
    own = uuid.uuid4().hex[:6]
    settings = settings_for(
        "audience-svc",
        kafka_topic_prefix=f"{infra.kafka_topic_prefix}crash-{own}.",
        mongo_db_prefix=f"{infra.mongo_db_prefix}crash_{own}_",
    )
    process = AudienceProcess(settings)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def launched(campaign_id: str) -> CampaignLaunched:
    return CampaignLaunched.model_validate(
        {
            "campaignId": campaign_id,
            "name": "Crash test",
            "targeting": {"inactiveDays": 180},
            "channels": ["EMAIL"],
            "messageTemplates": [
                {"channel": "EMAIL", "subject": "Hi", "body": "Hi", "sequence": 1}
            ],
            "variants": [{"name": "A", "weight": 1}],
            "schedule": {"startDate": NOW.isoformat()},
            "launchedAt": NOW.isoformat(),
        }
    )


async def distinct_message_ids(settings: Settings, campaign_id: str) -> tuple[set[str], int]:
    """messageIds of the campaign on message.due (read to the end), and the events read."""
    topic = settings.topic("message.due")
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    ids: set[str] = set()
    events = 0
    try:
        ends: dict = {}
        while not ends:
            for batch in (await consumer.getmany(timeout_ms=100)).values():
                for record in batch:
                    events += _collect(record.value, campaign_id, ids)
            if consumer.assignment():
                ends = await consumer.end_offsets(list(consumer.assignment()))
        while any([await consumer.position(p) < end for p, end in ends.items()]):
            for batch in (await consumer.getmany(timeout_ms=200, max_records=10_000)).values():
                for record in batch:
                    events += _collect(record.value, campaign_id, ids)
    finally:
        await consumer.stop()
    return ids, events


def _collect(value: bytes, campaign_id: str, ids: set[str]) -> int:
    data = json.loads(value)["data"]
    if data["campaignId"] != campaign_id:
        return 0
    ids.add(data["messageId"])
    return 1


async def test_a_killed_fan_out_resumes_with_one_message_per_recipient(audience) -> None:
    # given 20,000 lapsed patients imported into a running audience-svc
    settings = audience.settings
    await audience.ready()
    token = issue_token(KEY, user_id="u", clinic_id="clinic-crash", role="clinic_admin")
    rows = "\n".join(
        json.dumps(
            {
                "patientId": f"p-{n:05d}",
                "email": f"p{n}@example.com",
                "createdAt": "2019-01-01T00:00:00Z",
            }
        )
        for n in range(RECIPIENTS)
    )
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{audience.port}", timeout=120
    ) as client:
        imported = await client.post(
            "/import",
            content=rows.encode(),
            headers={"authorization": f"Bearer {token}", "content-type": "application/x-ndjson"},
        )
    assert imported.json()["imported"] == RECIPIENTS
    campaign_id = f"c-crash-{uuid.uuid4().hex[:6]}"
    plan_id = f"{campaign_id}:1"
    producer = make_producer(settings)
    await producer.start()
    mongo = AsyncMongoClient(settings.mongo_url)
    progress = mongo[settings.database_name]["plan_progress"]
    try:
        # when it is killed while publishing the fan-out
        await EventPublisher(settings, producer).publish(
            Envelope.wrap(launched(campaign_id), source="campaign-svc", clinic_id="clinic-crash")
        )

        async def publishing() -> bool:
            return await progress.count_documents({"plan_id": plan_id}) >= 5

        await eventually(publishing, within=120, interval=0.02)
        audience.kill()
        chunks_done_at_kill = await progress.count_documents({"plan_id": plan_id})
        before, _ = await distinct_message_ids(settings, campaign_id)

        # and started again
        audience.start()

        async def finished() -> bool:
            plan = await mongo[settings.database_name]["plans"].find_one({"_id": plan_id})
            return bool(plan and plan.get("finished"))

        await eventually(finished, within=120, interval=0.2)
    finally:
        await producer.stop()
        await mongo.close()

    # then every recipient has exactly one distinct message.due
    ids, events = await distinct_message_ids(settings, campaign_id)
    assert chunks_done_at_kill < RECIPIENTS // CHUNK, "the kill came after the fan-out ended"
    assert 0 < len(before) < RECIPIENTS
    assert len(ids) == RECIPIENTS
    # at most the chunks in flight (queued, not yet all acknowledged) are published again
    assert events - RECIPIENTS <= IN_FLIGHT * CHUNK
