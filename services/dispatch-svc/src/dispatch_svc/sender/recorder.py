"""Outcomes stored by group commit: one insert per campaign per flush, carrying the outcomes
and their events (`message.sent`, the next step's `message.due`) as one outbox record, which
`BatchPublisher` then publishes and marks published.

A sender slot waits until its outcome is stored before taking the next message, so at any
instant at most `concurrency` messages have reached a provider without a stored outcome: the
most a crash can make us send twice.
"""

import asyncio
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple

import structlog
from aiokafka import AIOKafkaProducer

from dispatch_svc.domain.message_states import Finished
from dispatch_svc.domain.messages import QueuedMessage
from dispatch_svc.domain.outcomes import Outcome
from dispatch_svc.store import DispatchStore
from dispatch_svc.store.codecs import EncodedEvent, SendBatchRecord
from reengage_common.bus import event_headers, send_in_batches
from reengage_common.events import SendOutcome
from reengage_common.metrics import EVENTS_PUBLISHED

SERVICE = "dispatch-svc"

log = structlog.get_logger(__name__)


class RecordedOutcome(NamedTuple):
    """An outcome waiting for its flush, its events already encoded: the envelopes (pydantic
    models, a few dozen objects each) are dropped at once rather than living until the flush,
    where the collector kept meeting them (measured in-process: ~20 us of CPU per message)."""

    message: QueuedMessage
    outcome: SendOutcome
    finished: Finished
    retried: bool
    reason: str | None
    provider: str | None
    events: list[EncodedEvent]

    @classmethod
    def of(cls, outcome: Outcome) -> "RecordedOutcome":
        message = outcome.message
        finished = Finished(
            message.message_id,
            outcome.outcome.value,
            outcome.attempt,
            outcome.reason,
            outcome.provider_message_id,
        )
        events = [EncodedEvent.encode(event) for event in outcome.events]
        return cls(
            message,
            outcome.outcome,
            finished,
            outcome.retried,
            outcome.reason,
            outcome.provider,
            events,
        )


def send_batch_records(outcomes: Sequence[RecordedOutcome], at: datetime) -> list[SendBatchRecord]:
    """One record per campaign: its outcomes and their events (encoded once, for the record
    and for Kafka)."""
    by_campaign: dict[str, list[RecordedOutcome]] = defaultdict(list)
    for outcome in outcomes:
        by_campaign[outcome.message.campaign_id].append(outcome)
    return [
        SendBatchRecord(
            batch_id=uuid.uuid4().hex,
            campaign_id=campaign_id,
            clinic_id=group[0].message.clinic_id,
            at=at,
            outcomes=[o.finished for o in group],
            shards=[o.message.shard for o in group],
            events=[event for o in group for event in o.events],
        )
        for campaign_id, group in by_campaign.items()
    ]


class OutcomeRecorder:
    def __init__(
        self,
        store: DispatchStore,
        clock: Callable[[], datetime],
        on_stored: Callable[[Sequence[RecordedOutcome]], None],
        publish: Callable[[list[SendBatchRecord]], None],
        max_batch: int = 2000,
        linger: float = 0.01,
    ) -> None:
        self._store = store
        self._publish = publish
        self._clock = clock
        self._on_stored = on_stored
        self._max_batch = max_batch
        self._linger = linger
        self._pending: list[tuple[RecordedOutcome, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()

    async def record(self, outcome: Outcome) -> None:
        """Returns once `outcome` is stored."""
        await self.submit(outcome)

    def submit(self, outcome: Outcome) -> "asyncio.Future[None]":
        """Queue `outcome` for the next flush; the future resolves once it is stored."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((RecordedOutcome.of(outcome), done))
        self._wake.set()
        return done

    async def run(self) -> None:
        while True:
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
            # a few ms more gathers the outcomes of the other slots: one insert (and one
            # publish) for many, rather than one per message or two
            await asyncio.sleep(self._linger)
            taken = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            outcomes = [outcome for outcome, _ in taken]
            records = send_batch_records(outcomes, self._clock())
            await self._write(records)
            self._on_stored(outcomes)
            self._publish(records)
            for _, done in taken:
                if not done.done():
                    done.set_result(None)

    async def _write(self, records: list[SendBatchRecord]) -> None:
        delay = 0.1
        while True:
            try:
                await self._store.store_send_batches(records)
                return
            except Exception:  # the database is away: outcomes wait, senders wait on them
                log.exception("dispatch.outcomes_not_stored", count=len(records))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)


class BatchPublisher:
    """Publishes stored send batches' events in order, then marks the batches published.

    The events are the JSON stored with the outcomes: they go to Kafka as they are (keyed by
    patient), encoded once.
    """

    def __init__(
        self, producer: AIOKafkaProducer, topic: Callable[[str], str], store: DispatchStore
    ) -> None:
        self._producer = producer
        self._topic = topic
        self._store = store
        self._queue: asyncio.Queue[list[SendBatchRecord]] = asyncio.Queue()

    def submit(self, records: list[SendBatchRecord]) -> None:
        self._queue.put_nowait(records)

    async def run(self) -> None:
        while True:
            records = [record for record in await self._queue.get()]
            while not self._queue.empty():
                records += self._queue.get_nowait()
            delay = 0.1
            while True:
                try:
                    await self.publish(records)
                    break
                except Exception:  # Kafka or the database away: keep the order, try again
                    log.exception("dispatch.publish_failed", batches=len(records))
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)

    async def publish(self, records: Sequence[SendBatchRecord]) -> None:
        events = [event for record in records for event in record.events]
        acks = await send_in_batches(
            self._producer,
            (
                (
                    self._topic(event.type),
                    event.key,
                    event.json,
                    event_headers(event.type, event.trace_id),
                )
                for event in events
            ),
        )
        await asyncio.gather(*acks)
        for kind, count in Counter(event.type for event in events).items():
            EVENTS_PUBLISHED.labels(SERVICE, kind).inc(count)
        await self._store.mark_published(records)
