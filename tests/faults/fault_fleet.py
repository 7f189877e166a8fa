"""Two replicas of each service as real OS processes (tests/faults/launcher.py), one clock they
all read, and the ways a fault plan kills and restarts them.

Each replica runs every part of its service (SERVICE_ROLE=all: API, consumers, background loops),
so a SIGKILL takes the consumer, the sender or the fan-out down with the API, as in a pod.
"""

import asyncio
import random
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from reengage_testing import ServiceProcess

LAUNCHER = Path(__file__).resolve().parent / "launcher.py"
SERVICES = ("campaign_svc", "audience_svc", "dispatch_svc", "tracking_svc")
REPLICAS = 2


def quiet_port() -> int:
    """A free port below the kernel's ephemeral range: a killed replica's port must still be
    free when it restarts, and the ephemeral range is where every outgoing connection of the
    machine (Kafka, Mongo, HTTP clients) takes its local port from."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    while True:
        port = random.randrange(max(1024, low - 12_000), low)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


class Replica(ServiceProcess):
    """A ServiceProcess started through the launcher (the suite's clock, its delivery faults),
    on ports outside the ephemeral range."""

    def __init__(self, module: str, env: Mapping[str, str], log_path: str) -> None:
        super().__init__(module, env, log_path)
        self.port, self.public_port = quiet_port(), quiet_port()
        self._env["PORT"], self._env["PUBLIC_PORT"] = str(self.port), str(self.public_port)

    def start(self) -> "Replica":
        with open(self._log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(LAUNCHER), self.module],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.public_port}"

    @property
    def name(self) -> str:
        return f"{self.module}#{self.port}"


@dataclass
class SimulatedClock:
    """The offset every replica adds to real time, written to the file they read."""

    path: Path
    offset: timedelta = timedelta(0)

    def set(self, now: datetime) -> None:
        """Make it `now` (aware) in every process from this instant."""
        self.offset = now - datetime.now(now.tzinfo)
        self.path.write_text(f"{self.offset.total_seconds():.3f}")

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Fleet:
    """The replicas, by service; `env` is every replica's environment on top of the run's."""

    env: Mapping[str, str]
    logs: Path
    clock: SimulatedClock
    replicas: dict[str, list[Replica]] = field(default_factory=dict)

    def build(self) -> None:
        for module in SERVICES:
            self.replicas[module] = [
                Replica(module, self.env, str(self.logs / f"{module}-{n}.log"))
                for n in range(REPLICAS)
            ]

    @property
    def all(self) -> list[Replica]:
        return [replica for group in self.replicas.values() for replica in group]

    def first(self, module: str) -> Replica:
        return self.replicas[module][0]

    async def restart(self, replica: Replica) -> float:
        """Start a killed replica again; the seconds until it answered ready."""
        started = time.monotonic()
        replica.start()
        await replica.wait_ready(within=120)
        return time.monotonic() - started

    async def ready(self) -> dict[str, bool]:
        """Each replica's /readyz, now."""
        async with httpx.AsyncClient(timeout=3) as client:

            async def one(replica: Replica) -> bool:
                try:
                    return (await client.get(f"{replica.url}/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            answers = await asyncio.gather(*(one(r) for r in self.all))
        return {replica.name: answer for replica, answer in zip(self.all, answers, strict=True)}
