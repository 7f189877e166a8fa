"""Exact figures after redelivery: the same events duplicated and shuffled give the same
recipients and stats; and an A/B case with a known answer (2,000 recipients per variant)
through the real Kafka and FerretDB, its p-values checked against scipy."""

import json
import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from scipy.stats import norm

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
from reengage_testing import eventually, serving
from tracking_svc.app import create_app
from tracking_svc.config import TrackingSettings
from tracking_svc.domain.facts import unique_facts
from tracking_svc.domain.intake import facts_of
from tracking_svc.domain.recipients import fold
from tracking_svc.domain.stats import CampaignTerms, campaign_stats

pytestmark = pytest.mark.infra

T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
CLINIC = "clinic-a"


def campaign_events(campaign_id: str, rng: random.Random, recipients: int) -> list[Event]:
    """Two steps, two variants, a holdout, every outcome and response kind."""
    events: list[Event] = [
        AudienceEvaluated(
            campaign_id=campaign_id,
            targeted=recipients + 5,
            held_out=5,
            excluded={"recentlyContacted": 3},
            at=T0,
        )
    ]
    events += [
        RecipientHeldOut(campaign_id=campaign_id, patient_id=f"h{n}", at=T0) for n in range(5)
    ]
    for n in range(recipients):
        patient, variant = f"p{n}", "AB"[n % 2]
        for sequence, channel in ((1, Channel.EMAIL), (2, Channel.SMS)):
            mid = message_id(campaign_id, patient, 1, sequence)
            at = T0 + timedelta(days=3 * (sequence - 1), minutes=n)
            common = {"message_id": mid, "campaign_id": campaign_id, "patient_id": patient}
            events.append(
                MessageDue(
                    **common,
                    sequence=sequence,
                    channel=channel,
                    variant=variant,
                    due_at=at,
                    contact=Contact(phone=f"+1555{n:07d}"),
                    merge_data={"patient": {"firstName": f"F{n}", "lastName": "L"}},
                )
            )
            outcome = rng.choice([SendOutcome.SENT] * 6 + [SendOutcome.FAILED, SendOutcome.SKIPPED])
            events.append(
                MessageSent(
                    **common,
                    sequence=sequence,
                    channel=channel,
                    variant=variant,
                    outcome=outcome,
                    cost_cents=rng.randint(1, 80),
                    at=at + timedelta(minutes=1),
                )
            )
        kind = rng.choice([None, None, *ResponseKind.__members__.values()])
        if kind is not None and kind is not ResponseKind.REBOOKED:
            events.append(
                RecipientResponded(
                    campaign_id=campaign_id,
                    patient_id=patient,
                    kind=kind,
                    channel=Channel.SMS,
                    at=T0 + timedelta(days=4, minutes=n),
                )
            )
    return events


@pytest.fixture(scope="module")
async def tracking(infra, settings_for):
    key = generate_signing_key()
    settings = settings_for(
        "tracking-svc",
        TrackingSettings,
        kafka_topic_prefix=f"{infra.kafka_topic_prefix}replay-{uuid.uuid4().hex[:6]}.",
        jwt_public_key=key.public_pem,
    )
    token = issue_token(key, user_id="u-1", clinic_id=CLINIC, role="staff")
    producer = make_producer(settings)
    await producer.start()
    try:
        async with serving(create_app(settings)) as client:
            client.headers["authorization"] = f"Bearer {token}"
            yield client, EventPublisher(settings, producer)
    finally:
        await producer.stop()


async def publish(publisher: EventPublisher, events: list[Event], *, fixed_ids: bool) -> None:
    envelopes = []
    for index, event in enumerate(events):
        envelope = Envelope.wrap(event, source="tests", clinic_id=CLINIC, at=T0)
        if fixed_ids:  # a redelivery repeats the very envelope
            envelope.id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{event.key}/{index}"))
        envelopes.append(envelope)
    await publisher.publish_many(envelopes)


async def settled(client, campaign_id: str, events: int) -> dict:
    expected = {"sent": None}

    async def done() -> bool:
        stats = (await client.get(f"/campaigns/{campaign_id}/stats")).json()
        expected.update(stats)
        counted = stats["sent"] + stats["failed"] + stats["skipped"]
        return counted * 2 + stats["heldOut"] > 0 and counted == events

    await eventually(done, within=60, interval=0.3)
    return expected


async def all_recipients(client, campaign_id: str) -> list[dict]:
    items, after = [], None
    while True:
        params = {"first": 100, **({"after": after} if after else {})}
        page = (await client.get(f"/campaigns/{campaign_id}/recipients", params=params)).json()
        items += page["items"]
        if not page["pageInfo"]["hasNextPage"]:
            return items
        after = page["pageInfo"]["endCursor"]


