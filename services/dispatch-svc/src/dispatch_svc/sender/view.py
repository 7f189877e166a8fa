"""What the sender reads and keeps: every campaign's state, the queues of the shards it owns,
and each clinic's responses and consents, learned from the store once and then from
announcements only.

Every replica's sender knows every campaign: it reads them all when it starts, then those that
`news` names (each sender reads all news; news is pruned by age, so no reader takes it from
another). It holds the messages of its shards only (`reengage_common.shares`): when it is given a shard
it reads that shard's messages, outcomes and claims of the campaigns not settled yet (never the
history of campaigns over for a day, nor another shard's records); then its own consumer hands
each new message over in memory, and a batch stored while its campaign was unknown (or while
the shard was moving) is announced in `queued_batches` for the shard's owner. A tick never
rescans the store.
"""

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

import structlog

from dispatch_svc.domain.campaigns import CampaignState, StatusChange, fold_campaign
from dispatch_svc.domain.decisions import ResponsesAndConsents
from dispatch_svc.domain.messages import QueuedMessage
from dispatch_svc.sender.claims import adopt_claims, wall_clock
from dispatch_svc.sender.index import CampaignQueue
from dispatch_svc.sender.recorder import RecordedOutcome
from dispatch_svc.store import DispatchStore
from dispatch_svc.store.codecs import Announcement, SendBatchRecord
from reengage_common.events import CampaignLaunched
from reengage_common.shares import PartitionShare

log = structlog.get_logger(__name__)
Publish = Callable[[Sequence[SendBatchRecord]], Awaitable[None]]

# News is kept this long (by the wall clock of its writer) and then pruned by any sender; a
# sender that has not read it for half as long reads every campaign and every clinic's checks
# again instead. Every sender reads all of it each refresh, so it is kept short (a 100,000-
# patient import leaves a few hundred records a minute).
NEWS_KEPT = timedelta(minutes=2)
NEWS_PRUNE_EVERY = 60.0
# A campaign launched before a shard was taken over (less this, for the services' clocks) may
# have messages there that a predecessor stored: they are read when the campaign becomes known.
ADOPT_MARGIN = timedelta(minutes=1)


