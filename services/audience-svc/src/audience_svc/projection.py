"""The patient projection: facts appended by consumers and imports, folded into shards by one
compactor, read by estimates and fan-outs in whole shards.

Writers never update: a consumer batch inserts one `pending_facts` record per clinic (its id
derived from the batch's event ids, so a redelivered batch inserts nothing). The compactor
(one replica, under a lease) folds pending records into the next generation of each shard
they touch, then deletes them and the old generation. A reader takes the pending records
first and the shards second, so whatever the compactor does meanwhile it folds every fact at
least once, and folding twice changes nothing (see `domain.facts`). Every replica reads the
same state from the database; the decoded shards are cached by generation id.
"""

import uuid
import zlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import structlog
from pymongo.asynchronous.database import AsyncDatabase

from audience_svc.blobs import pack, unpack
from audience_svc.domain.facts import Fact, State, fold, targeting_row
from reengage_common.leases import Lease
from reengage_common.storage import insert_new

log = structlog.get_logger(__name__)
BATCH_NAMESPACE = uuid.UUID("0b3f3d7e-6a0c-4f6e-9a55-2d8e1f4c7b90")
# Pending records one compaction round takes (each holds a consumer batch of facts).
ROUND_RECORDS = 200


def batch_record_id(kind: str, event_ids: Iterable[str]) -> str:
    return str(uuid.uuid5(BATCH_NAMESPACE, kind + "/" + ",".join(sorted(event_ids))))


