"""Pause holds and resume continues; cancel and endDate skip what is left; an unsubscribe
that arrives between targeting and sending wins."""

from datetime import timedelta

import pytest
from kit import (
    EMAIL_STEP,
    FakeClock,
    dispatch_stack,
    due,
    launched,
    responded,
    sent_of,
    status_changed,
    ticks_pass,
    unique,
    utc,
)

from dispatch_svc import store
from reengage_common.events import CampaignStatus, Channel, ResponseKind, SendOutcome
from reengage_testing import eventually

pytestmark = pytest.mark.infra

THURSDAY_9AM_CHICAGO = utc(2026, 11, 26, 15, 0)
TEN_AM = THURSDAY_9AM_CHICAGO + timedelta(hours=1)


async def test_pause_holds_resume_continues_cancel_and_end_date_skip(infra) -> None:
    clock = FakeClock(THURSDAY_9AM_CHICAGO)
    paused, cancelled, ending = unique("paused"), unique("cancelled"), unique("ending")
    async with dispatch_stack(infra, "status", clock) as stack:
        sent = await stack.bus.watch("message.sent")
        await stack.bus.publish(
            launched(paused, [EMAIL_STEP], at=clock.now),
            launched(cancelled, [EMAIL_STEP], at=clock.now),
            launched(ending, [EMAIL_STEP], at=clock.now, end=clock.now + timedelta(minutes=30)),
        )
        await stack.bus.publish(
            *(
                due(campaign, unique(f"p{n}"), at=clock.now)
                for campaign in (paused, cancelled, ending)
                for n in range(3)
            )
        )
        clock.now += timedelta(minutes=20)
        await stack.bus.publish(
            status_changed(paused, CampaignStatus.PAUSED, clock.now),
            status_changed(cancelled, CampaignStatus.CANCELLED, clock.now),
        )
        await eventually(lambda: _campaign_events(4 + 1))
        await eventually(lambda: _outcomes(sent, cancelled, 3))
        assert {(e.outcome, e.reason) for e in sent_of(sent, cancelled)} == {
            (SendOutcome.SKIPPED, "campaign cancelled")
        }

        clock.now = TEN_AM  # the send time: the paused campaign holds, the ended one skips
        await eventually(lambda: _outcomes(sent, ending, 3))
        assert {(e.outcome, e.reason) for e in sent_of(sent, ending)} == {
            (SendOutcome.SKIPPED, "campaign ended (endDate passed)")
        }
        await ticks_pass(stack.sender, 5)
        assert sent_of(sent, paused) == []

        clock.now = TEN_AM + timedelta(hours=1)  # resumed at 11:00: the next send time is Friday's
        await stack.bus.publish(status_changed(paused, CampaignStatus.ACTIVE, clock.now))
        await eventually(lambda: _campaign_events(6))
        await ticks_pass(stack.sender, 5)
        assert sent_of(sent, paused) == []
        clock.now = TEN_AM + timedelta(days=1)
        await eventually(lambda: _outcomes(sent, paused, 3))
        assert {(e.outcome, e.at) for e in sent_of(sent, paused)} == {(SendOutcome.SENT, clock.now)}


async def test_an_unsubscribe_after_targeting_skips_the_message_on_that_channel(infra) -> None:
    clock = FakeClock(THURSDAY_9AM_CHICAGO)
    campaign, other_campaign = unique("unsub"), unique("other")
    email_optout, sms_optout, everything_optout = unique("p-e"), unique("p-s"), unique("p-all")
    async with dispatch_stack(infra, "unsub", clock) as stack:
        sent = await stack.bus.watch("message.sent")
        await stack.bus.publish(launched(campaign, [EMAIL_STEP], at=clock.now))
        patients = (email_optout, sms_optout, everything_optout)
        await stack.bus.publish(*(due(campaign, p, at=clock.now) for p in patients))
        # opted out after targeting, by replying to another campaign of the clinic
        await stack.bus.publish(
            responded(
                other_campaign, email_optout, ResponseKind.UNSUBSCRIBED, clock.now, Channel.EMAIL
            ),
            responded(
                other_campaign, sms_optout, ResponseKind.UNSUBSCRIBED, clock.now, Channel.SMS
            ),
            responded(
                other_campaign, everything_optout, ResponseKind.UNSUBSCRIBED, clock.now, None
            ),
        )
        await eventually(_three_responses)
        clock.now = TEN_AM
        await eventually(lambda: _outcomes(sent, campaign, 3))

    outcome = {e.patient_id: (e.outcome, e.reason) for e in sent_of(sent, campaign)}
    assert outcome == {
        email_optout: (SendOutcome.SKIPPED, "unsubscribed from EMAIL"),
        sms_optout: (SendOutcome.SENT, None),
        everything_optout: (SendOutcome.SKIPPED, "unsubscribed from EMAIL"),
    }


async def _campaign_events(count: int) -> bool:
    return await store.collection(store.CampaignEvent).count_documents({}) >= count


async def _three_responses() -> bool:
    return await store.collection(store.ResponseRecord).count_documents({}) >= 3


async def _outcomes(events, campaign: str, count: int) -> bool:
    return len(sent_of(events, campaign)) >= count
