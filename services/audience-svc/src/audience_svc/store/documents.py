"""audience-svc's collections and their indexes. Every record is inserted once (append-only); the few updates are
by the one writer of a record (a plan's owner marks it finished).

The projection is log-structured because of what FerretDB 1.24 costs (the figures:
docs/perf.md): reading a clinic's patients as one document each is slow whatever the batch
size, and so is every update, while a few documents holding large binary blobs read fast. So patients live in per-clinic shards,
each a compressed blob of many patients, rewritten by one compactor (`projection`); inbound
facts are appended as one compressed record per consumer batch.
"""

from beanie import Document
from pymongo import ASCENDING, IndexModel


class PendingFacts(Document):
    """Facts of one consumer batch or import chunk, not yet folded into the shards."""

    class Settings:
        name = "pending_facts"
        indexes = [IndexModel([("clinic_id", ASCENDING)])]


class ShardHead(Document):
    """Generation `gen` of one shard exists: which state and row records hold it (those
    records live in a collection per clinic and kind: `Projection.blobs_of`)."""

    class Settings:
        name = "shard_heads"
        indexes = [IndexModel([("clinic_id", ASCENDING)])]


class CampaignRun(Document):
    """A `campaign.launched` snapshot we fan out (and enrol daily from, with refreshDaily)."""

    class Settings:
        name = "campaign_runs"
        indexes = [
            IndexModel([("refresh_daily", ASCENDING)]),
            IndexModel([("campaign_id", ASCENDING)]),
        ]


class CampaignStatusRecord(Document):
    """One `campaign.status_changed`; the latest by its own time is the campaign's status."""

    class Settings:
        name = "campaign_statuses"
        indexes = [IndexModel([("campaign_id", ASCENDING)])]


class Plan(Document):
    """One fan-out (a launch or a day's enrolment): its counts and how many chunks it has.

    Inserted only after all its chunks are stored, so a plan that exists is complete."""

    class Settings:
        name = "plans"
        indexes = [
            IndexModel([("finished", ASCENDING)]),
            IndexModel([("campaign_id", ASCENDING)]),
        ]


class PlanChunk(Document):
    """The serialized events of one batch of a plan's recipients."""

    class Settings:
        name = "plan_chunks"
        indexes = [IndexModel([("plan_id", ASCENDING)])]


class PlanProgress(Document):
    """Chunk i of a plan is published (Kafka acknowledged every event of it)."""

    class Settings:
        name = "plan_progress"
        indexes = [IndexModel([("plan_id", ASCENDING)])]


# Collections with no index beyond `_id` (docs/storage.md), so no document class: a clinic's
# fan-out turns (leases, `clinic_turns`) and the patients of its unfinished plans.
FANOUT_TURNS = "fanout_turns"
FANOUTS_IN_FLIGHT = "fanouts_in_flight"

DOCUMENTS = [
    PendingFacts,
    ShardHead,
    CampaignRun,
    CampaignStatusRecord,
    Plan,
    PlanChunk,
    PlanProgress,
]
