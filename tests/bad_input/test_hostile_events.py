"""Hostile events on every topic a service consumes, through its real consumer (Kafka, FerretDB).

Each example publishes a few events on one key (so on one partition of each topic), some of
them malformed, some valid but as hostile as the contract allows, then a plain valid one
after them. Then: every malformed one is on `<topic>.dlq` with a reason, no valid one is (it
was applied: a handler stores its effect before the offset is committed), the partition went
on to its end, and the service still answers. Derandomized, so a run is repeatable.
"""

import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from audience_svc.app import create_app as audience_app
from audience_svc.config import AudienceSettings
from dispatch_svc.app import create_app as dispatch_app
from dispatch_svc.config import DispatchSettings
from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.bus import make_producer
from reengage_common.events import (
    AppointmentUpdated,
    AudienceEvaluated,
    CampaignLaunched,
    CampaignStatusChanged,
    Event,
    MessageDue,
    MessageSent,
    PatientUpserted,
    RecipientHeldOut,
    RecipientResponded,
)
from reengage_common.settings import Settings
from reengage_testing import eventually, serving
from reengage_testing.hostile import malformed_envelope, valid_envelope
from tracking_svc.app import create_app as tracking_app
from tracking_svc.config import TrackingSettings

pytestmark = pytest.mark.infra
KEY = generate_signing_key()
HEADERS = {
    "authorization": "Bearer "
    + issue_token(KEY, user_id="u-1", clinic_id="clinic-a", role="clinic_admin")
}
CASE = "test-case"
EXAMPLES = 40
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Consumer:
    make_app: Callable[..., Any]
    settings_class: type[Settings]
    topics: tuple[type[Event], ...]
    # a read that must still answer 200 after the hostile events (the service is not poisoned)
    probe: tuple[str, str, dict[str, Any] | None]


CONSUMERS = {
    "audience-svc": Consumer(
        audience_app,
        AudienceSettings,
        (
            PatientUpserted,
            AppointmentUpdated,
            MessageSent,
            RecipientResponded,
            CampaignLaunched,
            CampaignStatusChanged,
        ),
        (
            "POST",
            "/estimate",
            {"targeting": {"inactiveDays": 1}, "mergeFields": ["patient.lastVisitDate"]},
        ),
    ),
    "dispatch-svc": Consumer(
        dispatch_app,
        DispatchSettings,
        (MessageDue, CampaignLaunched, CampaignStatusChanged, RecipientResponded, PatientUpserted),
        ("GET", "/readyz", None),
    ),
    "tracking-svc": Consumer(
        tracking_app,
        TrackingSettings,
        (
            MessageDue,
            RecipientHeldOut,
            AudienceEvaluated,
            RecipientResponded,
            MessageSent,
            CampaignLaunched,
            AppointmentUpdated,
        ),
        ("GET", "/campaigns/c-plain/stats", None),
    ),
}


@dataclass
class Running:
    consumer: Consumer
    settings: Settings
    client: httpx.AsyncClient
    producer: AIOKafkaProducer


@pytest.fixture(scope="module", params=list(CONSUMERS))
async def running(request, infra, settings_for) -> AsyncIterator[Running]:
    consumer = CONSUMERS[request.param]
    own = uuid.uuid4().hex[:6]
    service_settings = settings_for(
        request.param,
        consumer.settings_class,
        kafka_topic_prefix=f"{infra.kafka_topic_prefix}hostile-{own}.",
        mongo_db_prefix=f"{infra.mongo_db_prefix}hostile_{own}_",
        jwt_public_key=KEY.public_pem,
    )
    producer = make_producer(service_settings)
    async with serving(consumer.make_app(service_settings)) as client:
        await producer.start()
        try:
            yield Running(consumer, service_settings, client, producer)
        finally:
            await producer.stop()


def plain(model: type[Event], key: str) -> bytes:
    """A valid, ordinary event of the topic, keyed by `key`."""
    data: dict[str, Any] = {
        "campaignId": "c-plain",
        "patientId": key,
        "at": NOW.isoformat(),
    }
    data.update(
        {
            PatientUpserted: {"email": "ada@example.com"},
            AppointmentUpdated: {
                "appointmentId": "a-plain",
                "status": "COMPLETED",
                "scheduledAt": NOW.isoformat(),
            },
            MessageSent: {
                "messageId": "m-plain",
                "sequence": 1,
                "channel": "EMAIL",
                "outcome": "SENT",
            },
            RecipientResponded: {"kind": "CLICKED"},
            RecipientHeldOut: {},
            AudienceEvaluated: {"targeted": 0, "heldOut": 0},
            CampaignStatusChanged: {"from": "ACTIVE", "to": "PAUSED"},
            MessageDue: {
                "messageId": "m-plain-due",
                "sequence": 1,
                "channel": "EMAIL",
                "dueAt": NOW.isoformat(),
                "contact": {"email": "ada@example.com"},
            },
            CampaignLaunched: {
                "name": "plain",
                "targeting": {"inactiveDays": 180},
                "channels": ["EMAIL"],
                "messageTemplates": [
                    {"channel": "EMAIL", "subject": "s", "body": "b", "sequence": 1}
                ],
                "variants": [{"name": "A", "weight": 1}],
                "schedule": {"startDate": NOW.isoformat()},
                "launchedAt": NOW.isoformat(),
            },
        }[model]
    )
    document = {
        "id": str(uuid.uuid4()),
        "type": model.topic,
        "source": "tests",
        "time": NOW.isoformat(),
        "clinicId": "clinic-a",
        "data": data,
    }
    return json.dumps(document).encode()


