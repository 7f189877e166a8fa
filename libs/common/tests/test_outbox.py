"""The outbox relay publishes what a document stored with its state, then forgets it."""

import asyncio

import pytest
from beanie import Document

from reengage_common.bus import EventPublisher, ensure_topics, make_producer
from reengage_common.db import init_documents, make_mongo_client
from reengage_common.events import Envelope, PatientUpserted, parse
from reengage_common.locks import DocumentLocks
from reengage_common.outbox import OutboxRelay, WithOutbox
from reengage_common.testing import read_topic

pytestmark = pytest.mark.infra


class Patient(Document, WithOutbox):
    name: str

    class Settings:
        name = "outbox_patients"


async def test_events_stored_with_the_state_are_published_in_order_then_removed(
    infra, settings_for
) -> None:
    settings = settings_for("outbox-test", kafka_topic_prefix=f"{infra.kafka_topic_prefix}outbox.")
    mongo = make_mongo_client(settings)
    await init_documents(mongo, settings, [Patient])
    await ensure_topics(settings)
    producer = make_producer(settings)
    await producer.start()
    relay = OutboxRelay(
        EventPublisher(settings, producer), [Patient], service="tests", locks=DocumentLocks()
    )
    patient = Patient(name="Ada")
    sent = [
        Envelope.wrap(
            PatientUpserted(patient_id="p-1", first_name=f"v{n}"), source="t", clinic_id="c"
        )
        for n in range(3)
    ]
    for envelope in sent:
        patient.record_event(envelope)

    await patient.insert()
    relayed = await relay.relay_once()
    again = await relay.relay_once()

    records = await read_topic(settings, settings.topic("patient.upserted"), count=3)
    await producer.stop()
    stored = await Patient.get(patient.id)
    await mongo.close()
    assert relayed == 3 and again == 0
    assert [parse(r.value).id for r in records] == [e.id for e in sent]
    assert stored is not None and stored.outbox == []


async def test_no_event_is_lost_or_repeated_while_a_handler_saves_during_relaying(
    infra, settings_for
) -> None:
    settings = settings_for("outbox-race", kafka_topic_prefix=f"{infra.kafka_topic_prefix}race.")
    mongo = make_mongo_client(settings)
    await init_documents(mongo, settings, [Patient])
    await ensure_topics(settings)
    producer = make_producer(settings)
    await producer.start()
    locks = DocumentLocks()
    relay = OutboxRelay(
        EventPublisher(settings, producer), [Patient], service="t", locks=locks, poll_interval=0.01
    )
    relaying = asyncio.create_task(relay.run())
    patient = await Patient(name="Ada").insert()
    sent = []

    for n in range(40):
        envelope = Envelope.wrap(
            PatientUpserted(patient_id="p-1", first_name=f"v{n}"), source="t", clinic_id="c"
        )
        async with locks.hold(f"{Patient.Settings.name}/{patient.id}"):
            current = await Patient.get(patient.id)
            assert current is not None
            current.record_event(envelope)
            await current.replace()
        sent.append(envelope.id)
        relay.nudge()
        await asyncio.sleep(0.005)

    records = await read_topic(
        settings, settings.topic("patient.upserted"), count=len(sent), within=20
    )
    relaying.cancel()
    await asyncio.gather(relaying, return_exceptions=True)
    await producer.stop()
    await mongo.close()
    assert [parse(r.value).id for r in records] == sent
