"""tracking-svc's collections and their indexes (beanie creates them at start-up); the store
(`mongo.MongoTrackingStore`) reads and writes them. Everything is insert-only.

- `FactPage`: a batch's facts about one campaign and patient bucket, as compact strings. A
  page's `_id` is derived from its facts' keys, so a redelivered batch inserts nothing; pages
  of overlapping batches repeat facts, and the fold drops the repeats (`unique_facts`).
- `PatientContact`: what a booking, an inbound SMS or a provider callback must find by patient,
  phone number or provider message id (a contact, a holdout, a rebooking).
- `LaunchedCampaign`: campaign.launched's incentive, variants and clinic profile, one per run.
- `SnapshotHead` / `shards_collection`: a campaign's folded pages (see `snapshots`). A head is one
  generation, inserted once under a unique `_id` (its number): of two compactors racing for a
  generation exactly one wins. Pages it folded are deleted after it is stored.
"""

import hashlib

from beanie import Document
from pymongo import ASCENDING, IndexModel


class FactPage(Document):
    """`facts`: the page's fact strings as one zlib'd JSON array (`records.page_facts`). On
    FerretDB a page of ~110 strings cost ten times the server's CPU to insert and to read that
    one binary value does (1,000 pages: 0.59 against 0.05 s to insert, 0.87 against 0.08 s to
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


class UnmatchedInbound(Document):
    """An inbound SMS that no campaign's clinic number explains, kept for operators."""

    id: str  # type: ignore[assignment]  # Twilio's MessageSid: a retried webhook is one record
    to: str
    r: str  # JSON: from, body, at

    class Settings:
        name = "unmatched_inbound"


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


def shards_collection_name(clinic_id: str) -> str:
    """The clinic's own collection of snapshot shards (`_id`, `campaign_id`, `clinic_id`, `gen`,
    `blob`: one shard's patient entries as zlib text, shared by every generation until it
    changes). Per clinic, because on FerretDB a query over blobs costs every blob of its
    collection (PostgreSQL unpacks each document to test the filter): in one collection for
    all clinics, each read of a campaign's shards cost every shard ever kept, 1.1 s a read
    beside 20 campaigns of 100,000 recipients (audience's projection does the same)."""
    return f"snapshot_shards_{hashlib.sha256(clinic_id.encode()).hexdigest()[:20]}"


DOCUMENTS = [
    FactPage,
    PatientContact,
    ContactedClinic,
    LaunchedCampaign,
    UnmatchedCallback,
    UnmatchedInbound,
    SnapshotHead,
]
