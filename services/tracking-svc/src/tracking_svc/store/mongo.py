"""`TrackingStore` on MongoDB / FerretDB: the queries tracking needs, each with a selective
top-level equality (clinic, campaign, phone, provider id) and the measurements that chose it."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from reengage_common import codec
from reengage_common.events import CampaignLaunched
from reengage_common.storage import Collection, claim, insert_new
from tracking_svc.store.documents import (
    ContactedClinic,
    FactPage,
    LaunchedCampaign,
    PatientContact,
    SnapshotHead,
    UnmatchedCallback,
    UnmatchedInbound,
    shards_collection_name,
)
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

# Up to this many patients of a batch are asked for by `$in` (which FerretDB evaluates in Go,
# per document and listed id, over the clinic's contacts); more, and the clinic's contacts
# are read whole and matched here (the `$in` of 500 ids over 100,000 documents took 7.4 s).
FEW_PATIENTS = 16


def of_campaigns(clinic_id: str, campaign_ids: list[str]) -> dict[str, Any]:
    """The filter of some campaigns of one clinic: two top-level equalities for one campaign
    (the common case), the clinic's equality and the ids as `$in` for a batch (FerretDB
    evaluates `$in` itself, after the equality narrowed the rows)."""
    ids: Any = campaign_ids[0] if len(campaign_ids) == 1 else {"$in": campaign_ids}
    return {"campaign_id": ids, "clinic_id": clinic_id}


def _one_or_in(ids: list[str]) -> Any:
    return ids[0] if len(ids) == 1 else {"$in": ids}


class MongoTrackingStore:
    def __init__(self, database: AsyncDatabase) -> None:
        self.database = database
        self.pages: Collection = database[FactPage.Settings.name]
        self.contacts: Collection = database[PatientContact.Settings.name]
        self.contacted: Collection = database[ContactedClinic.Settings.name]
        self.launches: Collection = database[LaunchedCampaign.Settings.name]
        self.callbacks: Collection = database[UnmatchedCallback.Settings.name]
        self.inbound: Collection = database[UnmatchedInbound.Settings.name]
        self.heads: Collection = database[SnapshotHead.Settings.name]

    def _shards(self, clinic_id: str) -> Collection:
        return self.database[shards_collection_name(clinic_id)]

    # --- facts ------------------------------------------------------------------------------

    async def store_facts(self, clinic_facts: ClinicFacts) -> int:
        pages = [page for clinic, items in clinic_facts.items() for page in pages_of(clinic, items)]
        return (await insert_new(self.pages, pages)).inserted if pages else 0

    async def unfolded_pages(
        self,
        campaign_id: str,
        clinic_id: str | None = None,
        bucket: int | None = None,
        limit: int = 0,
    ) -> list[Record]:
        """Pages not folded into a snapshot yet (folded ones are deleted): `_id`, `clinic_id`,
        facts."""
        query: dict[str, Any] = {"campaign_id": campaign_id}
        if clinic_id is not None:
            query["clinic_id"] = clinic_id
        if bucket is not None:
            query["bucket"] = bucket
        cursor = self.pages.find(query, {"facts": 1, "clinic_id": 1})
        if limit:
            cursor = cursor.limit(limit)
        return await cursor.to_list()

    async def unfolded_pages_of(
        self, clinic_id: str, campaign_ids: list[str]
    ) -> dict[str, list[Record]]:
        """The unfolded pages of many campaigns of one clinic, by campaign, in one query."""
        query = of_campaigns(clinic_id, campaign_ids)
        found = await self.pages.find(query, {"facts": 1, "campaign_id": 1}).to_list()
        pages: dict[str, list[Record]] = defaultdict(list)
        for page in found:
            pages[page["campaign_id"]].append(page)
        return pages

    async def any_unfolded_pages(self, limit: int) -> list[Record]:
        """The oldest unfolded pages of any campaigns: `_id`, `campaign_id`, `clinic_id`,
        facts."""
        cursor = self.pages.find({}, {"facts": 1, "clinic_id": 1, "campaign_id": 1})
        return await cursor.limit(limit).to_list()

    async def delete_pages(self, campaign_id: str, page_ids: list[str]) -> None:
        for start in range(0, len(page_ids), 500):
            chunk = page_ids[start : start + 500]
            await self.pages.delete_many({"campaign_id": campaign_id, "_id": {"$in": chunk}})

    # --- snapshots --------------------------------------------------------------------------

    async def head_numbers(self, clinic_id: str, campaign_ids: list[str]) -> list[Record]:
        query = of_campaigns(clinic_id, campaign_ids)
        return await self.heads.find(query, {"gen": 1, "campaign_id": 1}).to_list()

    async def heads_by_id(self, clinic_id: str, head_ids: list[str]) -> list[Record]:
        return await self.heads.find(
            {"clinic_id": clinic_id, "_id": _one_or_in(head_ids)}
        ).to_list()

    async def heads_of_campaign(self, clinic_id: str, campaign_id: str) -> list[Record]:
        return await self.heads.find({"campaign_id": campaign_id, "clinic_id": clinic_id}).to_list()

    async def claim_head(self, head: Record) -> bool:
        return await claim(self.heads, head)

    async def delete_heads(self, clinic_id: str, campaign_id: str, head_ids: list[str]) -> None:
        query = {"campaign_id": campaign_id, "clinic_id": clinic_id, "_id": {"$in": head_ids}}
        await self.heads.delete_many(query)

    async def snapshot_shards(
        self, clinic_id: str, campaign_id: str, shard_ids: list[str]
    ) -> list[Record]:
        query = {"campaign_id": campaign_id, "clinic_id": clinic_id, "_id": {"$in": shard_ids}}
        return await self._shards(clinic_id).find(query).to_list()

    async def store_snapshot_shards(self, clinic_id: str, shards: list[Record]) -> None:
        await insert_new(self._shards(clinic_id), shards, batch=8)

    async def delete_snapshot_shards(
        self, clinic_id: str, campaign_id: str, shard_ids: list[str]
    ) -> None:
        query = {"campaign_id": campaign_id, "clinic_id": clinic_id, "_id": {"$in": shard_ids}}
        await self._shards(clinic_id).delete_many(query)

    # --- contacts ---------------------------------------------------------------------------

    async def store_contacts(self, documents: list[Record]) -> None:
        if documents:
            await insert_new(self.contacts, documents)

    async def mark_contacted(self, clinic_ids: set[str]) -> None:
        if clinic_ids:
            await insert_new(self.contacted, [{"_id": c} for c in sorted(clinic_ids)])

    async def clinic_has_contacts(self, clinic_id: str) -> bool:
        """Whether any message of the clinic was sent or held out: until then no booking can
        be attributed, so an import's thousands of appointments need no lookup per patient."""
        return await self.contacted.find_one({"_id": clinic_id}) is not None

    async def contacts_of_patients(
        self, clinic_id: str, patient_ids: set[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """The clinic's contacts of these patients, by patient: one query for a whole batch.
        Asked one patient at a time, each lookup was a scan of the whole collection on
        FerretDB (no index serves a query), so a batch of bookings cost a scan per patient."""
        query: dict[str, Any] = {"clinic_id": clinic_id}
        if len(patient_ids) <= FEW_PATIENTS:
            query["patient_id"] = _one_or_in(sorted(patient_ids))
        by_patient: dict[str, list[dict[str, Any]]] = {pid: [] for pid in patient_ids}
        async for document in self.contacts.find(query):
            if document.get("patient_id") in by_patient:
                by_patient[document["patient_id"]].append(contact_of(document))
        return by_patient

    async def contacts_by_phone(self, phone: str) -> list[dict[str, Any]]:
        return [contact_of(d) for d in await self.contacts.find({"phone": phone}).to_list()]

    async def messages_by_provider_id(self, pmid: str) -> list[dict[str, Any]]:
        """What was sent under a provider's message id: one patient's message, or each
        member's of a household message (they share the one send)."""
        return [contact_of(d) for d in await self.contacts.find({"pmid": pmid}).to_list()]

    async def contact_by_key(self, key: str) -> dict[str, Any] | None:
        found = await self.contacts.find_one({"_id": key})
        return contact_of(found) if found else None

    # --- campaigns --------------------------------------------------------------------------

    async def store_launches(self, launches: list[tuple[str, CampaignLaunched]]) -> None:
        if launches:
            await insert_new(self.launches, [launch_document(c, e) for c, e in launches])

    async def launched(self, clinic_id: str, campaign_id: str) -> dict[str, Any] | None:
        """The latest run's terms of one clinic's campaign, or None before its launch."""
        return (await self.launches_of(clinic_id, [campaign_id])).get(campaign_id)

    async def launches_of(
        self, clinic_id: str, campaign_ids: list[str]
    ) -> dict[str, dict[str, Any]]:
        """The latest run's terms of many campaigns of one clinic (absent before a launch),
        in one query."""
        return latest_launches(
            await self.launches.find(of_campaigns(clinic_id, campaign_ids)).to_list()
        )

    async def sms_senders(self, campaigns: set[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
        """The clinic numbers each (clinic, campaign) sends SMS from: every run's profile
        `smsFrom` (a relaunch may carry a new number while replies to the old one still come
        in). One query per clinic."""
        by_clinic: dict[str, list[str]] = defaultdict(list)
        for clinic_id, campaign_id in sorted(campaigns):
            by_clinic[clinic_id].append(campaign_id)
        senders: dict[tuple[str, str], set[str]] = defaultdict(set)
        for clinic_id, campaign_ids in by_clinic.items():
            async for document in self.launches.find(of_campaigns(clinic_id, campaign_ids)):
                profile = clinic_of(codec.decode(document["r"]))
                if profile is not None and profile.sms_from:
                    senders[(clinic_id, document["campaign_id"])].add(profile.sms_from)
        return senders

    # --- what came early or unexplained -------------------------------------------------------

    async def keep_unmatched(self, pmid: str, key: str, callback: dict[str, Any]) -> None:
        await insert_new(self.callbacks, [unmatched_callback(pmid, key, callback)])

    async def unmatched_for(self, pmids: Iterable[str]) -> list[dict[str, Any]]:
        wanted = set(pmids)
        if not wanted:
            return []
        # The collection holds only callbacks that raced their message.sent: nearly always
        # empty. Matched here, not by an `$in` that FerretDB evaluates per record and value.
        found = await self.callbacks.find({}).to_list()
        return [callback_of(d) for d in found if d["pmid"] in wanted]

    async def keep_unmatched_inbound(self, record: Record) -> None:
        await insert_new(self.inbound, [record])
