"""An in-memory `TrackingStore` for unit tests of the handlers, the snapshots' fold and the
reads (no server).

It keeps the very records the MongoDB store keeps (`tracking_svc.store.records` makes both)
and the guarantees the code relies on: inserts under a unique key (a page, contact or head
stored twice is kept once; of two heads of one generation the first wins), reads in insertion
order, and copies handed out, as a database's answers are.
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from reengage_common import codec
from reengage_common.events import CampaignLaunched
from tracking_svc.store.protocol import ClinicFacts
from tracking_svc.store.records import (
    Record,
    callback_of,
    clinic_of,
    contact_of,
    latest_launches,
    launch_document,
    pages_of,
    unmatched_callback,
)


def _insert_new(records: dict[str, Record], documents: Iterable[Record]) -> int:
    inserted = 0
    for document in documents:
        if document["_id"] not in records:
            records[document["_id"]] = dict(document)
            inserted += 1
    return inserted


class FakeTrackingStore:
    def __init__(self) -> None:
        self.pages: dict[str, Record] = {}
        self.heads: dict[str, Record] = {}
        self.shards: dict[str, dict[str, Record]] = defaultdict(dict)  # clinic -> records
        self.contacts: dict[str, Record] = {}
        self.contacted: set[str] = set()
        self.launches: dict[str, Record] = {}
        self.callbacks: dict[str, Record] = {}
        self.inbound: dict[str, Record] = {}

    # --- facts ------------------------------------------------------------------------------

    async def store_facts(self, clinic_facts: ClinicFacts) -> int:
        pages = [page for clinic, items in clinic_facts.items() for page in pages_of(clinic, items)]
        return _insert_new(self.pages, pages)

    async def unfolded_pages(
        self,
        campaign_id: str,
        clinic_id: str | None = None,
        bucket: int | None = None,
        limit: int = 0,
    ) -> list[Record]:
        found = [
            dict(page)
            for page in self.pages.values()
            if page["campaign_id"] == campaign_id
            and clinic_id in (None, page["clinic_id"])
            and bucket in (None, page["bucket"])
        ]
        return found[:limit] if limit else found

    async def unfolded_pages_of(
        self, clinic_id: str, campaign_ids: list[str]
    ) -> dict[str, list[Record]]:
        pages: dict[str, list[Record]] = defaultdict(list)
        for page in self.pages.values():
            if page["clinic_id"] == clinic_id and page["campaign_id"] in campaign_ids:
                pages[page["campaign_id"]].append(dict(page))
        return pages

    async def any_unfolded_pages(self, limit: int) -> list[Record]:
        return [dict(page) for page in list(self.pages.values())[:limit]]

    async def delete_pages(self, campaign_id: str, page_ids: list[str]) -> None:
        for page_id in page_ids:
            if self.pages.get(page_id, {}).get("campaign_id") == campaign_id:
                del self.pages[page_id]

    # --- snapshots --------------------------------------------------------------------------

    def _heads_of(self, clinic_id: str, campaign_ids: Iterable[str]) -> list[Record]:
        wanted = set(campaign_ids)
        return [
            dict(head)
            for head in self.heads.values()
            if head["clinic_id"] == clinic_id and head["campaign_id"] in wanted
        ]

    async def head_numbers(self, clinic_id: str, campaign_ids: list[str]) -> list[Record]:
        return self._heads_of(clinic_id, campaign_ids)

    async def heads_by_id(self, clinic_id: str, head_ids: list[str]) -> list[Record]:
        return [
            dict(self.heads[head_id])
            for head_id in head_ids
            if head_id in self.heads and self.heads[head_id]["clinic_id"] == clinic_id
        ]

    async def heads_of_campaign(self, clinic_id: str, campaign_id: str) -> list[Record]:
        return self._heads_of(clinic_id, [campaign_id])

    async def claim_head(self, head: Record) -> bool:
        return _insert_new(self.heads, [head]) == 1

    async def delete_heads(self, clinic_id: str, campaign_id: str, head_ids: list[str]) -> None:
        for head_id in head_ids:
            head = self.heads.get(head_id)
            if head and (head["clinic_id"], head["campaign_id"]) == (clinic_id, campaign_id):
                del self.heads[head_id]

    async def snapshot_shards(
        self, clinic_id: str, campaign_id: str, shard_ids: list[str]
    ) -> list[Record]:
        kept = self.shards[clinic_id]
        return [
            dict(kept[shard_id])
            for shard_id in shard_ids
            if shard_id in kept and kept[shard_id]["campaign_id"] == campaign_id
        ]

    async def store_snapshot_shards(self, clinic_id: str, shards: list[Record]) -> None:
        _insert_new(self.shards[clinic_id], shards)

    async def delete_snapshot_shards(
        self, clinic_id: str, campaign_id: str, shard_ids: list[str]
    ) -> None:
        kept = self.shards[clinic_id]
        for shard_id in shard_ids:
            if kept.get(shard_id, {}).get("campaign_id") == campaign_id:
                del kept[shard_id]

    # --- contacts ---------------------------------------------------------------------------

    async def store_contacts(self, documents: list[Record]) -> None:
        _insert_new(self.contacts, documents)

    async def mark_contacted(self, clinic_ids: set[str]) -> None:
        self.contacted |= clinic_ids

    async def clinic_has_contacts(self, clinic_id: str) -> bool:
        return clinic_id in self.contacted

    async def contacts_of_patients(
        self, clinic_id: str, patient_ids: set[str]
    ) -> dict[str, list[dict[str, Any]]]:
        by_patient: dict[str, list[dict[str, Any]]] = {pid: [] for pid in patient_ids}
        for document in self.contacts.values():
            if document.get("clinic_id") == clinic_id and document.get("patient_id") in by_patient:
                by_patient[document["patient_id"]].append(contact_of(document))
        return by_patient

    def _contacts_where(self, field: str, value: str) -> list[dict[str, Any]]:
        return [contact_of(d) for d in self.contacts.values() if d.get(field) == value]

    async def contacts_by_phone(self, phone: str) -> list[dict[str, Any]]:
        return self._contacts_where("phone", phone)

    async def messages_by_provider_id(self, pmid: str) -> list[dict[str, Any]]:
        return self._contacts_where("pmid", pmid)

    async def contact_by_key(self, key: str) -> dict[str, Any] | None:
        found = self.contacts.get(key)
        return contact_of(found) if found else None

    # --- campaigns --------------------------------------------------------------------------

    async def store_launches(self, launches: list[tuple[str, CampaignLaunched]]) -> None:
        _insert_new(self.launches, [launch_document(c, e) for c, e in launches])

    def _launches_of(self, clinic_id: str, campaign_ids: Iterable[str]) -> list[Record]:
        wanted = set(campaign_ids)
        return [
            d
            for d in self.launches.values()
            if d["clinic_id"] == clinic_id and d["campaign_id"] in wanted
        ]

    async def launched(self, clinic_id: str, campaign_id: str) -> dict[str, Any] | None:
        return latest_launches(self._launches_of(clinic_id, [campaign_id])).get(campaign_id)

    async def launches_of(
        self, clinic_id: str, campaign_ids: list[str]
    ) -> dict[str, dict[str, Any]]:
        return latest_launches(self._launches_of(clinic_id, campaign_ids))

    async def sms_senders(self, campaigns: set[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
        senders: dict[tuple[str, str], set[str]] = defaultdict(set)
        for document in self.launches.values():
            key = (document["clinic_id"], document["campaign_id"])
            profile = clinic_of(codec.decode(document["r"]))
            if key in campaigns and profile is not None and profile.sms_from:
                senders[key].add(profile.sms_from)
        return senders

    # --- what came early or unexplained -------------------------------------------------------

    async def keep_unmatched(self, pmid: str, key: str, callback: dict[str, Any]) -> None:
        _insert_new(self.callbacks, [unmatched_callback(pmid, key, callback)])

    async def unmatched_for(self, pmids: Iterable[str]) -> list[dict[str, Any]]:
        wanted = set(pmids)
        return [callback_of(d) for d in self.callbacks.values() if d["pmid"] in wanted]

    async def keep_unmatched_inbound(self, record: Record) -> None:
        _insert_new(self.inbound, [record])
