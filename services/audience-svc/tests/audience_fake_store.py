"""An in-memory `AudienceStore` and `PatientProjection` for unit tests of the handlers, fan-outs
and daily enrolment (no server).

The store keeps the very records the MongoDB store keeps (`audience_svc.store.records` makes
the campaign records, the fan-out its plans, chunks and marks) and the guarantees the code
relies on: inserts under a unique key (a run, status change, plan, chunk or progress marker
stored twice is kept once), reads in insertion order, copies handed out as a database's
answers are, and a clinic's turn as a lease (the next epoch won only once the latest expired).

The projection folds every appended record's facts at once with the projection's own fold
(`domain.facts`): no shards and no compaction, so its rows are what `Projection.rows` reads
once everything is folded, and a fan-out's "targeted" facts reach the next fan-out's rows.
"""

import copy
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from audience_svc.blobs import unpack
from audience_svc.domain.facts import State, fold, targeting_row
from audience_svc.store.records import Record, run_record, status_record
from reengage_common.clock import Clock
from reengage_common.events import CampaignLaunched, CampaignStatusChanged
from reengage_common.leases import Lease


def _insert_new(records: dict[str, Record], documents: Iterable[Record]) -> int:
    inserted = 0
    for document in documents:
        if document["_id"] not in records:
            records[document["_id"]] = copy.deepcopy(document)
            inserted += 1
    return inserted


def _copies(records: Iterable[Record]) -> list[Record]:
    return [copy.deepcopy(record) for record in records]


class FakeTurnLeases:
    """`reengage_common.leases.Leases` in memory: {loop: (latest epoch, its expiry)}, shared by
    every fan-out over one store, as the `fanout_turns` collection is."""

    def __init__(
        self,
        epochs: dict[str, tuple[int, datetime]],
        ttl: timedelta,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.ttl = ttl
        self._epochs = epochs
        self._clock = clock

    async def acquire(self, loop: str) -> Lease | None:
        now = self._clock()
        latest = self._epochs.get(loop)
        if latest is not None and latest[1] > now:
            return None
        epoch = latest[0] + 1 if latest else 1
        self._epochs[loop] = (epoch, now + self.ttl)
        return Lease(loop, epoch, "unit-tests", now + self.ttl, self._clock)

    async def renew(self, lease: Lease) -> bool:
        now = self._clock()
        if now >= lease.expires_at or self._epochs[lease.loop][0] != lease.epoch:
            return False
        lease.expires_at = now + self.ttl
        self._epochs[lease.loop] = (lease.epoch, lease.expires_at)
        return True

    async def release(self, lease: Lease) -> None:
        lease.expires_at = self._clock()
        if self._epochs[lease.loop][0] == lease.epoch:
            self._epochs[lease.loop] = (lease.epoch, lease.expires_at)


class FakeAudienceStore:
    def __init__(self) -> None:
        self.runs: dict[str, Record] = {}
        self.statuses: dict[str, Record] = {}
        self.plans: dict[str, Record] = {}
        self.chunks: dict[str, Record] = {}
        self.progress: dict[str, Record] = {}
        self.marks: dict[str, Record] = {}
        self.turns: dict[str, tuple[int, datetime]] = {}

    # --- campaign runs and statuses ---------------------------------------------------------

    async def store_run(self, clinic_id: str, launched: CampaignLaunched) -> None:
        _insert_new(self.runs, [run_record(clinic_id, launched)])

    async def run(self, run_id: str) -> Record | None:
        return copy.deepcopy(self.runs.get(run_id))

    async def daily_runs(self) -> list[Record]:
        return _copies(run for run in self.runs.values() if run["refresh_daily"] is True)

    async def runs_of_campaign(self, campaign_id: str) -> list[Record]:
        fields = ("_id", "launched", "clinic_id", "run_number")
        runs = [run for run in self.runs.values() if run["campaign_id"] == campaign_id]
        return _copies({name: run[name] for name in fields} for run in runs)

    async def store_status_changes(self, changes: list[CampaignStatusChanged]) -> None:
        _insert_new(self.statuses, [status_record(changed) for changed in changes])

    async def status_changes(self, campaign_id: str) -> list[Record]:
        return _copies(s for s in self.statuses.values() if s["campaign_id"] == campaign_id)

    # --- plans --------------------------------------------------------------------------------

    async def plan(self, plan_id: str) -> Record | None:
        return copy.deepcopy(self.plans.get(plan_id))

    async def unfinished_plans(self) -> list[Record]:
        return _copies(plan for plan in self.plans.values() if plan["finished"] is False)

    async def store_plan(self, plan: Record) -> None:
        _insert_new(self.plans, [plan])

    async def finish_plan(self, plan_id: str) -> None:
        if plan_id in self.plans:
            self.plans[plan_id]["finished"] = True

    async def drop_chunks(self, plan_id: str) -> None:
        for chunk_id in [i for i, chunk in self.chunks.items() if chunk["plan_id"] == plan_id]:
            del self.chunks[chunk_id]

    async def store_chunks(self, chunks: list[Record]) -> None:
        _insert_new(self.chunks, chunks)

    async def chunks_of(self, plan_id: str) -> list[Record]:
        return _copies(chunk for chunk in self.chunks.values() if chunk["plan_id"] == plan_id)

    async def published_chunks(self, plan_id: str) -> set[str]:
        return {i for i, marker in self.progress.items() if marker["plan_id"] == plan_id}

    async def mark_published(self, plan_id: str, chunk_id: str) -> None:
        _insert_new(self.progress, [{"_id": chunk_id, "plan_id": plan_id}])

    # --- clinic turns -------------------------------------------------------------------------

    def turn_leases(self, ttl: timedelta) -> FakeTurnLeases:
        return FakeTurnLeases(self.turns, ttl)

    async def marks_of_clinic(self, clinic_id: str) -> list[Record]:
        return _copies(mark for mark in self.marks.values() if mark["clinic_id"] == clinic_id)

    async def mark_in_flight(self, mark: Record) -> None:
        if mark["_id"] in self.marks:  # insert_one's answer to a key taken
            raise DuplicateKeyError(f"fanouts_in_flight: {mark['_id']} exists")
        self.marks[mark["_id"]] = copy.deepcopy(mark)

    async def unmark_in_flight(self, plan_id: str) -> None:
        self.marks.pop(plan_id, None)


class FakeProjection:
    def __init__(self) -> None:
        self.appended: dict[str, Record] = {}  # pending records by id, as appended
        self.states: dict[str, dict[str, State]] = defaultdict(dict)  # clinic -> patient -> state

    async def append(self, records: list[Record]) -> int:
        inserted = 0
        for record in records:
            if record["_id"] not in self.appended:  # stored already: skipped, as `insert_new` does
                self.appended[record["_id"]] = record
                fold(self.states[record["clinic_id"]], unpack(record["blob"]))
                inserted += 1
        return inserted

    async def rows(self, clinic_id: str) -> list[list[Any]]:
        made = (targeting_row(state) for state in self.states[clinic_id].values())
        return [row for row in made if row is not None]

    async def patient_states(self, clinic_id: str) -> dict[str, State]:
        return copy.deepcopy(self.states[clinic_id])

    async def patient_states_of(self, clinic_id: str, patient_ids: set[str]) -> dict[str, State]:
        known = self.states[clinic_id]
        return {
            pid: copy.deepcopy(known[pid])
            for pid in patient_ids
            if pid in known and known[pid]["p"] is not None
        }
