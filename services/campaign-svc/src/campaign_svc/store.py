"""Beanie documents of campaign-svc and the few queries its handlers need."""

import base64
import uuid
from datetime import datetime
from typing import Any

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from campaign_svc.domain.model import Campaign, CampaignInput
from reengage_common.events import CampaignStatus, Envelope
from reengage_common.outbox import WithOutbox


class CampaignRecord(Document):
    """One clinic's campaign as of its latest revision: what lists and the scheduler query.

    It is written only by whoever won that revision (see `CampaignRevision`).
    """

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)  # type: ignore[assignment]
    clinic_id: str
    status: CampaignStatus = CampaignStatus.DRAFT
    definition: CampaignInput
    run_number: int = 0
    revision: int = 0
    created_by: str | None = None
    created_at: datetime
    updated_at: datetime
    launched_at: datetime | None = None
    completed_at: datetime | None = None

    class Settings:
        name = "campaigns"
        indexes = [
            IndexModel([("clinic_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)]),
            IndexModel([("status", ASCENDING)]),
        ]

    def to_campaign(self) -> Campaign:
        return Campaign(
            **dict(self.definition),
            id=self.id,
            clinic_id=self.clinic_id,
            status=self.status,
            run_number=self.run_number,
            created_by=self.created_by,
            created_at=self.created_at,
            updated_at=self.updated_at,
            launched_at=self.launched_at,
            completed_at=self.completed_at,
        )

    def take(self, campaign: Campaign) -> None:
        """Adopt the status, times and definition of `campaign` (the result of a domain rule)."""
        self.definition = campaign.definition
        self.status = campaign.status
        self.updated_at = campaign.updated_at
        self.launched_at = campaign.launched_at
        self.completed_at = campaign.completed_at


class CampaignRevision(Document, WithOutbox):
    """Revision n of a campaign: its whole state and the events the change implied.

    Two writers of one campaign (commands at two replicas, the scheduler) both read revision
    n-1; inserting `{_id: "<campaign>:<n>"}` is a compare-and-set that exactly one of them wins,
    on FerretDB too, where conditional updates are not isolated. The winner then writes
    `CampaignRecord`; a crash between the two is repaired by the next read (`current_campaign`).
    The revisions are also the campaign's audit trail and its outbox (append-only records).
    """

    id: str  # type: ignore[assignment]
    campaign_id: str
    clinic_id: str
    revision: int
    state: dict[str, Any] | None  # None: the campaign was deleted
    at: datetime

    class Settings:
        name = "campaign_revisions"
        indexes = [
            IndexModel([("campaign_id", ASCENDING)]),
            IndexModel([("outbox_pending", ASCENDING)]),
        ]

    @staticmethod
    def key(campaign_id: str, revision: int) -> str:
        return f"{campaign_id}:{revision:09d}"


async def latest_revision(campaign_id: str) -> CampaignRevision | None:
    found = (
        await CampaignRevision.find({"campaign_id": campaign_id})
        .sort([("revision", DESCENDING)])
        .limit(1)
        .to_list()
    )
    return found[0] if found else None


async def current_campaign(campaign_id: str) -> CampaignRecord | None:
    """The campaign as of its latest revision.

    Revisions are numbered without gaps (the next is always the record's + 1), so the record
    is current unless revision + 1 exists: a read by id. Asked for the latest revision instead,
    FerretDB ships every revision of the campaign, whole, to sort them: the costliest query
    of the console's load scenario (849 of PostgreSQL's ~2,500 ms in 30 s, docs/perf.md)."""
    record = await CampaignRecord.get(campaign_id)
    if record is not None and not await _exists(
        CampaignRevision.key(campaign_id, record.revision + 1)
    ):
        return record
    latest = await latest_revision(campaign_id)
    if latest is None or (record is not None and record.revision >= latest.revision):
        return record
    return await _repair(campaign_id, latest)


async def campaign_of_clinic(clinic_id: str, campaign_id: str) -> CampaignRecord | None:
    """Another clinic's campaign is indistinguishable from one that does not exist."""
    record = await current_campaign(campaign_id)
    return record if record is not None and record.clinic_id == clinic_id else None


async def save_revision(
    record: CampaignRecord, events: list[Envelope[Any]], *, at: datetime, deleted: bool = False
) -> bool:
    """Store `record` as its next revision with `events`; False if another writer won it."""
    revision = record.revision + 1
    state = None if deleted else {**record.model_dump(), "revision": revision}
    entry = CampaignRevision(
        id=CampaignRevision.key(record.id, revision),
        campaign_id=record.id,
        clinic_id=record.clinic_id,
        revision=revision,
        state=state,
        at=at,
    )
    for event in events:
        entry.record_event(event)
    try:
        await entry.insert()
    except DuplicateKeyError:
        return False
    if deleted:
        await record.delete()
        return True
    record.revision = revision
    await record.save()
    return True


async def _exists(revision_id: str) -> bool:
    return await CampaignRevision.find({"_id": revision_id}).count() > 0


async def _repair(campaign_id: str, latest: CampaignRevision) -> CampaignRecord | None:
    """The winner of the latest revision died before writing the record: write it for them."""
    if latest.state is None:
        await CampaignRecord.find_one({"_id": campaign_id}).delete()
        return None
    record = CampaignRecord.model_validate(latest.state)
    await record.save()
    return record


async def campaigns_by_ids(clinic_id: str, ids: list[str]) -> list[CampaignRecord]:
    return await CampaignRecord.find({"_id": {"$in": ids}, "clinic_id": clinic_id}).to_list()


async def campaign_page(
    clinic_id: str, *, status: CampaignStatus | None, first: int, after: str | None
) -> tuple[list[CampaignRecord], bool, int]:
    """Newest first; returns the page, whether more follow, and the total for the filter."""
    scope: dict[str, Any] = {"clinic_id": clinic_id}
    if status is not None:
        scope["status"] = status.value
    total = await CampaignRecord.find(scope).count()
    query = dict(scope)
    if after is not None:
        created_at, last_id = decode_cursor(after)
        query["$or"] = [
            {"created_at": {"$lt": created_at}},
            {"created_at": created_at, "_id": {"$lt": last_id}},
        ]
    found = (
        await CampaignRecord.find(query)
        .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
        .limit(first + 1)
        .to_list()
    )
    return found[:first], len(found) > first, total


async def live_campaigns_of_clinic(clinic_id: str) -> list[CampaignRecord]:
    """The clinic's launched, unfinished campaigns (SCHEDULED, ACTIVE or PAUSED)."""
    live = [
        s.value for s in (CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE, CampaignStatus.PAUSED)
    ]
    return await CampaignRecord.find({"clinic_id": clinic_id, "status": {"$in": live}}).to_list()


async def campaigns_needing_the_scheduler(now: datetime) -> list[CampaignRecord]:
    """Scheduled campaigns whose start came, and live ones whose end passed."""
    return await CampaignRecord.find(
        {
            "$or": [
                {
                    "status": CampaignStatus.SCHEDULED.value,
                    "definition.schedule.startDate": {"$lte": now},
                },
                {
                    "status": {
                        "$in": [
                            s.value
                            for s in (
                                CampaignStatus.SCHEDULED,
                                CampaignStatus.ACTIVE,
                                CampaignStatus.PAUSED,
                            )
                        ]
                    },
                    "definition.schedule.endDate": {"$lte": now},
                },
            ]
        }
    ).to_list()


def encode_cursor(record: CampaignRecord) -> str:
    raw = f"{record.created_at.isoformat()}|{record.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


class BadCursor(ValueError):
    pass


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created_at, _, campaign_id = (
            base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        )
        return datetime.fromisoformat(created_at), campaign_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCursor("after: not a cursor this API gave out") from exc
