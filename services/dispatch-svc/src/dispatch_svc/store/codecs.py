"""Stored records <-> what the service works with. (Over 300 lines: one short codec per
collection, kept together so that every stored shape is found in one file.)

Records keep what queries filter on as fields and the rest as one text or binary field (a
batch's `messages` as one zlib'd msgpack array, `claim` of a claim, `outcomes` and `events`
of a send batch, `data` of a launch, `change` of a consent change). FerretDB turns every BSON
field into PostgreSQL JSONB and back, and that is most of a record's cost: as one text field
a message costs FerretDB about a quarter of the CPU to insert and read back, a send batch's
events about an eighth (docs/perf.md).
"""

import zlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import msgspec
from bson import Binary

from dispatch_svc.domain.campaigns import StatusChange
from dispatch_svc.domain.consents import ConsentChange
from dispatch_svc.domain.decisions import Response
from dispatch_svc.domain.message_states import Claimed, Finished
from dispatch_svc.domain.messages import QueuedMessage
from reengage_common import codec
from reengage_common.events import (
    CampaignLaunched,
    CampaignStatus,
    CampaignStatusChanged,
    Channel,
    Envelope,
    RecipientResponded,
    ResponseKind,
)

# --- messages -----------------------------------------------------------------------------------


# A batch's messages as msgpack: the Struct itself, so a field added to QueuedMessage is stored
# without a second list of fields to keep in step (zlib takes back the repeated keys).
_messages = msgspec.msgpack.Decoder(list[QueuedMessage])
_message_encoder = msgspec.msgpack.Encoder()


def message_batch_records(messages: Sequence[QueuedMessage]) -> list[dict[str, Any]]:
    """One record per campaign of a consumer batch (its messages share `batch_id`), the
    messages as one zlib'd msgpack array: ~500 messages cost FerretDB one document rather
    than 500 (each costs ~35 us of FerretDB's and PostgreSQL's CPU to insert, more to read back
    when a sender takes a shard over). `_id` is the batch's and the campaign's, and the batch id
    is derived from its message ids, so a redelivered batch stores nothing new; one delivered
    again with other boundaries stores its messages again, which readers drop (`messages_of`
    keeps the first of each id; the sender's queue and claims do the same)."""
    by_campaign: dict[str, list[QueuedMessage]] = {}
    for message in messages:
        by_campaign.setdefault(message.campaign_id, []).append(message)
    return [
        {
            "_id": f"{group[0].batch_id}:{campaign_id}",
            "campaign_id": campaign_id,
            "clinic_id": group[0].clinic_id,
            "batch_id": group[0].batch_id,
            "shard": group[0].shard,  # a consumer batch is one partition's
            "messages": Binary(zlib.compress(_message_encoder.encode(group), 1)),
        }
        for campaign_id, group in by_campaign.items()
    ]


def messages_of(records: Iterable[Mapping[str, Any]]) -> list[QueuedMessage]:
    """The messages batch records hold, each id once."""
    found: dict[str, QueuedMessage] = {}
    for record in records:
        for message in _messages.decode(zlib.decompress(record["messages"])):
            found.setdefault(message.message_id, message)
    return list(found.values())


# --- claims -------------------------------------------------------------------------------------


def claim_record(
    claim_id: str,
    campaign_id: str,
    shard: int,
    *,
    owner: str,
    generation: int,
    claimed_at: datetime,
    expires_at: datetime,
) -> dict[str, Any]:
    """A send claim, `claim_id` = "<messageId>:<attempt>" (its unique key is the claim), of a
    message of `shard`, by `owner` while it held the shard (`generation` of its shards)."""
    claim = {
        "owner": owner,
        "generation": generation,
        "claimed_at": claimed_at.isoformat(),
        "expires_at": expires_at.isoformat(),
    }
    return {
        "_id": claim_id,
        "campaign_id": campaign_id,
        "shard": shard,
        "claim": codec.encode_text(claim),
    }


def claim_of(record: Mapping[str, Any]) -> Claimed:
    message_id, _, attempt = record["_id"].rpartition(":")
    claim = codec.decode(record["claim"])
    return Claimed(message_id, int(attempt), datetime.fromisoformat(claim["expires_at"]))


# --- send batches (outcomes and their events: the outbox) ---------------------------------------


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
            codec.encode_text(envelope),
        )


class SendBatchRecord(NamedTuple):
    """One flush of outcomes of one campaign, with the events they imply; `shards[i]` is the
    shard of `outcomes[i]`'s message (a replica taking a shard over reads its outcomes)."""

    batch_id: str
    campaign_id: str
    clinic_id: str
    at: datetime
    outcomes: list[Finished]
    shards: list[int]
    events: list[EncodedEvent]


def _finished_entry(outcome: Finished, shard: int) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "m": outcome.message_id,
        "o": outcome.outcome,
        "a": outcome.attempt,
        "s": shard,
    }
    if outcome.reason:
        entry["r"] = outcome.reason
    if outcome.provider_message_id:
        entry["p"] = outcome.provider_message_id
    return entry


