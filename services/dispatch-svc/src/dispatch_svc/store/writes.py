"""The consumer side of the store: each key's one writer (the consumer owning its partition)
inserts, and announces what the sender must learn (`queued_batches`, `news`). Every write is
an insert under a unique key, so a redelivered event changes nothing."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from dispatch_svc.domain.consents import ConsentChange
from dispatch_svc.domain.messages import QueuedMessage
from dispatch_svc.store.codecs import (
    consent_record,
    launch_record,
    message_batch_records,
    response_record,
    status_record,
)
from dispatch_svc.store.collections import DispatchCollections
from reengage_common.events import (
    CampaignLaunched,
    CampaignStatusChanged,
    Envelope,
    RecipientResponded,
)
from reengage_common.storage import Collection, insert_new


class MongoWrites:
    def __init__(self, collections: DispatchCollections) -> None:
        self.collections = collections

    async def store_messages(self, messages: Sequence[QueuedMessage]) -> None:
        """Store a consumer batch's messages (they share its `batch_id`); a redelivered batch
        stores nothing new (`message_batch_records`)."""
        if messages:
            await insert_new(self.collections.messages, message_batch_records(messages))

    async def announce_batch(
        self, messages: Sequence[QueuedMessage], batch_id: str, at: datetime
    ) -> None:
        """Tell the replica that sends the batch's shard (one partition's batch) that these
        stored messages wait. A redelivered batch is announced again, so a crash between
        storing and announcing loses nothing."""
        if messages:
            campaign_ids = sorted({m.campaign_id for m in messages})
            record = {
                "_id": batch_id,
                "campaign_ids": campaign_ids,
                "shard": messages[0].shard,
                "at": at,
            }
            await insert_new(self.collections.queued_batches, [record])

    async def store_launches(
        self, envelopes: Sequence[Envelope[CampaignLaunched]], at: datetime
    ) -> None:
        await self._store_campaign_events([launch_record(e) for e in envelopes], at)

    async def store_status_changes(
        self, envelopes: Sequence[Envelope[CampaignStatusChanged]], at: datetime
    ) -> None:
        await self._store_campaign_events([status_record(e) for e in envelopes], at)

    async def _store_campaign_events(self, records: Sequence[dict[str, Any]], at: datetime) -> None:
        """Store campaign events, then announce their campaigns to the sender, even when they
        were stored before: a redelivery after a crash between the two announces them again."""
        await insert_new(self.collections.campaign_events, records)
        await self._announce(at, campaign_ids={r["campaign_id"] for r in records})

    async def store_responses(
        self, envelopes: Sequence[Envelope[RecipientResponded]], at: datetime
    ) -> None:
        records = [response_record(e) for e in envelopes]
        await self._store_clinic_changes(self.collections.responses, records, at)

    async def store_consent_changes(
        self, changes: Sequence[tuple[str, ConsentChange]], at: datetime
    ) -> None:
        """(clinic, change) pairs: only what restricts, or lifts a restriction (`domain`)."""
        records = [consent_record(clinic_id, change) for clinic_id, change in changes]
        await self._store_clinic_changes(self.collections.consent_changes, records, at)

    async def _store_clinic_changes(
        self, collection: Collection, records: Sequence[dict[str, Any]], at: datetime
    ) -> None:
        """Store responses or consent changes, then announce their clinics to the sender
        (again on a redelivery, as above)."""
        await insert_new(collection, records)
        await self._announce(at, clinic_ids={r["clinic_id"] for r in records})

    async def _announce(
        self, at: datetime, *, campaign_ids: Iterable[str] = (), clinic_ids: Iterable[str] = ()
    ) -> None:
        """One `news` record: these campaigns have new events, these clinics new responses.
        `stored_at` is the wall clock's, whatever the injected clock says (`at`): news is
        pruned by it, so a clock days behind never prunes news before other replicas read it."""
        record: dict[str, Any] = {"_id": uuid.uuid4().hex, "at": at, "stored_at": datetime.now(UTC)}
        for key, ids in (("campaign_ids", campaign_ids), ("clinic_ids", clinic_ids)):
            if chosen := sorted(set(ids)):
                record[key] = chosen
        await insert_new(self.collections.news, [record])

    async def patients_with_consent_changes(self, clinic_id: str) -> set[str]:
        """Patients of the clinic with any stored consent change (read whole and matched in
        memory: FerretDB evaluates `$in` in Go against every record the equality lets
        through, once per listed id)."""
        found = self.collections.consent_changes.find({"clinic_id": clinic_id}, {"patient_id": 1})
        return {record["patient_id"] async for record in found}
