"""The sender reads every campaign once, when it starts, and then only the campaigns
the consumers announce: its steady cost does not grow with the campaigns launched before.
(It used to reread every campaign's events, snapshots included, on every tick: ~470 ms of
FerretDB CPU per 1,000 launches, twice a second.)"""

from typing import Any

import pytest
from kit import (
    EMAIL_STEP,
    FakeClock,
    dispatch_stack,
    due,
    launched,
    sent_of,
    status_changed,
    ticks_pass,
    unique,
    utc,
)

from dispatch_svc.store.mongo import MongoDispatchStore
from reengage_common.events import CampaignStatus
from reengage_testing import eventually

pytestmark = pytest.mark.infra

TEN_AM_CHICAGO = utc(2026, 11, 26, 16, 0)
EMAIL_FIRST = EMAIL_STEP.model_copy(update={"sequence": 1, "delay_days": 0})


async def test_after_its_first_read_the_sender_reads_only_campaigns_with_news(infra) -> None:
    reads: list[set[str] | None] = []

    class Counted(MongoDispatchStore):
        async def campaign_events(self, *campaign_ids: Any) -> Any:
            reads.append(
                set(campaign_ids[0]) if campaign_ids and campaign_ids[0] is not None else None
            )
            return await super().campaign_events(*campaign_ids)

    def counted(runtime: Any) -> Counted:
        return Counted(runtime.mongo[runtime.settings.database_name])

    clock = FakeClock(TEN_AM_CHICAGO)
    first, second = unique("news-first"), unique("news-second")
    async with dispatch_stack(infra, "campaign-news", clock, store=counted) as stack:
        sent = await stack.bus.watch("message.sent")
        await stack.bus.publish(
            launched(first, [EMAIL_FIRST], at=clock.now),
            due(first, unique("p"), at=clock.now),
        )
        await eventually(lambda: _sent(sent, first))
        await ticks_pass(stack.sender, 5)
        await stack.bus.publish(
            launched(second, [EMAIL_FIRST], at=clock.now),
            status_changed(first, CampaignStatus.PAUSED, clock.now),
            due(second, unique("p"), at=clock.now),
        )
        await eventually(lambda: _sent(sent, second))
        await eventually(lambda: _paused(stack.sender, first))
        await ticks_pass(stack.sender, 5)

    assert reads[0] is None  # every campaign, once, when the sender started
    later = reads[1:]
    assert later and None not in later
    assert set().union(*later) == {first, second}


async def _sent(events: list[Any], campaign: str) -> bool:
    return len(sent_of(events, campaign)) >= 1


async def _paused(sender: Any, campaign: str) -> bool:
    return sender.states[campaign].status is CampaignStatus.PAUSED
