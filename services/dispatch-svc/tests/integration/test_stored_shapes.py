"""Records stored before they carried text fields (all fields spread out) still load: a
development database from before the change keeps working."""

import pytest
from kit import EMAIL_STEP, FakeClock, dispatch_stack, due, launched, sent_of, unique, utc

from dispatch_svc import store
from dispatch_svc.handlers import message_document
from reengage_common.events import Envelope, SendOutcome
from reengage_testing import eventually

pytestmark = pytest.mark.infra

TEN_AM_CHICAGO = utc(2026, 11, 26, 16, 0)
EMAIL_FIRST = EMAIL_STEP.model_copy(update={"sequence": 1, "delay_days": 0})


async def test_a_message_claim_and_outcome_stored_field_by_field_are_read_and_sent(infra) -> None:
    clock = FakeClock(TEN_AM_CHICAGO)
    campaign, waiting, finished = unique("old-shape"), unique("p-waiting"), unique("p-finished")
    async with dispatch_stack(infra, "old-shapes", clock) as stack:
        sent = await stack.bus.watch("message.sent")
        old = [
            message_document(
                Envelope.wrap(due(campaign, p, at=clock.now), source="t", clinic_id="clinic-a"),
                "b-old",
            )
            for p in (waiting, finished)
        ]
        await store.collection(store.QueuedMessage).insert_many(old)
        done = old[1]["_id"]
        await store.collection(store.SendClaim).insert_one(
            {
                "_id": f"{done}:1",
                "message_id": done,
                "campaign_id": campaign,
                "attempt": 1,
                "expires_at": clock.now,
            }
        )
        await store.collection(store.SendBatch).insert_one(
            {
                "_id": "old-batch",
                "campaign_id": campaign,
                "outcomes": [{"m": done, "o": "SENT", "a": 1}],
                "events": [],
            }
        )
        await store.collection(store.PublishedBatch).insert_one(
            {"_id": "old-batch", "campaign_id": campaign}
        )

        assert [m["patient_id"] for m in await store.messages_of_campaign(campaign)] == [
            waiting,
            finished,
        ]
        assert (await store.claims_of_campaign(campaign))[0]["attempt"] == 1
        assert await store.outcomes_of_campaign(campaign) == [{"m": done, "o": "SENT", "a": 1}]

        await stack.bus.publish(launched(campaign, [EMAIL_FIRST], at=clock.now))
        await eventually(lambda: _sent(sent, campaign))

    assert [(e.patient_id, e.outcome) for e in sent_of(sent, campaign)] == [
        (waiting, SendOutcome.SENT)
    ]


async def _sent(events, campaign: str) -> bool:
    return len(sent_of(events, campaign)) >= 1
