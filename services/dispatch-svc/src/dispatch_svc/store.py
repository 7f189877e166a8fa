"""dispatch-svc's collections and the few queries on them, all append-only on the hot path.

    messages          one document per `message.due`, `_id` = messageId (QUEUED); never updated
    queued_batches    "batch B of messages was stored": how a sender in another replica than
                      the storing consumer learns of new messages without rescanning (it
                      deletes an announcement once it holds the batch)
    send_claims       `_id` = "<messageId>:<attempt>": SENDING, won by a unique insert, with
                      its owner, lease epoch and expiry
    send_batches      SENT / FAILED / SKIPPED outcomes of one flush of the sender, carrying
                      their `message.sent` and next steps' `message.due` (an outbox record)
    published_batches "send batch B's events are acknowledged by Kafka" (the outbox's flag,
                      as an insert: clearing a flag on FerretDB rewrites the whole record)
    campaign_events   `campaign.launched` / `campaign.status_changed` as they arrived, written
                      by the campaign partition's consumer, read by whichever replica sends:
                      all of them when it wins its lease, then only the campaigns announced
    news              "campaigns C have new events", "clinics C have new responses or consent
                      changes": how the sender learns of them without rereading every campaign
                      or a clinic's checks each tick (deleted once it has read them)
    responses         `recipient.responded`, for the checks just before a send
    consent_changes   `patient.upserted` that restrict a patient, or lift an earlier restriction,
                      `_id` = event id, for the same checks (queries in `consent_store`)

A message's state is folded from these records: QUEUED (a message, nothing else), SENDING (a
claim, no outcome), then its outcome. No record is ever updated.

Records carry what nobody queries by as one JSON text field (`due` of a message, `outcomes`
and `events` of a send batch), beside the few fields queries filter on. FerretDB turns every
BSON field into PostgreSQL JSONB and back, and that is most of a record's cost: as one text
field a message costs FerretDB about a quarter of the CPU to insert and read back, a send
batch's events about an eighth (the figures: docs/perf.md).

The sender publishes a send batch's events itself, right after storing it, and then marks it
published; when it wins its lease it first publishes what a predecessor stored but did not
mark. (The shared relay would look for pending records by re-reading `send_batches` after every
flush: a scan of the largest collection, on PostgreSQL, per batch of ~60 messages.)
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from beanie import Document
from pymongo import ASCENDING, IndexModel

from reengage_common import codec
from reengage_common.events import CampaignLaunched, Envelope
from reengage_common.storage import Collection, insert_new


class QueuedMessage(Document):
    class Settings:
        name = "messages"
        indexes = [IndexModel([("campaign_id", ASCENDING)]), IndexModel([("batch_id", ASCENDING)])]


class QueuedBatch(Document):
    class Settings:
        name = "queued_batches"


class News(Document):
    class Settings:
        name = "news"


class SendClaim(Document):
    class Settings:
        name = "send_claims"
        indexes = [IndexModel([("campaign_id", ASCENDING)])]


class SendBatch(Document):
    class Settings:
        name = "send_batches"
        indexes = [IndexModel([("campaign_id", ASCENDING)])]


class PublishedBatch(Document):
    class Settings:
        name = "published_batches"
        indexes = [IndexModel([("campaign_id", ASCENDING)])]


class CampaignEvent(Document):
    class Settings:
        name = "campaign_events"
        indexes = [IndexModel([("campaign_id", ASCENDING)])]


class ResponseRecord(Document):
    class Settings:
        name = "responses"
        indexes = [IndexModel([("clinic_id", ASCENDING)])]


class ConsentChangeRecord(Document):
    class Settings:
        name = "consent_changes"
        indexes = [IndexModel([("clinic_id", ASCENDING)])]


DOCUMENTS: list[type[Document]] = [
    QueuedMessage,
    QueuedBatch,
    News,
    SendClaim,
    SendBatch,
    PublishedBatch,
    CampaignEvent,
    ResponseRecord,
    ConsentChangeRecord,
]


def collection(model: type[Document]) -> Collection:
    return model.get_pymongo_collection()


# --- records <-> what the service works with --------------------------------------------------

# The fields of a message that queries filter on; the rest travels as the `due` text.
_MESSAGE_KEYS = ("_id", "campaign_id", "clinic_id", "batch_id")


def message_record(message: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of a message document (see the module's docstring for why)."""
    rest = {key: value for key, value in message.items() if key not in _MESSAGE_KEYS}
    rest["due_at"] = rest["due_at"].isoformat()
    return {**{key: message[key] for key in _MESSAGE_KEYS}, "due": _text(rest)}


def message_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """The message document a stored record holds."""
    message = {key: record[key] for key in _MESSAGE_KEYS}
    message.update(codec.decode(record["due"]))
    message["due_at"] = datetime.fromisoformat(message["due_at"])
    return message


def claim_record(
    claim_id: str,
    campaign_id: str,
    *,
    owner: str,
    epoch: int,
    claimed_at: datetime,
    expires_at: datetime,
) -> dict[str, Any]:
    """A send claim, `claim_id` = "<messageId>:<attempt>" (its unique key is the claim)."""
    claim = {
        "owner": owner,
        "epoch": epoch,
        "claimed_at": claimed_at.isoformat(),
        "expires_at": expires_at.isoformat(),
    }
    return {"_id": claim_id, "campaign_id": campaign_id, "claim": _text(claim)}


