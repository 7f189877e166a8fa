"""audience-svc built by its own `bootstrap` over the in-memory store and projection, with a
producer that keeps what it is given: launches, fan-outs and daily enrolment without servers."""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from audience_fake_store import FakeAudienceStore, FakeProjection

from audience_svc.bootstrap import bootstrap
from audience_svc.config import AudienceSettings
from audience_svc.enrolment import enrol_once
from audience_svc.handlers import AudienceHandlers
from reengage_common.bus import EventPublisher
from reengage_common.events import (
    AppointmentUpdated,
    CampaignLaunched,
    CampaignStatusChanged,
    Envelope,
    Event,
    PatientUpserted,
    parse,
)
from reengage_common.service import Runtime
from reengage_common.shares import PartitionShare
from reengage_testing import FakeClock

CLINIC = "clinic-a"


class FakeProducer:
    """What `send_in_batches` and `EventPublisher` need of aiokafka's producer; keeps every
    event it is given, parsed. While `refusing`, a batch is refused (a broker away)."""

    def __init__(self) -> None:
        self.published: list[Envelope[Any]] = []
        self.refusing = False

    def _partitioner(self, key: bytes, every: list[int], available: list[int]) -> int:
        return 0

    async def partitions_for(self, topic: str) -> set[int]:
        return {0}

    def create_batch(self) -> "_Batch":
        return _Batch()

    async def send_batch(
        self, batch: "_Batch", topic: str, partition: int
    ) -> "asyncio.Future[None]":
        if self.refusing:
            raise ConnectionError("the broker is away")
        self.published += [parse(value) for value in batch.values]
        return _done()

    async def send(
        self, topic: str, value: bytes, key: bytes, headers: list[tuple[str, bytes]]
    ) -> "asyncio.Future[None]":
        self.published.append(parse(value))
        return _done()


class _Batch:
    def __init__(self) -> None:
        self.values: list[bytes] = []

    def append(self, *, key: bytes, value: bytes, timestamp: None, headers: Any) -> bool:
        self.values.append(value)
        return True


def _done() -> "asyncio.Future[None]":
    future = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


@dataclass
class Unit:
    store: FakeAudienceStore
    projection: FakeProjection
    producer: FakeProducer
    handlers: AudienceHandlers

    async def receive(self, *events: Event, at: datetime, clinic_id: str = CLINIC) -> None:
        """Events as the consumer hands them to the handlers, each kind in one batch."""
        for event in events:
            envelope = Envelope.wrap(event, source="tests", clinic_id=clinic_id, at=at)
            if isinstance(event, CampaignLaunched):
                await self.handlers.on_campaign_launched(envelope)
            elif isinstance(event, CampaignStatusChanged):
                await self.handlers.on_status_changed([envelope])
            else:
                await self.handlers.ingest([envelope])

    async def enrol(self, now: datetime, owner: PartitionShare | None = None) -> list[str]:
        return await enrol_once(self.store, self.handlers.fanout, now, owner)

    def published(self, topic: str, campaign_id: str | None = None) -> list[Any]:
        return [
            e.data
            for e in self.producer.published
            if e.type == topic and campaign_id in (None, e.data.campaign_id)
        ]

    def due_patients(self, campaign_id: str) -> list[str]:
        return sorted(due.patient_id for due in self.published("message.due", campaign_id))


def audience_unit(now: datetime, **settings: Any) -> Unit:
    """audience-svc as `bootstrap` builds it; `now` is its clock's (daily enrolment's loop)."""
    config = AudienceSettings(env="test", kafka_topic_prefix="", **settings)
    store, projection, producer = FakeAudienceStore(), FakeProjection(), FakeProducer()
    publisher = EventPublisher(config, producer)  # type: ignore[arg-type]
    # no database, relay or leases: the fakes stand for the first, and nothing here runs a loop
    runtime = Runtime(config, None, producer, publisher, None, None)  # type: ignore[arg-type]
    parts = bootstrap(
        runtime,
        config,
        clock=FakeClock(now),
        store=lambda _: store,
        projection=lambda *_: projection,  # type: ignore[arg-type,return-value]
    )
    return Unit(store, projection, producer, parts.state["handlers"])


def patient(patient_id: str, visited: datetime, **fields: Any) -> list[Event]:
    """An adult reachable by email, created long ago, last seen at `visited`."""
    profile = {
        "patientId": patient_id,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": f"{patient_id}@example.com",
        "timezone": "America/Chicago",
        "consents": {"email": True},
        "treatmentStatus": "ACTIVE",
        "createdAt": "2019-03-01T10:00:00Z",
        **fields,
    }
    visit = {
        "appointmentId": f"a-{patient_id}",
        "patientId": patient_id,
        "status": "COMPLETED",
        "scheduledAt": visited.isoformat(),
        "valueCents": 20000,
    }
    return [PatientUpserted.model_validate(profile), AppointmentUpdated.model_validate(visit)]


def launched(campaign_id: str, at: datetime, **changes: Any) -> CampaignLaunched:
    """An email campaign for patients 180 days inactive, launched at `at` (run 1)."""
    snapshot: dict[str, Any] = {
        "campaignId": campaign_id,
        "name": "Winter recall",
        "targeting": {"inactiveDays": 180},
        "channels": ["EMAIL"],
        "messageTemplates": [
            {"channel": "EMAIL", "subject": "Hi", "body": "We miss you", "sequence": 1}
        ],
        "variants": [{"name": "A", "weight": 1}],
        "holdoutPercent": 0,
        "schedule": {
            "startDate": at.isoformat(),
            "sendTimes": ["10:00"],
            "timezone": "America/Chicago",
        },
        "runNumber": 1,
        "launchedAt": at.isoformat(),
        "clinic": {"name": "Bright Smiles", "timezone": "America/Chicago"},
        **changes,
    }
    return CampaignLaunched.model_validate(snapshot)


def status_changed(campaign_id: str, to: str, at: datetime) -> CampaignStatusChanged:
    before = "PAUSED" if to == "ACTIVE" else "ACTIVE"
    return CampaignStatusChanged.model_validate(
        {"campaignId": campaign_id, "from": before, "to": to, "at": at.isoformat()}
    )


def days(count: float) -> timedelta:
    return timedelta(days=count)
