"""Recent answers: fresh ones answered as computed, stale ones while one refresh runs."""

import asyncio

from reengage_common.recent import RecentAnswers
from reengage_testing import FakeClock


class Counting:
    """A computation that answers how many times it ran, and can be held open."""

    def __init__(self) -> None:
        self.runs = 0
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> dict:
        self.runs += 1
        await self.release.wait()
        return {"run": self.runs}


async def test_a_fresh_answer_is_answered_again_without_computing() -> None:
    clock, compute = FakeClock(0.0), Counting()
    cache = RecentAnswers(fresh_seconds=2, stale_seconds=30, clock=clock)
    assert await cache.answer("k", compute) == {"run": 1}
    clock.now = 1.5
    assert await cache.answer("k", compute) == {"run": 1}
    assert compute.runs == 1


async def test_a_stale_answer_is_answered_while_one_refresh_runs() -> None:
    clock, compute = FakeClock(0.0), Counting()
    cache = RecentAnswers(fresh_seconds=2, stale_seconds=30, clock=clock)
    await cache.answer("k", compute)
    clock.now = 10
    compute.release.clear()
    answers = [await cache.answer("k", compute) for _ in range(3)]
    await asyncio.sleep(0)  # the refresh starts
    assert answers == [{"run": 1}] * 3 and compute.runs == 2  # one refresh for three asks
    compute.release.set()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert await cache.answer("k", compute) == {"run": 2}


async def test_too_old_or_never_asked_waits_for_the_computation() -> None:
    clock, compute = FakeClock(0.0), Counting()
    cache = RecentAnswers(fresh_seconds=2, stale_seconds=30, clock=clock)
    await cache.answer("k", compute)
    clock.now = 31
    assert await cache.answer("k", compute) == {"run": 2}
    assert await cache.answer("other", compute) == {"run": 3}


async def test_off_computes_every_time_and_entries_are_bounded() -> None:
    compute = Counting()
    off = RecentAnswers(fresh_seconds=2, stale_seconds=0)
    await off.answer("k", compute)
    await off.answer("k", compute)
    assert compute.runs == 2
    small = RecentAnswers(fresh_seconds=2, stale_seconds=30, entries=2)
    for key in "abc":
        await small.answer(key, compute)
    assert list(small._answers) == ["b", "c"]


async def test_an_answer_older_than_the_callers_max_age_waits_for_the_next() -> None:
    clock, compute = FakeClock(0.0), Counting()
    cache = RecentAnswers(fresh_seconds=2, stale_seconds=30, clock=clock)
    await cache.answer("k", compute)
    clock.now = 0.5
    # fresh for everyone else, too old for a caller told the figures changed 0.25 s ago
    assert await cache.answer("k", compute, max_age=0.25) == {"run": 2}
    assert await cache.answer("k", compute, max_age=0.25) == {"run": 2}
    clock.now = 10
    assert await cache.answer("k", compute) == {"run": 2}  # stale, while a refresh runs
    await asyncio.sleep(0)
    assert await cache.answer("k", compute, max_age=1) == {"run": 3}
