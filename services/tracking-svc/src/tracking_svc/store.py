"""Documents of tracking-svc and the few queries it needs. Everything here is insert-only.
(Over 300 lines: every collection of the service with its indexes and queries, so what is
stored and how it is found reads in one file, as docs/storage.md lists it.)

- `FactPage`: a batch's facts about one campaign and patient bucket, as compact strings. A
  page's `_id` is derived from its facts' keys, so a redelivered batch inserts nothing; pages
  of overlapping batches repeat facts, and the fold drops the repeats (`unique_facts`).
- `PatientContact`: what a booking, an inbound SMS or a provider callback must find by patient,
  phone number or provider message id (a contact, a holdout, a rebooking).
- `CampaignTerms`: campaign.launched's incentive, variants and clinic profile, one per run.
- `SnapshotHead` / `shards_collection`: a campaign's folded pages (see `snapshots`). A head is one
  generation, inserted once under a unique `_id` (its number): of two compactors racing for a
  generation exactly one wins. Pages it folded are deleted after it is stored.
"""

import hashlib
import zlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from beanie import Document
from bson import Binary
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from reengage_common import codec
from reengage_common.events import CampaignLaunched, ClinicProfile
from reengage_common.storage import Collection, insert_new
from tracking_svc.domain.facts import CAMPAIGN_LEVEL, Fact, bucket_of
from tracking_svc.domain.stats import CampaignTerms


class FactPage(Document):
    """`facts`: the page's fact strings as one zlib'd JSON array (`page_facts`). On FerretDB a
    page of ~110 strings cost ten times the server's CPU to insert and to read that one
    binary value does (1,000 pages: 0.59 against 0.05 s to insert, 0.87 against 0.08 s to
    read, measured), and readers read every unfolded page of a campaign per query."""

    id: str  # type: ignore[assignment]
    campaign_id: str
    clinic_id: str
    bucket: int
    facts: bytes

    class Settings:
        name = "fact_pages"
        indexes = [IndexModel([("campaign_id", ASCENDING), ("bucket", ASCENDING)])]


class PatientContact(Document):
    id: str  # type: ignore[assignment]
    clinic_id: str | None = None
    patient_id: str | None = None
    phone: str | None = None
    pmid: str | None = None
    r: str  # the rest, as one JSON string (cheap to store and read on FerretDB)

    class Settings:
        name = "patient_contacts"
        indexes = [
            IndexModel([("clinic_id", ASCENDING)]),
            IndexModel([("patient_id", ASCENDING)]),
            IndexModel([("phone", ASCENDING)]),
            IndexModel([("pmid", ASCENDING)]),
        ]


class ContactedClinic(Document):
    """A clinic that has contacts: one record per clinic, inserted after its first contacts.
    A booking of a clinic none of whose messages went out is answered from this small
    collection rather than by a scan of every clinic's contacts (no index serves a query on
    FerretDB: during a 100,000-patient import beside 500,000 stored contacts each batch of
    appointments scanned them all, 351 ms a batch, 145 s of PostgreSQL in all, measured)."""

    id: str  # type: ignore[assignment]

    class Settings:
        name = "contacted_clinics"


class LaunchedCampaign(Document):
    id: str  # type: ignore[assignment]
    campaign_id: str
    clinic_id: str
    run_number: int
    r: str

    class Settings:
        name = "campaigns"
        indexes = [IndexModel([("campaign_id", ASCENDING)])]


class UnmatchedCallback(Document):
    """A provider callback that arrived before its message.sent: replayed when that comes."""

    id: str  # type: ignore[assignment]
    pmid: str
    r: str

    class Settings:
        name = "unmatched_callbacks"
        indexes = [IndexModel([("pmid", ASCENDING)])]


class SnapshotHead(Document):
    """Generation `gen` of one clinic's campaign: its tally, campaign facts and shard ids."""

    id: str  # type: ignore[assignment]
    campaign_id: str
    clinic_id: str
    gen: int
    r: str  # JSON: {"tally", "facts", "shards": {shard: [shard record id, {status: n}]}}

    class Settings:
        name = "snapshot_heads"
        indexes = [IndexModel([("campaign_id", ASCENDING)])]


