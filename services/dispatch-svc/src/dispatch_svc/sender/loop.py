"""The sender: under its lease, it claims due messages and sends them through their channels.

When it wins its lease it reads every campaign; then each tick it learns of new campaigns,
status changes, responses and messages from what the consumers announce (`news`,
`queued_batches`; this process's consumer hands its messages over in memory). Per campaign and
channel it takes the messages whose slot came, re-checks responses and opt-outs, claims them
in one unique insert per chunk (`claim_many`, claim id = messageId + attempt, with an expiry),
and hands them to the channel's sender slots. A slot renders, sends under the channel's rate
limit with retries on transient errors, and waits until its outcome is stored (group commit,
see `recorder`) before it takes the next message.
"""

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from dispatch_svc import consent_store, store
from dispatch_svc.channels import (
    ChannelSender,
    Outgoing,
    PermanentProviderError,
    Receipt,
    TransientProviderError,
)
from dispatch_svc.config import DispatchSettings
from dispatch_svc.domain.campaigns import (
    CampaignState,
    StatusChange,
    Verdict,
    fold_campaign,
    verdict,
)
from dispatch_svc.domain.compose import CannotCompose, compose
from dispatch_svc.domain.consents import ConsentRestrictions
from dispatch_svc.domain.decisions import Response, Responses
from dispatch_svc.domain.events import next_step_due, sent_event
from dispatch_svc.metrics import MESSAGES, PROVIDER_RETRIES, QUEUED, RETRIED_SENDS
from dispatch_svc.sender.index import CampaignQueue, Entry
from dispatch_svc.sender.recorder import BatchPublisher, OutcomeRecorder, StoredOutcome
from reengage_common.clock import Clock
from reengage_common.events import (
    CampaignLaunched,
    CampaignStatus,
    Channel,
    ResponseKind,
    SendOutcome,
)
from reengage_common.leases import Lease
from reengage_common.storage import claim_many

log = structlog.get_logger(__name__)
DRAIN_SECONDS = 5.0
# A claim about to expire is not used for a send: a successor may take it over meanwhile.
CLAIM_MARGIN = timedelta(seconds=1)


def wall_clock() -> datetime:
    """Claims expire in real time, whatever day the injected clock says it is."""
    return datetime.now(UTC)


class _LeaseLost(Exception):
    """The sender's lease ended: the message is left to whoever holds it now."""


class Work:
    """A claimed message on its way to a sender slot."""

    __slots__ = ("attempt", "claim_expires", "entry", "queue", "retried")

    def __init__(
        self,
        queue: CampaignQueue,
        entry: Entry,
        attempt: int,
        retried: bool,
        claim_expires: datetime,
    ) -> None:
        self.queue, self.entry, self.attempt = queue, entry, attempt
        self.retried, self.claim_expires = retried, claim_expires