def cases(
    topics: tuple[type[Event], ...],
) -> st.SearchStrategy[list[tuple[type[Event], bool, bytes]]]:
    one = st.sampled_from(topics).flatmap(
        lambda model: st.one_of(
            valid_envelope(model).map(lambda raw: (model, True, raw)),
            malformed_envelope(model).map(lambda raw: (model, False, raw)),
        )
    )
    return st.lists(one, min_size=1, max_size=6)


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    # no shrinking: each example waits on real servers; a failure reports the first one found
    phases=(Phase.explicit, Phase.generate),
)
@pytest.mark.timeout(600)
@given(data=st.data())
async def test_hostile_events_are_dead_lettered_or_applied_and_the_partition_goes_on(
    running: Running, data: st.DataObject
) -> None:
    consumer, settings = running.consumer, running.settings
    drawn = data.draw(cases(consumer.topics))
    key = f"k-{uuid.uuid4().hex[:8]}"
    sent: dict[str, tuple[type[Event], bool, bytes]] = {}
    for model, valid, raw in drawn:
        case = uuid.uuid4().hex
        sent[case] = (model, valid, raw)
        await running.producer.send(
            settings.topic(model.topic), raw, key=key.encode(), headers=[(CASE, case.encode())]
        )
    for model in {model for model, _, _ in drawn}:  # then an ordinary event on each partition
        case = uuid.uuid4().hex
        sent[case] = (model, True, plain(model, key))
        await running.producer.send(
            settings.topic(model.topic),
            sent[case][2],
            key=key.encode(),
            headers=[(CASE, case.encode())],
        )
    await running.producer.flush()

    await _committed(settings, [model.topic for model in consumer.topics], within=90)

    dead = await _dead_letters(settings, [model.topic for model in consumer.topics], set(sent))
    malformed = {case for case, (_, valid, _) in sent.items() if not valid}
    wrongly = {case: dead[case] for case in dead.keys() - malformed}
    assert not wrongly, "valid events dead-lettered: " + "; ".join(
        f"{sent[case][0].topic} {sent[case][2][:400]!r}: {reason}"
        for case, reason in wrongly.items()
    )
    assert dead.keys() == malformed, [sent[case][2][:200] for case in malformed - dead.keys()]
    assert all(reason.startswith("malformed: ") for reason in dead.values())
    method, path, body = consumer.probe
    answer = await running.client.request(method, path, json=body, headers=HEADERS)
    assert answer.status_code == 200, answer.text


async def _committed(settings: Settings, topics: list[str], *, within: float) -> None:
    """Until the service's group committed every partition of these topics to its end."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    reader = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    await reader.start()
    try:
        partitions = []
        for topic in topics:
            await reader._client._wait_on_metadata(settings.topic(topic))
            for p in reader.partitions_for_topic(settings.topic(topic)) or ():
                partitions.append(TopicPartition(settings.topic(topic), p))
        ends = await reader.end_offsets(partitions)

        async def done() -> bool:
            offsets = await admin.list_consumer_group_offsets(settings.group_id())
            return all(
                end == 0 or (p in offsets and offsets[p].offset >= end) for p, end in ends.items()
            )

        await eventually(done, within=within, interval=0.1)
    finally:
        await reader.stop()
        await admin.close()


async def _dead_letters(settings: Settings, topics: list[str], cases: set[str]) -> dict[str, str]:
    """{case: dlq-reason} of these cases on the topics' dead-letter topics."""
    names = [settings.topic(topic) + ".dlq" for topic in topics]
    reader = AIOKafkaConsumer(
        *names,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await reader.start()
    found: dict[str, str] = {}

    def take(batches: dict[Any, list[Any]]) -> None:
        for batch in batches.values():
            for record in batch:
                headers = dict(record.headers or [])
                case = headers.get(CASE, b"").decode()
                if case in cases:
                    found[case] = headers.get("dlq-reason", b"").decode()

    try:
        while not reader.assignment():  # without a group: every partition at once
            take(await reader.getmany(timeout_ms=100))
        ends = await reader.end_offsets(list(reader.assignment()))
        while any([await reader.position(p) < end for p, end in ends.items()]):
            take(await reader.getmany(timeout_ms=200))
    finally:
        await reader.stop()
    return found