class SenderView:
    def __init__(self, store: DispatchStore, publish: Publish, shards: PartitionShare) -> None:
        self._store = store
        self._publish = publish  # what a predecessor stored but did not get published
        self._shards = shards
        self.campaigns: dict[str, CampaignQueue] = {}
        self.states: dict[str, CampaignState] = {}
        # the shards whose stored messages were read, and when each was taken over (by the
        # injected clock, as campaigns' launches are stamped)
        self.loaded: dict[int, datetime] = {}
        self._launches: dict[str, CampaignLaunched] = {}  # decoded snapshots, by record id
        self._last_read: float | None = None  # monotonic time of the last refresh
        self.seen_news: set[str] = set()  # the ids of the stored news already read
        self._next_prune = 0.0
        # each clinic's responses and consent changes, read when first needed and again only
        # after news of it (`news`, or this process's consumer)
        self._checks: dict[str, ResponsesAndConsents] = {}
        # announced batches already read, kept announced until their campaigns are known
        self._read_batches: dict[str, int] = {}  # announcement id -> its shard

    def knows(self, messages: Sequence[QueuedMessage]) -> bool:
        return all(message.campaign_id in self.states for message in messages)

    def hand_over(self, messages: Sequence[QueuedMessage]) -> None:
        """Messages this process's consumer just stored, of campaigns this view knows."""
        for message in messages:
            self._queue_of(message.campaign_id).add([message], self.states[message.campaign_id])

    def forget_checks(self, clinic_ids: Sequence[str] | None = None) -> None:
        """Responses or consents of these clinics (of all when None) changed: read again."""
        if clinic_ids is None:
            self._checks.clear()
        for clinic_id in clinic_ids or ():
            self._checks.pop(clinic_id, None)

    async def checks_of(self, clinic_id: str) -> ResponsesAndConsents:
        cached = self._checks.get(clinic_id)
        if cached is not None:
            return cached
        responses, consent_changes = await asyncio.gather(
            self._store.responses_of_clinic(clinic_id),
            self._store.consent_changes_of_clinic(clinic_id),
        )
        checks = ResponsesAndConsents.of(responses, consent_changes)
        self._checks[clinic_id] = checks
        return checks

    # --- news and announcements ---------------------------------------------------------------

    async def refresh(self) -> None:
        # announcements first: every message and campaign event they name is in the store
        # before the reads below
        announced = await self._store.queued_batches()
        news = await self._store.news()
        fresh = [item for item in news if item.announcement_id not in self.seen_news]
        self.seen_news = {item.announcement_id for item in news}
        for item in fresh:
            self.forget_checks(item.clinic_ids)
        stale = self._last_read is None or (
            time.monotonic() - self._last_read > NEWS_KEPT.total_seconds() / 2
        )
        self._last_read = time.monotonic()
        if stale:  # starting, or news may have been pruned unread
            self.forget_checks()
            await self._refresh_campaigns(None)
        elif campaign_ids := {cid for item in fresh for cid in item.campaign_ids}:
            # Only the campaigns with new events: rereading every campaign ever launched each
            # tick cost FerretDB CPU in proportion to every launch (docs/perf.md).
            await self._refresh_campaigns(campaign_ids)
        await self._read_announced(announced)
        await self._prune_news()

    async def _read_announced(self, announced: Sequence[Announcement]) -> None:
        """Batches announced for the shards this sender holds; an announcement is forgotten
        once its campaigns are known (until then it is how a successor learns of them)."""
        ours = [batch for batch in announced if batch.shard in self.loaded]
        for batch in ours:
            if batch.announcement_id in self._read_batches:
                continue
            for message in await self._store.messages_of_batch(batch.announcement_id):
                state = self.states.get(message.campaign_id)
                self._queue_of(message.campaign_id).add([message], state)
            self._read_batches[batch.announcement_id] = batch.shard or 0
        known = [
            batch.announcement_id
            for batch in ours
            if all(campaign_id in self.states for campaign_id in batch.campaign_ids)
        ]
        await self._store.forget_batches(known)
        for announcement_id in known:
            self._read_batches.pop(announcement_id, None)

    async def _prune_news(self) -> None:
        if time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + NEWS_PRUNE_EVERY
        await self._store.prune_news(wall_clock() - NEWS_KEPT)

    async def _refresh_campaigns(self, campaign_ids: set[str] | None) -> None:
        """Fold the events of these campaigns (of every campaign when None) into their states."""
        launches: dict[str, list[CampaignLaunched]] = defaultdict(list)
        changes: dict[str, list[StatusChange]] = defaultdict(list)
        for event in await self._store.campaign_events(campaign_ids):
            if event.change is not None:
                changes[event.campaign_id].append(event.change)
                continue
            launch = self._launches.get(event.record_id)
            if launch is None and event.snapshot_json is not None:
                launch = CampaignLaunched.model_validate_json(event.snapshot_json)
                self._launches[event.record_id] = launch
            if launch is not None:
                launches[event.campaign_id].append(launch)
        for campaign_id, launched in launches.items():
            state = fold_campaign(launched, changes.get(campaign_id, []))
            if state is None:
                continue
            first_known = campaign_id not in self.states
            self.states[campaign_id] = state
            if first_known:
                await self._first_known(campaign_id, state)

    async def _first_known(self, campaign_id: str, state: CampaignState) -> None:
        """A campaign this sender did not know: the messages queued for it meanwhile (from
        announcements) get their slots, and on the shards it took over after the launch, what
        a predecessor stored is read. On the shards it held since before the launch, every
        message came through this process's consumer or an announcement, so nothing is read:
        a read in the middle of the launch was a scan of every message stored (FerretDB uses
        no index for a filter), ~1 s of the loop at 130,000 stored messages."""
        queue = self._queue_of(campaign_id)
        queue.schedule_all(state)
        taken_over_since_launch = {
            shard
            for shard, since in self.loaded.items()
            if since >= state.snapshot.launched_at - ADOPT_MARGIN
        }
        if taken_over_since_launch:
            await self._load(campaign_id, state, frozenset(taken_over_since_launch))

    # --- shards -------------------------------------------------------------------------------

    async def follow_shards(self, now: datetime) -> None:
        """Drop the queues of shards taken away and read those of shards given, once a
        rebalance has settled (between its revocation and its assignment nothing moves)."""
        if not self._shards.settled:
            return
        owned = self._shards.owned
        lost = frozenset(self.loaded) - owned
        gained = owned - frozenset(self.loaded)
        if lost:
            for queue in self.campaigns.values():
                queue.drop_shards(lost)
            for shard in lost:
                del self.loaded[shard]
            self._read_batches = {
                announcement_id: shard
                for announcement_id, shard in self._read_batches.items()
                if shard not in lost
            }
        if gained:
            started = time.monotonic()
            for shard in gained:
                self.loaded[shard] = now
            live = [(cid, state) for cid, state in self.states.items() if not state.settled(now)]
            for campaign_id, state in live:
                await self._load(campaign_id, state, gained)
            log.info(
                "dispatch.shards_taken",
                shards=sorted(gained),
                campaigns=len(live),
                queued=self.queued(),
                seconds=round(time.monotonic() - started, 3),
            )
        if lost:
            log.info("dispatch.shards_left", shards=sorted(lost))

    async def _load(self, campaign_id: str, state: CampaignState, shards: frozenset[int]) -> None:
        """What is stored of one campaign on these shards: queued messages, outcomes, claims."""
        # what a predecessor stored but did not get published goes out first
        unpublished = await self._store.unpublished_batches(campaign_id, shards)
        if unpublished:
            await self._publish(unpublished)
        messages, outcomes, claims = await asyncio.gather(
            self._store.messages_of_campaign(campaign_id, shards=shards),
            self._store.outcomes_of_campaign(campaign_id, shards),
            self._store.claims_of_campaign(campaign_id, shards),
        )
        queue = self._queue_of(campaign_id)
        for outcome in outcomes:
            if outcome.message_id not in queue.in_flight:
                queue.finish(outcome.message_id)
        queue.add(messages, state)
        adopt_claims(queue, claims, wall_clock())

    def _queue_of(self, campaign_id: str) -> CampaignQueue:
        return self.campaigns.setdefault(campaign_id, CampaignQueue(campaign_id))

    # --- claims and outcomes --------------------------------------------------------------------

    async def unpark(self, wall: datetime) -> None:
        """Claims of others that expired: finished meanwhile, or ours to retry."""
        for queue in self.campaigns.values():
            expired = queue.expired_parks(wall)
            if not expired:
                continue
            shards = frozenset(
                queue.queued[message_id].message.shard
                for message_id in expired
                if message_id in queue.queued
            )
            outcomes, claims = await asyncio.gather(
                self._store.outcomes_of_campaign(queue.campaign_id, shards),
                self._store.claims_of_campaign(queue.campaign_id, shards),
            )
            for message_id in expired:
                queue.parked.pop(message_id, None)
            for outcome in outcomes:
                if outcome.message_id in queue.queued and outcome.message_id not in queue.in_flight:
                    queue.finish(outcome.message_id)
            adopt_claims(queue, claims, wall)

    def finished(self, outcomes: Sequence[RecordedOutcome]) -> None:
        """These outcomes are stored: their messages leave the queues for good."""
        for outcome in outcomes:
            queue = self.campaigns.get(outcome.message.campaign_id)
            if queue is not None:
                queue.finish(outcome.message.message_id)

    def queued(self) -> int:
        return sum(len(queue) for queue in self.campaigns.values())