class Sender:
    def __init__(
        self,
        settings: DispatchSettings,
        channels: dict[Channel, ChannelSender],
        clock: Clock,
        owner: str,
        producer: AIOKafkaProducer,
    ) -> None:
        self.settings = settings
        self.channels = channels
        self.clock = clock
        self.owner = owner
        self._producer = producer
        self._wake = asyncio.Event()  # look again (a slot freed, or news below)
        self._news = False  # the store has news: reread it, not just look at the queues
        self.ticks = 0  # passes made, so a test can wait for the sender to have looked
        self._limits = {
            Channel.EMAIL: (settings.email_concurrency, settings.email_rate_per_second),
            Channel.SMS: (settings.sms_concurrency, settings.sms_rate_per_second),
            Channel.MAIL: (settings.mail_concurrency, settings.mail_rate_per_second),
        }
        self._reset()

    def _reset(self) -> None:
        self.campaigns: dict[str, CampaignQueue] = {}
        self.states: dict[str, CampaignState] = {}
        self._loaded: set[str] = set()
        self._launches: dict[str, CampaignLaunched] = {}
        self._read_every_campaign = False  # done once per lease won; then announced ones only
        # each clinic's responses and consent changes, read when first needed and again only
        # after news of it (`news`, or this process's consumer)
        self._responses: dict[str, Responses] = {}
        # claimed messages, composed, waiting for a sender slot
        self._work: dict[Channel, asyncio.Queue[tuple[Work, Outgoing]]] = {
            c: asyncio.Queue() for c in Channel
        }
        self._pending: dict[Channel, int] = defaultdict(int)
        self._next_refresh = 0.0
        self._draining = False
        self._sending = 0  # slots between taking a message and storing its outcome
        self._running = False  # run() is under way, under self._lease
        self._handed: dict[str, list[dict[str, Any]]] = {}  # handed over while loading
        # announced batches already read, kept announced until their campaigns are known
        self._read_batches: set[str] = set()

    # --- what the consumers in this process tell us -------------------------------------------

    def nudge(self) -> None:
        """New messages or campaign news are stored: look now rather than at the next tick."""
        self._news = True
        self._wake.set()

    def responses_changed(self) -> None:
        self._responses.clear()

    def hand_over(self, documents: Sequence[dict[str, Any]]) -> bool:
        """Messages this process's consumer just stored, taken straight into the queues while
        this sender holds the lease: no announcement, no reading them back (on FerretDB the
        read costs more than the insert). False when another replica may be the sender.

        A successor that wins the lease later loads every stored message, these included.
        """
        if not self._running or not self._lease.held():
            return False
        if any(document["campaign_id"] not in self.states for document in documents):
            # A campaign this sender does not know yet: announced instead, and the
            # announcement kept until it is known (see `_refresh`), so a successor finds
            # these messages even if it wins the lease before their campaign.launched.
            return False
        for document in documents:
            campaign_id = document["campaign_id"]
            if campaign_id in self._loaded:
                queue = self.campaigns.setdefault(campaign_id, CampaignQueue(campaign_id))
                queue.add([document], self.states[campaign_id])
            else:  # its campaign is being loaded: the load may have read before this insert
                self._handed.setdefault(campaign_id, []).append(document)
        self._wake.set()
        return True

    # --- the loop ---------------------------------------------------------------------------------

    async def run(self, lease: Lease) -> None:
        self._reset()
        self._lease = lease
        self._running = True
        self._publisher = BatchPublisher(self._producer, self.settings.topic)
        self._recorder = OutcomeRecorder(
            self.clock,
            self._stored,
            self._publisher.submit,
            linger=self.settings.outcome_linger_seconds,
        )
        for channel in self.channels.values():
            await channel.start()
        recorder = asyncio.create_task(self._recorder.run(), name="dispatch-recorder")
        publisher = asyncio.create_task(self._publisher.run(), name="dispatch-publisher")
        slots: list[asyncio.Task[None]] = []
        for channel in Channel:
            concurrency, rate = self._limits[channel]
            limiter = AsyncLimiter(rate, 1) if rate > 0 else None
            slots += [
                asyncio.create_task(self._slot(channel, limiter), name=f"dispatch-{channel}")
                for _ in range(concurrency)
            ]
        log.info("dispatch.sender_started", owner=self.owner, epoch=lease.epoch)
        try:
            await self._refresh()
            while True:
                busy = await self.tick() if lease.held() else False
                with contextlib.suppress(TimeoutError):
                    timeout = 0.01 if busy else self.settings.sender_tick_seconds
                    await asyncio.wait_for(self._wake.wait(), timeout=timeout)
                self._wake.clear()
        finally:
            self._running = False
            await self._drain(slots)
            for task in [*slots, recorder, publisher]:
                task.cancel()
            await asyncio.gather(*slots, recorder, publisher, return_exceptions=True)
            for channel in self.channels.values():
                with contextlib.suppress(Exception):
                    await channel.close()

    async def _drain(self, slots: list["asyncio.Task[None]"]) -> None:
        """On a clean stop, let the sends under way finish and store their outcomes; what was
        claimed but not started waits for its claim to expire (a successor retries it)."""
        self._draining = True
        deadline = time.monotonic() + DRAIN_SECONDS
        for _ in range(int(DRAIN_SECONDS / 0.02)):
            if not self._sending or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.02)

    async def tick(self) -> bool:
        """One pass; True when due work was left for want of free sender slots."""
        # a freed slot only wakes the loop; the store is reread on news or once per tick period
        if self._news or time.monotonic() >= self._next_refresh:
            self._news = False
            await self._refresh()
        now, wall = self.clock(), wall_clock()
        await self._unpark(wall)
        busy = False
        for campaign_id, queue in self.campaigns.items():
            state = self.states.get(campaign_id)
            if state is None or not queue.queued:
                continue
            decision, reason = verdict(state, now)
            if decision is Verdict.SKIP:
                skipped = queue.remaining(wall, self.settings.claim_batch)
                await self._claim_and_skip(queue, [(entry, reason or "") for entry in skipped])
                continue
            if decision is Verdict.HOLD:
                continue
            for channel in Channel:
                room = self._room(channel)
                if room < self._claim_floor(channel):  # claim a round of slots at a time
                    busy = busy or bool(queue.heaps.get(channel))
                    continue
                due = queue.due(state, channel, now, room, wall)
                if due:
                    await self._claim_and_send(queue, state, due)
                    busy = busy or len(due) == room
        QUEUED.set(sum(len(queue) for queue in self.campaigns.values()))
        self.ticks += 1
        return busy

    def _room(self, channel: Channel) -> int:
        """How many more messages of `channel` may be claimed now: a few rounds of its slots,
        so claims are taken just before their send and never sit long enough to expire."""
        concurrency, _ = self._limits[channel]
        return min(self.settings.claim_batch, 4 * concurrency) - self._pending[channel]

    def _claim_floor(self, channel: Channel) -> int:
        """Claims are taken a slots' round at a time (one insert for many), not one per freed
        slot: three rounds are still queued meanwhile, so no slot waits for them."""
        concurrency, _ = self._limits[channel]
        return max(1, min(self.settings.claim_batch, 4 * concurrency) // 4)

    # --- learning what is stored ----------------------------------------------------------------

    async def _refresh(self) -> None:
        self._next_refresh = time.monotonic() + self.settings.sender_tick_seconds
        # announcements first: every message and campaign event they name is in the store
        # before the reads below
        announced = await store.announcements(store.QueuedBatch)
        news = await store.announcements(store.News)
        for item in news:
            for clinic_id in item.get("clinic_ids", ()):
                self._responses.pop(clinic_id, None)
        campaign_ids = {cid for item in news for cid in item.get("campaign_ids", ())}
        if not self._read_every_campaign:
            await self._refresh_campaigns(None)
            self._read_every_campaign = True
        elif campaign_ids:
            # Only the campaigns with new events: rereading every campaign ever launched each
            # tick cost FerretDB CPU in proportion to every launch (docs/perf.md).
            await self._refresh_campaigns(campaign_ids)
        for batch in announced:
            if batch["_id"] in self._read_batches:
                continue
            for document in await store.messages_of_batch(batch["_id"]):
                campaign_id = document["campaign_id"]
                if campaign_id in self._loaded or campaign_id not in self.states:
                    queue = self.campaigns.setdefault(campaign_id, CampaignQueue(campaign_id))
                    queue.add([document], self.states.get(campaign_id))
            self._read_batches.add(batch["_id"])
        # An announcement is forgotten once its campaigns are known: until then it is how a
        # successor learns of messages stored before their campaign.launched was.
        known = [
            batch["_id"]
            for batch in announced
            if all(campaign_id in self.states for campaign_id in batch["campaign_ids"])
        ]
        await store.forget(store.QueuedBatch, known)
        self._read_batches.difference_update(known)
        await store.forget(store.News, [item["_id"] for item in news])

    async def _refresh_campaigns(self, campaign_ids: set[str] | None) -> None:
        """Fold the events of these campaigns (of every campaign when None) into their states."""
        launches: dict[str, list[CampaignLaunched]] = defaultdict(list)
        changes: dict[str, list[StatusChange]] = defaultdict(list)
        for record in await store.campaign_events(campaign_ids):
            campaign_id = record["campaign_id"]
            if record["kind"] == "launched":
                launch = self._launches.get(record["_id"])
                if launch is None:
                    launch = store.snapshot_of(record)
                    self._launches[record["_id"]] = launch
                launches[campaign_id].append(launch)
            else:
                changes[campaign_id].append(
                    StatusChange(record["at"], CampaignStatus(record["to"]))
                )
        for campaign_id, launched in launches.items():
            state = fold_campaign(launched, changes.get(campaign_id, []))
            if state is None:
                continue
            self.states[campaign_id] = state
            if campaign_id in self._loaded:
                continue
            if self._read_every_campaign:
                self._adopt(campaign_id, state)
            else:
                await self._load_campaign(campaign_id, state)

    def _adopt(self, campaign_id: str, state: CampaignState) -> None:
        """A campaign first known after this sender's first read: each of its messages came
        since from this process's consumer or an announcement (kept while its campaign was
        unknown), so it needs no read of the store. Reading it was a scan of every message
        and claim ever stored (FerretDB uses no index for a filter) in the middle of the
        campaign's launch: ~1 s of the sender's loop at 130,000 stored messages."""
        queue = self.campaigns.setdefault(campaign_id, CampaignQueue(campaign_id))
        queue.add(self._handed.pop(campaign_id, []), state)
        queue.schedule_all(state)
        self._loaded.add(campaign_id)

    async def _load_campaign(self, campaign_id: str, state: CampaignState) -> None:
        """Everything stored of one campaign: queued messages, outcomes, claims."""
        # what a predecessor stored but did not get published goes out first
        unpublished = await store.unpublished_batches(campaign_id)
        if unpublished:
            await self._publisher.publish(unpublished)
        documents, outcomes, claims = await asyncio.gather(
            store.messages_of_campaign(campaign_id),
            store.outcomes_of_campaign(campaign_id),
            store.claims_of_campaign(campaign_id),
        )
        queue = CampaignQueue(campaign_id)
        queue.done = {outcome["m"] for outcome in outcomes}
        queue.add([*documents, *self._handed.pop(campaign_id, [])], state)
        self._adopt_claims(queue, claims, wall_clock())
        self.campaigns[campaign_id] = queue
        self._loaded.add(campaign_id)
        log.info(
            "dispatch.campaign_loaded",
            campaign_id=campaign_id,
            queued=len(queue),
            done=len(queue.done),
            parked=len(queue.parked),
        )

    @staticmethod
    def _adopt_claims(
        queue: CampaignQueue, claims: Sequence[dict[str, Any]], wall: datetime
    ) -> None:
        for claim in claims:
            entry = queue.queued.get(claim["message_id"])
            if entry is None:
                continue
            entry.attempt = max(entry.attempt, claim["attempt"])
            expires = claim["expires_at"]  # aware: the client is tz_aware, the text is ISO
            if expires > wall:
                queue.parked[entry.message_id] = max(
                    expires, queue.parked.get(entry.message_id, expires)
                )

    async def _unpark(self, wall: datetime) -> None:
        """Claims of others that expired: finished meanwhile, or ours to retry."""
        for queue in self.campaigns.values():
            expired = queue.expired_parks(wall)
            if not expired:
                continue
            outcomes, claims = await asyncio.gather(
                store.outcomes_of_campaign(queue.campaign_id),
                store.claims_of_campaign(queue.campaign_id),
            )
            for message_id in expired:
                queue.parked.pop(message_id, None)
            for outcome in outcomes:
                if outcome["m"] in queue.queued and outcome["m"] not in queue.in_flight:
                    queue.finish(outcome["m"])
            self._adopt_claims(queue, claims, wall)

    async def _responses_of(self, clinic_id: str) -> Responses:
        cached = self._responses.get(clinic_id)
        if cached is not None:
            return cached
        records, consent_changes = await asyncio.gather(
            store.responses_of_clinic(clinic_id), consent_store.consent_changes_of_clinic(clinic_id)
        )
        responses = Responses.of(
            Response(
                clinic_id=clinic_id,
                campaign_id=record["campaign_id"],
                patient_id=record["patient_id"],
                kind=ResponseKind(record["kind"]),
                channel=Channel(record["channel"]) if record.get("channel") else None,
            )
            for record in records
        )
        responses.consents = ConsentRestrictions.of(consent_changes)
        self._responses[clinic_id] = responses
        return responses

    # --- claiming --------------------------------------------------------------------------------

    async def _claim(self, queue: CampaignQueue, entries: Sequence[Entry]) -> list[Work]:
        wall = wall_clock()
        expires = wall + timedelta(seconds=self.settings.claim_ttl_seconds)
        work: list[Work] = []
        wanted: dict[str, Entry] = {}
        for entry in entries:
            held = entry.held_claim
            entry.held_claim = None
            if held is not None and held[0] > wall + CLAIM_MARGIN:
                # our own claim, released unused (the lease wobbled): still ours to use
                queue.in_flight.add(entry.message_id)
                work.append(Work(queue, entry, entry.attempt, held[1], held[0]))
            else:
                wanted[f"{entry.message_id}:{entry.attempt + 1}"] = entry
        if not wanted:
            return work
        won = await claim_many(
            store.collection(store.SendClaim),
            [
                store.claim_record(
                    claim_id,
                    queue.campaign_id,
                    owner=self.owner,
                    epoch=self._lease.epoch,
                    claimed_at=wall,
                    expires_at=expires,
                )
                for claim_id in wanted
            ],
        )
        for claim_id, entry in wanted.items():
            if claim_id in won:
                retried = entry.attempt > 0
                entry.attempt += 1
                queue.in_flight.add(entry.message_id)
                work.append(Work(queue, entry, entry.attempt, retried, expires))
            else:
                entry.attempt += 1  # someone else holds this attempt
                queue.parked[entry.message_id] = expires
                queue.release(entry.message_id)
        return work

    async def _claim_and_skip(self, queue: CampaignQueue, skips: list[tuple[Entry, str]]) -> None:
        reasons = {entry.message_id: reason for entry, reason in skips}
        for item in await self._claim(queue, [entry for entry, _ in skips]):
            self._recorder.submit(
                self._outcome(item, SendOutcome.SKIPPED, reason=reasons[item.entry.message_id])
            )

    async def _claim_and_send(
        self, queue: CampaignQueue, state: CampaignState, due: list[Entry]
    ) -> None:
        responses = await self._responses_of(due[0].doc["clinic_id"])
        sendable: list[Entry] = []
        skips: list[tuple[Entry, str]] = []
        for entry in due:
            doc = entry.doc
            reason = responses.skip_reason(
                doc["campaign_id"], doc["patient_id"], Channel(doc["channel"])
            )
            if reason is None:
                sendable.append(entry)
            else:
                skips.append((entry, reason))
        if skips:
            await self._claim_and_skip(queue, skips)
        now = self.clock()
        for item in await self._claim(queue, sendable):
            # composed here, a claim round at a time, rather than by each slot in turn: one
            # tight loop over the same template, snapshot and signer (less CPU per
            # email: docs/perf.md)
            try:
                outgoing = compose(
                    item.entry.doc,
                    state.snapshot,
                    link_secret=self.settings.link_secret,
                    public_base_url=self.settings.public_base_url,
                    now=now,
                )
            except CannotCompose as exc:
                self._recorder.submit(self._outcome(item, SendOutcome.FAILED, reason=str(exc)))
                continue
            channel = Channel(item.entry.channel)
            self._pending[channel] += 1
            self._work[channel].put_nowait((item, outgoing))

    # --- sending -----------------------------------------------------------------------------------

    async def _slot(self, channel: Channel, limiter: AsyncLimiter | None) -> None:
        queue = self._work[channel]
        while not self._draining:
            item, outgoing = await queue.get()
            if self._draining:
                break
            self._sending += 1
            try:
                outcome = await self._deliver(channel, item, outgoing, limiter)
                if outcome is None:  # not sent: keep the claim for a later pass
                    item.entry.held_claim = (item.claim_expires, item.retried)
                    item.queue.release(item.entry.message_id)
                else:
                    await self._recorder.record(outcome)
            except asyncio.CancelledError:
                raise
            except Exception:  # never lose the slot; the claim expires and a retry follows
                log.exception("dispatch.slot_failed", message_id=item.entry.message_id)
                expires = wall_clock() + timedelta(seconds=self.settings.claim_ttl_seconds)
                item.queue.parked[item.entry.message_id] = expires
                item.queue.release(item.entry.message_id)
            finally:
                self._sending -= 1
                self._pending[channel] -= 1
                self._wake.set()

    async def _deliver(
        self, channel: Channel, item: Work, outgoing: Outgoing, limiter: AsyncLimiter | None
    ) -> StoredOutcome | None:
        state = self.states[item.queue.campaign_id]
        sender = self.channels[channel]
        try:
            receipt = await self._send(channel, sender, outgoing, limiter)
        except PermanentProviderError as exc:
            return self._outcome(item, SendOutcome.FAILED, reason=exc.reason, provider=sender.name)
        except TransientProviderError as exc:
            reason = f"gave up after {self.settings.send_attempts} attempts: {exc.reason}"
            return self._outcome(item, SendOutcome.FAILED, reason=reason, provider=sender.name)
        except _LeaseLost:
            return None  # a successor may own this message by now
        return self._outcome(item, SendOutcome.SENT, receipt=receipt, state=state)

    async def _send(
        self,
        channel: Channel,
        sender: ChannelSender,
        outgoing: Outgoing,
        limiter: AsyncLimiter | None,
    ) -> Receipt:
        """The provider call, retried with backoff on transient errors (tenacity)."""
        if not self._lease.held():
            raise _LeaseLost
        if limiter is not None:
            await limiter.acquire()
        try:
            return await sender.send(outgoing)
        except TransientProviderError:
            if self.settings.send_attempts == 1:
                raise
        # the first retry waits too; later ones back off exponentially (tenacity)
        await asyncio.sleep(min(0.1, self.settings.retry_wait_max_seconds))
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(TransientProviderError),
            stop=stop_after_attempt(self.settings.send_attempts - 1),
            wait=wait_exponential(multiplier=0.1, max=self.settings.retry_wait_max_seconds),
            reraise=True,
        ):
            with attempt:
                if not self._lease.held():
                    raise _LeaseLost
                PROVIDER_RETRIES.labels(channel.value).inc()
                if limiter is not None:
                    await limiter.acquire()
                return await sender.send(outgoing)
        raise AssertionError("tenacity ends with a result or an error")

    def _outcome(
        self,
        item: Work,
        outcome: SendOutcome,
        *,
        reason: str | None = None,
        provider: str | None = None,
        receipt: Receipt | None = None,
        state: CampaignState | None = None,
    ) -> StoredOutcome:
        doc = item.entry.doc
        at = self.clock()
        provider = receipt.provider if receipt else provider
        events = [
            store.EncodedEvent.encode(
                sent_event(
                    doc,
                    outcome,
                    at=at,
                    attempt=item.attempt,
                    reason=reason,
                    provider=provider,
                    provider_message_id=receipt.provider_message_id if receipt else None,
                    cost_cents=receipt.cost_cents if receipt else 0,
                    retried=item.retried,
                )
            )
        ]
        if outcome is SendOutcome.SENT and state is not None:
            following = next_step_due(doc, state.snapshot, at)
            if following is not None:
                events.append(store.EncodedEvent.encode(following))
        return StoredOutcome(
            message_id=doc["_id"],
            campaign_id=doc["campaign_id"],
            clinic_id=doc["clinic_id"],
            channel=doc["channel"],
            outcome=outcome.value,
            reason=reason,
            attempt=item.attempt,
            provider_message_id=receipt.provider_message_id if receipt else None,
            events=events,
            provider=provider,
            retried=item.retried,
        )

    def _stored(self, outcomes: Sequence[StoredOutcome]) -> None:
        for outcome in outcomes:
            queue = self.campaigns.get(outcome.campaign_id)
            if queue is not None:
                queue.finish(outcome.message_id)
            MESSAGES.labels(outcome.channel, outcome.outcome, outcome.provider or "").inc()
            if outcome.retried and outcome.outcome == SendOutcome.SENT.value:
                RETRIED_SENDS.labels(outcome.channel).inc()
            if outcome.outcome == SendOutcome.FAILED.value:
                log.warning(
                    "message.failed",
                    message_id=outcome.message_id,
                    campaign_id=outcome.campaign_id,
                    reason=outcome.reason,
                )