def claim_of(record: Mapping[str, Any]) -> dict[str, Any]:
    message_id, _, attempt = record["_id"].rpartition(":")
    claim = codec.decode(record["claim"])
    return {
        "message_id": message_id,
        "attempt": int(attempt),
        "expires_at": datetime.fromisoformat(claim["expires_at"]),
    }


class EncodedEvent(NamedTuple):
    """An envelope as JSON, made once for both the send batch and Kafka, and what the
    producer needs beside it."""

    type: str
    key: str  # the patient: message.sent and message.due are keyed by patient
    trace_id: str
    json: str

    @classmethod
    def encode(cls, envelope: Envelope[Any]) -> "EncodedEvent":
        return cls(
            envelope.type,
            envelope.key,
            envelope.trace_id or "",
            envelope.model_dump_json(by_alias=True),
        )

    @classmethod
    def of(cls, envelope: Mapping[str, Any]) -> "EncodedEvent":
        """From a stored envelope document (a predecessor's batch, read back)."""
        return cls(
            envelope["type"],
            envelope["data"]["patientId"],
            envelope.get("traceId") or "",
            _text(envelope),
        )


def send_batch_record(batch: Mapping[str, Any]) -> dict[str, Any]:
    """A send batch ({..., "outcomes": [...], "events": [EncodedEvent]}) as stored."""
    events = "[" + ",".join(event.json for event in batch["events"]) + "]"
    return {**batch, "outcomes": _text(batch["outcomes"]), "events": events}


def send_batch_of(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **record,
        "outcomes": codec.decode(record["outcomes"]),
        "events": [EncodedEvent.of(event) for event in codec.decode(record["events"])],
    }


def _text(value: Any) -> str:
    return codec.encode_text(value)


# --- the consumer side (the one writer of each key) ---------------------------------------------


async def store_messages(documents: Sequence[Mapping[str, Any]]) -> list[str]:
    """Store new messages; a redelivered message changes nothing. Returns the duplicates' ids."""
    if not documents:
        return []
    result = await insert_new(collection(QueuedMessage), [message_record(d) for d in documents])
    return list(result.duplicate_ids)


async def announce_batch(
    documents: Sequence[Mapping[str, Any]], duplicates: Sequence[str], batch_id: str, at: datetime
) -> None:
    """Tell whichever replica sends that these stored messages wait. A redelivered message's
    own batch is announced again, so a crash between storing and announcing loses nothing."""
    batches: dict[str, set[str]] = {}
    duplicated = set(duplicates)
    fresh = [doc for doc in documents if doc["_id"] not in duplicated]
    if fresh:
        batches[batch_id] = {doc["campaign_id"] for doc in fresh}
    if duplicated:
        for campaign_id in {doc["campaign_id"] for doc in documents if doc["_id"] in duplicated}:
            stored = (
                await collection(QueuedMessage)
                .find(
                    {"campaign_id": campaign_id, "_id": {"$in": sorted(duplicated)}},
                    {"batch_id": 1},
                )
                .to_list()
            )
            for doc in stored:
                batches.setdefault(doc["batch_id"], set()).add(campaign_id)
    await insert_new(
        collection(QueuedBatch),
        [{"_id": b, "campaign_ids": sorted(c), "at": at} for b, c in batches.items()],
    )


def launch_record(envelope: Envelope[CampaignLaunched]) -> dict[str, Any]:
    """A campaign's snapshot as one text field: as documents, snapshots cost FerretDB about
    five times the CPU to read back (docs/perf.md)."""
    launch = envelope.data
    return {
        "_id": f"{launch.campaign_id}:launched:{launch.run_number}",
        "campaign_id": launch.campaign_id,
        "clinic_id": envelope.clinic_id,
        "kind": "launched",
        "at": launch.launched_at,
        "data": launch.model_dump_json(by_alias=True),
    }


def snapshot_of(record: Mapping[str, Any]) -> CampaignLaunched:
    """The snapshot a launch record holds."""
    return CampaignLaunched.model_validate_json(record["data"])


async def store_campaign_events(records: Sequence[Mapping[str, Any]], at: datetime) -> None:
    """Store campaign events, then announce their campaigns to the sender, even when they were
    stored before: a redelivery after a crash between the two announces them again."""
    await insert_new(collection(CampaignEvent), records)
    await announce(at, campaign_ids={r["campaign_id"] for r in records})


async def store_clinic_changes(
    model: type[ResponseRecord] | type[ConsentChangeRecord],
    records: Sequence[Mapping[str, Any]],
    at: datetime,
) -> None:
    """Store responses or consent changes, then announce their clinics to the sender (again on
    a redelivery, as above)."""
    await insert_new(collection(model), records)
    await announce(at, clinic_ids={r["clinic_id"] for r in records})


