"""The sender's side of the store (and the API's one read): what the consumers announced, what
is stored of a campaign or a clinic, and the sender's own inserts (claims, send batches and
their published markers).

The sender publishes a send batch's events itself, right after storing it, and then marks it
published; when it wins its lease it first publishes what a predecessor stored but did not
mark. (The shared relay would look for pending records by re-reading `send_batches` after
every flush: a scan of the largest collection, on PostgreSQL, per batch of ~60 messages.)
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from dispatch_svc.domain.consents import ConsentChange
from dispatch_svc.domain.decisions import Response
from dispatch_svc.domain.message_states import Claimed, Finished
from dispatch_svc.domain.messages import QueuedMessage
from dispatch_svc.store.codecs import (
    Announcement,
    SendBatchRecord,
    StoredCampaignEvent,
    campaign_event_of,
    claim_of,
    claim_record,
    consent_change_of,
    finished_of,
    messages_of,
    response_of,
    send_batch_of,
    send_batch_record,
)
from dispatch_svc.store.collections import DispatchCollections
from reengage_common import codec
from reengage_common.storage import Collection, claim_many, insert_new


class MongoReads:
    def __init__(self, collections: DispatchCollections) -> None:
        self.collections = collections

    # --- announcements ---------------------------------------------------------------------------

    async def queued_batches(self) -> list[Announcement]:
        """Batches of messages stored by a consumer and not yet forgotten by the sender."""
        return await self._announcements(self.collections.queued_batches)

    async def news(self) -> list[Announcement]:
        return await self._announcements(self.collections.news)

    async def forget_batches(self, ids: Iterable[str]) -> None:
        await self._forget(self.collections.queued_batches, ids)

    async def forget_news(self, ids: Iterable[str]) -> None:
        await self._forget(self.collections.news, ids)

    @staticmethod
    async def _announcements(collection: Collection) -> list[Announcement]:
        return [
            Announcement(
                record["_id"],
                tuple(record.get("campaign_ids", ())),
                tuple(record.get("clinic_ids", ())),
            )
            for record in await collection.find({}).to_list()
        ]

    @staticmethod
    async def _forget(collection: Collection, ids: Iterable[str]) -> None:
        chosen = list(ids)
        if chosen:
            await collection.delete_many({"_id": {"$in": chosen}})

    # --- campaigns and their messages ----------------------------------------------------------

    async def campaign_events(
        self, campaign_ids: Iterable[str] | None = None
    ) -> list[StoredCampaignEvent]:
        """The events of these campaigns; of every campaign when None (a sender winning its
        lease)."""
        query = {} if campaign_ids is None else {"campaign_id": {"$in": sorted(campaign_ids)}}
        records = await self.collections.campaign_events.find(query).to_list()
        return [campaign_event_of(record) for record in records]

    async def messages_of_batch(self, batch_id: str) -> list[QueuedMessage]:
        records = await self.collections.messages.find({"batch_id": batch_id}).to_list()
        return messages_of(records)

    async def messages_of_campaign(
        self, campaign_id: str, clinic_id: str | None = None
    ) -> list[QueuedMessage]:
        # Whole records: FerretDB reads a whole document even for a projection (asking for the
        # ids alone saves little: docs/perf.md). A sender winning its lease pays this for every
        # message ever stored (left as it is).
        query = {"campaign_id": campaign_id}
        if clinic_id is not None:
            query["clinic_id"] = clinic_id
        records = await self.collections.messages.find(query).to_list()
        return messages_of(records)

    async def outcomes_of_campaign(self, campaign_id: str) -> list[Finished]:
        batches = await self.collections.send_batches.find(
            {"campaign_id": campaign_id}, {"outcomes": 1}
        ).to_list()
        return [
            finished_of(entry) for batch in batches for entry in codec.decode(batch["outcomes"])
        ]

    async def claims_of_campaign(self, campaign_id: str) -> list[Claimed]:
        records = await self.collections.send_claims.find({"campaign_id": campaign_id}).to_list()
        return [claim_of(record) for record in records]

    # --- the sender's own inserts --------------------------------------------------------------

    async def claim(
        self,
        campaign_id: str,
        claim_ids: Sequence[str],
        *,
        owner: str,
        epoch: int,
        claimed_at: datetime,
        expires_at: datetime,
    ) -> set[str]:
        """Claim "<messageId>:<attempt>" keys in one insert; the ones this sender won."""
        records = [
            claim_record(
                claim_id,
                campaign_id,
                owner=owner,
                epoch=epoch,
                claimed_at=claimed_at,
                expires_at=expires_at,
            )
            for claim_id in claim_ids
        ]
        return await claim_many(self.collections.send_claims, records)

    async def store_send_batches(self, batches: Sequence[SendBatchRecord]) -> None:
        records = [send_batch_record(batch) for batch in batches]
        await insert_new(self.collections.send_batches, records)

    async def unpublished_batches(self, campaign_id: str) -> list[SendBatchRecord]:
        """Send batches of the campaign whose events were never marked published."""
        published = {
            record["_id"]
            for record in await self.collections.published_batches.find(
                {"campaign_id": campaign_id}
            ).to_list()
        }
        stored = await self.collections.send_batches.find(
            {"campaign_id": campaign_id}, {"_id": 1}
        ).to_list()
        missing = [record["_id"] for record in stored if record["_id"] not in published]
        if not missing:
            return []
        records = await self.collections.send_batches.find(
            {"campaign_id": campaign_id, "_id": {"$in": missing}}
        ).to_list()
        return [send_batch_of(record) for record in records]

    async def mark_published(self, batches: Sequence[SendBatchRecord]) -> None:
        await insert_new(
            self.collections.published_batches,
            [{"_id": batch.batch_id, "campaign_id": batch.campaign_id} for batch in batches],
        )

    # --- what stops a send ------------------------------------------------------------------------

    async def responses_of_clinic(self, clinic_id: str) -> list[Response]:
        records = await self.collections.responses.find(
            {"clinic_id": clinic_id}, {"campaign_id": 1, "patient_id": 1, "kind": 1, "channel": 1}
        ).to_list()
        return [response_of(clinic_id, record) for record in records]

    async def consent_changes_of_clinic(self, clinic_id: str) -> list[ConsentChange]:
        records = await self.collections.consent_changes.find({"clinic_id": clinic_id}).to_list()
        return [consent_change_of(record) for record in records]
