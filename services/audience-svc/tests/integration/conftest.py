"""audience-svc in-process against the real Kafka and FerretDB, with a clock the test moves."""

import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from audience_svc.app import create_app
from audience_svc.config import AudienceSettings
from audience_svc.domain.facts import fact_of
from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.bus import EventPublisher, make_producer
from reengage_common.db import make_mongo_client
from reengage_common.events import (
    AppointmentUpdated,
    CampaignLaunched,
    Envelope,
    Event,
    PatientUpserted,
    parse,
)
from reengage_common.settings import Settings
from reengage_testing import FakeClock, eventually, serving

INBOUND = ("patient.upserted", "appointment.updated", "message.sent", "recipient.responded")
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
KEY = generate_signing_key()


def days_ago(days: float, now: datetime = NOW) -> datetime:
    return now - timedelta(days=days)


def patient(patient_id: str, **fields: Any) -> dict[str, Any]:
    """patient.upserted data of an adult reachable on every channel, created long ago."""
    return {
        "patientId": patient_id,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": f"{patient_id}@example.com",
        "phone": "+15551230001",
        "address": {"line1": "1 Main St", "city": "Springfield", "postalCode": "62701"},
        "timezone": "America/Chicago",
        "consents": {"email": True, "sms": True, "mail": True},
        "treatmentStage": "HYGIENE_RECALL",
        "treatmentStatus": "ACTIVE",
        "createdAt": "2019-03-01T10:00:00Z",
        **fields,
    }


def visit(patient_id: str, at: datetime, status: str = "COMPLETED", n: int = 1) -> dict[str, Any]:
    return {
        "appointmentId": f"a-{patient_id}-{n}",
        "patientId": patient_id,
        "status": status,
        "scheduledAt": at.isoformat(),
        "valueCents": 20000,
    }


def facts_of_patients(clinic: str, count: int) -> list[dict[str, Any]]:
    """The projection's facts of `count` adult patients of the clinic, each seen once."""
    envelopes = []
    for n in range(count):
        pid = f"{clinic}-{n:04d}"
        seen = AppointmentUpdated.model_validate(visit(pid, days_ago(200 + n % 50)))
        for event in (PatientUpserted.model_validate(patient(pid)), seen):
            envelopes.append(Envelope.wrap(event, source="pms", clinic_id=clinic, at=NOW))
    return [fact for envelope in envelopes if (fact := fact_of(envelope)) is not None]


@dataclass
class Audience:
    client: httpx.AsyncClient
    settings: AudienceSettings
    publisher: EventPublisher
    clock: FakeClock
    clinic: str
    _mongo: Any = None

    def headers(self, permissions: list[str] | None = None, clinic: str | None = None) -> dict:
        token = issue_token(
            KEY,
            user_id="u-1",
            clinic_id=clinic or self.clinic,
            role="clinic_admin",
            permissions=permissions,
        )
        return {"authorization": f"Bearer {token}"}

    async def publish(
        self,
        topic_model: type[Event],
        *items: dict[str, Any],
        at: datetime | None = None,
        ids: list[str] | None = None,
    ) -> None:
        envelopes = []
        for n, item in enumerate(items):
            envelope = Envelope.wrap(
                topic_model.model_validate(item),
                source="test-pms",
                clinic_id=self.clinic,
                at=at or self.clock.now,
            )
            if ids:
                envelope.id = ids[n]
            envelopes.append(envelope)
        await self.publisher.publish_many(envelopes)

    async def estimate(self, **body: Any) -> dict[str, Any]:
        answer = await self.client.post("/estimate", json=body, headers=self.headers())
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def estimate_once(
        self, settled: Callable[[dict[str, Any]], bool], **body: Any
    ) -> dict[str, Any]:
        """The estimate once every event published so far is in the projection, as `settled`
        recognises (events of different topics arrive independently)."""
        answers: list[dict[str, Any]] = []

        async def check() -> bool:
            answers.append(await self.estimate(**body))
            return settled(answers[-1])

        with contextlib.suppress(AssertionError):  # the caller's assertion shows the last answer
            await eventually(check, within=30, interval=0.2)
        return answers[-1]

    async def caught_up_on(self, *names: str) -> None:
        await self.caught_up(names)

    def database(self) -> Any:
        if self._mongo is None:
            self._mongo = make_mongo_client(self.settings)
        return self._mongo[self.settings.database_name]

    async def caught_up(self, names: tuple[str, ...] = INBOUND) -> None:
        """Wait until the service committed every inbound event published so far: its effects
        are stored (offsets are committed only after that)."""
        topics = [self.settings.topic(t) for t in names]
        admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap_servers)
        reader = AIOKafkaConsumer(bootstrap_servers=self.settings.kafka_bootstrap_servers)
        await admin.start()
        await reader.start()
        try:
            # (a consumer's partitions_for_topic knows only subscribed topics: ask a producer)
            producer = make_producer(self.settings)
            await producer.start()
            try:
                partitions = [
                    TopicPartition(t, p) for t in topics for p in await producer.partitions_for(t)
                ]
            finally:
                await producer.stop()
            ends = await reader.end_offsets(partitions)

            async def committed() -> bool:
                offsets = await admin.list_consumer_group_offsets(self.settings.group_id())
                return all(
                    end == 0 or (p in offsets and offsets[p].offset >= end)
                    for p, end in ends.items()
                )

            await eventually(committed, within=60, interval=0.1)
        finally:
            await reader.stop()
            await admin.close()

    async def wait_for_patients(self, count: int) -> None:
        await self.caught_up()

        async def known() -> bool:
            return (await self.estimate(targeting={"inactiveDays": 1}))["patients"] >= count

        await eventually(known, within=60, interval=0.2)

    async def launch(self, campaign_id: str, **snapshot: Any) -> CampaignLaunched:
        launched = launched_event(campaign_id, self.clock.now, **snapshot)
        await self.publisher.publish(
            Envelope.wrap(launched, source="campaign-svc", clinic_id=self.clinic, at=self.clock.now)
        )
        return launched

    async def evaluated(self, campaign_id: str) -> Any:
        """The campaign's audience.evaluated, once its fan-out is complete."""
        found: list[Any] = []

        async def published() -> bool:
            found[:] = [e for e in await self.events("audience.evaluated", campaign_id)]
            return bool(found)

        await eventually(published, within=60, interval=0.2)
        return found[-1].data

    async def events(self, topic: str, campaign_id: str) -> list[Envelope[Any]]:
        """Every event of one campaign on a topic so far (read to the end of the topic)."""
        return [
            e
            for e in await read_all(self.settings, self.settings.topic(topic))
            if getattr(e.data, "campaign_id", None) == campaign_id
        ]


