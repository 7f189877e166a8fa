"""The transactional outbox without transactions.

FerretDB (and MongoDB without a replica set) has no multi-document transactions, so an event
is stored inside the very document whose state change implies it: one write carries both.
The relay publishes pending events in order and then pulls them out by id. A crash between
publish and pull publishes again on restart; consumers are idempotent, so nothing is lost and
redelivery changes nothing.
"""

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import structlog
from beanie import Document
from pydantic import BaseModel, Field

from reengage_common.bus import EventPublisher
from reengage_common.events import Envelope, parse
from reengage_common.locks import DocumentLocks
from reengage_common.metrics import OUTBOX_RELAYED

log = structlog.get_logger(__name__)


class WithOutbox(BaseModel):
    """Mix into a beanie Document whose changes publish events."""

    outbox: list[dict[str, Any]] = Field(default_factory=list)

    def record_event(self, envelope: Envelope[Any]) -> None:
        """Queue `envelope` to be published once this document is saved."""
        self.outbox.append(envelope.to_document())


class OutboxRelay:
    """Publishes what documents of the given models hold in their outbox.

    It holds a document's lock (see `locks`) from reading the outbox to pulling the entries it
    published, so a handler saving the same document meanwhile can neither lose its new event
    nor bring back a published one.
    """

    def __init__(
        self,
        publisher: EventPublisher,
        models: Sequence[type[Document]],
        *,
        service: str,
        locks: DocumentLocks,
        poll_interval: float = 0.5,
        batch_size: int = 200,
    ) -> None:
        self._publisher = publisher
        self._models = models
        self._service = service
        self._locks = locks
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._nudged = asyncio.Event()

    def nudge(self) -> None:
        """Publish soon rather than at the next poll (call after saving a document with events)."""
        self._nudged.set()

    async def run(self) -> None:
        while True:
            try:
                relayed = await self.relay_once()
            except Exception:  # the relay must outlive a broker or database outage
                log.exception("outbox.relay_failed")
                relayed = 0
            if relayed == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._nudged.wait(), timeout=self._poll_interval)
                self._nudged.clear()

    async def relay_once(self) -> int:
        """Publish one batch per model; returns how many events went out."""
        relayed = 0
        for model in self._models:
            collection = model.get_pymongo_collection()
            cursor = collection.find({"outbox.0": {"$exists": True}}, {"_id": 1}).limit(
                self._batch_size
            )
            async for document in cursor:
                async with self._locks.hold(f"{collection.name}/{document['_id']}"):
                    relayed += await self._relay_document(collection, document["_id"])
        return relayed

    async def _relay_document(self, collection: Any, document_id: Any) -> int:
        document = await collection.find_one({"_id": document_id}, {"outbox": 1})
        entries = (document or {}).get("outbox") or []
        if not entries:
            return 0
        envelopes = [parse(entry) for entry in entries]
        await self._publisher.publish_many(envelopes)
        # $pullAll removes exactly the entries we read (FerretDB's $pull takes no conditions);
        # entries the document gained meanwhile stay for the next round.
        await collection.update_one({"_id": document_id}, {"$pullAll": {"outbox": entries}})
        for envelope in envelopes:
            OUTBOX_RELAYED.labels(self._service, envelope.type).inc()
        return len(envelopes)
