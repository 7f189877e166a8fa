"""The sender's side of the store (and the API's one read): what the consumers announced, what
is stored of a campaign or a clinic, and the sender's own inserts (claims, send batches and
their published markers).

The sender publishes a send batch's events itself, right after storing it, and then marks it
published; when it takes a shard over it first publishes what a predecessor stored of that
shard but did not mark. (The shared relay would look for pending records by re-reading
`send_batches` after every flush: a scan of the largest collection, on PostgreSQL, per batch
of ~60 messages.)

Reads of a campaign take the shards wanted (`None`: every shard, for the API): messages and
claims by their `shard` field, send batches by the `shards` array they hold outcomes of. On
MongoDB the `(campaign_id, shard)` indexes serve them; FerretDB 1.24 evaluates `$in` in Go over
the campaign's records (docs/storage.md), so there a takeover still reads the campaign's
records of every shard from PostgreSQL, and decodes only its own shards' messages.
"""

from collections.abc import Collection as Members
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

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
    messages_of,
    outcomes_in,
    response_of,
    send_batch_of,
    send_batch_record,
)
from dispatch_svc.store.collections import DispatchCollections
from reengage_common.storage import Collection, claim_many, insert_new

# The shards a read is for; None: every shard.
Shards = Members[int] | None


def _of_shards(field: str, shards: Shards) -> dict[str, Any]:
    """The filter on `field` (a shard, or an array of them) for `shards`."""
    return {} if shards is None else {field: {"$in": sorted(shards)}}


class MongoReads:
    def __init__(self, collections: DispatchCollections) -> None:
        self.collections = collections

    # --- announcements ---------------------------------------------------------------------------

    async def queued_batches(self) -> list[Announcement]:
        """Batches of messages stored by a consumer and not yet forgotten by their shard's
        sender."""
        return await self._announcements(self.collections.queued_batches)

    async def news(self) -> list[Announcement]:
        """Every sender reads all of it (each replica sends every campaign): kept for
        `NEWS_KEPT` and pruned by age, never deleted by a reader."""
        return await self._announcements(self.collections.news)

    async def forget_batches(self, ids: Iterable[str]) -> None:
        chosen = list(ids)
        if chosen:
            await self.collections.queued_batches.delete_many({"_id": {"$in": chosen}})

    async def prune_news(self, before: datetime) -> None:
        await self.collections.news.delete_many({"stored_at": {"$lt": before}})

    @staticmethod
    async def _announcements(collection: Collection) -> list[Announcement]:
        return [
            Announcement(
                record["_id"],
                tuple(record.get("campaign_ids", ())),
                tuple(record.get("clinic_ids", ())),
                record.get("shard"),
            )
            for record in await collection.find({}).to_list()
        ]

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
        self, campaign_id: str, clinic_id: str | None = None, shards: Shards = None
    ) -> list[QueuedMessage]:
        # Whole records: FerretDB reads a whole document even for a projection (asking for the
        # ids alone saves little: docs/perf.md).
        query: dict[str, Any] = {"campaign_id": campaign_id, **_of_shards("shard", shards)}
        if clinic_id is not None:
            query["clinic_id"] = clinic_id
        records = await self.collections.messages.find(query).to_list()
        return messages_of(records)

    async def outcomes_of_campaign(self, campaign_id: str, shards: Shards = None) -> list[Finished]:
        batches = await self.collections.send_batches.find(
            {"campaign_id": campaign_id, **_of_shards("shards", shards)}, {"outcomes": 1}
        ).to_list()
        return [outcome for batch in batches for outcome in outcomes_in(batch, shards)]

    async def claims_of_campaign(self, campaign_id: str, shards: Shards = None) -> list[Claimed]:
        records = await self.collections.send_claims.find(
            {"campaign_id": campaign_id, **_of_shards("shard", shards)}
        ).to_list()
        return [claim_of(record) for record in records]

    # --- the sender's own inserts --------------------------------------------------------------

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
        """Claim "<messageId>:<attempt>" keys (each with its message's shard) in one insert;
        the ones this sender won."""
        records = [
            claim_record(
                claim_id,
                campaign_id,
                shard,
                owner=owner,
                generation=generation,
                claimed_at=claimed_at,
                expires_at=expires_at,
            )
            for claim_id, shard in claim_ids.items()
        ]
        return await claim_many(self.collections.send_claims, records)

    async def store_send_batches(self, batches: Sequence[SendBatchRecord]) -> None:
        records = [send_batch_record(batch) for batch in batches]
        await insert_new(self.collections.send_batches, records)

    async def unpublished_batches(
        self, campaign_id: str, shards: Shards = None
    ) -> list[SendBatchRecord]:
        """Send batches of the campaign (holding outcomes of `shards`) whose events were never
        marked published."""
        published = {
            record["_id"]
            for record in await self.collections.published_batches.find(
                {"campaign_id": campaign_id}
            ).to_list()
        }
        stored = await self.collections.send_batches.find(
            {"campaign_id": campaign_id, **_of_shards("shards", shards)}, {"_id": 1}
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
