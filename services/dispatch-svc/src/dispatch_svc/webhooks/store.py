"""Where outbound webhooks are kept, by the storage rules (docs/storage.md):

- `webhook_endpoint_revisions`: an endpoint's revisions `{_id: "<endpoint>:<n>"}` (a deletion
  is a revision without state): two saves of one endpoint race for n, one wins.
- `webhook_deliveries`: one per endpoint and event `{_id: "<endpoint>:<event id>"}`, inserted by
  the `recipient.responded` consumer (a redelivered event inserts nothing); never updated.
- `webhook_pending`: the announcement of a delivery still to make, `{_id: <delivery>}`, with
  when it is next due. Inserted beside the delivery; then written only by the deliverer (one
  replica, under its lease): its due time moved after a failure, deleted once delivered or
  given up. The deliverer reads this small set, never the growing deliveries.
- `webhook_attempts`: one per attempt `{_id: "<delivery>:<n>"}`, append-only: what the API and
  the console show (the last attempts, failures).
"""

import contextlib
import time
from datetime import datetime
from typing import Any

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from reengage_common.storage import insert_new


class WebhookEndpointRevision(Document):
    id: str  # type: ignore[assignment]
    endpoint_id: str
    clinic_id: str
    revision: int
    state: dict[str, Any] | None  # url, events, description, enabled, secret, times
    at: datetime

    class Settings:
        name = "webhook_endpoint_revisions"
        indexes = [IndexModel([("clinic_id", ASCENDING)])]

    @staticmethod
    def key(endpoint_id: str, revision: int) -> str:
        return f"{endpoint_id}:{revision:09d}"


class WebhookDelivery(Document):
    id: str  # type: ignore[assignment]
    endpoint_id: str
    clinic_id: str
    event_type: str
    body: str  # the JSON sent, byte for byte on every attempt (the signature covers it)
    created_at: datetime

    class Settings:
        name = "webhook_deliveries"
        indexes = [IndexModel([("endpoint_id", ASCENDING)])]


class WebhookPending(Document):
    id: str  # type: ignore[assignment]  # the delivery's
    clinic_id: str
    due_at: datetime
    attempts: int = 0

    class Settings:
        name = "webhook_pending"


class WebhookAttempt(Document):
    id: str  # type: ignore[assignment]
    delivery_id: str
    endpoint_id: str
    clinic_id: str
    event_type: str
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    outcome: str  # DELIVERED, RETRYING (with next_at), GAVE_UP
    next_at: datetime | None = None
    # The wall clock's when stored: orders attempts the service clock dates alike (tests hold
    # that clock still).
    recorded_at: float = Field(default_factory=time.time)

    class Settings:
        name = "webhook_attempts"
        indexes = [IndexModel([("endpoint_id", ASCENDING)])]


DOCUMENTS: list[type[Document]] = [
    WebhookEndpointRevision,
    WebhookDelivery,
    WebhookPending,
    WebhookAttempt,
]


async def endpoint_states(clinic_id: str) -> dict[str, tuple[int, dict[str, Any] | None]]:
    """Every endpoint of the clinic ever saved: its latest revision number and state."""
    latest: dict[str, tuple[int, dict[str, Any] | None]] = {}
    for revision in await WebhookEndpointRevision.find({"clinic_id": clinic_id}).to_list():
        held = latest.get(revision.endpoint_id)
        if held is None or revision.revision > held[0]:
            latest[revision.endpoint_id] = (revision.revision, revision.state)
    return latest


async def save_endpoint_revision(
    clinic_id: str, endpoint_id: str, revision: int, state: dict[str, Any] | None, at: datetime
) -> bool:
    """Insert revision `revision`; False when another save won it."""
    try:
        await WebhookEndpointRevision(
            id=WebhookEndpointRevision.key(endpoint_id, revision),
            endpoint_id=endpoint_id,
            clinic_id=clinic_id,
            revision=revision,
            state=state,
            at=at,
        ).insert()
    except DuplicateKeyError:
        return False
    return True


async def store_deliveries(deliveries: list[dict[str, Any]], pending: list[dict[str, Any]]) -> None:
    """Deliveries first, their announcements second: a pending record always has its delivery.

    A delivery that existed already (its event handed over again) is announced again only if
    it has neither an announcement nor an attempt: a crash came between the two inserts.
    Otherwise it is waiting, or was made, and is not made twice.
    """
    deliveries = list({d["_id"]: d for d in deliveries}.values())  # an event twice in a batch
    if not deliveries:
        return
    stored = await insert_new(WebhookDelivery.get_pymongo_collection(), deliveries)
    repeated = set(stored.duplicate_ids)
    if repeated:
        repeated -= await _announced_or_attempted(list(repeated))
    fresh = {
        p["_id"]: p
        for p in pending
        if p["_id"] not in set(stored.duplicate_ids) or p["_id"] in repeated
    }
    if fresh:
        await insert_new(WebhookPending.get_pymongo_collection(), list(fresh.values()))


async def _announced_or_attempted(delivery_ids: list[str]) -> set[str]:
    waiting = await WebhookPending.find({"_id": {"$in": delivery_ids}}).to_list()
    tried = await WebhookAttempt.find({"delivery_id": {"$in": delivery_ids}}).to_list()
    return {p.id for p in waiting} | {a.delivery_id for a in tried}


async def due_deliveries(now: datetime, limit: int) -> list[WebhookPending]:
    """Pending deliveries due by `now` (the set is small: what is still to deliver)."""
    pending = await WebhookPending.find_all().to_list()
    due = sorted((p for p in pending if p.due_at <= now), key=lambda p: p.due_at)
    return due[:limit]


async def deliveries_by_id(ids: list[str]) -> dict[str, WebhookDelivery]:
    found = await WebhookDelivery.find({"_id": {"$in": ids}}).to_list() if ids else []
    return {d.id: d for d in found}


async def record_attempt(attempt: WebhookAttempt, pending: WebhookPending) -> None:
    """The attempt, then the pending record moved on (or gone): a crash between the two
    repeats the attempt, which the receiver recognises by its delivery id."""
    # stored already before a crash: the repeat is recorded once
    with contextlib.suppress(DuplicateKeyError):
        await attempt.insert()
    if attempt.outcome == "RETRYING" and attempt.next_at is not None:
        pending.due_at = attempt.next_at
        pending.attempts = attempt.attempt
        await pending.replace()
    else:
        await pending.delete()


async def recent_attempts(endpoint_id: str, limit: int) -> list[WebhookAttempt]:
    return (
        await WebhookAttempt.find({"endpoint_id": endpoint_id})
        .sort([("at", DESCENDING), ("recorded_at", DESCENDING)])
        .limit(limit)
        .to_list()
    )


async def pending_of(clinic_id: str) -> list[WebhookPending]:
    return await WebhookPending.find({"clinic_id": clinic_id}).to_list()