class Projection:
    def __init__(self, database: AsyncDatabase, shards: int = 64) -> None:
        self.pending = database["pending_facts"]
        self.states = database["shard_states"]
        self.rows_by_shard = database["shard_rows"]
        self.shards = shards
        self._decoded: dict[tuple[str, str], Any] = {}

    def shard_of(self, patient_id: str) -> int:
        return zlib.crc32(patient_id.encode()) % self.shards

    # --- writing facts ----------------------------------------------------------------------

    async def append(self, record_id: str, clinic_id: str, facts: list[Fact]) -> bool:
        """Store facts of one clinic as one pending record; False if it was stored already."""
        if not facts:
            return False
        document = {"_id": record_id, "clinic_id": clinic_id, "n": len(facts), "blob": pack(facts)}
        return (await insert_new(self.pending, [document])).inserted == 1

    # --- reading ----------------------------------------------------------------------------

    async def _pending_facts(self, clinic_id: str, limit: int = 0) -> tuple[list[str], list[Fact]]:
        ids: list[str] = []
        facts: list[Fact] = []
        cursor = self.pending.find({"clinic_id": clinic_id}, batch_size=50)
        if limit:
            cursor = cursor.limit(limit)
        async for record in cursor:
            ids.append(record["_id"])
            facts.extend(unpack(record["blob"]))
        return ids, facts

    async def _latest(self, collection: Any, clinic_id: str) -> dict[int, dict[str, Any]]:
        """The newest generation of each shard: {shard: {"_id", "gen"}} (without the blob)."""
        latest: dict[int, dict[str, Any]] = {}
        async for head in collection.find({"clinic_id": clinic_id}, {"shard": 1, "gen": 1}):
            held = latest.get(head["shard"])
            if held is None or head["gen"] > held["gen"]:
                latest[head["shard"]] = head
        return latest

    async def _blobs(self, collection: Any, clinic_id: str, ids: list[str]) -> dict[str, Any]:
        # States and rows of one generation share an id: the cache keys by collection too.
        name = collection.name
        missing = [i for i in ids if (name, i) not in self._decoded]
        if missing:
            query = {"clinic_id": clinic_id, "_id": {"$in": missing}}
            async for doc in collection.find(query, batch_size=8):
                self._decoded[(name, doc["_id"])] = unpack(doc["blob"])
        return {i: self._decoded[(name, i)] for i in ids}

    def _forget(self, stale: Iterable[str]) -> None:
        for record_id in stale:
            for name in (self.states.name, self.rows_by_shard.name):
                self._decoded.pop((name, record_id), None)

    async def shard_states(
        self, clinic_id: str, shards: Iterable[int] | None = None, *, copies: bool = True
    ) -> dict[int, tuple[int, dict[str, State]]]:
        """{shard: (generation, {patient id: state})}; copies (safe to fold into) by default."""
        latest = await self._latest(self.states, clinic_id)
        wanted = [s for s in (latest if shards is None else shards) if s in latest]
        ids = [latest[s]["_id"] for s in wanted]
        blobs = await self._blobs(self.states, clinic_id, ids)
        own = _copy if copies else _same
        return {
            s: (latest[s]["gen"], {st["id"]: own(st) for st in blobs[latest[s]["_id"]]})
            for s in wanted
        }

    async def patient_states(self, clinic_id: str) -> dict[str, State]:
        """Every patient of the clinic, as of now (shards plus pending facts); read only."""
        _, facts = await self._pending_facts(clinic_id)
        states: dict[str, State] = {}
        for _, shard in (await self.shard_states(clinic_id, copies=False)).values():
            states.update(shard)
        touched = {pid for f in facts for pid in f.get("pids") or [f["pid"]]}
        for pid in touched & states.keys():
            states[pid] = _copy(states[pid])  # the cached state itself stays as stored
        fold(states, facts)
        return states

    async def rows(self, clinic_id: str) -> list[list[Any]]:
        """The targeting rows of every known patient of the clinic."""
        _, facts = await self._pending_facts(clinic_id)
        latest = await self._latest(self.rows_by_shard, clinic_id)
        by_shard = await self._blobs(
            self.rows_by_shard, clinic_id, [head["_id"] for head in latest.values()]
        )
        if not facts:
            return [row for rows in by_shard.values() for row in rows]
        touched_shards = {self.shard_of(pid) for f in facts for pid in f.get("pids") or [f["pid"]]}
        result = [
            row
            for shard, head in latest.items()
            if shard not in touched_shards
            for row in by_shard[head["_id"]]
        ]
        states: dict[str, State] = {}
        for _, shard_states in (await self.shard_states(clinic_id, touched_shards)).values():
            states.update(shard_states)
        fold(states, facts)
        result.extend(row for st in states.values() if (row := targeting_row(st)) is not None)
        return result

    # --- compaction (one replica, under a lease) ---------------------------------------------

    async def compact(self, lease: Lease | None = None) -> int:
        """Fold pending facts of every clinic into new shard generations; facts folded."""
        folded = 0
        for clinic_id in await self.pending.distinct("clinic_id"):
            folded += await self.compact_clinic(clinic_id, lease)
        return folded

    async def compact_clinic(self, clinic_id: str, lease: Lease | None = None) -> int:
        record_ids, facts = await self._pending_facts(clinic_id, ROUND_RECORDS)
        if not facts:
            return 0
        by_shard: dict[int, list[Fact]] = defaultdict(list)
        for fact in facts:
            pids = fact.get("pids")
            if pids:  # one fact about many patients (a fan-out's "targeted"): split by shard
                split: dict[int, list[str]] = defaultdict(list)
                for pid in pids:
                    split[self.shard_of(pid)].append(pid)
                for shard, members in split.items():
                    by_shard[shard].append({**fact, "pids": members})
            else:
                by_shard[self.shard_of(fact["pid"])].append(fact)
        current = await self.shard_states(clinic_id, by_shard)
        new_states, new_rows = [], []
        for shard, shard_facts in by_shard.items():
            gen, states = current.get(shard, (0, {}))
            fold(states, shard_facts)
            record_id = f"{clinic_id}:{shard:04d}:{gen + 1:09d}"
            base = {"_id": record_id, "clinic_id": clinic_id, "shard": shard, "gen": gen + 1}
            listed = list(states.values())
            rows = [row for st in listed if (row := targeting_row(st)) is not None]
            new_states.append({**base, "n": len(listed), "blob": pack(listed)})
            new_rows.append({**base, "n": len(rows), "blob": pack(rows)})
        if lease is not None and not lease.held():
            return 0
        await insert_new(self.states, new_states, batch=16)
        await insert_new(self.rows_by_shard, new_rows, batch=16)
        await self.pending.delete_many({"clinic_id": clinic_id, "_id": {"$in": record_ids}})
        # Every older generation of the rewritten shards (more than one after a crash).
        newest = {doc["_id"] for doc in new_states}
        stale = [
            head["_id"]
            async for head in self.states.find({"clinic_id": clinic_id}, {"shard": 1})
            if head["shard"] in by_shard and head["_id"] not in newest
        ]
        if stale:
            await self.states.delete_many({"clinic_id": clinic_id, "_id": {"$in": stale}})
            await self.rows_by_shard.delete_many({"clinic_id": clinic_id, "_id": {"$in": stale}})
            self._forget(stale)
        log.info(
            "projection.compacted", clinic_id=clinic_id, facts=len(facts), shards=len(by_shard)
        )
        return len(facts)


def _same(state: State) -> State:
    return state


def _copy(state: State) -> State:
    return {**state, "a": dict(state["a"]), "g": dict(state["g"]), "u": dict(state["u"])}