async def read_all(settings: Settings, topic: str) -> list[Envelope[Any]]:
    """The whole topic as it is now, from the beginning."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[Envelope[Any]] = []
    try:
        ends: dict[TopicPartition, int] = {}
        for _ in range(100):
            for batch in (await consumer.getmany(timeout_ms=100, max_records=20_000)).values():
                found.extend(parse(r.value) for r in batch)
            if consumer.assignment():
                ends = await consumer.end_offsets(list(consumer.assignment()))
                break
        while any([await consumer.position(p) < end for p, end in ends.items()]):
            for batch in (await consumer.getmany(timeout_ms=200, max_records=20_000)).values():
                found.extend(parse(r.value) for r in batch)
    finally:
        await consumer.stop()
    return found


def launched_event(campaign_id: str, now: datetime, **changes: Any) -> CampaignLaunched:
    snapshot: dict[str, Any] = {
        "campaignId": campaign_id,
        "name": "Winter recall",
        "targeting": {"inactiveDays": 180},
        "channels": ["EMAIL", "SMS"],
        "messageTemplates": [
            {
                "channel": "EMAIL",
                "subject": "Hi {{ patient.firstName }}",
                "body": "We miss you",
                "sequence": 1,
            },
            {"channel": "SMS", "body": "{{ clinic.name }}", "sequence": 2, "delayDays": 3},
        ],
        "variants": [{"name": "A", "weight": 1}],
        "holdoutPercent": 0,
        "schedule": {
            "startDate": now.isoformat(),
            "sendTimes": ["10:00"],
            "timezone": "America/Chicago",
        },
        "incentive": {
            "hasIncentive": True,
            "incentiveDetails": "20% off",
            "incentiveCode": "SMILE20",
        },
        "runNumber": 1,
        "launchedAt": now.isoformat(),
        "clinic": {
            "name": "Bright Smiles",
            "phone": "(555) 010-0100",
            "address": "100 Main St",
            "timezone": "America/Chicago",
        },
    }
    for key, value in changes.items():
        if key == "targeting":
            snapshot["targeting"] = {**snapshot["targeting"], **value}
        else:
            snapshot[key] = value
    return CampaignLaunched.model_validate(snapshot)


@pytest.fixture(scope="module")
async def service(infra, settings_for) -> AsyncIterator[Audience]:
    own = uuid.uuid4().hex[:6]
    settings = settings_for(
        "audience-svc",
        AudienceSettings,
        kafka_topic_prefix=f"{infra.kafka_topic_prefix}aud-{own}.",
        mongo_db_prefix=f"{infra.mongo_db_prefix}aud_{own}_",
        jwt_public_key=KEY.public_pem,
        compact_interval_seconds=0.1,
        enrolment_interval_seconds=0.2,
        fanout_chunk_size=500,
    )
    clock = FakeClock(NOW)
    producer = make_producer(settings)
    async with serving(create_app(settings, clock=clock)) as client:
        await producer.start()
        try:
            yield Audience(client, settings, EventPublisher(settings, producer), clock, "clinic-a")
        finally:
            await producer.stop()


@pytest.fixture
async def audience(service: Audience) -> Audience:
    """The module's service, seen from a clinic of this test's own (and the clock at NOW)."""
    service.clock.now = NOW
    return dataclasses.replace(service, clinic=f"clinic-{uuid.uuid4().hex[:8]}")


__all__ = ["AppointmentUpdated", "days_ago", "patient", "visit"]
