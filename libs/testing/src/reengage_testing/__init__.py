"""Test support for the workspace's suites (a dev dependency, never a service's): apps in-process
and as OS processes, waiting for a condition, reading a topic, a fake clock, free ports.

Tokens a resource server must refuse are in `reengage_testing.tokens`; Kafka and MongoDB in
containers in `reengage_testing.containers`; a topic read to its end and a consumer group's
committed offsets in `reengage_testing.kafka`.
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp

from reengage_common.bus import EventPublisher
from reengage_common.events import Envelope
from reengage_common.settings import Settings
from reengage_testing.kafka import Committed as Committed
from reengage_testing.kafka import committed_offsets as committed_offsets
from reengage_testing.kafka import read_to_end as read_to_end

# A clinic profile with everything every channel needs: tests PUT it before launching.
COMPLETE_CLINIC_PROFILE = {
    "name": "Bright Smiles Dental",
    "phone": "(312) 555-0100",
    "email": "hello@brightsmiles.example",
    "address": {
        "line1": "100 Main Street",
        "city": "Springfield",
        "state": "IL",
        "postalCode": "62701",
        "country": "US",
    },
    "timezone": "America/Chicago",
    "bookingUrl": "https://brightsmiles.example/book",
    "emailFrom": "Bright Smiles Dental <hello@brightsmiles.example>",
    "smsFrom": "+15005550006",
    "website": "https://brightsmiles.example",
}


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float = 30.0, interval: float = 0.1
) -> None:
    """Wait until `check()` is true; fail with a clear message after `within` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(interval)


async def read_topic(
    settings: Settings, topic: str, *, count: int, within: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read `count` records of a physical topic from the beginning (no consumer group)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        client_id=f"test-reader-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + within
    try:
        while len(records) < count and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=300)
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


@asynccontextmanager
async def serving(app: ASGIApp, base_url: str = "http://test") -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan in-process and give an httpx client that talks to it."""
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on at this moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# A wall clock's datetime (what `utc_now` answers) or a monotonic clock's seconds.
Moment = TypeVar("Moment", datetime, float)


class FakeClock(Generic[Moment]):
    """A clock a test sets: `clock.now = ...`; services take it where they take `utc_now`
    (a datetime), or where they take `time.monotonic` (seconds)."""

    def __init__(self, now: Moment) -> None:
        self.now = now

    def __call__(self) -> Moment:
        return self.now


class ServiceProcess:
    """A service as its own OS process (`python -m <module>`), for replica and crash tests.

    It inherits the test run's environment (topic and database prefixes) plus `env`; `kill()`
    sends SIGKILL, which no handler in the process can soften.
    """

    def __init__(
        self, module: str, env: Mapping[str, str], log_path: str, unset: Sequence[str] = ()
    ) -> None:
        """`unset` names variables of the test run's environment the process must not see
        (e.g. `ENV`, to start it as a deployment without one would)."""
        self.module = module
        self.port = free_port()
        inherited = {name: value for name, value in os.environ.items() if name not in unset}
        # tracking-svc's public port too: a fixed one would meet `./dev up`'s (8105).
        self.public_port = free_port()
        self._env = {**inherited, "PUBLIC_PORT": str(self.public_port), **env}
        self._env["PORT"] = str(self.port)
        self._log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ServiceProcess":
        with open(self._log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    async def wait_ready(self, within: float = 60.0) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:

            async def ready() -> bool:
                if self.process is not None and self.process.poll() is not None:
                    raise AssertionError(f"{self.module} exited; see {self._log_path}")
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            await eventually(ready, within=within, interval=0.2)

    async def events_handled(self) -> int:
        """Events the process's consumer has handled (its `/metrics`), dead-lettered ones
        not counted: how much of the group's work this replica did."""
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as client:
            text = (await client.get("/metrics")).text
        return int(
            sum(
                float(line.rpartition(" ")[2])
                for line in text.splitlines()
                if line.startswith("reengage_events_handled_total{") and 'outcome="handled"' in line
            )
        )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@asynccontextmanager
