"""From the clinic's campaign to the messages on the topic, through the real campaign-svc.

A synthetic clinic (deploy/local/seed.py, the data `./dev up` loads) is published as events;
audience-svc estimates a campaign's targeting; the campaign is created and launched through
campaign-svc's API; audience-svc fans out. The message.due events on the topic are exactly
the recipients the estimate announced, and audience.evaluated adds up to the clinic.
"""

import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from audience_svc.app import create_app as audience_app
from audience_svc.config import AudienceSettings
from campaign_svc.app import create_app as campaign_app
from campaign_svc.config import CampaignSettings
from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.bus import EventPublisher, make_producer
from reengage_common.events import parse
from reengage_testing import COMPLETE_CLINIC_PROFILE, FakeClock, eventually, read_topic, serving

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
from seed import clinic_events

pytestmark = pytest.mark.infra
CLINIC = "clinic-demo"
PATIENTS = 2000  # what ./dev up seeds
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
KEY = generate_signing_key()
CAMPAIGN: dict[str, Any] = {
    "name": "Lapsed recall",
    "targeting": {
        "inactiveDays": 365,
        "treatmentStages": ["HYGIENE_RECALL", "RETENTION", "COMPLETED"],
        "includeNoShows": True,
        "includeDropouts": False,
    },
    "channels": ["EMAIL", "SMS"],
    "messageTemplates": [
        {"channel": "EMAIL", "subject": "Hi {{ patient.firstName }}", "body": "b", "sequence": 1},
        {"channel": "SMS", "body": "{{ clinic.name }}", "sequence": 2, "delayDays": 3},
        {"channel": "SMS", "body": "B: {{ clinic.name }}", "sequence": 1, "variant": "B"},
    ],
    "variants": [{"name": "A", "weight": 1}, {"name": "B", "weight": 1}],
    "holdoutPercent": 10,
    "schedule": {"startDate": NOW.isoformat(), "sendTimes": ["10:00"], "timezone": "UTC"},
}


async def test_a_campaign_launched_through_campaign_svc_reaches_its_estimate(
    infra, settings_for
) -> None:
    own = uuid.uuid4().hex[:6]
    prefix = f"{infra.kafka_topic_prefix}launch-{own}."
    campaigns = settings_for(
        "campaign-svc",
        CampaignSettings,
        kafka_topic_prefix=prefix,
        mongo_db_prefix=f"{infra.mongo_db_prefix}launch_{own}_",
        jwt_public_key=KEY.public_pem,
        scheduler_interval_seconds=0.1,
    )
    audience_settings = settings_for(
        "audience-svc",
        AudienceSettings,
        kafka_topic_prefix=prefix,
        mongo_db_prefix=f"{infra.mongo_db_prefix}launch_{own}_",
        jwt_public_key=KEY.public_pem,
        compact_interval_seconds=0.1,
        fanout_chunk_size=300,
    )
    clock = FakeClock(NOW)
    token = issue_token(KEY, user_id="u-admin", clinic_id=CLINIC, role="clinic_admin")
    headers = {"authorization": f"Bearer {token}"}
    async with (
        serving(audience_app(audience_settings, clock=clock)) as audience,
        serving(campaign_app(campaigns, clock=clock)) as campaign_svc,
    ):
        # given the demo clinic published as patient and appointment events
        producer = make_producer(audience_settings)
        await producer.start()
        try:
            events = list(clinic_events(CLINIC, PATIENTS, 7, NOW.date()))
            await EventPublisher(audience_settings, producer).publish_many(events)
        finally:
            await producer.stop()

        # and a draft campaign whose estimate (with its id: the same holdout and variants) is
        # taken once audience-svc stored every one of those events
        created = await campaign_svc.post("/campaigns", json=CAMPAIGN, headers=headers)
        assert created.status_code in (200, 201), created.text
        campaign_id = created.json()["id"]
        draft = {key: CAMPAIGN[key] for key in CAMPAIGN if key not in ("name", "schedule")}
        answers: list[dict[str, Any]] = []

        async def everyone_known() -> bool:
            answer = await audience.post(
                "/estimate", json={**draft, "campaignId": campaign_id}, headers=headers
            )
            answers.append(answer.json())
            return answers[-1].get("patients") == PATIENTS

        await _caught_up(audience_settings, ("patient.upserted", "appointment.updated"))
        await eventually(everyone_known, within=60, interval=0.2)
        estimate = answers[-1]

        # when the clinic has a profile and the campaign is launched through campaign-svc
        profile = await campaign_svc.put("/clinic", json=COMPLETE_CLINIC_PROFILE, headers=headers)
        assert profile.status_code == 200, profile.text
        launched = await campaign_svc.post(f"/campaigns/{campaign_id}/launch", headers=headers)
        assert launched.json()["status"] == "ACTIVE", launched.text

        # then audience-svc fans out exactly the estimated recipients
        evaluated = await read_topic(
            audience_settings, audience_settings.topic("audience.evaluated"), count=1, within=60
        )
        due = [parse(r.value) for r in await _all(audience_settings, "message.due")]
        held = [parse(r.value) for r in await _all(audience_settings, "recipient.held_out")]

    totals = parse(evaluated[0].value).data
    due_ids = {e.data.message_id for e in due if e.data.campaign_id == campaign_id}
    assert estimate["targeted"] > 100 and estimate["heldOut"] > 10
    assert len(due_ids) == len(due) == estimate["targeted"] == totals.targeted
    assert len({e.data.patient_id for e in held}) == estimate["heldOut"] == totals.held_out
    assert totals.excluded == estimate["excluded"]
    assert totals.targeted + totals.held_out + sum(totals.excluded.values()) == PATIENTS
    assert (totals.campaign_id, totals.run_number, totals.enrolment) == (campaign_id, 1, "LAUNCH")
    assert sum(estimate["byChannel"].values()) == estimate["total"]
    assert {e.data.variant for e in due} == {"A", "B"}
    assert all(e.data.contact.timezone for e in due)


async def _all(settings: AudienceSettings, topic: str) -> list[Any]:
    """Every record of a topic as it is now, read to its end offsets (the fan-out is complete
    once audience.evaluated is out)."""
    consumer = AIOKafkaConsumer(
        settings.topic(topic),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[Any] = []
    try:
        while not consumer.assignment():  # without a group: every partition at once
            for batch in (await consumer.getmany(timeout_ms=100)).values():
                records.extend(batch)
        ends = await consumer.end_offsets(list(consumer.assignment()))
        while any([await consumer.position(p) < end for p, end in ends.items()]):
            for batch in (await consumer.getmany(timeout_ms=200, max_records=10_000)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def _caught_up(settings: AudienceSettings, names: tuple[str, ...]) -> None:
    """Until audience-svc committed every event published so far on these topics (offsets are
    committed only once a batch's effects are stored)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    reader = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    await reader.start()
    try:
        partitions = []
        for name in names:
            topic = settings.topic(name)
            partitions += [TopicPartition(topic, p) for p in await _partitions(settings, topic)]
        ends = await reader.end_offsets(partitions)

        async def committed() -> bool:
            offsets = await admin.list_consumer_group_offsets(settings.group_id())
            return all(
                end == 0 or (p in offsets and offsets[p].offset >= end) for p, end in ends.items()
            )

        await eventually(committed, within=60, interval=0.1)
    finally:
        await reader.stop()
        await admin.close()


async def _partitions(settings: AudienceSettings, topic: str) -> set[int]:
    producer = make_producer(settings)  # partitions_for waits for the topic's metadata
    await producer.start()
    try:
        return await producer.partitions_for(topic)
    finally:
        await producer.stop()
