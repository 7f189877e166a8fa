"""dispatch-svc's storage, by role: `collections` (names, indexes), `codecs` (records <->
typed values), `writes` (the consumer side), `reads` (the sender's side), `protocol` (the
interface handlers and the sender are given), `mongo` (it, on MongoDB/FerretDB).

A message's state is folded from these records (`domain.message_states`): QUEUED (a message,
nothing else), SENDING (a claim, no outcome), then its outcome. No record is ever updated.

The module-level names below are for code not yet given a store (the reply inbox of issue 22)
and for tests that look at the collections directly: they go through beanie's binding.
"""

from typing import Any

from dispatch_svc.store.codecs import launch_record, snapshot_of
from dispatch_svc.store.collections import (
    DOCUMENTS,
    CampaignEvent,
    ConsentChangeRecord,
    MessageRecord,
    News,
    PublishedBatch,
    QueuedBatch,
    ResponseRecord,
    SendBatch,
    SendClaim,
    collection,
)
from dispatch_svc.store.protocol import DispatchStore

__all__ = [
    "DOCUMENTS",
    "CampaignEvent",
    "ConsentChangeRecord",
    "DispatchStore",
    "MessageRecord",
    "News",
    "PublishedBatch",
    "QueuedBatch",
    "ResponseRecord",
    "SendBatch",
    "SendClaim",
    "campaign_events",
    "collection",
    "launch_record",
    "responses_of_clinic",
    "snapshot_of",
]


async def campaign_events(campaign_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """The stored event records of these campaigns (of every campaign when None)."""
    query = {} if campaign_ids is None else {"campaign_id": {"$in": sorted(campaign_ids)}}
    return await collection(CampaignEvent).find(query).to_list()


async def responses_of_clinic(clinic_id: str) -> list[dict[str, Any]]:
    """The stored response records of a clinic."""
    return await collection(ResponseRecord).find({"clinic_id": clinic_id}).to_list()
