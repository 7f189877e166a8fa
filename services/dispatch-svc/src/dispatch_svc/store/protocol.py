"""What dispatch's handlers, sender and API need of storage: one narrow interface (listmonk's
`store`, cosmicpython's repository), implemented on MongoDB/FerretDB by `MongoDispatchStore`
and in memory by the unit tests' fake (services/dispatch-svc/tests/fake_store.py).

Every write is an insert under a unique key; "published", "claimed" and "announced" are
inserts too (the storage rules of `reengage_common.storage`).
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from dispatch_svc.domain.consents import ConsentChange
from dispatch_svc.domain.decisions import Response
from dispatch_svc.domain.message_states import Claimed, Finished
from dispatch_svc.domain.messages import QueuedMessage
from dispatch_svc.store.codecs import Announcement, SendBatchRecord, StoredCampaignEvent
from dispatch_svc.store.reads import Shards
from reengage_common.events import (
    CampaignLaunched,
    CampaignStatusChanged,
    Envelope,
    RecipientResponded,
)


class DispatchStore(Protocol):
    # --- the consumer side (the one writer of each key) --------------------------------------
    async def store_messages(self, messages: Sequence[QueuedMessage]) -> None: ...

    async def announce_batch(
        self, messages: Sequence[QueuedMessage], batch_id: str, at: datetime
    ) -> None: ...

    async def store_launches(
        self, envelopes: Sequence[Envelope[CampaignLaunched]], at: datetime
    ) -> None: ...

    async def store_status_changes(
        self, envelopes: Sequence[Envelope[CampaignStatusChanged]], at: datetime
    ) -> None: ...

    async def store_responses(
        self, envelopes: Sequence[Envelope[RecipientResponded]], at: datetime
    ) -> None: ...

    async def store_consent_changes(
        self, changes: Sequence[tuple[str, ConsentChange]], at: datetime
    ) -> None: ...

    async def patients_with_consent_changes(self, clinic_id: str) -> set[str]: ...

    # --- the sender side ---------------------------------------------------------------------
    async def queued_batches(self) -> list[Announcement]: ...

    async def news(self) -> list[Announcement]: ...

    async def forget_batches(self, ids: Iterable[str]) -> None: ...

    # news stored before `before` (by the wall clock): every sender has read it long ago
    async def prune_news(self, before: datetime) -> None: ...

    async def campaign_events(
        self, campaign_ids: Iterable[str] | None = None
    ) -> list[StoredCampaignEvent]: ...

    async def messages_of_batch(self, batch_id: str) -> list[QueuedMessage]: ...

    # `shards`: of those shards' messages only; None: of every shard
    async def messages_of_campaign(
        self, campaign_id: str, clinic_id: str | None = None, shards: Shards = None
    ) -> list[QueuedMessage]: ...

    async def outcomes_of_campaign(
        self, campaign_id: str, shards: Shards = None
    ) -> list[Finished]: ...

    async def claims_of_campaign(
        self, campaign_id: str, shards: Shards = None
    ) -> list[Claimed]: ...

    async def claim(
        self,
        campaign_id: str,
        claim_ids: Mapping[str, int],
        *,
        owner: str,
        generation: int,
        claimed_at: datetime,
        expires_at: datetime,
    ) -> set[str]: ...

    async def store_send_batches(self, batches: Sequence[SendBatchRecord]) -> None: ...

    async def unpublished_batches(
        self, campaign_id: str, shards: Shards = None
    ) -> list[SendBatchRecord]: ...

    async def mark_published(self, batches: Sequence[SendBatchRecord]) -> None: ...

    async def responses_of_clinic(self, clinic_id: str) -> list[Response]: ...

    async def consent_changes_of_clinic(self, clinic_id: str) -> list[ConsentChange]: ...
