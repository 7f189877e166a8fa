"""The sender: every replica runs one, and it claims the due messages of the shards its
consumer owns (`shards`) and sends them through their channels.

Each tick it refreshes what it knows (`view`: campaigns, the queues of its shards, each
clinic's responses and consents), and per campaign and channel takes the messages whose slot
came, skips those a response or a consent forbids (`domain.outcomes`), claims the rest in one
unique insert per chunk (`claims`), composes them and hands them to the channel's sender slots
(`slots`), whose outcomes are stored by group commit (`recorder`).
"""

import asyncio
import contextlib
import time
from collections.abc import Sequence

import structlog
from aiokafka import AIOKafkaProducer

from dispatch_svc.channels import ChannelSender
from dispatch_svc.config import DispatchSettings
from dispatch_svc.domain.campaigns import CampaignState, Verdict, falls_back_from, verdict
from dispatch_svc.domain.compose import CannotCompose, compose
from dispatch_svc.domain.messages import QueuedMessage
from dispatch_svc.domain.outcomes import Outcome, not_sent, skip_reasons, with_members_checked
from dispatch_svc.metrics import QUEUED, count_stored
from dispatch_svc.sender.claims import Claims, Work, wall_clock
from dispatch_svc.sender.index import CampaignQueue, Entry
from dispatch_svc.sender.recorder import BatchPublisher, OutcomeRecorder, RecordedOutcome
from dispatch_svc.sender.slots import Slots
from dispatch_svc.sender.view import SenderView
from dispatch_svc.store import DispatchStore
from dispatch_svc.store.codecs import SendBatchRecord
from reengage_common.clock import Clock
from reengage_common.events import Channel, SendOutcome
from reengage_common.shares import PartitionShare

log = structlog.get_logger(__name__)


