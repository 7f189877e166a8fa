"""An in-memory `DispatchStore` for unit tests of the handlers and the sender (no server).

It keeps the same records the MongoDB store keeps, as typed values, and the same guarantees
the code relies on: inserts under a unique key (a claim or a message stored twice is refused
the second time), announcements until forgotten, outcomes of a send batch readable at once.
"""

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime

from dispatch_svc.domain.campaigns import StatusChange
from dispatch_svc.domain.consents import ConsentChange
from dispatch_svc.domain.decisions import Response
from dispatch_svc.domain.message_states import Claimed, Finished
from dispatch_svc.domain.messages import QueuedMessage
from dispatch_svc.store.codecs import Announcement, SendBatchRecord, StoredCampaignEvent
from reengage_common.events import (
    CampaignLaunched,
    CampaignStatusChanged,
    Envelope,
    RecipientResponded,
)

Shards = Collection[int] | None


class FakeDispatchStore:
    def __init__(self) -> None:
        self.messages: dict[str, QueuedMessage] = {}
        self.queued_batch_notices: dict[str, Announcement] = {}
        self.news_notices: dict[str, Announcement] = {}
        self.events: dict[str, StoredCampaignEvent] = {}
        self.responses: dict[str, Response] = {}
        self.consents: dict[str, tuple[str, ConsentChange]] = {}
        # claim id -> (campaign, shard, claim)
        self.claims: dict[str, tuple[str, int, Claimed]] = {}
        self.send_batches: dict[str, SendBatchRecord] = {}
        self.published: set[str] = set()
        self._news = 0

    # --- the consumer side ---------------------------------------------------------------------

    async def store_messages(self, messages: Sequence[QueuedMessage]) -> None:
        for message in messages:
            self.messages.setdefault(message.message_id, message)

    async def announce_batch(
        self, messages: Sequence[QueuedMessage], batch_id: str, at: datetime
    ) -> None:
        if messages:
            campaigns = tuple(sorted({m.campaign_id for m in messages}))
            notice = Announcement(batch_id, campaigns, (), messages[0].shard)
            self.queued_batch_notices[batch_id] = notice

    async def store_launches(
        self, envelopes: Sequence[Envelope[CampaignLaunched]], at: datetime
    ) -> None:
        for envelope in envelopes:
            launch = envelope.data
            record_id = f"{launch.campaign_id}:launched:{launch.run_number}"
            snapshot = launch.model_dump_json(by_alias=True)
            event = StoredCampaignEvent(record_id, launch.campaign_id, snapshot, None)
            self.events.setdefault(record_id, event)
        self._announce(campaign_ids=[e.data.campaign_id for e in envelopes])

    async def store_status_changes(
        self, envelopes: Sequence[Envelope[CampaignStatusChanged]], at: datetime
    ) -> None:
        for envelope in envelopes:
            change = envelope.data
            record_id = f"{change.campaign_id}:status:{change.at.isoformat()}:{change.to.value}"
            status = StatusChange(change.at, change.to)
            event = StoredCampaignEvent(record_id, change.campaign_id, None, status)
            self.events.setdefault(record_id, event)
        self._announce(campaign_ids=[e.data.campaign_id for e in envelopes])

    async def store_responses(
        self, envelopes: Sequence[Envelope[RecipientResponded]], at: datetime
    ) -> None:
        for envelope in envelopes:
            data = envelope.data
            self.responses.setdefault(
                envelope.id,
                Response(
                    envelope.clinic_id, data.campaign_id, data.patient_id, data.kind, data.channel
                ),
            )
        self._announce(clinic_ids=[e.clinic_id for e in envelopes])

    async def store_consent_changes(
        self, changes: Sequence[tuple[str, ConsentChange]], at: datetime
    ) -> None:
        for clinic_id, change in changes:
            self.consents.setdefault(change.event_id, (clinic_id, change))
        self._announce(clinic_ids=[clinic_id for clinic_id, _ in changes])

    async def patients_with_consent_changes(self, clinic_id: str) -> set[str]:
        return {c.patient_id for clinic, c in self.consents.values() if clinic == clinic_id}

    def _announce(self, campaign_ids: Iterable[str] = (), clinic_ids: Iterable[str] = ()) -> None:
        self._news += 1
        notice = Announcement(
            f"news-{self._news}", tuple(sorted(set(campaign_ids))), tuple(sorted(set(clinic_ids)))
        )
        self.news_notices[notice.announcement_id] = notice

    # --- the sender side -----------------------------------------------------------------------

    async def queued_batches(self) -> list[Announcement]:
        return list(self.queued_batch_notices.values())

    async def news(self) -> list[Announcement]:
        return list(self.news_notices.values())

    async def forget_batches(self, ids: Iterable[str]) -> None:
        for announcement_id in ids:
            self.queued_batch_notices.pop(announcement_id, None)

    async def prune_news(self, before: datetime) -> None:
        return None  # kept: a unit test's news is a handful

    async def campaign_events(
        self, campaign_ids: Iterable[str] | None = None
    ) -> list[StoredCampaignEvent]:
        wanted = None if campaign_ids is None else set(campaign_ids)
        return [e for e in self.events.values() if wanted is None or e.campaign_id in wanted]

    async def messages_of_batch(self, batch_id: str) -> list[QueuedMessage]:
        return [m for m in self.messages.values() if m.batch_id == batch_id]

    async def messages_of_campaign(
        self, campaign_id: str, clinic_id: str | None = None, shards: Shards = None
    ) -> list[QueuedMessage]:
        return [
            m
            for m in self.messages.values()
            if m.campaign_id == campaign_id
            and clinic_id in (None, m.clinic_id)
            and (shards is None or m.shard in shards)
        ]

    async def outcomes_of_campaign(self, campaign_id: str, shards: Shards = None) -> list[Finished]:
        return [
            outcome
            for batch in self.send_batches.values()
            if batch.campaign_id == campaign_id
            for outcome, shard in zip(batch.outcomes, batch.shards, strict=True)
            if shards is None or shard in shards
        ]

    async def claims_of_campaign(self, campaign_id: str, shards: Shards = None) -> list[Claimed]:
        return [
            claim
            for campaign, shard, claim in self.claims.values()
            if campaign == campaign_id and (shards is None or shard in shards)
        ]

    async def claim(
        self,
        campaign_id: str,
        claim_ids: Mapping[str, int],
        *,
        owner: str,
        generation: int,
        claimed_at: datetime,
        expires_at: datetime,
    ) -> set[str]:
        won = set()
        for claim_id, shard in claim_ids.items():
            if claim_id in self.claims:
                continue
            message_id, _, attempt = claim_id.rpartition(":")
            claimed = Claimed(message_id, int(attempt), expires_at)
            self.claims[claim_id] = (campaign_id, shard, claimed)
            won.add(claim_id)
        return won

    async def store_send_batches(self, batches: Sequence[SendBatchRecord]) -> None:
        for batch in batches:
            self.send_batches.setdefault(batch.batch_id, batch)

    async def unpublished_batches(
        self, campaign_id: str, shards: Shards = None
    ) -> list[SendBatchRecord]:
        return [
            batch
            for batch in self.send_batches.values()
            if batch.campaign_id == campaign_id
            and batch.batch_id not in self.published
            and (shards is None or any(shard in shards for shard in batch.shards))
        ]

    async def mark_published(self, batches: Sequence[SendBatchRecord]) -> None:
        self.published.update(batch.batch_id for batch in batches)

    async def responses_of_clinic(self, clinic_id: str) -> list[Response]:
        return [r for r in self.responses.values() if r.clinic_id == clinic_id]

    async def consent_changes_of_clinic(self, clinic_id: str) -> list[ConsentChange]:
        return [c for clinic, c in self.consents.values() if clinic == clinic_id]

    # --- what a test looks at ----------------------------------------------------------------

    def outcomes(self) -> dict[str, Finished]:
        """The latest stored outcome of each message."""
        return {
            outcome.message_id: outcome
            for batch in self.send_batches.values()
            for outcome in batch.outcomes
        }
