"""Tracking's fold on the in-memory store (no server): the scenarios of
`tracking_fold_scenarios`, which integration/test_fold_store.py runs on FerretDB."""

import random
from collections import Counter
from typing import Any

from tracking_fake_store import FakeTrackingStore
from tracking_fold_scenarios import (
    CLINIC,
    facts_of_campaign,
    stats_asked_again_while_pages_arrive_stay_exact,
    store,
    the_stats_batch_answers_every_campaign_as_its_own_stats_do,
    two_compactors_racing_never_lose_or_double_a_fact,
)

from tracking_svc.reads import recipients_page
from tracking_svc.snapshots import Snapshots
from tracking_svc.store.protocol import Record


async def test_two_compactors_racing_over_arriving_pages_never_lose_or_double_a_fact() -> None:
    await two_compactors_racing_never_lose_or_double_a_fact(FakeTrackingStore(), "c-race")


async def test_the_stats_batch_answers_every_campaign_as_its_own_stats_do() -> None:
    await the_stats_batch_answers_every_campaign_as_its_own_stats_do(FakeTrackingStore(), "c-batch")


async def test_stats_asked_again_while_pages_arrive_stay_exact() -> None:
    await stats_asked_again_while_pages_arrive_stay_exact(FakeTrackingStore(), "c-incr")


class CountingStore(FakeTrackingStore):
    """Counts the reads a recipients page makes of pages and heads."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: Counter[str] = Counter()

    async def unfolded_pages(self, *args: Any, **kwargs: Any) -> list[Record]:
        self.reads["unfolded_pages"] += 1
        return await super().unfolded_pages(*args, **kwargs)

    async def head_numbers(self, *args: Any, **kwargs: Any) -> list[Record]:
        self.reads["head_numbers"] += 1
        return await super().head_numbers(*args, **kwargs)


async def test_a_recipients_page_of_a_campaign_at_rest_reads_its_head_once() -> None:
    # given a campaign whose facts are all folded (a page of 100 spans every page bucket)
    tracking_store = CountingStore()
    await store(tracking_store, "c-rest", facts_of_campaign(random.Random(5), 600))
    await Snapshots(tracking_store).compact_campaign("c-rest")
    tracking_store.reads.clear()

    # when staff open its first recipients page
    page = await recipients_page(
        CLINIC, "c-rest", Snapshots(tracking_store), status=None, first=100, after=None
    )

    # then it is whole, and made of two reads (was two per page bucket: 16)
    assert len(page.items) == 100 and page.has_next
    assert tracking_store.reads == {"unfolded_pages": 1, "head_numbers": 1}
