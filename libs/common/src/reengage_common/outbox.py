"""The transactional outbox without transactions, correct on FerretDB's unisolated updates.

FerretDB (and MongoDB without a replica set) has no multi-document transactions, so an event
travels inside the very record whose insert stores the state change that implies it: one
write carries both. That record is append-only — a campaign's revision, a batch of message
transitions — so after its insert nobody writes it again except the relay, which only clears
its indexed `outbox_pending` flag once the events are acknowledged by Kafka. Two writers of
one document therefore never meet (FerretDB would lose one of their updates: the relay's old
`$pullAll` on a live document raced the owner's `replace()` and lost events).

The relay runs under a lease (one replica at a time). A crash between publishing and clearing
the flag publishes the same envelopes (same ids) again; consumers are idempotent on natural
keys, so nothing is lost and the repeat changes nothing.

Which events take which path:
- through an outbox record: events that follow a decision made once (a campaign's
  transitions, a message's send outcome, a recipient's response);
- straight from the handler, before it records its progress: events derived deterministically
  from their input (a recipient's `message.due` of a fan-out, keyed by its deterministic
  messageId and a deterministic envelope id), because a replay re-derives the same events and
  consumers drop the repeats.
"""

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import structlog
from beanie import Document
from pydantic import BaseModel, Field
from pymongo import UpdateOne

from reengage_common.bus import EventPublisher
from reengage_common.events import Envelope, parse
from reengage_common.leases import Lease
from reengage_common.metrics import OUTBOX_RELAYED
from reengage_common.storage import update_in_chunks

log = structlog.get_logger(__name__)

PENDING = "outbox_pending"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class WithOutbox(BaseModel):
    """Mix into an append-only beanie Document whose insert publishes events.

    Declare `IndexModel([("outbox_pending", ASCENDING)])` in its Settings: the relay finds
    pending records by that equality.
    """

    outbox: list[dict[str, Any]] = Field(default_factory=list)
    outbox_pending: bool = False
    outbox_at: datetime | None = None

    def record_event(self, envelope: Envelope[Any]) -> None:
        """Queue `envelope` to be published once this record is inserted."""
        self.outbox.append(envelope.to_document())
        self.outbox_pending = True
        self.outbox_at = self.outbox_at or datetime.now(UTC)


class OutboxRelay:
    """Publishes the events of pending records of the given models, oldest first."""

    def __init__(
        self,
        publisher: EventPublisher,
        models: Sequence[type[Document]],
        *,
        service: str,
        poll_interval: float = 0.5,
        batch_size: int = 500,
    ) -> None:
        self._publisher = publisher
        self._models = models
        self._service = service
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._nudged = asyncio.Event()

    def nudge(self) -> None:
        """Publish soon rather than at the next poll (after inserting a record with events)."""
        self._nudged.set()

    async def run(self, lease: Lease | None = None) -> None:
        while True:
            relayed = 0
            if lease is None or lease.held():
                try:
                    relayed = await self.relay_once()
                except Exception:  # the relay must outlive a broker or database outage
                    log.exception("outbox.relay_failed")
            if relayed == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._nudged.wait(), timeout=self._poll_interval)
                self._nudged.clear()

    async def relay_once(self) -> int:
        """Publish one batch per model; returns how many events went out."""
        relayed = 0
        for model in self._models:
            relayed += await self._relay_model(model)
        return relayed

    async def _relay_model(self, model: type[Document]) -> int:
        collection = model.get_pymongo_collection()
        pending = await collection.find({PENDING: True}, {"outbox": 1, "outbox_at": 1}).to_list(
            self._batch_size
        )
        if not pending:
            return 0
        # The pending set is small; sorting it here keeps each key's events in write order.
        pending.sort(key=lambda record: (record.get("outbox_at") or EPOCH, str(record["_id"])))
        envelopes = [parse(entry) for record in pending for entry in record.get("outbox") or []]
        await self._publisher.publish_many(envelopes)
        await update_in_chunks(
            collection,
            [UpdateOne({"_id": record["_id"]}, {"$set": {PENDING: False}}) for record in pending],
        )
        for envelope in envelopes:
            OUTBOX_RELAYED.labels(self._service, envelope.type).inc()
        return len(envelopes)
