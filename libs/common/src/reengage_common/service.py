"""The shape every service process shares: a starlette app whose lifespan owns the clients.

`build_service_app` connects MongoDB and Kafka, creates topics, starts the consumer group,
the outbox relay and any background loops (e.g. a scheduler), and stops them all on shutdown.
Nothing connects at import time.

A service runs as one process (`SERVICE_ROLE=all`, tests and small setups) or as two: `api`
serves the internal routes (and relays its outbox, which its commands write), `worker` runs
the consumer group and the background loops and serves only health and metrics. Both read
and write the same database, whose storage rules (one writer per key, claims by unique
insert) already hold across processes. Why split: a consumer batch is CPU work on the event
loop (parsing a thousand events, folding shards); behind it, a staff member's request waited
seconds during a 100,000-patient campaign. Two processes are scheduled by the kernel, which
shares the cores between them in milliseconds.
"""

import asyncio
import gc
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from beanie import Document
from pymongo import AsyncMongoClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from reengage_common.bus import (
    AnyHandler,
    Assignment,
    EventConsumer,
    EventPublisher,
    ensure_topics,
    make_producer,
)
from reengage_common.cpu import keep_long_lived_frozen
from reengage_common.db import init_documents, make_mongo_client, ping
from reengage_common.events import Event
from reengage_common.leases import Lease, Leases, process_owner_id, run_under_lease
from reengage_common.logging import configure_logging
from reengage_common.outbox import OutboxRelay
from reengage_common.settings import Settings
from reengage_common.shares import PartitionShare
from reengage_common.web import ReadinessCheck, health_routes, shared_middleware

log = structlog.get_logger(__name__)


@dataclass
class Runtime:
    """The live clients of one service process, handed to handlers and routes."""

    settings: Settings
    mongo: AsyncMongoClient
    producer: AIOKafkaProducer
    publisher: EventPublisher
    relay: OutboxRelay
    leases: Leases
    consumers: list[EventConsumer] = field(default_factory=list)
    # Told the (topic, partition) pairs this process's consumer is given, and those taken
    # away from it, at each rebalance (see `bus._Assignments`).
    on_partitions_assigned: list[Callable[[Assignment], None]] = field(default_factory=list)
    on_partitions_revoked: list[Callable[[Assignment], None]] = field(default_factory=list)

    def partitions_assigned(self, assigned: Assignment) -> None:
        for listener in self.on_partitions_assigned:
            listener(assigned)

    def partitions_revoked(self, revoked: Assignment) -> None:
        for listener in self.on_partitions_revoked:
            listener(revoked)

    def follow_partitions(self, share: PartitionShare) -> PartitionShare:
        """Keep `share` current with this process's consumer's partitions."""
        self.on_partitions_assigned.append(share.assigned)
        self.on_partitions_revoked.append(share.revoked)
        return share

    async def check_kafka(self) -> None:
        await self.producer.client.fetch_all_metadata()

    async def check_mongo(self) -> None:
        await ping(self.mongo)

    async def check_consumers(self) -> None:
        if not all(consumer.ready.is_set() for consumer in self.consumers):
            raise RuntimeError("consumer group not joined yet")


HandlersFactory = Callable[[Runtime], Mapping[type[Event], AnyHandler]]
# A loop that one replica at a time runs, under the lease it is handed (see `leases`).
BackgroundLoop = Callable[[Runtime, Lease], Awaitable[None]]


@dataclass(frozen=True)
class SpreadLoop:
    """A loop every worker replica runs over its share of the work: the keys (clinics,
    campaigns) whose partition of `topic` its consumer owns (`reengage_common.shares`)."""

    topic: str
    run: Callable[[Runtime, PartitionShare], Awaitable[None]]