def shards_collection(database: AsyncDatabase, clinic_id: str) -> Collection:
    """The clinic's own collection of snapshot shards (`_id`, `campaign_id`, `clinic_id`, `gen`,
    `blob`: one shard's patient entries as zlib text, shared by every generation until it
    changes). Per clinic, because on FerretDB a query over blobs costs every blob of its
    collection (PostgreSQL unpacks each document to test the filter): in one collection for
    all clinics, each read of a campaign's shards cost every shard ever kept, 1.1 s a read
    beside 20 campaigns of 100,000 recipients (audience's projection does the same)."""
    key = hashlib.sha256(clinic_id.encode()).hexdigest()[:20]
    return database[f"snapshot_shards_{key}"]


DOCUMENTS = [
    FactPage,
    PatientContact,
    ContactedClinic,
    LaunchedCampaign,
    UnmatchedCallback,
    SnapshotHead,
]


def _collection(model: type[Document]) -> Collection:
    return model.get_pymongo_collection()


# --- facts ----------------------------------------------------------------------------------


def pages_of(clinic_id: str, campaign_facts: Iterable[tuple[str, Fact]]) -> list[dict[str, Any]]:
    """One page per campaign and bucket; its id names exactly the facts it holds."""
    grouped: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    for campaign_id, fact in campaign_facts:
        bucket = bucket_of(fact.patient_id) if fact.patient_id else CAMPAIGN_LEVEL
        grouped[(campaign_id, bucket)][fact.key] = fact.encode()
    pages = []
    for (campaign_id, bucket), by_key in grouped.items():
        digest = hashlib.sha1("\n".join(sorted(by_key)).encode()).hexdigest()[:24]
        pages.append(
            {
                "_id": f"{campaign_id}:{bucket}:{digest}",
                "campaign_id": campaign_id,
                "clinic_id": clinic_id,
                "bucket": bucket,
                "facts": Binary(zlib.compress(codec.encode(sorted(by_key.values())), 1)),
            }
        )
    return pages


def page_facts(page: dict[str, Any]) -> list[str]:
    """The fact strings a stored page holds."""
    return codec.decode(zlib.decompress(page["facts"]))


async def store_facts(clinic_facts: dict[str, list[tuple[str, Fact]]]) -> int:
    pages = [page for clinic, items in clinic_facts.items() for page in pages_of(clinic, items)]
    return (await insert_new(_collection(FactPage), pages)).inserted if pages else 0


async def campaign_facts(clinic_id: str, campaign_id: str, bucket: int | None = None) -> list[str]:
    """Every stored fact string of one clinic's campaign (or one bucket of its patients)."""
    query: dict[str, Any] = {"campaign_id": campaign_id, "clinic_id": clinic_id}
    if bucket is not None:
        query["bucket"] = bucket
    pages = await _collection(FactPage).find(query, {"facts": 1}).to_list()
    return [fact for page in pages for fact in page_facts(page)]


async def unfolded_pages(
    campaign_id: str,
    clinic_id: str | None = None,
    bucket: int | None = None,
    limit: int = 0,
) -> list[dict[str, Any]]:
    """Pages not folded into a snapshot yet (folded ones are deleted): `_id`, `clinic_id`, facts."""
    query: dict[str, Any] = {"campaign_id": campaign_id}
    if clinic_id is not None:
        query["clinic_id"] = clinic_id
    if bucket is not None:
        query["bucket"] = bucket
    cursor = _collection(FactPage).find(query, {"facts": 1, "clinic_id": 1})
    if limit:
        cursor = cursor.limit(limit)
    return await cursor.to_list()


def of_campaigns(clinic_id: str, campaign_ids: list[str]) -> dict[str, Any]:
    """The filter of some campaigns of one clinic: two top-level equalities for one campaign
    (the common case), the clinic's equality and the ids as `$in` for a batch (FerretDB
    evaluates `$in` itself, after the equality narrowed the rows)."""
    ids: Any = campaign_ids[0] if len(campaign_ids) == 1 else {"$in": campaign_ids}
    return {"campaign_id": ids, "clinic_id": clinic_id}


