"""One launch at a time per clinic and incentive code, across replicas.

A launch reads the clinic's live campaigns to refuse an incentive code already in use in an
overlapping period, then writes: two launches racing with one code could both pass that read.
A guard `{_id: "<clinic>:<code>"}` won by a unique insert (the storage rule for claims) makes
them take turns: the second waits a moment, then answers 409 if the first still holds it, and
otherwise sees the first campaign live and refuses the code. The guard expires in wall-clock
time, so a replica killed mid-launch holds the code for `GUARD_SECONDS` at most.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from beanie import Document

from reengage_common.storage import claim

GUARD_SECONDS = 30
# A launch takes a few round trips: a racing one retries for about this long before a 409.
WAIT_SECONDS = 2.0
RETRY_SECONDS = 0.05


class LaunchGuard(Document):
    campaign_id: str
    expires_at: datetime

    class Settings:
        name = "launch_guards"


class LaunchUnderWay(Exception):
    """Another launch with the same incentive code is under way in this clinic."""


@contextlib.asynccontextmanager
async def one_launch_per_code(
    clinic_id: str, code: str | None, campaign_id: str
) -> AsyncIterator[None]:
    """Hold the clinic's guard for `code` while the launch checks and writes; no code, no guard."""
    if not code or not code.strip():
        yield
        return
    key = f"{clinic_id}:{code.strip().lower()}"
    collection = LaunchGuard.get_pymongo_collection()
    for _ in range(int(WAIT_SECONDS / RETRY_SECONDS)):
        expires_at = datetime.now(UTC) + timedelta(seconds=GUARD_SECONDS)
        if await claim(
            collection, {"_id": key, "campaign_id": campaign_id, "expires_at": expires_at}
        ):
            break
        await _forget_if_expired(key)
        await asyncio.sleep(RETRY_SECONDS)
    else:
        raise LaunchUnderWay(f"another launch with incentive code {code!r} is under way; try again")
    try:
        yield
    finally:
        await collection.delete_one({"_id": key, "campaign_id": campaign_id})


async def _forget_if_expired(key: str) -> None:
    """Drop a guard its holder left behind (killed mid-launch). The expiry is part of the
    filter, so a fresh guard someone just won is never the one removed."""
    collection = LaunchGuard.get_pymongo_collection()
    held = await collection.find_one({"_id": key})
    if held is None:
        return
    if held["expires_at"] <= datetime.now(UTC):  # the client is tz_aware (db.py)
        await collection.delete_one({"_id": key, "expires_at": held["expires_at"]})
