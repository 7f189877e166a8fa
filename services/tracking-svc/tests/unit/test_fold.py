"""Tracking's fold on the in-memory store (no server): the scenarios of
`tracking_fold_scenarios`, which integration/test_fold_store.py runs on FerretDB."""

from tracking_fake_store import FakeTrackingStore
from tracking_fold_scenarios import (
    stats_asked_again_while_pages_arrive_stay_exact,
    the_stats_batch_answers_every_campaign_as_its_own_stats_do,
    two_compactors_racing_never_lose_or_double_a_fact,
)


async def test_two_compactors_racing_over_arriving_pages_never_lose_or_double_a_fact() -> None:
    await two_compactors_racing_never_lose_or_double_a_fact(FakeTrackingStore(), "c-race")


async def test_the_stats_batch_answers_every_campaign_as_its_own_stats_do() -> None:
    await the_stats_batch_answers_every_campaign_as_its_own_stats_do(FakeTrackingStore(), "c-batch")


async def test_stats_asked_again_while_pages_arrive_stay_exact() -> None:
    await stats_asked_again_while_pages_arrive_stay_exact(FakeTrackingStore(), "c-incr")
