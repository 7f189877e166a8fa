"""Where the inbox is kept, by the storage rules (docs/storage.md):

- `inbox_messages`: one per message, `{_id: <Twilio MessageSid>}` for a patient's (a retried
  webhook's repeat inserts nothing) and `{_id: "reply:<id>"}` for a staff reply, inserted as
  SENDING before the provider call (the claim: one send per reply id) and then given its
  outcome by the same request, its one writer.
- `inbox_reads`: "read up to" marks, appended; the latest per patient counts.
- `inbox_assignments`: assignments, appended; the latest per patient counts.
"""

import time
from datetime import datetime
from typing import Any

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from dispatch_svc.domain.inbox import InboxMessage
from reengage_common.storage import insert_new

# The clinic's latest messages the inbox reads: conversations older than these fall off the
# list (their messages stay stored).
RECENT_MESSAGES = 2000


class InboxRecord(Document):
    id: str  # type: ignore[assignment]
    clinic_id: str
    patient_id: str
    campaign_id: str
    direction: str
    body: str
    at: datetime
    meaning: str | None = None
    sender: str | None = None  # the patient's number (inbound)
    clinic_number: str | None = None  # the clinic's number (inbound)
    timezone: str | None = None
    author: str | None = None
    status: str | None = None
    reason: str | None = None
    recorded_at: float = Field(default_factory=time.time)  # see InboxMessage.seq

    class Settings:
        name = "inbox_messages"
        indexes = [IndexModel([("clinic_id", ASCENDING), ("at", DESCENDING)])]

    def message(self) -> InboxMessage:
        return InboxMessage(
            id=self.id,
            clinic_id=self.clinic_id,
            patient_id=self.patient_id,
            campaign_id=self.campaign_id,
            direction=self.direction,
            body=self.body,
            at=self.at,
            meaning=self.meaning,
            author=self.author,
            status=self.status,
            reason=self.reason,
            seq=self.recorded_at,
        )


class InboxMark(Document):
    """A read mark or an assignment (`kind`), appended; the latest of a kind counts."""

    id: str  # type: ignore[assignment]
    clinic_id: str
    patient_id: str
    kind: str  # "read" (up to `at`) or "assigned" (to `assignee`, None: nobody)
    at: datetime
    assignee: str | None = None
    by: str | None = None
    recorded_at: float = Field(default_factory=time.time)

    class Settings:
        name = "inbox_marks"
        indexes = [IndexModel([("clinic_id", ASCENDING)])]


DOCUMENTS: list[type[Document]] = [InboxRecord, InboxMark]


async def store_received(records: list[dict[str, Any]]) -> None:
    await insert_new(InboxRecord.get_pymongo_collection(), records)


async def recent_messages(clinic_id: str, patient_id: str | None = None) -> list[InboxRecord]:
    query: dict[str, Any] = {"clinic_id": clinic_id}
    if patient_id is not None:
        query["patient_id"] = patient_id
    return await InboxRecord.find(query).sort([("at", DESCENDING)]).limit(RECENT_MESSAGES).to_list()


async def marks(clinic_id: str) -> tuple[dict[str, datetime], dict[str, str | None]]:
    """Per patient: read up to when, and the assignee."""
    read: dict[str, datetime] = {}
    assigned: dict[str, tuple[float, str | None]] = {}
    for mark in await InboxMark.find({"clinic_id": clinic_id}).to_list():
        if mark.kind == "read":
            if mark.patient_id not in read or mark.at > read[mark.patient_id]:
                read[mark.patient_id] = mark.at
        elif mark.patient_id not in assigned or mark.recorded_at > assigned[mark.patient_id][0]:
            assigned[mark.patient_id] = (mark.recorded_at, mark.assignee)
    return read, {patient: who for patient, (_, who) in assigned.items()}


async def add_mark(mark: InboxMark) -> None:
    await mark.insert()


async def claim_reply(record: InboxRecord) -> bool:
    """The reply's SENDING record; False when this reply id was sent (or is sending) already."""
    try:
        await record.insert()
    except DuplicateKeyError:
        return False
    return True


async def reply_outcome(record: InboxRecord, status: str, reason: str | None) -> None:
    record.status, record.reason = status, reason
    await record.replace()
