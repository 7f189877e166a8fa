"""The Kafka bus: an idempotent publisher, topic creation, and a consumer loop per service group.
(Over 300 lines: most of it is `EventConsumer`, whose commit, retry and dead-letter rules
depend on each other and are read together.)

The consumer commits a partition's offset only after every event before it was handled (its
effect stored), so a crash redelivers and idempotent handlers make that harmless. An event
that cannot be parsed, or whose handler keeps failing, goes to `<topic>.dlq` with the reason;
a handler failing because its database cannot be reached is retried until it can.
"""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, KafkaError, TopicAlreadyExistsError
from pymongo.errors import ConnectionFailure, OperationFailure
from tenacity import AsyncRetrying, RetryError, stop_after_attempt, wait_exponential

from reengage_common.events import TOPICS, Envelope, Event, MalformedEvent, parse
from reengage_common.logging import TRACE_HEADER, redact_text, traced
from reengage_common.metrics import (
    EVENTS_HANDLED,
    EVENTS_PUBLISHED,
    HANDLER_RETRIES,
    HANDLER_SECONDS,
)
from reengage_common.settings import Settings

log = structlog.get_logger(__name__)

Handler = Callable[[Envelope[Any]], Awaitable[None]]
DLQ_SUFFIX = ".dlq"


def make_producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=settings.service,
        enable_idempotence=True,
        acks="all",
        linger_ms=settings.kafka_linger_ms,
        max_batch_size=1024 * 1024,
    )


# (topic, key, value, headers) of one record to produce; a str value is sent as UTF-8
Record = tuple[str, str, str | bytes, list[tuple[str, bytes]]]


def event_headers(event_type: str, trace_id: str | None) -> list[tuple[str, bytes]]:
    """The Kafka headers every event carries: its trace (empty without one) and its type."""
    return [(TRACE_HEADER, (trace_id or "").encode()), ("type", event_type.encode())]


async def send_in_batches(
    producer: AIOKafkaProducer, records: Iterable[Record]
) -> list["asyncio.Future[Any]"]:
    """Records as Kafka batches built here, one per partition (the producer's own partitioner,
    by key, so a key keeps its partition and order), submitted without waiting: the futures of
    their acks. Several times the rate of one `producer.send` per record (docs/perf.md), whose per-record
    bookkeeping in Python is most of a small event's cost."""
    partitioner = producer._partitioner
    partitions: dict[str, list[int]] = {}
    builders: dict[tuple[str, int], Any] = {}
    sent: list[asyncio.Future[Any]] = []
    for topic, key, value, headers in records:
        if topic not in partitions:
            partitions[topic] = sorted(await producer.partitions_for(topic))
        key_bytes = key.encode()
        value_bytes = value.encode() if isinstance(value, str) else value
        partition = partitioner(key_bytes, partitions[topic], partitions[topic])
        builder = builders.get((topic, partition))
        if builder is None:
            builder = builders[(topic, partition)] = producer.create_batch()
        if builder.append(key=key_bytes, value=value_bytes, timestamp=None, headers=headers):
            continue
        sent.append(await producer.send_batch(builder, topic, partition=partition))
        builder = builders[(topic, partition)] = producer.create_batch()
        builder.append(key=key_bytes, value=value_bytes, timestamp=None, headers=headers)
    for (topic, partition), builder in builders.items():
        sent.append(await producer.send_batch(builder, topic, partition=partition))
    return sent