async def test_a_duplicated_and_shuffled_stream_gives_identical_recipients_and_stats(
    tracking,
) -> None:
    client, publisher = tracking
    ordered_id, shuffled_id = f"c-{uuid.uuid4().hex[:6]}", f"c-{uuid.uuid4().hex[:6]}"
    rng = random.Random(7)
    ordered = campaign_events(ordered_id, random.Random(11), 60)
    twin = [e.model_copy(update={"campaign_id": shuffled_id}) for e in ordered]
    for event in twin:  # message ids follow the campaign id, as the producers make them
        if isinstance(event, MessageDue | MessageSent):
            event.message_id = message_id(shuffled_id, event.patient_id, 1, event.sequence)
    replayed = twin + rng.sample(twin, k=len(twin) // 2)
    rng.shuffle(replayed)

    await publish(publisher, ordered, fixed_ids=False)
    await publish(publisher, replayed, fixed_ids=True)
    # the figures the pure rules give for the events, each once and in order
    facts = [facts_of(Envelope.wrap(e, source="t", clinic_id=CLINIC))[1] for e in ordered]
    expected = campaign_stats("", fold(unique_facts([f.encode() for f in facts])), CampaignTerms())
    expected = json.loads(json.dumps({**expected, "campaignId": None}))
    answers: dict[str, dict] = {}

    async def both_complete() -> bool:
        for campaign_id in (ordered_id, shuffled_id):
            stats = (await client.get(f"/campaigns/{campaign_id}/stats")).json()
            answers[campaign_id] = {**stats, "campaignId": None}
        return answers[ordered_id] == expected == answers[shuffled_id]

    await eventually(both_complete, within=60, interval=0.3)
    first = answers[ordered_id]
    assert first["heldOut"] == 5 and first["excluded"] == {"recentlyContacted": 3}
    strip = lambda items: [{k: v for k, v in i.items() if k != "history"} for i in items]  # noqa: E731
    mine, theirs = (
        await all_recipients(client, ordered_id),
        await all_recipients(client, shuffled_id),
    )
    assert len(mine) == 65 and strip(mine) == strip(theirs)
    assert [len(i["history"]) for i in mine] == [len(i["history"]) for i in theirs]


async def test_ab_with_a_known_answer_through_kafka_and_ferretdb(tracking) -> None:
    client, publisher = tracking

    async def run(rebooked_b: int) -> dict:
        campaign_id = f"c-ab-{uuid.uuid4().hex[:6]}"
        events: list[Event] = []
        for variant, rebooked in (("A", 200), ("B", rebooked_b)):
            for n in range(2000):
                patient = f"{variant}-{n}"
                mid = message_id(campaign_id, patient, 1, 1)
                events.append(
                    MessageSent(
                        message_id=mid,
                        campaign_id=campaign_id,
                        patient_id=patient,
                        sequence=1,
                        channel=Channel.EMAIL,
                        variant=variant,
                        outcome=SendOutcome.SENT,
                        at=T0,
                    )
                )
                if n < rebooked:
                    events.append(
                        RecipientResponded(
                            campaign_id=campaign_id,
                            patient_id=patient,
                            kind=ResponseKind.REBOOKED,
                            appointment_id=f"a-{patient}",
                            revenue_cents=20000,
                            at=T0 + timedelta(days=1),
                        )
                    )
        await publish(publisher, events, fixed_ids=False)
        await settled(client, campaign_id, 4000)

        async def responses_in() -> bool:
            stats = (await client.get(f"/campaigns/{campaign_id}/stats")).json()
            return stats["rebooked"] == 200 + rebooked_b

        await eventually(responses_in, within=60, interval=0.3)
        return (await client.get(f"/campaigns/{campaign_id}/stats")).json()

    clear, close = await run(300), await run(210)

    def scipy_p(x1: int, x2: int, n: int = 2000) -> float:
        pooled = (x1 + x2) / (2 * n)
        z = (x1 - x2) / n / (pooled * (1 - pooled) * 2 / n) ** 0.5
        return float(2 * norm.sf(abs(z)))

    def test_of(stats: dict) -> dict:
        return next(t for t in stats["abTests"] if t["metric"] == "rebooked")

    assert (test_of(clear)["rateA"], test_of(clear)["rateB"]) == (0.10, 0.15)
    assert test_of(clear)["pValue"] == pytest.approx(scipy_p(200, 300), rel=1e-9)
    assert test_of(clear)["winner"] == "B" and clear["winner"]["rebooked"] == "B"
    assert test_of(close)["pValue"] == pytest.approx(scipy_p(200, 210), rel=1e-9)
    assert test_of(close)["pValue"] > 0.05 and close["winner"]["rebooked"] is None
