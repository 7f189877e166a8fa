"""One fan-out of a clinic chooses its audience at a time: the 30-day rule across campaigns.

The race: a fan-out records who it targeted (the facts the rule reads) only after its sends,
so two fan-outs of one clinic that choose their audiences meanwhile — two launches at one
instant, keyed by campaign to different partitions and replicas, or a launch beside a day's
enrolment — each saw the other's patients as free and both targeted them.

The design, correct with any number of replicas:

1. A per-clinic turn, `fanout:<clinic>`, is a lease (`reengage_common.leases`) in
   `fanout_turns`: won by the unique insert of its next epoch, renewed while held, released
   when the audience is stored. A fan-out waits for its clinic's turn; a replica that dies
   holding it lets it expire (`LEASE_TTL_SECONDS`). Only the choice is serialised (reading the
   rows, evaluating, storing the plan: about a second at 100,000 patients), not the sends.
2. Who a plan targets is marked in `fanouts_in_flight` (one small document per unfinished
   plan, its patient ids packed) before the plan header is inserted, and unmarked after the
   "targeted" facts are stored. Under its turn a fan-out reads the marks of the clinic's other
   plans first and the projection second, so every earlier plan's patients are seen: in the
   marks while its facts are not yet stored, in the projection from then on. They count as
   targeted by their campaign at the plan's time (`domain.targeting.with_targeted`).
3. A holder checks its lease before inserting its plan header; a holder that lost it (paused
   past its expiry) fails the attempt, which the consumer retries from the start.

The collection of marks holds only unfinished plans, so reading a clinic's stays small.
"""

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta

import structlog

from audience_svc.blobs import pack, unpack
from audience_svc.store.protocol import AudienceStore
from reengage_common.leases import Lease

log = structlog.get_logger(__name__)
WAIT_SECONDS = 0.1


class TurnLost(RuntimeError):
    """The clinic's turn expired while its holder chose an audience: choose again."""


class ClinicTurns:
    def __init__(self, store: AudienceStore, ttl_seconds: float = 10.0) -> None:
        self._leases = store.turn_leases(timedelta(seconds=ttl_seconds))
        self._store = store

    @contextlib.asynccontextmanager
    async def turn(self, clinic_id: str) -> AsyncIterator[Lease]:
        """Wait for the clinic's turn and hold it (renewed) until the block ends."""
        loop = f"fanout:{clinic_id}"
        while True:
            lease = await self._leases.acquire(loop)
            if lease is not None:
                break
            await asyncio.sleep(WAIT_SECONDS)  # the holder's release or expiry, polled
        renewer = asyncio.ensure_future(self._keep(lease))
        try:
            yield lease
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            with contextlib.suppress(Exception):  # expiry lets the next one in anyway
                await self._leases.release(lease)

    async def _keep(self, lease: Lease) -> None:
        every = self._leases.ttl.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                if not await self._leases.renew(lease):
                    log.warning("fanout.turn_lost", loop=lease.loop, epoch=lease.epoch)
                    return
            except Exception:  # an outage: held() says whether the lease still stands
                log.warning("fanout.turn_not_renewed", loop=lease.loop, exc_info=True)

    async def others_in_flight(self, clinic_id: str, plan_id: str) -> dict[str, dict[str, float]]:
        """Patients of the clinic's other unfinished plans: {patient: {campaign: at}}."""
        targeted: dict[str, dict[str, float]] = defaultdict(dict)
        for mark in await self._store.marks_of_clinic(clinic_id):
            if mark["_id"] == plan_id:
                continue
            for pid in unpack(mark["blob"]):
                targeted[pid][mark["campaign_id"]] = mark["at"]
        return targeted

    async def mark(
        self, plan_id: str, clinic_id: str, campaign_id: str, at: datetime, pids: Sequence[str]
    ) -> None:
        """This plan targets `pids` (replacing what an attempt that crashed marked)."""
        await self.unmark(plan_id)
        await self._store.mark_in_flight(
            {
                "_id": plan_id,
                "clinic_id": clinic_id,
                "campaign_id": campaign_id,
                "at": at.timestamp(),
                "blob": pack(list(pids)),
            }
        )

    async def unmark(self, plan_id: str) -> None:
        await self._store.unmark_in_flight(plan_id)
