"""dispatch-svc as real OS processes for the crash and replica tests: started with the test's
topics, database and provider fakes, killed with SIGKILL."""

import asyncio
import os
import subprocess
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from kit import ACCOUNT_SID, AUTH_TOKEN, LOB_KEY, PUBLIC_BASE_URL, Providers

from dispatch_svc.config import DispatchSettings


def awake_zone(now: datetime) -> str:
    """A time zone where it is day now, so the real clock of the process allows sending."""
    for name in ("America/Chicago", "Europe/London", "Asia/Tokyo", "Pacific/Honolulu"):
        if 9 <= now.astimezone(ZoneInfo(name)).hour < 20:
            return name
    return "Asia/Kolkata"


def start_dispatch(
    settings: DispatchSettings,
    providers: Providers,
    port: int,
    log: Path,
    extra: Mapping[str, str | int] | None = None,
) -> subprocess.Popen[bytes]:
    """A dispatch-svc process on the test's topics (as many partitions as `settings` say),
    database and provider fakes; `extra` settings on top, e.g. {"EMAIL_CONCURRENCY": 16}."""
    env = {
        **os.environ,
        "ENV": "test",
        "PORT": str(port),
        "KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        "KAFKA_PARTITIONS": str(settings.kafka_partitions),
        "MONGO_DB_PREFIX": settings.mongo_db_prefix,
        "TWILIO_API_BASE": providers.twilio_base,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "LOB_API_BASE": providers.lob_base,
        "LOB_API_KEY": LOB_KEY,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "EMAIL_FROM": settings.email_from,
        "LEASE_TTL_SECONDS": "4",
        "CLAIM_TTL_SECONDS": "3",
        "SENDER_TICK_SECONDS": "0.05",
        "OUTBOX_POLL_SECONDS": "0.1",
        "LOG_LEVEL": "WARNING",
        **{key: str(value) for key, value in (extra or {}).items()},
    }
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "dispatch_svc"], env=env, stdout=handle, stderr=handle
    )


async def wait_ready(ports: list[int], within: float = 120) -> None:
    """Until each process answers /readyz: its consumer joined the group and was given its
    partitions (so work published afterwards is shared by all of them)."""
    async with httpx.AsyncClient() as client:
        for port in ports:
            for _ in range(int(within / 0.1)):
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"the process on port {port} never became ready")