class EventPublisher:
    """Publishes envelopes keyed by their entity so one patient's or campaign's events stay in order."""

    def __init__(self, settings: Settings, producer: AIOKafkaProducer) -> None:
        self._settings = settings
        self._producer = producer

    async def publish(self, envelope: Envelope[Any]) -> None:
        await self.publish_many([envelope])

    async def publish_many(self, envelopes: Iterable[Envelope[Any]]) -> None:
        """Send as one Kafka batch and return once every event is acknowledged by the broker."""
        pending = [await self._send(envelope) for envelope in envelopes]
        if pending:
            await asyncio.gather(*pending)

    async def _send(self, envelope: Envelope[Any]) -> "asyncio.Future[Any]":
        future = await self._producer.send(
            self._settings.topic(envelope.type),
            value=envelope.to_json(),
            key=envelope.key.encode(),
            headers=event_headers(envelope.type, envelope.trace_id),
        )
        EVENTS_PUBLISHED.labels(self._settings.service, envelope.type).inc()
        return future

    async def send_raw(
        self, topic: str, value: bytes, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        await self._producer.send_and_wait(topic, value=value, key=key, headers=headers)


async def ensure_topics(settings: Settings, names: Iterable[str] = TOPICS) -> None:
    """Create every contract topic and its DLQ if missing (idempotent, safe under races)."""
    wanted = {settings.topic(name): settings.partitions_of(name) for name in names}
    wanted |= {topic + DLQ_SUFFIX: partitions for topic, partitions in wanted.items()}
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        missing = set(wanted) - set(await admin.list_topics())
        for topic in sorted(missing):
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [
                        NewTopic(
                            topic,
                            num_partitions=wanted[topic],
                            replication_factor=settings.kafka_replication_factor,
                        )
                    ]
                )
    finally:
        await admin.close()


@dataclass(frozen=True)
class BatchHandler:
    """A handler that takes every event one `getmany` returned for one topic-partition, in
    order, and stores their effects in bulk. It must be idempotent as a whole: after a failure
    the batch (or, while isolating a poison event, part of it) is handed over again. `run` is
    told the partition too: work that follows the consumer's assignment (dispatch sends the
    messages of the `message.due` partitions its consumer owns) stores it beside the events."""

    run: Callable[[list[Envelope[Any]], int], Awaitable[None]]


def batch(handle: Callable[[list[Envelope[Any]]], Awaitable[None]]) -> BatchHandler:
    """Mark `handle` as taking a list of envelopes: `{MessageDue: batch(on_due_batch)}`."""

    async def run(envelopes: list[Envelope[Any]], partition: int) -> None:
        await handle(envelopes)

    return BatchHandler(run)


def batch_of_partition(
    handle: Callable[[int, list[Envelope[Any]]], Awaitable[None]],
) -> BatchHandler:
    """Mark `handle` as taking (partition, envelopes): `{MessageDue: batch_of_partition(f)}`."""

    async def run(envelopes: list[Envelope[Any]], partition: int) -> None:
        await handle(partition, envelopes)

    return BatchHandler(run)


AnyHandler = Handler | BatchHandler


def as_batch_handler(handler: AnyHandler) -> BatchHandler:
    """The one-event handler is the simple case of a batch: its events one after another."""
    if isinstance(handler, BatchHandler):
        return handler

    async def one_by_one(envelopes: list[Envelope[Any]]) -> None:
        for envelope in envelopes:
            with traced(envelope.trace_id):
                await handler(envelope)

    return batch(one_by_one)


@dataclass
class _Parsed:
    record: ConsumerRecord[bytes, bytes]
    envelope: Envelope[Any]
    trace_id: str | None


# (logical topic, partition) pairs a consumer owns
Assignment = frozenset[tuple[str, int]]


class _Assignments(ConsumerRebalanceListener):
    """Tells the service when this member's partitions are taken away and when it is given
    partitions: what a process cached about the keys it alone writes may have been written by
    the previous owner of a new partition, and work that follows the partitions (dispatch's
    sending) stops and starts with them. aiokafka's rebalances are eager: every partition is
    revoked from every member before any is assigned, so two members never own one at once
    (unless one is paused past its session timeout; claims cover that)."""

    def __init__(
        self,
        logical: Callable[[str], str],
        on_assigned: Callable[[Assignment], None] | None,
        on_revoked: Callable[[Assignment], None] | None,
    ) -> None:
        self._logical = logical
        self._on_assigned = on_assigned
        self._on_revoked = on_revoked

    def _pairs(self, partitions: Any) -> Assignment:
        return frozenset((self._logical(tp.topic), tp.partition) for tp in partitions)

    async def on_partitions_revoked(self, revoked: Any) -> None:
        if self._on_revoked is not None:
            self._on_revoked(self._pairs(revoked))

    async def on_partitions_assigned(self, assigned: Any) -> None:
        if self._on_assigned is not None:
            self._on_assigned(self._pairs(assigned))