class Sender:
    def __init__(
        self,
        settings: DispatchSettings,
        store: DispatchStore,
        channels: dict[Channel, ChannelSender],
        clock: Clock,
        owner: str,
        producer: AIOKafkaProducer,
    ) -> None:
        self.settings, self.store, self.channels, self.clock = settings, store, channels, clock
        self.owner = owner
        self._producer = producer
        self._wake = asyncio.Event()  # look again (a slot freed, or news below)
        self._news = False  # the store has news: reread it, not just look at the queues
        self.ticks = 0  # passes made, so a test can wait for the sender to have looked
        self._running = False  # run() is under way
        self._next_refresh = 0.0
        self.shards = PartitionShare("message.due", settings.partitions_of("message.due"))
        self.shards.on_change = self._wake.set
        self.view = SenderView(store, self._publish_unpublished, self.shards)
        self._claims = Claims(store, owner, settings.claim_ttl_seconds)

    @property
    def states(self) -> dict[str, CampaignState]:
        return self.view.states

    # --- what the consumers in this process tell us -------------------------------------------

    def nudge(self) -> None:
        """New messages or campaign news are stored: look now rather than at the next tick."""
        self._news = True
        self._wake.set()

    def responses_changed(self) -> None:
        self.view.forget_checks()

    def hand_over(self, messages: Sequence[QueuedMessage]) -> bool:
        """Messages this process's consumer just stored, taken straight into the queues while
        this sender holds their shard: no announcement, no reading them back (on FerretDB the
        read costs more than the insert). False when the shard was just taken away, or a
        campaign is not known yet: they are announced instead, and the announcement kept until
        it is, so the shard's next owner finds them even if it takes over before their launch.
        """
        if not self._running or not self.view.knows(messages):
            return False
        if not all(self.shards.holds(message.shard) for message in messages):
            return False
        self.view.hand_over(messages)
        self._wake.set()
        return True

    # --- the loop ---------------------------------------------------------------------------------

    async def run(self) -> None:
        self._running = True
        self.view = SenderView(self.store, self._publish_unpublished, self.shards)
        self._publisher = BatchPublisher(self._producer, self.settings.topic, self.store)
        self._recorder = OutcomeRecorder(
            self.store,
            self.clock,
            self._stored,
            self._publisher.submit,
            linger=self.settings.outcome_linger_seconds,
        )
        self.slots = Slots(
            self.settings,
            self.channels,
            self.clock,
            self.shards,
            self._recorder,
            self.view.states,
            self._wake.set,
        )
        for channel in self.channels.values():
            await channel.start()
        helpers = [
            asyncio.create_task(self._recorder.run(), name="dispatch-recorder"),
            asyncio.create_task(self._publisher.run(), name="dispatch-publisher"),
        ]
        slots = self.slots.start()
        log.info("dispatch.sender_started", owner=self.owner)
        try:
            await self.view.refresh()
            self._next_refresh = time.monotonic() + self.settings.sender_tick_seconds
            while True:
                await self.view.follow_shards(self.clock())
                self.slots.rescale()
                # between a rebalance's revocation and its assignment, nothing is claimed
                busy = await self.tick() if self.shards.settled else False
                with contextlib.suppress(TimeoutError):
                    timeout = 0.01 if busy else self.settings.sender_tick_seconds
                    await asyncio.wait_for(self._wake.wait(), timeout=timeout)
                self._wake.clear()
        finally:
            self._running = False
            await self.slots.drain()
            for task in [*slots, *helpers]:
                task.cancel()
            await asyncio.gather(*slots, *helpers, return_exceptions=True)
            for channel in self.channels.values():
                with contextlib.suppress(Exception):
                    await channel.close()

    async def tick(self) -> bool:
        """One pass; True when due work was left for want of free sender slots."""
        # a freed slot only wakes the loop; the store is reread on news or once per tick period
        if self._news or time.monotonic() >= self._next_refresh:
            self._news = False
            self._next_refresh = time.monotonic() + self.settings.sender_tick_seconds
            await self.view.refresh()
        now, wall = self.clock(), wall_clock()
        await self.view.unpark(wall)
        busy = False
        for campaign_id, queue in self.view.campaigns.items():
            state = self.view.states.get(campaign_id)
            if state is None or not queue.queued:
                continue
            decision, reason = verdict(state, now)
            if decision is Verdict.SKIP:
                skipped = self._ours(queue, queue.remaining(wall, self.settings.claim_batch))
                await self._claim_and_skip(queue, {e.message_id: reason or "" for e in skipped})
                continue
            if decision is Verdict.HOLD:
                continue
            for channel in Channel:
                room = self.slots.room(channel)
                if room < self.slots.claim_floor(channel):  # claim a round of slots at a time
                    busy = busy or bool(queue.heaps.get(channel))
                    continue
                due = self._ours(queue, queue.due(state, channel, now, room, wall))
                if due:
                    await self._claim_and_send(queue, state, due)
                    busy = busy or len(due) == room
        QUEUED.set(self.view.queued())
        self.ticks += 1
        return busy

    def _ours(self, queue: CampaignQueue, entries: list[Entry]) -> list[Entry]:
        """The entries of shards this sender holds; the others (given up by a slot after their
        shard moved) leave the queue."""
        kept = []
        for entry in entries:
            if self.shards.holds(entry.message.shard):
                kept.append(entry)
            else:
                queue.forget(entry.message_id)
        return kept

    async def _claim_and_skip(self, queue: CampaignQueue, reasons: dict[str, str]) -> None:
        entries = [queue.queued[message_id] for message_id in reasons]
        for item in await self._claims.claim(queue, entries, self.shards.generation):
            reason = reasons[item.entry.message_id]
            self._recorder.submit(self._not_sent(item, SendOutcome.SKIPPED, reason))

    async def _claim_and_send(
        self, queue: CampaignQueue, state: CampaignState, due: list[Entry]
    ) -> None:
        checks = await self.view.checks_of(due[0].message.clinic_id)
        households = with_members_checked((entry.message for entry in due), checks)
        for entry in due:  # a member who must not get it is no longer named (or told)
            entry.message = households.get(entry.message_id, entry.message)
        falls_back = falls_back_from(state.snapshot)
        skips = skip_reasons((entry.message for entry in due), checks, falls_back)
        if skips:
            await self._claim_and_skip(queue, skips)
        sendable = [entry for entry in due if entry.message_id not in skips]
        now = self.clock()
        for item in await self._claims.claim(queue, sendable, self.shards.generation):
            # composed here, a claim round at a time, rather than by each slot in turn: one
            # tight loop over the same template, snapshot and signer (less CPU per
            # email: docs/perf.md)
            try:
                outgoing = compose(
                    item.entry.message,
                    state.snapshot,
                    link_secret=self.settings.link_secret,
                    public_base_url=self.settings.public_base_url,
                    now=now,
                )
            except CannotCompose as exc:
                self._recorder.submit(self._not_sent(item, SendOutcome.FAILED, str(exc)))
                continue
            self.slots.put(item, outgoing)

    def _not_sent(self, item: Work, outcome: SendOutcome, reason: str) -> Outcome:
        return not_sent(
            item.entry.message,
            outcome,
            reason,
            attempt=item.attempt,
            retried=item.retried,
            at=self.clock(),
        )

    async def _publish_unpublished(self, batches: Sequence[SendBatchRecord]) -> None:
        await self._publisher.publish(batches)

    def _stored(self, outcomes: Sequence[RecordedOutcome]) -> None:
        self.view.finished(outcomes)
        count_stored(outcomes)
