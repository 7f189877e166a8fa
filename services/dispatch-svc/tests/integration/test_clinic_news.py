"""The sender reads a clinic's responses and consent changes when it first needs them, and
again only after news of that clinic: an unsubscribe stored by another replica's consumer
still wins over the next send, but a clinic with nothing new is not reread every second."""

import asyncio
from typing import Any

import pytest
from kit import (
    CLINIC,
    EMAIL_STEP,
    FakeClock,
    dispatch_stack,
    due,
    launched,
    responded,
    sent_of,
    unique,
    utc,
)

from dispatch_svc import store
from dispatch_svc.handlers import make_handlers
from dispatch_svc.store.mongo import MongoDispatchStore
from reengage_common.events import Channel, Envelope, RecipientResponded, ResponseKind, SendOutcome
from reengage_testing import eventually

pytestmark = pytest.mark.infra

TEN_AM_CHICAGO = utc(2026, 11, 26, 16, 0)
EMAIL_FIRST = EMAIL_STEP.model_copy(update={"sequence": 1, "delay_days": 0})


async def test_a_clinics_responses_are_reread_only_after_news_of_that_clinic(infra) -> None:
    reads: list[str] = []

    class Counted(MongoDispatchStore):
        async def responses_of_clinic(self, clinic_id: str) -> Any:
            reads.append(clinic_id)
            return await super().responses_of_clinic(clinic_id)

    def counted(runtime: Any) -> Counted:
        return Counted(runtime.mongo[runtime.settings.database_name])

    clock = FakeClock(TEN_AM_CHICAGO)
    campaign = unique("clinic-news")
    patients = [unique("p") for _ in range(4)]
    async with dispatch_stack(infra, "clinic-news", clock, store=counted) as stack:
        sent = await stack.bus.watch("message.sent")
        await stack.bus.publish(launched(campaign, [EMAIL_FIRST], at=clock.now))
        for count, patient in enumerate(patients[:3], start=1):
            await stack.bus.publish(due(campaign, patient, at=clock.now))
            await eventually(lambda count=count: _outcomes(sent, campaign, count))
            await asyncio.sleep(1.2)  # longer than the one second the responses were kept
        assert reads == [CLINIC]

        # another replica's consumer (no sender in its process) stores an unsubscribe
        other_replica = make_handlers(stack.store)[RecipientResponded]
        unsubscribed = responded(
            campaign, patients[3], ResponseKind.UNSUBSCRIBED, clock.now, Channel.EMAIL
        )
        await other_replica.run([Envelope.wrap(unsubscribed, source="t", clinic_id=CLINIC)], 0)
        await eventually(lambda: _news_read(stack.sender))
        await stack.bus.publish(due(campaign, patients[3], at=clock.now))
        await eventually(lambda: _outcomes(sent, campaign, 4))

    last = next(e for e in sent_of(sent, campaign) if e.patient_id == patients[3])
    assert (last.outcome, last.reason) == (SendOutcome.SKIPPED, "unsubscribed from EMAIL")
    assert reads == [CLINIC, CLINIC]


async def _outcomes(events: list[Any], campaign: str, count: int) -> bool:
    return len(sent_of(events, campaign)) >= count


async def _news_read(sender: Any) -> bool:
    """Every stored news record was read by the sender (news stays stored for the other
    replicas, pruned by age)."""
    stored = {r["_id"] async for r in store.collection(store.News).find({}, {"_id": 1})}
    return stored <= sender.view.seen_news
