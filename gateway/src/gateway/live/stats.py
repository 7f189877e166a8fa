"""Live campaign figures for every subscriber of a gateway process, from Kafka, not polling.

One read-only Kafka consumer per gateway process (`KafkaTail`, started on first use) reads
message.due, message.sent, recipient.held_out, recipient.responded and audience.evaluated and
notes which campaigns changed. Each campaign with subscribers has one feed: when its campaign
changed it fetches the figures from tracking-svc (at most once per `min_interval`) and fans them
out to every subscriber of that campaign in that clinic. A slow refresh per campaign (not per
subscriber) also catches what travels without an event (e.g. a delivery receipt). Nothing here
touches a database.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from gateway.live.tail import Batch, KafkaTail
from gateway.operations.access import Caller
from gateway.operations.errors import OperationError
from reengage_common.settings import Settings

LIVE_TOPICS = (
    "message.due",
    "message.sent",
    "recipient.held_out",
    "recipient.responded",
    "audience.evaluated",
)
MIN_INTERVAL_SECONDS = 0.25  # at most four pushes a second per campaign
# After an event the figures are fetched at once, then again after each of these waits (plus
# `min_interval`), then every `refresh`: the gateway reads an event when tracking-svc does, so
# its first fetch often comes before tracking stored the fact. Without these follow-ups the last
# events of a burst showed at the next slow refresh, up to 2 s later. While a campaign sends,
# events keep coming and it is fetched every `min_interval` anyway; a lone event costs three
# more fetches of that campaign.
FOLLOW_UP_SECONDS = (0.0, 0.5, 1.0)
Fetch = Callable[[Caller, str], Awaitable[dict[str, Any]]]
Update = dict[str, Any] | OperationError


@dataclass(eq=False)
class _Subscriber:
    caller: Caller
    updates: "asyncio.Queue[Update]" = field(default_factory=lambda: asyncio.Queue(maxsize=1))

    def offer(self, update: Update) -> None:
        """Only the newest figures matter: a slow subscriber skips what it did not read."""
        with contextlib.suppress(asyncio.QueueEmpty):
            if self.updates.full():
                self.updates.get_nowait()
        self.updates.put_nowait(update)


class CampaignFeed:
    """One campaign's figures, fetched once per change for all its subscribers."""

    def __init__(
        self,
        campaign_id: str,
        fetch: Fetch,
        refresh: float,
        min_interval: float,
        follow_ups: Sequence[float] = FOLLOW_UP_SECONDS,
    ) -> None:
        self.campaign_id = campaign_id
        self.subscribers: list[_Subscriber] = []
        self.changed = asyncio.Event()
        self.changed.set()
        self.told = False  # an event said the figures changed (not only a new subscriber)
        self.latest: Update | None = None
        self._fetch = fetch
        self._refresh = refresh
        self._min_interval = min(min_interval, refresh)
        self._follow_ups = tuple(follow_ups)
        self.task: asyncio.Task[None] | None = None

    def join(self, subscriber: _Subscriber) -> None:
        self.subscribers.append(subscriber)
        if self.latest is not None:
            subscriber.offer(self.latest)
        self.changed.set()

    def tell(self) -> None:
        self.told = True
        self.changed.set()

    async def run(self) -> None:
        follow_ups: list[float] = []
        while self.subscribers:
            wait = follow_ups.pop(0) if follow_ups else self._refresh
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout=wait)
            if self.told:
                follow_ups = list(self._follow_ups)
            self.told = False
            self.changed.clear()
            # The newest subscriber's token is the freshest; all of them may see this campaign.
            caller = self.subscribers[-1].caller
            try:
                update: Update = await self._fetch(caller, self.campaign_id)
            except OperationError as error:
                update = error
            if update != self.latest or isinstance(update, OperationError):
                self.latest = update
                for subscriber in list(self.subscribers):
                    subscriber.offer(update)
            await asyncio.sleep(self._min_interval)


class LiveStats:
    """The process-wide hub: `subscribe(caller, campaign_id)` yields figures as they change."""

    def __init__(
        self,
        settings: Settings,
        fetch: Fetch,
        *,
        kafka: bool = True,
        min_interval: float = MIN_INTERVAL_SECONDS,
        follow_ups: Sequence[float] = FOLLOW_UP_SECONDS,
    ) -> None:
        self._fetch = fetch
        self._min_interval = min_interval
        self._follow_ups = follow_ups
        self._feeds: dict[tuple[str, str], CampaignFeed] = {}
        self._tail = (
            KafkaTail(settings, LIVE_TOPICS, name="live", on_batch=self.read, max_records=5000)
            if kafka
            else None
        )
        self.events_seen = 0

    @asynccontextmanager
    async def subscribe(
        self, caller: Caller, campaign_id: str, *, refresh: float
    ) -> AsyncIterator["asyncio.Queue[Update]"]:
        if self._tail is not None:
            self._tail.start()
        key = (caller.identity.clinic_id, campaign_id)
        feed = self._feeds.get(key)
        if feed is None or feed.task is None or feed.task.done():
            feed = self._feeds[key] = CampaignFeed(
                campaign_id, self._fetch, refresh, self._min_interval, self._follow_ups
            )
        subscriber = _Subscriber(caller)
        feed.join(subscriber)
        if feed.task is None:
            feed.task = asyncio.create_task(feed.run(), name=f"live-stats:{campaign_id}")
        try:
            yield subscriber.updates
        finally:
            feed.subscribers.remove(subscriber)
            if not feed.subscribers:
                self._feeds.pop(key, None)
                if feed.task is not None:
                    feed.task.cancel()

    def campaign_changed(self, campaign_id: str) -> None:
        for (_, watched), feed in self._feeds.items():
            if watched == campaign_id:
                feed.tell()

    def read(self, events: Batch) -> None:
        """A batch of the live topics' events: each campaign they name changed."""
        self.events_seen += len(events)
        for campaign in {campaign for value in events if (campaign := _campaign_of(value))}:
            self.campaign_changed(campaign)

    async def close(self) -> None:
        tasks = [feed.task for feed in self._feeds.values() if feed.task]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._feeds.clear()
        if self._tail is not None:
            await self._tail.close()


def _campaign_of(value: bytes | None) -> str | None:
    try:
        data = json.loads(value or b"{}").get("data") or {}
    except (ValueError, AttributeError):
        return None
    campaign = data.get("campaignId") if isinstance(data, dict) else None
    return campaign if isinstance(campaign, str) else None
