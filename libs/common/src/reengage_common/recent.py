"""Recent answers of costly reads, answered again while a fresher one is computed.

Some reads cost seconds of CPU while a campaign sends: an audience estimate (the whole
projection, whose shards the campaign's message.sent facts keep touching) and a campaign's
stats (every fact page not folded yet). Staff pages ask for the same ones again and again, so
an answer is kept per key (which names the clinic): within `fresh_seconds` it is answered as
is; up to `stale_seconds` it is answered too while one refresh computes the next
(stale-while-revalidate); older, or never asked, the caller waits for the computation. At
most one computation per key runs at a time, and at most `entries` answers are kept.
`stale_seconds` 0 turns it off (the test suite, which expects every answer to be exact).

A caller that knows the answer changed (the gateway's live figures, told by an event) passes
`max_age`: an answer older than that is not answered, fresh or stale; it waits for the next.
"""

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

Answer = dict[str, Any]


@dataclass
class RecentAnswers:
    fresh_seconds: float
    stale_seconds: float
    entries: int = 1024
    clock: Callable[[], float] = time.monotonic
    _answers: OrderedDict[Hashable, tuple[float, Answer]] = field(default_factory=OrderedDict)
    _computing: dict[Hashable, "asyncio.Task[Answer]"] = field(default_factory=dict)

    async def answer(
        self,
        key: Hashable,
        compute: Callable[[], Awaitable[Answer]],
        *,
        max_age: float | None = None,
    ) -> Answer:
        if self.stale_seconds <= 0:
            return await compute()
        held = self._answers.get(key)
        age = self.clock() - held[0] if held else float("inf")
        fresh, stale = self.fresh_seconds, self.stale_seconds
        if max_age is not None:
            fresh, stale = min(fresh, max_age), min(stale, max_age)
        if held is not None and age <= fresh:
            return held[1]
        running = self._refresh(key, compute)
        if held is not None and age <= stale:
            return held[1]
        return await asyncio.shield(running)

    def _refresh(
        self, key: Hashable, compute: Callable[[], Awaitable[Answer]]
    ) -> "asyncio.Task[Answer]":
        running = self._computing.get(key)
        if running is None:
            running = self._computing[key] = asyncio.create_task(self._store(key, compute))
        return running

    async def _store(self, key: Hashable, compute: Callable[[], Awaitable[Answer]]) -> Answer:
        try:
            answer = await compute()
            self._answers[key] = (self.clock(), answer)
            self._answers.move_to_end(key)
            while len(self._answers) > self.entries:
                self._answers.popitem(last=False)
            return answer
        finally:
            del self._computing[key]