async def running(processes: Sequence[ServiceProcess]) -> AsyncIterator[Sequence[ServiceProcess]]:
    """Start the processes (those not started yet), wait until each is ready, stop them all
    when the block ends."""
    try:
        for process in processes:
            if process.process is None:
                process.start()
        await asyncio.gather(*(process.wait_ready() for process in processes))
        yield processes
    finally:
        for process in processes:
            process.stop()


async def sigkill_once_consumed(
    replicas: Sequence[ServiceProcess],
    victim: ServiceProcess,
    committed: Callable[[], Awaitable[Committed]],
    count: int,
    *,
    within: float = 60,
) -> tuple[list[int], int]:
    """SIGKILL `victim` the moment the replicas' group has committed `count` records; each
    replica's handled events and the records committed, as read just before (the victim's
    own count dies with it)."""
    seen: dict[str, Any] = {}

    async def reached() -> bool:
        seen["shares"] = [await replica.events_handled() for replica in replicas]
        seen["committed"] = sum((await committed()).values())
        return seen["committed"] >= count

    await eventually(reached, within=within, interval=0.02)
    victim.kill()
    return seen["shares"], seen["committed"]


async def wait_committed(
    committed: Callable[[], Awaitable[Committed]], count: int, *, within: float = 60
) -> None:
    """Until the group has committed `count` records in all (`committed_offsets`)."""

    async def reached() -> bool:
        return sum((await committed()).values()) >= count

    await eventually(reached, within=within, interval=0.1)


async def publish_paced(
    publisher: EventPublisher,
    envelopes: Sequence[Envelope[Any]],
    *,
    chunk: int = 400,
    pause: float = 0.1,
) -> None:
    """Publish in chunks with a pause between them: a stream that keeps coming while a test
    kills a consumer, rather than one burst a fast group has consumed before the kill."""
    for start in range(0, len(envelopes), chunk):
        await publisher.publish_many(envelopes[start : start + chunk])
        await asyncio.sleep(pause)


@dataclass
class SigkillRun:
    """What `through_a_sigkill` saw: each replica's handled events just before the kill and
    after the restart, the records committed at the kill, `at_kill`'s answer, and when each
    phase ended (monotonic seconds)."""

    shares: list[int]
    killed_at: int
    at_kill: int
    after_restart: list[int]
    killed: float
    taken_over: float
    consumed_all: float


async def through_a_sigkill(
    publisher: EventPublisher,
    replicas: Sequence[ServiceProcess],
    committed: Callable[[], Awaitable[Committed]],
    phases: tuple[Sequence[Envelope[Any]], Sequence[Envelope[Any]], Sequence[Envelope[Any]]],
    at_kill: Callable[[], Awaitable[int]],
) -> SigkillRun:
    """A stream through a consumer group while its first replica dies and comes back: the
    first phase published at a pace, the replica SIGKILLed once a quarter of everything is
    committed (`at_kill` asked then, e.g. how many compactions had run); the second phase while
    the others wait out its session and take its partitions; then the replica restarted and
    given a share of the third."""
    first, second, last = phases
    total = len(first) + len(second) + len(last)
    publishing = asyncio.create_task(publish_paced(publisher, first))
    shares, killed_at = await sigkill_once_consumed(replicas, replicas[0], committed, total // 4)
    killed = time.monotonic()
    await publishing
    counted = await at_kill()
    await publisher.publish_many(second)
    await wait_committed(committed, len(first) + len(second), within=90)
    taken_over = time.monotonic()
    replicas[0].start()
    await replicas[0].wait_ready()
    await publisher.publish_many(last)
    await wait_committed(committed, total)
    after_restart = [await replica.events_handled() for replica in replicas]
    return SigkillRun(
        shares, killed_at, counted, after_restart, killed, taken_over, time.monotonic()
    )
