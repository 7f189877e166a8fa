"""dispatch-svc's collections: their names and indexes (beanie documents, declared for index
creation at start-up), and the handles a store works with.

    messages          one document per consumer batch of `message.due` and campaign, holding
                      its messages (QUEUED) and its partition (`shard`); never updated
                      (codecs.message_batch_records)
    queued_batches    "batch B of shard S was stored" while its campaign was unknown to the
                      storing process's sender, or S was taken from it: how the shard's
                      sender learns of them without rescanning (it deletes an announcement
                      once it knows the batch's campaigns)
    send_claims       `_id` = "<messageId>:<attempt>": SENDING, won by a unique insert, with
                      its shard, owner, the owner's shards generation and expiry
    send_batches      SENT / FAILED / SKIPPED outcomes of one flush of the sender, carrying
                      their `message.sent` and next steps' `message.due` (an outbox record),
                      and the `shards` its outcomes are of
    published_batches "send batch B's events are acknowledged by Kafka" (the outbox's flag,
                      as an insert: clearing a flag on FerretDB rewrites the whole record)
    campaign_events   `campaign.launched` / `campaign.status_changed` as they arrived, written
                      by the campaign partition's consumer, read by whichever replica sends:
                      all of them when it wins its lease, then only the campaigns announced
    news              "campaigns C have new events", "clinics C have new responses or consent
                      changes": how every replica's sender learns of them without rereading
                      every campaign or a clinic's checks each tick (pruned by age)
    responses         `recipient.responded`, for the checks just before a send
    consent_changes   `patient.upserted` that restrict a patient, or lift an earlier restriction,
                      `_id` = event id, for the same checks
"""

from dataclasses import dataclass

from beanie import Document
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from reengage_common.storage import Collection


class MessageRecord(Document):
    class Settings:
        name = "messages"
        indexes = [
            IndexModel([("campaign_id", ASCENDING), ("shard", ASCENDING)]),
            IndexModel([("batch_id", ASCENDING)]),
        ]


class QueuedBatch(Document):
    class Settings:
        name = "queued_batches"


class News(Document):
    class Settings:
        name = "news"
        indexes = [IndexModel([("stored_at", ASCENDING)])]


class SendClaim(Document):
    class Settings:
        name = "send_claims"
        indexes = [IndexModel([("campaign_id", ASCENDING), ("shard", ASCENDING)])]


class SendBatch(Document):
    class Settings:
        name = "send_batches"
        indexes = [IndexModel([("campaign_id", ASCENDING), ("shards", ASCENDING)])]


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
    MessageRecord,
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
    """A collection through beanie's binding (tests, and modules not yet given a store)."""
    return model.get_pymongo_collection()


@dataclass(frozen=True)
class DispatchCollections:
    """The store's collections, taken from the database it is given (not beanie's binding)."""

    messages: Collection
    queued_batches: Collection
    news: Collection
    send_claims: Collection
    send_batches: Collection
    published_batches: Collection
    campaign_events: Collection
    responses: Collection
    consent_changes: Collection

    @classmethod
    def of(cls, database: AsyncDatabase) -> "DispatchCollections":
        def named(model: type[Document]) -> Collection:
            return database[model.Settings.name]

        return cls(
            messages=named(MessageRecord),
            queued_batches=named(QueuedBatch),
            news=named(News),
            send_claims=named(SendClaim),
            send_batches=named(SendBatch),
            published_batches=named(PublishedBatch),
            campaign_events=named(CampaignEvent),
            responses=named(ResponseRecord),
            consent_changes=named(ConsentChangeRecord),
        )
