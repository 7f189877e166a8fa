"""Two tracking-svc workers as real processes (one consumer group, four partitions a topic)
and its API (in the test's process) reading what they store. The events of four campaigns go
in; one worker is SIGKILLed once a quarter of them are consumed, the other takes its
partitions and its campaigns' compaction, more events come, the killed one is started again
and takes a share back. Every campaign's figures, and every recipient, equal what the test
published: no fact lost or counted twice, whether folded into snapshots or not yet."""

import asyncio
import json
import random
import time
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.bus import EventPublisher, make_producer
from reengage_common.events import (
    AudienceEvaluated,
    Channel,
    Contact,
    Envelope,
    Event,
    MessageDue,
    MessageSent,
    RecipientHeldOut,
    RecipientResponded,
    ResponseKind,
    SendOutcome,
    message_id,
)
from reengage_testing import (
    ServiceProcess,
    committed_offsets,
    eventually,
    running,
    serving,
    through_a_sigkill,
)
from tracking_svc.app import create_app
from tracking_svc.config import TrackingSettings
from tracking_svc.domain.facts import unique_facts
from tracking_svc.domain.intake import facts_of
from tracking_svc.domain.recipients import fold
from tracking_svc.domain.stats import CampaignTerms, campaign_stats

pytestmark = pytest.mark.infra

KEY = generate_signing_key()
CLINIC = "clinic-replicas"
PARTITIONS = 4  # of every topic: two of each for each worker
RECIPIENTS = 1000  # treated, per campaign
HELD_OUT = 40  # per campaign
T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
OUTCOMES = [SendOutcome.SENT] * 6 + [SendOutcome.FAILED, SendOutcome.SKIPPED]
RESPONSES = [None] * 4 + list(ResponseKind)  # one patient in two answers, each kind alike
# The status a recipient's one response leads to (ranked above CONTACTED and PENDING).
STATUS_OF = {
    ResponseKind.INTERESTED: "RESPONDED",
    ResponseKind.NOT_INTERESTED: "RESPONDED",
    ResponseKind.CLICKED: "RESPONDED",
    ResponseKind.UNSUBSCRIBED: "UNSUBSCRIBED",
    ResponseKind.BOUNCED: "BOUNCED",
    ResponseKind.REBOOKED: "REBOOKED",
}


@dataclass
class Campaign:
    """What the test published for one campaign, and the figures it makes, counted by hand."""

    campaign_id: str
    events: list[Event] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, str] = field(default_factory=dict)  # treated patient: status


def campaign(campaign_id: str, rng: random.Random) -> Campaign:
    """A two-step campaign (email, then SMS for two patients in three) with variants A and B,
    a holdout, every send outcome and every response kind."""
    made = Campaign(campaign_id)
    made.events.append(
        AudienceEvaluated(
            campaign_id=campaign_id,
            targeted=RECIPIENTS + HELD_OUT,
            held_out=HELD_OUT,
            excluded={"DO_NOT_CONTACT": 7},
            at=T0,
        )
    )
    for n in range(HELD_OUT):
        held = RecipientHeldOut(campaign_id=campaign_id, patient_id=f"h{n}", at=T0)
        made.events.append(held)
    for n in range(RECIPIENTS):
        patient, variant, contacted = f"p{n}", "AB"[n % 2], False
        steps = ((1, Channel.EMAIL), (2, Channel.SMS)) if n % 3 else ((1, Channel.EMAIL),)
        for sequence, channel in steps:
            mid = message_id(campaign_id, patient, 1, sequence)
            at = T0 + timedelta(days=3 * (sequence - 1), seconds=n)
            common = {"message_id": mid, "campaign_id": campaign_id, "patient_id": patient}
            outcome, cost = rng.choice(OUTCOMES), rng.randint(1, 80)
            made.events += [
                MessageDue(
                    **common,
                    sequence=sequence,
                    channel=channel,
                    variant=variant,
                    due_at=at,
                    contact=Contact(email=f"{patient}@example.com", phone=f"+1555{n:07d}"),
                ),
                MessageSent(
                    **common,
                    sequence=sequence,
                    channel=channel,
                    variant=variant,
                    outcome=outcome,
                    reason=None if outcome is SendOutcome.SENT else "test",
                    cost_cents=cost,
                    at=at + timedelta(minutes=1),
                ),
            ]
            made.counts[outcome.value] += 1
            made.counts["messageCostCents"] += cost
            contacted = contacted or outcome is SendOutcome.SENT
        made.counts["contacted"] += contacted
        made.statuses[patient] = "CONTACTED" if contacted else "PENDING"
        kind = rng.choice(RESPONSES)
        if kind is None:
            continue
        revenue = 15_000 + 100 * n if kind is ResponseKind.REBOOKED else 0
        made.events.append(
            RecipientResponded(
                campaign_id=campaign_id,
                patient_id=patient,
                kind=kind,
                channel=Channel.EMAIL if kind is ResponseKind.CLICKED else Channel.SMS,
                appointment_id=f"a-{patient}" if kind is ResponseKind.REBOOKED else None,
                revenue_cents=revenue,
                at=T0 + timedelta(days=4, seconds=n),
            )
        )
        made.counts[kind.value] += 1
        made.counts["revenueCents"] += revenue
        made.statuses[patient] = STATUS_OF[kind]
    return made


