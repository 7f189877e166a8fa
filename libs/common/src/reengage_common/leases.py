"""One owner for each background loop across every replica of a service.

A lease is won by inserting the unique document `{_id: "<loop>:<epoch>"}`: the one write that
FerretDB makes atomic, so of any number of replicas racing for an epoch exactly one wins. The
owner renews by moving its own epoch's expiry (it is that document's only writer). When the
owner dies its lease expires, and the next epoch is again won by exactly one replica. A stale
owner (paused past its expiry) learns at its next renewal that a newer epoch exists and stops;
`Lease.held()` lets work check the lease before each side effect.
"""

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from pymongo import DESCENDING

from reengage_common.clock import Clock
from reengage_common.storage import Collection, claim

log = structlog.get_logger(__name__)

# Old epochs are kept for a while as an audit trail of who ran what, then pruned.
KEEP_EPOCHS = 20


def process_owner_id(service: str) -> str:
    """Unique per process, readable in the leases collection."""
    return f"{service}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Lease:
    loop: str
    epoch: int
    owner: str
    expires_at: datetime
    clock: Clock

    def held(self, margin: timedelta = timedelta(seconds=1)) -> bool:
        """Still ours, with a margin for the time a side effect may take."""
        return self.clock() + margin < self.expires_at


class Leases:
    def __init__(self, collection: Collection, owner: str, ttl: timedelta, clock: Clock) -> None:
        self._collection = collection
        self.owner = owner
        self.ttl = ttl
        self._clock = clock

    async def acquire(self, loop: str) -> Lease | None:
        """Win the next epoch of `loop` if its current lease expired (or none exists)."""
        now = self._clock()
        latest = await self._latest(loop)
        if latest is not None and _aware(latest["expires_at"], now) > now:
            return None
        epoch = latest["epoch"] + 1 if latest else 1
        expires_at = now + self.ttl
        won = await claim(
            self._collection,
            {
                "_id": f"{loop}:{epoch}",
                "loop": loop,
                "epoch": epoch,
                "owner": self.owner,
                "won_at": now,
                "expires_at": expires_at,
            },
        )
        if not won:
            return None
        if epoch > KEEP_EPOCHS:
            await self._collection.delete_many(
                {"loop": loop, "epoch": {"$lte": epoch - KEEP_EPOCHS}}
            )
        return Lease(loop, epoch, self.owner, expires_at, self._clock)

    async def renew(self, lease: Lease) -> bool:
        """Extend our lease; False if it expired or a newer epoch was won meanwhile."""
        now = self._clock()
        if now >= lease.expires_at:
            return False
        if await self._collection.find_one({"loop": lease.loop, "epoch": lease.epoch + 1}):
            return False
        expires_at = now + self.ttl
        await self._collection.update_one(
            {"_id": f"{lease.loop}:{lease.epoch}"}, {"$set": {"expires_at": expires_at}}
        )
        lease.expires_at = expires_at
        return True

    async def release(self, lease: Lease) -> None:
        """Let a successor take over at once (a clean shutdown)."""
        now = self._clock()
        lease.expires_at = now
        await self._collection.update_one(
            {"_id": f"{lease.loop}:{lease.epoch}"}, {"$set": {"expires_at": now}}
        )

    async def _latest(self, loop: str) -> dict | None:
        found = (
            await self._collection.find({"loop": loop}).sort("epoch", DESCENDING).limit(1).to_list()
        )
        return found[0] if found else None


def _aware(moment: datetime, like: datetime) -> datetime:
    """Mongo drivers without tz_aware hand back naive UTC datetimes."""
    return moment if moment.tzinfo else moment.replace(tzinfo=like.tzinfo)


async def run_under_lease(
    leases: Leases, loop: str, work: Callable[[Lease], Awaitable[None]]
) -> None:
    """Forever: win `loop`'s lease, run `work(lease)` while renewing it, stop work if lost."""
    renew_every = leases.ttl.total_seconds() / 3
    while True:
        lease = await leases.acquire(loop)
        if lease is None:
            await asyncio.sleep(renew_every)
            continue
        log.info("lease.won", loop=loop, epoch=lease.epoch, owner=leases.owner)
        task = asyncio.create_task(work(lease), name=f"{loop}#{lease.epoch}")
        try:
            await _keep_renewed(leases, lease, task, renew_every)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if task.done() and not task.cancelled() and task.exception() is not None:
            # Let the restarted loop (or another replica) win the next epoch at once.
            with contextlib.suppress(Exception):
                await leases.release(lease)
            raise task.exception()  # type: ignore[misc]
        log.warning("lease.lost", loop=loop, epoch=lease.epoch)


async def _keep_renewed(
    leases: Leases, lease: Lease, task: "asyncio.Task[None]", renew_every: float
) -> None:
    try:
        while not task.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), timeout=renew_every)
            if task.done() or not await leases.renew(lease):
                return
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await leases.release(lease)
        raise