@dataclass
class ServiceParts:
    """What a service's `bootstrap(runtime)` built once per lifespan, for the shell to run:
    its consumer's handlers, its loops (each under its own lease) and what routes find in
    `request.state`. One construction shares its objects between the three (cosmicpython's
    `bootstrap`), with no cache keyed by the runtime."""

    handlers: Mapping[type[Event], AnyHandler] | None = None
    background: Mapping[str, Callable[[Lease], Awaitable[None]]] = field(default_factory=dict)
    # loops every worker replica runs at once (no lease): work split by the consumer's
    # partitions, such as dispatch's sending
    replicated: Mapping[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    state: Mapping[str, Any] = field(default_factory=dict)


Bootstrap = Callable[[Runtime], ServiceParts]
LEASES_COLLECTION = "leases"


def runtime_of(request: Request) -> Runtime:
    return request.state.runtime


async def _supervised(name: str, loop: Callable[[], Awaitable[None]]) -> None:
    """Keep a background loop alive across broker or database outages."""
    delay = 0.5
    while True:
        try:
            await loop()
            return
        except asyncio.CancelledError:
            raise
        except Exception:  # log, back off, restart
            log.exception("background.crashed", loop=name, restart_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


def build_service_app(
    settings: Settings,
    *,
    routes: Sequence[BaseRoute] = (),
    documents: Sequence[type[Document]] = (),
    outbox_documents: Sequence[type[Document]] = (),
    handlers: HandlersFactory | None = None,
    background: Mapping[str, BackgroundLoop] | None = None,
    spread: Mapping[str, SpreadLoop] | None = None,
    state: Callable[[Runtime], Mapping[str, Any]] | None = None,
    larger_bodies: Mapping[str, int] | None = None,
    bootstrap: Bootstrap | None = None,
) -> Starlette:
    """`state(runtime)` adds service objects (e.g. command handlers) to every request's state;
    `larger_bodies` maps a path that streams a file to its own body limit; `bootstrap(runtime)`
    builds handlers, loops and state in one go (beside any given separately); `spread` loops
    run in every worker replica, each over its share of the partitions of its topic."""

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[dict[str, Any]]:
        configure_logging(settings.service, settings.log_level)
        announce_mode(settings)
        mongo = make_mongo_client(settings)
        await init_documents(mongo, settings, documents)
        await ensure_topics(settings)
        producer = make_producer(settings)
        await producer.start()
        publisher = EventPublisher(settings, producer)
        relay = OutboxRelay(
            publisher,
            outbox_documents,
            service=settings.service,
            poll_interval=settings.outbox_poll_seconds,
        )
        leases = Leases(
            mongo[settings.database_name][LEASES_COLLECTION],
            owner=process_owner_id(settings.service),
            ttl=timedelta(seconds=settings.lease_ttl_seconds),
            clock=lambda: datetime.now(UTC),
        )
        runtime = Runtime(settings, mongo, producer, publisher, relay, leases)
        parts = bootstrap(runtime) if bootstrap is not None else ServiceParts()
        loops: dict[str, Callable[[], Awaitable[None]]] = {}
        works = settings.service_role in ("all", "worker")
        consumed = {**(handlers(runtime) if handlers and works else {}), **(parts.handlers or {})}
        if consumed and works:
            consumer = EventConsumer(
                settings,
                consumed,
                publisher,
                on_assigned=runtime.partitions_assigned,
                on_revoked=runtime.partitions_revoked,
            )
            runtime.consumers.append(consumer)
            loops["consumer"] = consumer.run
        singletons: dict[str, Callable[[Lease], Awaitable[None]]] = {}
        if works:
            singletons = {name: partial(loop, runtime) for name, loop in (background or {}).items()}
            singletons.update(parts.background)
        if outbox_documents and settings.service_role in ("all", "api"):
            singletons["outbox-relay"] = relay.run
        for name, loop in singletons.items():
            loops[name] = partial(run_under_lease, leases, name, loop)
        if works:
            loops.update(parts.replicated)
            for name, spread_loop in (spread or {}).items():
                # followed before the consumer starts, so its first assignment is seen
                topic = spread_loop.topic
                share = runtime.follow_partitions(
                    PartitionShare(topic, settings.partitions_of(topic))
                )
                loops[name] = partial(spread_loop.run, runtime, share)
        if _serving_a_process:  # a service's own process (`serve`), not a test's
            loops["heap-freezer"] = keep_long_lived_frozen
        tasks = [
            asyncio.create_task(_supervised(name, run), name=name) for name, run in loops.items()
        ]
        log.info(
            "service.started",
            port=settings.listen_port,
            database=settings.database_name,
            role=settings.service_role,
            mode=settings.env,
        )
        try:
            yield {"runtime": runtime, **parts.state, **(state(runtime) if state else {})}
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await producer.stop()
            await mongo.close()
            log.info("service.stopped")

    def readiness(request: Request) -> Mapping[str, ReadinessCheck]:
        runtime = runtime_of(request)
        checks: dict[str, ReadinessCheck] = {
            "mongo": runtime.check_mongo,
            "kafka": runtime.check_kafka,
        }
        if runtime.consumers:
            checks["consumers"] = runtime.check_consumers
        return checks

    serves_api = settings.service_role in ("all", "api")
    return Starlette(
        routes=[*health_routes(readiness, mode=settings.env), *(routes if serves_api else ())],
        middleware=shared_middleware(settings, larger_bodies),
        lifespan=lifespan,
    )


def announce_mode(settings: Settings) -> None:
    """The process's first log line: which part, and whether it runs in development mode,
    where the public development keys and secrets are accepted (never expose such a process)."""
    if settings.development_mode:
        log.warning(
            "service.starting",
            mode=settings.env,
            note="development mode: development keys and secrets are accepted; not for production",
        )
    else:
        log.info("service.starting", mode=settings.env)


# Set by `serve`: the process is this service's alone, so it may keep what outlived a while
# frozen out of the collector's sight (`cpu.keep_long_lived_frozen`). An app served inside a
# test process does not: the tests' apps come and go, and what died frozen would wait an hour.
_serving_a_process = False


def serve(app: ASGIApp, settings: Settings, extra_ports: Sequence[int] = ()) -> None:
    """Run one service process with uvicorn (its own logging stays structlog's), listening on
    its port and any `extra_ports` (tracking's public port: the app tells them apart)."""
    import uvicorn

    # What is imported and built by now lives as long as the process (modules, models, schemas:
    # ~125,000 objects in dispatch-svc): frozen out of the collector's sight, a full collection
    # scans only what came after: dispatch-svc's full collections
    # took a quarter of the time (bench_dispatch, docs/perf.md).
    gc.collect()
    gc.freeze()
    global _serving_a_process
    _serving_a_process = True
    # uvloop, not the stdlib loop: its transports and callbacks are C. dispatch-svc, which
    # lives on socket round trips (4 per email over SMTP), spends less CPU per email and
    # sends more per second (tests/bench/bench_dispatch.py, docs/perf.md).
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.listen_port,
        loop="uvloop",
        log_config=None,
        access_log=False,
    )
    ports = [settings.listen_port, *extra_ports]
    uvicorn.Server(config).run(sockets=[_listening(settings.host, port) for port in ports])


def _listening(host: str, port: int) -> socket.socket:
    """A bound socket as uvicorn would make it (SO_REUSEADDR, so a restart rebinds at once)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=2048)
    listener.set_inheritable(True)
    return listener
