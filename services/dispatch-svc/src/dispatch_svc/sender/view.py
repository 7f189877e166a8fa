"""What the sender reads and keeps: every campaign's state and queue, and each clinic's
responses and consents, learned from the store once and then from announcements only.

When the sender wins its lease it reads every campaign once; then each refresh it learns of new
campaigns, status changes, responses and messages from what the consumers announce (`news`,
`queued_batches`); this process's consumer hands its messages over in memory. A tick never
rescans the store.
"""

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

import structlog

from dispatch_svc.domain.campaigns import CampaignState, StatusChange, fold_campaign
from dispatch_svc.domain.decisions import ResponsesAndConsents
from dispatch_svc.domain.messages import QueuedMessage
from dispatch_svc.sender.claims import adopt_claims, wall_clock
from dispatch_svc.sender.index import CampaignQueue
from dispatch_svc.sender.recorder import RecordedOutcome
from dispatch_svc.store import DispatchStore
from dispatch_svc.store.codecs import SendBatchRecord
from reengage_common.events import CampaignLaunched

log = structlog.get_logger(__name__)
Publish = Callable[[Sequence[SendBatchRecord]], Awaitable[None]]


class SenderView:
    def __init__(self, store: DispatchStore, publish: Publish) -> None:
        self._store = store
        self._publish = publish  # what a predecessor stored but did not get published
        self.campaigns: dict[str, CampaignQueue] = {}
        self.states: dict[str, CampaignState] = {}
        self._loaded: set[str] = set()
        self._launches: dict[str, CampaignLaunched] = {}  # decoded snapshots, by record id
        self._read_every_campaign = False  # done once per lease won; then announced ones only
        # each clinic's responses and consent changes, read when first needed and again only
        # after news of it (`news`, or this process's consumer)
        self._checks: dict[str, ResponsesAndConsents] = {}
        self._handed: dict[str, list[QueuedMessage]] = {}  # handed over while loading
        # announced batches already read, kept announced until their campaigns are known
        self._read_batches: set[str] = set()

    def knows(self, messages: Sequence[QueuedMessage]) -> bool:
        return all(message.campaign_id in self.states for message in messages)

    def hand_over(self, messages: Sequence[QueuedMessage]) -> None:
        """Messages this process's consumer just stored, of campaigns this view knows."""
        for message in messages:
            campaign_id = message.campaign_id
            if campaign_id in self._loaded:
                queue = self.campaigns.setdefault(campaign_id, CampaignQueue(campaign_id))
                queue.add([message], self.states[campaign_id])
            else:  # its campaign is being loaded: the load may have read before this insert
                self._handed.setdefault(campaign_id, []).append(message)

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

    async def refresh(self) -> None:
        # announcements first: every message and campaign event they name is in the store
        # before the reads below
        announced = await self._store.queued_batches()
        news = await self._store.news()
        for item in news:
            self.forget_checks(item.clinic_ids)
        campaign_ids = {cid for item in news for cid in item.campaign_ids}
        if not self._read_every_campaign:
            await self._refresh_campaigns(None)
            self._read_every_campaign = True
        elif campaign_ids:
            # Only the campaigns with new events: rereading every campaign ever launched each
            # tick cost FerretDB CPU in proportion to every launch (docs/perf.md).
            await self._refresh_campaigns(campaign_ids)
        for batch in announced:
            if batch.announcement_id in self._read_batches:
                continue
            for message in await self._store.messages_of_batch(batch.announcement_id):
                campaign_id = message.campaign_id
                if campaign_id in self._loaded or campaign_id not in self.states:
                    queue = self.campaigns.setdefault(campaign_id, CampaignQueue(campaign_id))
                    queue.add([message], self.states.get(campaign_id))
            self._read_batches.add(batch.announcement_id)
        # An announcement is forgotten once its campaigns are known: until then it is how a
        # successor learns of messages stored before their campaign.launched was.
        known = [
            batch.announcement_id
            for batch in announced
            if all(campaign_id in self.states for campaign_id in batch.campaign_ids)
        ]
        await self._store.forget_batches(known)
        self._read_batches.difference_update(known)
        await self._store.forget_news([item.announcement_id for item in news])

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
        unpublished = await self._store.unpublished_batches(campaign_id)
        if unpublished:
            await self._publish(unpublished)
        messages, outcomes, claims = await asyncio.gather(
            self._store.messages_of_campaign(campaign_id),
            self._store.outcomes_of_campaign(campaign_id),
            self._store.claims_of_campaign(campaign_id),
        )
        queue = CampaignQueue(campaign_id)
        queue.done = {outcome.message_id for outcome in outcomes}
        queue.add([*messages, *self._handed.pop(campaign_id, [])], state)
        adopt_claims(queue, claims, wall_clock())
        self.campaigns[campaign_id] = queue
        self._loaded.add(campaign_id)
        log.info(
            "dispatch.campaign_loaded",
            campaign_id=campaign_id,
            queued=len(queue),
            done=len(queue.done),
            parked=len(queue.parked),
        )

    async def unpark(self, wall: datetime) -> None:
        """Claims of others that expired: finished meanwhile, or ours to retry."""
        for queue in self.campaigns.values():
            expired = queue.expired_parks(wall)
            if not expired:
                continue
            outcomes, claims = await asyncio.gather(
                self._store.outcomes_of_campaign(queue.campaign_id),
                self._store.claims_of_campaign(queue.campaign_id),
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