def finished_of(entry: Mapping[str, Any]) -> Finished:
    return Finished(entry["m"], entry["o"], entry.get("a", 1), entry.get("r"), entry.get("p"))


def send_batch_record(batch: SendBatchRecord) -> dict[str, Any]:
    entries = [_finished_entry(o, s) for o, s in zip(batch.outcomes, batch.shards, strict=True)]
    return {
        "_id": batch.batch_id,
        "campaign_id": batch.campaign_id,
        "clinic_id": batch.clinic_id,
        # which shards it holds outcomes of: equality on an array field matches any element
        "shards": sorted(set(batch.shards)),
        "at": batch.at,
        "outcomes": codec.encode_text(entries),
        "events": "[" + ",".join(event.json for event in batch.events) + "]",
    }


def send_batch_of(record: Mapping[str, Any]) -> SendBatchRecord:
    entries = codec.decode(record["outcomes"])
    return SendBatchRecord(
        batch_id=record["_id"],
        campaign_id=record["campaign_id"],
        clinic_id=record["clinic_id"],
        at=record["at"],
        outcomes=[finished_of(entry) for entry in entries],
        shards=[entry["s"] for entry in entries],
        events=[EncodedEvent.of(event) for event in codec.decode(record["events"])],
    )


def outcomes_in(record: Mapping[str, Any], shards: Collection[int] | None) -> list[Finished]:
    """A send batch record's outcomes, of messages of `shards` (of all when None)."""
    return [
        finished_of(entry)
        for entry in codec.decode(record["outcomes"])
        if shards is None or entry["s"] in shards
    ]


# --- announcements ------------------------------------------------------------------------------


class Announcement(NamedTuple):
    """A `queued_batches` or `news` record: what it names has news for the sender (a batch of
    messages: for the owner of its `shard`)."""

    announcement_id: str
    campaign_ids: tuple[str, ...]
    clinic_ids: tuple[str, ...] = ()
    shard: int | None = None


# --- campaign events ----------------------------------------------------------------------------


class StoredCampaignEvent(NamedTuple):
    """A launch (its snapshot still as text: decoded once per record by whoever holds it) or a
    status change of a campaign."""

    record_id: str
    campaign_id: str
    snapshot_json: str | None
    change: StatusChange | None


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


def status_record(envelope: Envelope[CampaignStatusChanged]) -> dict[str, Any]:
    change = envelope.data
    return {
        "_id": f"{change.campaign_id}:status:{change.at.isoformat()}:{change.to.value}",
        "campaign_id": change.campaign_id,
        "clinic_id": envelope.clinic_id,
        "kind": "status",
        "at": change.at,
        "to": change.to.value,
    }


def campaign_event_of(record: Mapping[str, Any]) -> StoredCampaignEvent:
    if record["kind"] == "launched":
        return StoredCampaignEvent(record["_id"], record["campaign_id"], record["data"], None)
    change = StatusChange(record["at"], CampaignStatus(record["to"]))
    return StoredCampaignEvent(record["_id"], record["campaign_id"], None, change)


def snapshot_of(record: Mapping[str, Any]) -> CampaignLaunched:
    """The snapshot a launch record holds."""
    return CampaignLaunched.model_validate_json(record["data"])


# --- what stops a send: responses and consent changes --------------------------------------------


def response_record(envelope: Envelope[RecipientResponded]) -> dict[str, Any]:
    responded = envelope.data
    return {
        "_id": envelope.id,
        "clinic_id": envelope.clinic_id,
        "campaign_id": responded.campaign_id,
        "patient_id": responded.patient_id,
        "kind": responded.kind.value,
        "channel": responded.channel.value if responded.channel else None,
        "at": responded.at,
    }


def response_of(clinic_id: str, record: Mapping[str, Any]) -> Response:
    return Response(
        clinic_id=clinic_id,
        campaign_id=record["campaign_id"],
        patient_id=record["patient_id"],
        kind=ResponseKind(record["kind"]),
        channel=Channel(record["channel"]) if record.get("channel") else None,
    )


def consent_record(clinic_id: str, change: ConsentChange) -> dict[str, Any]:
    stated = {
        "at": change.at.isoformat(),
        "withheld": sorted(channel.value for channel in change.withheld),
        "doNotContact": change.do_not_contact,
        "deceased": change.deceased,
    }
    return {
        "_id": change.event_id,
        "clinic_id": clinic_id,
        "patient_id": change.patient_id,
        "change": codec.encode_text(stated),
    }


def consent_change_of(record: Mapping[str, Any]) -> ConsentChange:
    stated = codec.decode(record["change"])
    return ConsentChange(
        patient_id=record["patient_id"],
        at=datetime.fromisoformat(stated["at"]),
        event_id=record["_id"],
        withheld=frozenset(Channel(channel) for channel in stated["withheld"]),
        do_not_contact=stated["doNotContact"],
        deceased=stated["deceased"],
    )