# The longest pause between a batch's attempts while its database is unreachable.
OUTAGE_WAIT_MAX = 5.0
# How FerretDB says its PostgreSQL is gone (InternalError, code 1, naming the dial).
_BACKEND_GONE = ("failed to connect to", "connection refused", "dial tcp")


def unavailable(error: BaseException) -> bool:
    """The database could not be reached, as opposed to refusing this event: a lost connection
    or server (pymongo's ConnectionFailure: AutoReconnect, NetworkTimeout, no server selected),
    or FerretDB answering that its PostgreSQL is gone."""
    if isinstance(error, ConnectionFailure):
        return True
    return (
        isinstance(error, OperationFailure)
        and error.code == 1
        and any(sign in str(error) for sign in _BACKEND_GONE)
    )


class EventConsumer:
    """One consumer group member: hands each topic-partition's batch to the matching handler.

    The partitions of one `getmany` are processed concurrently, each in order. A partition's
    offset is committed only after its batch's effects are stored. A malformed event goes to the
    DLQ before the handler sees the rest; a batch that keeps failing is split in halves until
    the failing event is alone, so it goes to the DLQ and its neighbours' effects are stored
    exactly as if it had not been there (handlers are idempotent, so a retried half is harmless).
    """

    def __init__(
        self,
        settings: Settings,
        handlers: Mapping[type[Event], AnyHandler],
        publisher: EventPublisher,
        *,
        max_attempts: int = 5,
        retry_wait_max: float = 5.0,
        group_id: str | None = None,
        on_assigned: Callable[[Assignment], None] | None = None,
        on_revoked: Callable[[Assignment], None] | None = None,
    ) -> None:
        self._settings = settings
        self._handlers = {model.topic: as_batch_handler(h) for model, h in handlers.items()}
        self._publisher = publisher
        self._max_attempts = max_attempts
        self._retry_wait_max = retry_wait_max
        self._group_id = group_id or settings.group_id()
        self._consumer: AIOKafkaConsumer | None = None
        self._on_assigned = on_assigned
        self._on_revoked = on_revoked
        self.ready = asyncio.Event()

    async def run(self) -> None:
        topics = [self._settings.topic(name) for name in self._handlers]
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            group_id=self._group_id,
            client_id=self._settings.service,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_min_bytes=self._settings.kafka_fetch_min_bytes,
            fetch_max_wait_ms=self._settings.kafka_fetch_max_wait_ms,
        )
        self._consumer.subscribe(
            topics,
            listener=_Assignments(self._logical_topic, self._on_assigned, self._on_revoked),
        )
        await self._consumer.start()
        log.info("consumer.started", group=self._group_id, topics=topics)
        try:
            while True:
                batches = await self._consumer.getmany(
                    timeout_ms=500, max_records=self._settings.consumer_batch_size
                )
                self.ready.set()
                if not batches:
                    continue
                await asyncio.gather(
                    *(
                        self._handle_partition_batch(partition, records)
                        for partition, records in batches.items()
                    )
                )
                # one commit for every partition of the poll, not one request per partition
                await self._commit(
                    {partition: records[-1].offset + 1 for partition, records in batches.items()}
                )
        finally:
            await self._consumer.stop()

    async def _handle_partition_batch(
        self, partition: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]
    ) -> None:
        assert self._consumer is not None
        topic = self._logical_topic(partition.topic)
        parsed = [item for record in records if (item := await self._parse(record, topic))]
        if parsed:
            await self._handle_batch(topic, partition.partition, parsed)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        assert self._consumer is not None
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError:
            # A rebalance took a partition away; its new owner redelivers from the last commit.
            log.warning("consumer.commit_failed", partitions=len(offsets))
        except KafkaError as exc:
            log.warning("consumer.commit_error", error=str(exc))

    def _logical_topic(self, topic: str) -> str:
        return topic.removeprefix(self._settings.kafka_topic_prefix)

    async def _parse(self, record: ConsumerRecord[bytes, bytes], topic: str) -> _Parsed | None:
        trace_id = dict(record.headers or []).get(TRACE_HEADER, b"").decode() or None
        try:
            envelope = parse(record.value or b"", topic)
        except MalformedEvent as exc:
            with traced(trace_id):
                await self._dead_letter(record, f"malformed: {exc.reason}")
            return None
        return _Parsed(record, envelope, envelope.trace_id or trace_id)

    async def _handle_batch(self, topic: str, partition: int, parsed: list[_Parsed]) -> None:
        handler = self._handlers[topic]
        started = time.perf_counter()
        # One trace per batch: the first event's, so a one-event batch keeps its exact trace.
        with traced(parsed[0].trace_id):
            error = await self._attempt(handler, topic, partition, parsed)
            waited = 0
            while error is not None and unavailable(error):
                # Not the events' fault: the whole batch waits, its offsets uncommitted, until
                # the database answers again (a dead letter here would lose it for good).
                pause = min(OUTAGE_WAIT_MAX, 0.5 * 2**waited)
                log.warning("event.store_unavailable", topic=topic, events=len(parsed),
                            retry_in=pause, error=repr(error)[:300])  # fmt: skip
                await asyncio.sleep(pause)
                waited += 1
                error = await self._attempt(handler, topic, partition, parsed)
        if error is None:
            HANDLER_SECONDS.labels(self._settings.service, topic).observe(
                time.perf_counter() - started
            )
            EVENTS_HANDLED.labels(self._settings.service, topic, "handled").inc(len(parsed))
        elif len(parsed) == 1:
            item = parsed[0]
            with traced(item.trace_id):
                log.error(
                    "event.handler_failed",
                    topic=topic,
                    event_id=item.envelope.id,
                    error=repr(error),
                )
                await self._dead_letter(
                    item.record, f"handler failed {self._max_attempts} times: {error!r}"
                )
        else:
            middle = len(parsed) // 2
            await self._handle_batch(topic, partition, parsed[:middle])
            await self._handle_batch(topic, partition, parsed[middle:])

    async def _attempt(
        self, handler: BatchHandler, topic: str, partition: int, parsed: list[_Parsed]
    ) -> BaseException | None:
        """Run the handler with retries; the last error if every attempt failed."""
        envelopes = [item.envelope for item in parsed]
        attempts = self._max_attempts if len(envelopes) == 1 else min(self._max_attempts, 2)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(attempts),
                wait=wait_exponential(multiplier=0.2, max=self._retry_wait_max),
            ):
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        HANDLER_RETRIES.labels(self._settings.service, topic).inc()
                    await handler.run(envelopes, partition)
        except RetryError as exc:
            return exc.last_attempt.exception()
        return None

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        topic = self._logical_topic(record.topic)
        # A handler's error may quote the patient's address or number; the DLQ's readers (and
        # tools that print headers) need the why, not the contact details.
        reason = redact_text(reason)
        log.warning("event.dead_lettered", topic=topic, offset=record.offset, reason=reason)
        headers = [
            *(record.headers or []),
            ("dlq-reason", reason.encode()[:4000]),
            ("dlq-source", f"{record.topic}/{record.partition}/{record.offset}".encode()),
            ("dlq-group", self._group_id.encode()),
        ]
        await self._publisher.send_raw(
            record.topic + DLQ_SUFFIX, value=record.value or b"", key=record.key, headers=headers
        )
        EVENTS_HANDLED.labels(self._settings.service, topic, "dead_lettered").inc()