async def unfolded_pages_of(
    clinic_id: str, campaign_ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """The unfolded pages of many campaigns of one clinic, by campaign, in one query."""
    query = of_campaigns(clinic_id, campaign_ids)
    found = await _collection(FactPage).find(query, {"facts": 1, "campaign_id": 1}).to_list()
    pages: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for page in found:
        pages[page["campaign_id"]].append(page)
    return pages


async def any_unfolded_pages(limit: int) -> list[dict[str, Any]]:
    """The oldest unfolded pages of any campaigns: `_id`, `campaign_id`, `clinic_id`, facts."""
    cursor = _collection(FactPage).find({}, {"facts": 1, "clinic_id": 1, "campaign_id": 1})
    return await cursor.limit(limit).to_list()


async def delete_pages(campaign_id: str, page_ids: list[str]) -> None:
    for start in range(0, len(page_ids), 500):
        chunk = page_ids[start : start + 500]
        await _collection(FactPage).delete_many({"campaign_id": campaign_id, "_id": {"$in": chunk}})


# --- contacts -------------------------------------------------------------------------------


# Fields a query selects on, kept at the top level; the rest travels as one JSON text.
_SELECTED = ("clinic_id", "patient_id", "phone", "pmid")


def contact_document(key: str, **fields: Any) -> dict[str, Any]:
    indexed = {name: fields.pop(name) for name in _SELECTED if name in fields}
    return {"_id": key, **indexed, "r": codec.encode_text_lenient(fields)}


async def store_contacts(documents: list[dict[str, Any]]) -> None:
    if documents:
        await insert_new(_collection(PatientContact), documents)


def _contact(document: dict[str, Any]) -> dict[str, Any]:
    rest = codec.decode(document["r"])
    return {"_id": document["_id"], **{k: document.get(k) for k in _SELECTED}, **rest}


async def mark_contacted(clinic_ids: set[str]) -> None:
    """Called after the clinics' contacts are stored, so whoever sees the mark finds them."""
    if clinic_ids:
        await insert_new(_collection(ContactedClinic), [{"_id": c} for c in sorted(clinic_ids)])


async def clinic_has_contacts(clinic_id: str) -> bool:
    """Whether any message of the clinic was sent or held out: until then no booking can be
    attributed, so an import's thousands of appointments need no lookup per patient."""
    return await _collection(ContactedClinic).find_one({"_id": clinic_id}) is not None


# Up to this many patients of a batch are asked for by `$in` (which FerretDB evaluates in Go,
# per document and listed id, over the clinic's contacts); more, and the clinic's contacts
# are read whole and matched here (the `$in` of 500 ids over 100,000 documents took 7.4 s).
FEW_PATIENTS = 16


async def contacts_of_patients(
    clinic_id: str, patient_ids: set[str]
) -> dict[str, list[dict[str, Any]]]:
    """The clinic's contacts of these patients, by patient: one query for a whole batch. Asked
    one patient at a time, each lookup was a scan of the whole collection on FerretDB (no index
    serves a query), so a batch of bookings cost a scan per patient."""
    query: dict[str, Any] = {"clinic_id": clinic_id}
    if len(patient_ids) <= FEW_PATIENTS:
        ids = sorted(patient_ids)
        query["patient_id"] = ids[0] if len(ids) == 1 else {"$in": ids}
    by_patient: dict[str, list[dict[str, Any]]] = {pid: [] for pid in patient_ids}
    async for document in _collection(PatientContact).find(query):
        if document.get("patient_id") in by_patient:
            by_patient[document["patient_id"]].append(_contact(document))
    return by_patient


async def contacts_by_phone(phone: str) -> list[dict[str, Any]]:
    found = await _collection(PatientContact).find({"phone": phone}).to_list()
    return [_contact(document) for document in found]


async def messages_by_provider_id(pmid: str) -> list[dict[str, Any]]:
    """What was sent under a provider's message id: one patient's message, or each member's of
    a household message (they share the one send)."""
    found = await _collection(PatientContact).find({"pmid": pmid}).to_list()
    return [_contact(document) for document in found]


async def contact_by_key(key: str) -> dict[str, Any] | None:
    found = await _collection(PatientContact).find_one({"_id": key})
    return _contact(found) if found else None


# --- campaigns ------------------------------------------------------------------------------


async def store_launches(launches: list[tuple[str, CampaignLaunched]]) -> None:
    documents = [
        {
            "_id": f"{event.campaign_id}:{event.run_number}",
            "campaign_id": event.campaign_id,
            "clinic_id": clinic_id,
            "run_number": event.run_number,
            "r": codec.encode_text(
                {
                    "incentiveCode": event.incentive.incentive_code
                    if event.incentive.has_incentive
                    else None,
                    "incentiveCostCents": event.incentive.incentive_cost_cents
                    if event.incentive.has_incentive
                    else 0,
                    "variants": [variant.name for variant in event.variants],
                    "clinic": event.clinic.model_dump(mode="json") if event.clinic else None,
                }
            ),
        }
        for clinic_id, event in launches
    ]
    if documents:
        await insert_new(_collection(LaunchedCampaign), documents)


async def launched(clinic_id: str, campaign_id: str) -> dict[str, Any] | None:
    """The latest run's terms of one clinic's campaign, or None before its launch."""
    found = (
        await _collection(LaunchedCampaign)
        .find({"campaign_id": campaign_id, "clinic_id": clinic_id})
        .to_list()
    )
    if not found:
        return None
    return codec.decode(max(found, key=lambda document: document["run_number"])["r"])


async def launches_of(clinic_id: str, campaign_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The latest run's terms of many campaigns of one clinic (absent before a launch), in one
    query."""
    found = (
        await _collection(LaunchedCampaign).find(of_campaigns(clinic_id, campaign_ids)).to_list()
    )
    latest: dict[str, dict[str, Any]] = {}
    for document in found:
        known = latest.get(document["campaign_id"])
        if known is None or document["run_number"] > known["run_number"]:
            latest[document["campaign_id"]] = document
    return {campaign_id: codec.decode(d["r"]) for campaign_id, d in latest.items()}


async def sms_senders(campaigns: set[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    """The clinic numbers each (clinic, campaign) sends SMS from: every run's profile `smsFrom`
    (a relaunch may carry a new number while replies to the old one still come in). One query
    per clinic."""
    by_clinic: dict[str, list[str]] = defaultdict(list)
    for clinic_id, campaign_id in sorted(campaigns):
        by_clinic[clinic_id].append(campaign_id)
    senders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for clinic_id, campaign_ids in by_clinic.items():
        found = _collection(LaunchedCampaign).find(of_campaigns(clinic_id, campaign_ids))
        async for document in found:
            profile = clinic_of(codec.decode(document["r"]))
            if profile is not None and profile.sms_from:
                senders[(clinic_id, document["campaign_id"])].add(profile.sms_from)
    return senders


def terms_of(launch: dict[str, Any] | None) -> CampaignTerms:
    if launch is None:
        return CampaignTerms()
    return CampaignTerms(
        incentive_code=launch.get("incentiveCode"),
        incentive_cost_cents=int(launch.get("incentiveCostCents") or 0),
        variants=tuple(launch.get("variants") or ()),
    )


def clinic_of(launch: dict[str, Any] | None) -> ClinicProfile | None:
    profile = (launch or {}).get("clinic")
    return ClinicProfile.model_validate(profile) if profile else None


# --- callbacks that came early ----------------------------------------------------------------


async def keep_unmatched(pmid: str, key: str, callback: dict[str, Any]) -> None:
    await insert_new(
        _collection(UnmatchedCallback),
        [{"_id": f"{pmid}:{key}", "pmid": pmid, "r": codec.encode_text(callback)}],
    )


async def unmatched_for(pmids: list[str]) -> list[dict[str, Any]]:
    if not pmids:
        return []
    # The collection holds only callbacks that raced their message.sent: nearly always empty.
    # Matched here, not by an `$in` that FerretDB evaluates per record and value.
    wanted = set(pmids)
    found = await _collection(UnmatchedCallback).find({}).to_list()
    return [{"pmid": d["pmid"], **codec.decode(d["r"])} for d in found if d["pmid"] in wanted]
