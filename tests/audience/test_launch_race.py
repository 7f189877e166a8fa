"""Two campaigns of one clinic launched at the same instant through campaign-svc, fanned out by
two audience-svc replicas (real processes, one consumer group) at once: no patient is targeted
by both (the 30-day rule across campaigns), and every lapsed patient by exactly one.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka.partitioner import DefaultPartitioner

from audience_svc.config import AudienceSettings
from campaign_svc.app import create_app as campaign_app
from campaign_svc.config import CampaignSettings
from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.bus import EventPublisher, make_producer
from reengage_common.events import AppointmentUpdated, Envelope, PatientUpserted
from reengage_testing import (
    COMPLETE_CLINIC_PROFILE,
    FakeClock,
    ServiceProcess,
    eventually,
    read_to_end,
    running,
    serving,
)

pytestmark = pytest.mark.infra
KEY = generate_signing_key()
CLINIC = "clinic-race"
PATIENTS = 1500
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
HEADERS = {
    "authorization": "Bearer "
    + issue_token(KEY, user_id="u-admin", clinic_id=CLINIC, role="clinic_admin")
}
CAMPAIGN: dict[str, Any] = {
    "targeting": {"inactiveDays": 180},
    "channels": ["EMAIL"],
    "messageTemplates": [{"channel": "EMAIL", "subject": "Hi", "body": "b", "sequence": 1}],
    "holdoutPercent": 10,
    "schedule": {"startDate": NOW.isoformat(), "sendTimes": ["10:00"], "timezone": "UTC"},
}


@pytest.fixture
async def prefixes(infra) -> dict[str, str]:
    own = uuid.uuid4().hex[:6]
    return {
        "KAFKA_TOPIC_PREFIX": f"{infra.kafka_topic_prefix}race-{own}.",
        "MONGO_DB_PREFIX": f"{infra.mongo_db_prefix}race_{own}_",
    }


@pytest.fixture
async def replicas(prefixes, tmp_path: Path) -> AsyncIterator[list[ServiceProcess]]:
    env = {
        **prefixes,
        "JWT_PUBLIC_KEY": KEY.public_pem,
        "FANOUT_CHUNK_SIZE": "100",
        "COMPACT_INTERVAL_SECONDS": "0.2",
        "LOG_LEVEL": "WARNING",
    }
    processes = [
        ServiceProcess("audience_svc", env, str(tmp_path / f"audience-{n}.log")) for n in range(2)
    ]
    async with running(processes):
        yield processes


def patient_events() -> list[Envelope[Any]]:
    events: list[Envelope[Any]] = []
    for n in range(PATIENTS):
        pid = f"p-{n:05d}"
        upserted = PatientUpserted.model_validate(
            {"patientId": pid, "email": f"{pid}@example.com", "createdAt": "2019-01-01T00:00:00Z"}
        )
        visit = AppointmentUpdated.model_validate(
            {
                "appointmentId": f"a-{pid}",
                "patientId": pid,
                "status": "COMPLETED",
                "scheduledAt": (NOW - timedelta(days=400)).isoformat(),
            }
        )
        events += [
            Envelope.wrap(e, source="pms", clinic_id=CLINIC, at=NOW) for e in (upserted, visit)
        ]
    return events


async def test_two_launches_at_one_instant_never_target_a_patient_twice(
    infra, settings_for, prefixes, replicas
) -> None:
    audience = settings_for(
        "audience-svc",
        AudienceSettings,
        kafka_topic_prefix=prefixes["KAFKA_TOPIC_PREFIX"],
        mongo_db_prefix=prefixes["MONGO_DB_PREFIX"],
    )
    campaigns = settings_for(
        "campaign-svc",
        CampaignSettings,
        kafka_topic_prefix=prefixes["KAFKA_TOPIC_PREFIX"],
        mongo_db_prefix=prefixes["MONGO_DB_PREFIX"],
        jwt_public_key=KEY.public_pem,
        outbox_poll_seconds=0.05,
    )
    # given a clinic of lapsed patients, known to audience-svc
    producer = make_producer(audience)
    await producer.start()
    try:
        await EventPublisher(audience, producer).publish_many(patient_events())
        partitions = sorted(await producer.partitions_for(audience.topic("campaign.launched")))
    finally:
        await producer.stop()
    async with httpx.AsyncClient(base_url=replicas[0].url, headers=HEADERS, timeout=10) as client:

        async def everyone_known() -> bool:
            draft = {k: v for k, v in CAMPAIGN.items() if k != "schedule"}
            answer = await client.post("/estimate", json=draft)
            return answer.status_code == 200 and answer.json()["patients"] == PATIENTS

        await eventually(everyone_known, within=90, interval=0.3)

    async with serving(campaign_app(campaigns, clock=FakeClock(NOW))) as campaign_svc:
        assert (
            await campaign_svc.put("/clinic", json=COMPLETE_CLINIC_PROFILE, headers=HEADERS)
        ).status_code == 200
        # and two drafts whose launches land on different partitions, so that each replica
        # fans one out (on one partition one consumer would take them in turn)
        by_partition: dict[int, str] = {}
        partitioner = DefaultPartitioner()
        while len(by_partition) < 2:
            created = await campaign_svc.post(
                "/campaigns", json={**CAMPAIGN, "name": "recall"}, headers=HEADERS
            )
            assert created.status_code == 201, created.text
            campaign_id = created.json()["id"]
            partition = partitioner(campaign_id.encode(), partitions, partitions)
            by_partition.setdefault(partition, campaign_id)
        ids = list(by_partition.values())[:2]

        # when both are launched at the same instant
        answers = await asyncio.gather(
            *(campaign_svc.post(f"/campaigns/{i}/launch", headers=HEADERS) for i in ids)
        )
        assert [a.json()["status"] for a in answers] == ["ACTIVE", "ACTIVE"], answers

        # then, once both fan-outs are complete
        evaluated = await _events_until(
            audience, "audience.evaluated", lambda found: len(found) >= 2, within=120
        )
    targeted_by: dict[str, set[str]] = {i: set() for i in ids}
    for topic in ("message.due", "recipient.held_out"):
        for event in await _events_until(audience, topic, lambda _: True, within=10):
            targeted_by[event.data.campaign_id].add(event.data.patient_id)
    first, second = (targeted_by[i] for i in ids)
    assert first.isdisjoint(second), f"{len(first & second)} patients targeted by both"
    assert len(first | second) == PATIENTS
    totals = {e.data.campaign_id: e.data for e in evaluated}
    assert sum(t.excluded.get("TARGETED_BY_OTHER_CAMPAIGN", 0) for t in totals.values()) == PATIENTS


async def _events_until(settings: AudienceSettings, topic: str, enough, *, within: float) -> list:
    """Every event on the topic (read to its end, again until `enough(found)`)."""
    found: list[Any] = []

    async def read() -> bool:
        found[:] = await read_to_end(settings, settings.topic(topic))
        return enough(found)

    await eventually(read, within=within, interval=0.5)
    return found