def expected_stats(made: Campaign) -> dict[str, Any]:
    """The stats a single reader of every published event would compute (tracking's own pure
    rules, each fact once): the whole answer, every breakdown included."""
    envelopes = [Envelope.wrap(e, source="tests", clinic_id=CLINIC) for e in made.events]
    facts = unique_facts([facts_of(envelope)[1].encode() for envelope in envelopes])
    return campaign_stats(made.campaign_id, fold(facts), CampaignTerms())


def one_per_partition(prefix: str) -> list[str]:
    """Campaign ids whose compaction falls to each partition of `message.sent` once
    (`reengage_common.shares`), so each worker compacts some campaigns."""
    by_partition: dict[int, str] = {}
    for n in range(1000):
        candidate = f"c-{prefix}-{n}"
        by_partition.setdefault(zlib.crc32(candidate.encode()) % PARTITIONS, candidate)
        if len(by_partition) == PARTITIONS:
            break
    return [by_partition[p] for p in sorted(by_partition)]


async def test_two_workers_count_every_fact_once_through_a_sigkill_and_a_restart(
    infra, settings_for, tmp_path: Path
) -> None:
    own = uuid.uuid4().hex[:6]
    prefix = f"{infra.kafka_topic_prefix}trk-replicas-{own}."
    databases = f"{infra.mongo_db_prefix}trk_{own}_"
    scope = {"kafka_topic_prefix": prefix, "kafka_partitions": PARTITIONS}
    scope["mongo_db_prefix"] = databases
    settings = settings_for("tracking-svc", TrackingSettings, **scope)
    rng = random.Random(20)
    campaigns = [campaign(c, rng) for c in one_per_partition(own)]
    # patient by patient, the campaigns interleaved, each patient's events in their order
    by_patient: dict[str, list[Envelope[Any]]] = {}
    for made in campaigns:
        for event in made.events:
            key = getattr(event, "patient_id", "") or made.campaign_id
            envelope = Envelope.wrap(event, source="tests", clinic_id=CLINIC, at=T0)
            by_patient.setdefault(key, []).append(envelope)
    envelopes = [e for events in by_patient.values() for e in events]
    total = len(envelopes)
    phases = (
        envelopes[: total // 2],
        envelopes[total // 2 : total * 4 // 5],
        envelopes[total * 4 // 5 :],
    )

    env = {
        "KAFKA_TOPIC_PREFIX": prefix,
        "KAFKA_PARTITIONS": str(PARTITIONS),
        "MONGO_DB_PREFIX": databases,
        "JWT_PUBLIC_KEY": KEY.public_pem,
        "LOG_LEVEL": "WARNING",
        # compaction rounds all along, so the SIGKILL may fall in one
        "COMPACT_INTERVAL_SECONDS": "0.2",
        "COMPACT_REST_SECONDS": "0.5",
        # small batches: the group commits in small steps, so the kill falls near a quarter
        "CONSUMER_BATCH_SIZE": "250",
    }
    workers = [
        ServiceProcess(
            "tracking_svc", {**env, "SERVICE_ROLE": "worker"}, str(tmp_path / f"worker-{n}.log")
        )
        for n in range(2)
    ]
    # the API in this process: one interpreter fewer to start beside the workers
    api_settings = settings_for(
        "tracking-svc",
        TrackingSettings,
        **scope,
        service_role="api",
        jwt_public_key=KEY.public_pem,
        stats_fresh_seconds=0,
        stats_stale_seconds=0,
    )
    producer = make_producer(settings)
    await producer.start()
    publisher = EventPublisher(settings, producer)
    token = issue_token(KEY, user_id="u-1", clinic_id=CLINIC, role="staff")
    started = time.monotonic()
    try:
        async with (
            running(workers),
            serving(create_app(api_settings)) as client,
            committed_offsets(settings, settings.group_id()) as committed,
        ):
            client.headers["authorization"] = f"Bearer {token}"
            ready = time.monotonic()

            run = await through_a_sigkill(
                publisher, workers, committed, phases, lambda: _count(settings, "snapshot_heads")
            )
            assert all(run.shares), f"each worker consumed a share before the kill: {run.shares}"

            answers: dict[str, Any] = {}

            async def exact() -> bool:
                for made in campaigns:
                    stats = await client.get(f"/campaigns/{made.campaign_id}/stats")
                    answers[made.campaign_id] = stats.json()
                return all(answers[m.campaign_id] == expected[m.campaign_id] for m in campaigns)

            expected = {m.campaign_id: _as_json(expected_stats(m)) for m in campaigns}
            pages = await _count(settings, "fact_pages")
            await eventually(exact, within=30, interval=0.3)
            # every page folded by the workers (the killed one's campaigns too), then again
            await eventually(lambda: _none_left(settings, "fact_pages"), within=60, interval=0.3)
            folded = time.monotonic()
            assert await exact(), "the folded snapshots say what the pages said"
            listings = await asyncio.gather(*(_every_recipient(client, m) for m in campaigns))
            recipients = {
                m.campaign_id: items for m, items in zip(campaigns, listings, strict=True)
            }
            walked = time.monotonic()
    finally:
        await producer.stop()

    print(
        f"\n{len(campaigns)} campaigns, {total} events; started in {ready - started:.1f}s; "
        f"killed after {run.killed - ready:.1f}s at {run.killed_at} consumed (shares {run.shares}, "
        f"{run.at_kill} snapshot heads); survivor took over in {run.taken_over - run.killed:.1f}s; "
        f"all consumed {run.consumed_all - run.taken_over:.1f}s later (shares after the restart "
        f"{run.after_restart}; {pages} fact pages unfolded then); all folded "
        f"{folded - run.consumed_all:.1f}s later; recipients listed in {walked - folded:.1f}s"
    )
    assert total // 4 <= run.killed_at < len(phases[0]), "killed mid-stream"
    assert run.after_restart[0] > 0, "the restarted worker took a share"
    for made in campaigns:
        stats, counts = answers[made.campaign_id], made.counts
        # the figures counted by hand, beside the whole answer compared above
        assert stats["recipients"] == RECIPIENTS and stats["heldOut"] == HELD_OUT
        assert stats["targeted"] == RECIPIENTS + HELD_OUT
        for name in ("sent", "failed", "skipped"):
            assert stats[name] == counts[name.upper()], name
        for name, kind in (
            ("clicked", "CLICKED"),
            ("unsubscribed", "UNSUBSCRIBED"),
            ("bounced", "BOUNCED"),
            ("rebooked", "REBOOKED"),
        ):
            assert stats[name] == counts[kind], name
        answered = ("INTERESTED", "NOT_INTERESTED", "CLICKED", "REBOOKED")
        assert stats["responded"] == sum(counts[kind] for kind in answered)
        assert stats["contacted"] == counts["contacted"]
        assert stats["revenueCents"] == counts["revenueCents"]
        assert stats["messageCostCents"] == counts["messageCostCents"]
        statuses = Counter(made.statuses.values())
        assert stats["statusCounts"] == {s: statuses[s] for s in stats["statusCounts"]}
        assert sum(stats["statusCounts"].values()) == RECIPIENTS
        listed = recipients[made.campaign_id]
        treated = {i["patientId"]: i["status"] for i in listed if not i["holdout"]}
        assert len(listed) == RECIPIENTS + HELD_OUT, "each recipient listed once"
        assert treated == made.statuses


def _as_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


async def _every_recipient(client: httpx.AsyncClient, made: Campaign) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = None
    while True:
        params = {"first": 100, **({"after": after} if after else {})}
        page = (await client.get(f"/campaigns/{made.campaign_id}/recipients", params=params)).json()
        items += page["items"]
        if not page["pageInfo"]["hasNextPage"]:
            return items
        after = page["pageInfo"]["endCursor"]


async def _count(settings: TrackingSettings, collection: str) -> int:
    mongo: AsyncMongoClient = AsyncMongoClient(settings.mongo_url)
    try:
        return await mongo[settings.database_name][collection].count_documents({})
    finally:
        await mongo.close()


async def _none_left(settings: TrackingSettings, collection: str) -> bool:
    return await _count(settings, collection) == 0