async def announce(
    at: datetime, *, campaign_ids: Iterable[str] = (), clinic_ids: Iterable[str] = ()
) -> None:
    """One `news` record: these campaigns have new events, these clinics new responses."""
    record: dict[str, Any] = {"_id": uuid.uuid4().hex, "at": at}
    for key, ids in (("campaign_ids", campaign_ids), ("clinic_ids", clinic_ids)):
        if chosen := sorted(set(ids)):
            record[key] = chosen
    await insert_new(collection(News), [record])


# --- the sender side -------------------------------------------------------------------------------


async def campaign_events(campaign_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The events of these campaigns; of every campaign when None (a sender winning its lease)."""
    query = {} if campaign_ids is None else {"campaign_id": {"$in": sorted(campaign_ids)}}
    return await collection(CampaignEvent).find(query).to_list()


async def announcements(model: type[Document]) -> list[dict[str, Any]]:
    """What the consumers announced (`queued_batches`, `news`) and the sender has not yet
    forgotten: each names its campaigns or clinics."""
    return await collection(model).find({}).to_list()


async def forget(model: type[Document], ids: Iterable[str]) -> None:
    """The sender holds what these announcements named."""
    chosen = list(ids)
    if chosen:
        await collection(model).delete_many({"_id": {"$in": chosen}})


async def messages_of_batch(batch_id: str) -> list[dict[str, Any]]:
    records = await collection(QueuedMessage).find({"batch_id": batch_id}).to_list()
    return [message_of(record) for record in records]


async def messages_of_campaign(campaign_id: str) -> list[dict[str, Any]]:
    # Whole records: FerretDB reads a whole document even for a projection (asking for the
    # ids alone saves little: docs/perf.md). A sender winning its lease pays this for every
    # message ever stored (left as it is).
    records = await collection(QueuedMessage).find({"campaign_id": campaign_id}).to_list()
    return [message_of(record) for record in records]


async def outcomes_of_campaign(campaign_id: str) -> list[dict[str, Any]]:
    """Every stored outcome of the campaign: {"m": messageId, "o": outcome, ...}."""
    batches = (
        await collection(SendBatch).find({"campaign_id": campaign_id}, {"outcomes": 1}).to_list()
    )
    return [outcome for batch in batches for outcome in codec.decode(batch["outcomes"])]


async def unpublished_batches(campaign_id: str) -> list[dict[str, Any]]:
    """Send batches of the campaign whose events were never marked published."""
    published = {
        doc["_id"]
        for doc in await collection(PublishedBatch).find({"campaign_id": campaign_id}).to_list()
    }
    stored = await collection(SendBatch).find({"campaign_id": campaign_id}, {"_id": 1}).to_list()
    missing = [doc["_id"] for doc in stored if doc["_id"] not in published]
    if not missing:
        return []
    records = (
        await collection(SendBatch)
        .find({"campaign_id": campaign_id, "_id": {"$in": missing}})
        .to_list()
    )
    return [send_batch_of(record) for record in records]


async def mark_published(batches: Sequence[Mapping[str, Any]]) -> None:
    await insert_new(
        collection(PublishedBatch),
        [{"_id": batch["_id"], "campaign_id": batch["campaign_id"]} for batch in batches],
    )


async def claims_of_campaign(campaign_id: str) -> list[dict[str, Any]]:
    """Every claim of the campaign: {"message_id", "attempt", "expires_at"}."""
    records = await collection(SendClaim).find({"campaign_id": campaign_id}).to_list()
    return [claim_of(record) for record in records]


async def responses_of_clinic(clinic_id: str) -> list[dict[str, Any]]:
    return (
        await collection(ResponseRecord)
        .find(
            {"clinic_id": clinic_id}, {"campaign_id": 1, "patient_id": 1, "kind": 1, "channel": 1}
        )
        .to_list()
    )


async def store_send_batches(records: Sequence[Mapping[str, Any]]) -> None:
    await insert_new(collection(SendBatch), [send_batch_record(batch) for batch in records])


async def message_states(clinic_id: str, campaign_id: str) -> list[dict[str, Any]]:
    """Each message of a clinic's campaign with its state folded from the records."""
    records, outcomes, claims = (
        await collection(QueuedMessage)
        .find({"campaign_id": campaign_id, "clinic_id": clinic_id})
        .to_list(),
        await outcomes_of_campaign(campaign_id),
        await claims_of_campaign(campaign_id),
    )
    messages = [message_of(record) for record in records]
    finished = {outcome["m"]: outcome for outcome in outcomes}
    attempts: dict[str, int] = {}
    for claim in claims:
        attempts[claim["message_id"]] = max(attempts.get(claim["message_id"], 0), claim["attempt"])
    states = []
    for message in messages:
        outcome = finished.get(message["_id"])
        state = outcome["o"] if outcome else "SENDING" if message["_id"] in attempts else "QUEUED"
        states.append(
            {
                "messageId": message["_id"],
                "patientId": message["patient_id"],
                "sequence": message["sequence"],
                "channel": message["channel"],
                "variant": message["variant"],
                "dueAt": message["due_at"].isoformat(),
                "state": state,
                "reason": outcome.get("r") if outcome else None,
                "attempts": attempts.get(message["_id"], 0),
            }
        )
    return states
