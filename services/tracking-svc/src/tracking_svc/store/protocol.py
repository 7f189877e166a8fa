"""What tracking's handlers, snapshots and reads need of storage: one narrow interface
(cosmicpython's repository), implemented on MongoDB/FerretDB by `MongoTrackingStore` and in
memory by the unit tests' fake (services/tracking-svc/tests/fake_store.py).

Every write is an insert under a unique key (`records` makes the keys), or a delete of
records a newer one replaced; nothing is updated (the storage rules of
`reengage_common.storage`). Records travel as the dicts `records` makes and reads.
"""

from collections.abc import Iterable
from typing import Any, Protocol

from reengage_common.events import CampaignLaunched
from tracking_svc.domain.facts import Fact
from tracking_svc.store.records import Record

ClinicFacts = dict[str, list[tuple[str, Fact]]]  # clinic -> (campaign, fact)


class TrackingStore(Protocol):
    # --- facts: pages the consumers insert, the compactor folds and deletes ----------------
    async def store_facts(self, clinic_facts: ClinicFacts) -> int: ...

    async def unfolded_pages(
        self,
        campaign_id: str,
        clinic_id: str | None = None,
        bucket: int | None = None,
        limit: int = 0,
    ) -> list[Record]: ...

    async def unfolded_pages_of(
        self, clinic_id: str, campaign_ids: list[str]
    ) -> dict[str, list[Record]]: ...

    async def any_unfolded_pages(self, limit: int) -> list[Record]: ...

    async def delete_pages(self, campaign_id: str, page_ids: list[str]) -> None: ...

    # --- snapshots: generations of folded pages (see `snapshots`) ----------------------------
    # `_id`, `campaign_id` and `gen` of the campaigns' heads, without their bodies
    async def head_numbers(self, clinic_id: str, campaign_ids: list[str]) -> list[Record]: ...

    async def heads_by_id(self, clinic_id: str, head_ids: list[str]) -> list[Record]: ...

    async def heads_of_campaign(self, clinic_id: str, campaign_id: str) -> list[Record]: ...

    # False when another compactor inserted this generation first
    async def claim_head(self, head: Record) -> bool: ...

    async def delete_heads(self, clinic_id: str, campaign_id: str, head_ids: list[str]) -> None: ...

    async def snapshot_shards(
        self, clinic_id: str, campaign_id: str, shard_ids: list[str]
    ) -> list[Record]: ...

    async def store_snapshot_shards(self, clinic_id: str, shards: list[Record]) -> None: ...

    async def delete_snapshot_shards(
        self, clinic_id: str, campaign_id: str, shard_ids: list[str]
    ) -> None: ...

    # --- contacts: found by patient, phone, provider message id or key ----------------------
    async def store_contacts(self, documents: list[Record]) -> None: ...

    # called after the clinics' contacts are stored, so whoever sees the mark finds them
    async def mark_contacted(self, clinic_ids: set[str]) -> None: ...

    async def clinic_has_contacts(self, clinic_id: str) -> bool: ...

    async def contacts_of_patients(
        self, clinic_id: str, patient_ids: set[str]
    ) -> dict[str, list[dict[str, Any]]]: ...

    async def contacts_by_phone(self, phone: str) -> list[dict[str, Any]]: ...

    async def messages_by_provider_id(self, pmid: str) -> list[dict[str, Any]]: ...

    async def contact_by_key(self, key: str) -> dict[str, Any] | None: ...

    # --- campaigns: each run's terms from campaign.launched ---------------------------------
    async def store_launches(self, launches: list[tuple[str, CampaignLaunched]]) -> None: ...

    async def launched(self, clinic_id: str, campaign_id: str) -> dict[str, Any] | None: ...

    async def launches_of(
        self, clinic_id: str, campaign_ids: list[str]
    ) -> dict[str, dict[str, Any]]: ...

    async def sms_senders(
        self, campaigns: set[tuple[str, str]]
    ) -> dict[tuple[str, str], set[str]]: ...

    # --- what came early or unexplained ------------------------------------------------------
    async def keep_unmatched(self, pmid: str, key: str, callback: dict[str, Any]) -> None: ...

    async def unmatched_for(self, pmids: Iterable[str]) -> list[dict[str, Any]]: ...

    async def keep_unmatched_inbound(self, record: Record) -> None: ...
