"""The outbox relay publishes the events stored with an append-only record, then flags it done."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from beanie import Document
from pymongo import ASCENDING, IndexModel

from reengage_common.bus import EventPublisher, ensure_topics, make_producer
from reengage_common.db import init_documents, make_mongo_client
from reengage_common.events import Envelope, PatientUpserted, parse
from reengage_common.leases import Leases, run_under_lease
from reengage_common.outbox import OutboxRelay, WithOutbox
from reengage_common.settings import Settings
from reengage_testing import read_topic

pytestmark = pytest.mark.infra


class PatientChange(Document, WithOutbox):
    """An append-only record of a change, carrying the events it implies."""

    patient_id: str
    version: int

    class Settings:
        name = "outbox_patient_changes"
        indexes = [IndexModel([("outbox_pending", ASCENDING)])]


def upserted(patient: str, version: int) -> Envelope[PatientUpserted]:
    return Envelope.wrap(
        PatientUpserted(patient_id=patient, first_name=f"v{version}"), source="t", clinic_id="c"
    )


@pytest.fixture
async def outbox(infra, settings_for) -> AsyncIterator[tuple[Settings, EventPublisher]]:
    prefix = f"{infra.kafka_topic_prefix}outbox-{uuid.uuid4().hex[:6]}."
    settings = settings_for("outbox-test", kafka_topic_prefix=prefix)
    mongo = make_mongo_client(settings)
    await init_documents(mongo, settings, [PatientChange])
    await PatientChange.find_all().delete()
    await ensure_topics(settings)
    producer = make_producer(settings)
    await producer.start()
    yield settings, EventPublisher(settings, producer)
    await producer.stop()
    await mongo.close()


async def test_events_stored_with_a_record_are_published_in_order_once(outbox) -> None:
    settings, publisher = outbox
    relay = OutboxRelay(publisher, [PatientChange], service="tests")
    sent = []
    for version in range(3):
        change = PatientChange(patient_id="p-1", version=version)
        envelope = upserted("p-1", version)
        change.record_event(envelope)
        await change.insert()
        sent.append(envelope.id)

    relayed = await relay.relay_once()
    again = await relay.relay_once()

    records = await read_topic(settings, settings.topic("patient.upserted"), count=3)
    assert relayed == 3 and again == 0
    assert [parse(r.value).id for r in records] == sent
    assert await PatientChange.find({"outbox_pending": True}).count() == 0


async def test_two_replicas_relaying_under_one_lease_lose_nothing_and_publish_nothing_twice(
    outbox,
) -> None:
    settings, publisher = outbox
    leases_collection = PatientChange.get_pymongo_collection().database["leases"]

    def replica(name: str) -> "asyncio.Task[None]":
        leases = Leases(
            leases_collection, name, timedelta(seconds=3), clock=lambda: datetime.now(UTC)
        )
        relay = OutboxRelay(publisher, [PatientChange], service=name, poll_interval=0.02)
        return asyncio.create_task(run_under_lease(leases, "outbox-relay", relay.run))

    replicas = [replica("a"), replica("b")]
    sent = []
    for version in range(60):
        change = PatientChange(patient_id=f"p-{version % 7}", version=version)
        envelope = upserted(change.patient_id, version)
        change.record_event(envelope)
        await change.insert()
        sent.append(envelope.id)
        await asyncio.sleep(0.002)

    records = await read_topic(settings, settings.topic("patient.upserted"), count=61, within=4)
    for task in replicas:
        task.cancel()
    await asyncio.gather(*replicas, return_exceptions=True)

    published = [parse(r.value).id for r in records]
    assert sorted(published) == sorted(sent)
    assert len(published) == len(set(published))
