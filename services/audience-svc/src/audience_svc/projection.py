"""The patient projection: facts appended by consumers and imports, folded into shards by one
compactor, read by estimates and fan-outs in whole shards. (Over 300 lines: the compactor's
round and the readers keep one invariant, below, which holds only in the order both follow;
the pure fold they share is `domain.facts`.)

Writers never update: a consumer batch inserts one `pending_facts` record per clinic (its id
derived from the batch's event ids, so a redelivered batch inserts nothing). The compactor
(every replica, each for the clinics whose partition of `patient.upserted` its consumer owns:
`reengage_common.shares`) folds pending records into the next generation of each shard
they touch, then deletes them and the old generation. A reader takes the pending records
first and the shards second, so whatever the compactor does meanwhile it folds every fact at
least once, and folding twice changes nothing (see `domain.facts`). Every replica reads the
same state from the database; the decoded shards are cached by record id.

Which generation of a shard is current is told by `shard_heads`: one small document per
generation, `{clinic}:{shard}:{gen}`, pointing at that round's state and row records (ids with
a suffix of the round). A head is inserted after its records, so a head never points at
nothing; of two compactors racing for a generation exactly one head is inserted, and the
loser keeps its pending facts for the next round. Why heads apart from the blobs: on FerretDB
1.24 every query on a collection of blobs ships each matching document whole from PostgreSQL
(projections are applied afterwards, in Go), so asking the blob collections which generations
exist cost a clinic's every blob, on every estimate, where a collection of heads alone costs
little (the figures: docs/perf.md). The records themselves live in a
collection per clinic and kind (`blobs_of`), since PostgreSQL unpacks every document of a
collection to test a filter: one clinic's round must not cost every clinic's blobs.
"""

import asyncio
import hashlib
import time
import uuid
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any

import structlog
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from audience_svc.blobs import pack, unpack
from audience_svc.decoded_cache import DecodedCache
from audience_svc.domain.facts import (
    R_ID,
    Fact,
    State,
    fold,
    is_contact,
    new_state,
    targeting_row,
    with_contacts,
)
from reengage_common.cpu import without_gc
from reengage_common.shares import Holding, PartitionShare
from reengage_common.storage import insert_new

log = structlog.get_logger(__name__)
# The two kinds of a generation's records, each kept in a collection per clinic (`blobs_of`).
STATES, ROWS = "shard_states", "shard_rows"
PENDING = "pending_facts"  # the key kind of decoded pending records in the cache
BATCH_NAMESPACE = uuid.UUID("0b3f3d7e-6a0c-4f6e-9a55-2d8e1f4c7b90")
# Pending records one compaction round takes (each holds a consumer batch of facts, up to
# 1,000): a round rewrites every shard it touches, so it folds as much as is pending at once.
ROUND_RECORDS = 1000
# Concurrent queries reading a clinic's shard blobs.
READERS = 4
# Stored bytes of decoded shards a replica keeps (PROJECTION_CACHE_BYTES; see config.py).
DEFAULT_CACHE_BYTES = 32 * 1024 * 1024


def batch_record_id(kind: str, event_ids: Iterable[str]) -> str:
    return str(uuid.uuid5(BATCH_NAMESPACE, kind + "/" + ",".join(sorted(event_ids))))


def pending_record(record_id: str, clinic_id: str, facts: list[Fact]) -> dict[str, Any]:
    """Facts of one clinic as one pending record (its id derived from the events'), with when
    it was stored (wall clock, epoch seconds): contact facts may wait (`Projection`)."""
    return {
        "_id": record_id,
        "clinic_id": clinic_id,
        "n": len(facts),
        "at": time.time(),
        "contacts": all(is_contact(fact) for fact in facts),
        "blob": pack(facts),
    }


class Projection:
    def __init__(
        self,
        database: AsyncDatabase,
        shards: int = 64,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        contacts_wait_seconds: float = 0.0,
    ) -> None:
        """`contacts_wait_seconds`: how long a clinic's pending facts may wait to be folded
        when they only say who was contacted or targeted (a send's message.sent, a fan-out's
        targeted facts). Readers apply those to the stored rows as they are (`rows`), so
        folding them early buys nothing, and each round rewrites every shard they touch: in a
        100,000-patient send, every shard of the clinic every few seconds (the compactor then
        took 47 s of CPU beside the send, ~70 % of it such rounds)."""
        self.contacts_wait_seconds = contacts_wait_seconds
        self.pending = database["pending_facts"]
        self.heads = database["shard_heads"]
        self._database = database
        self.shards = shards
        # (collection, record id) -> decoded blob, least recently used out (decoded_cache.py)
        self._decoded = DecodedCache(cache_bytes)

    def shard_of(self, patient_id: str) -> int:
        return zlib.crc32(patient_id.encode()) % self.shards

    def blobs_of(self, kind: str, clinic_id: str) -> AsyncCollection:
        """The clinic's own collection of `STATES` or `ROWS` records. Per clinic, because on
        FerretDB a query over blobs costs every blob of its collection (PostgreSQL unpacks each
        document to test the filter): in one collection for all clinics, each compaction round
        and read of one clinic cost every clinic's shards (the figures: docs/perf.md)."""
        key = hashlib.sha256(clinic_id.encode()).hexdigest()[:20]
        return self._database[f"{kind}_{key}"]

    # --- writing facts ----------------------------------------------------------------------

    async def append(self, records: list[dict[str, Any]]) -> int:
        """Store pending records (`pending_record`); those stored already are skipped."""
        return (await insert_new(self.pending, records)).inserted if records else 0

    # --- reading ----------------------------------------------------------------------------

    async def _pending_facts(self, clinic_id: str, limit: int = 0) -> tuple[list[str], list[Fact]]:
        ids: list[str] = []
        facts: list[Fact] = []
        cursor = self.pending.find({"clinic_id": clinic_id}, batch_size=50)
        if limit:
            cursor = cursor.limit(limit)
        async for record in cursor:
            ids.append(record["_id"])
            facts.extend(self._pending_of(record))
        return ids, facts

    def _pending_of(self, record: dict[str, Any]) -> list[Fact]:
        """A pending record's facts, decoded once per replica: a record is never changed, and
        while a send's contact facts wait every estimate reads them all again (read only)."""
        key = (PENDING, record["_id"])
        facts = self._decoded.get(key)
        if facts is None:
            facts = unpack(record["blob"])
            self._decoded.put(key, facts, len(record["blob"]))
        return facts

    async def _latest(self, clinic_id: str) -> dict[int, dict[str, Any]]:
        """The newest generation of each shard: {shard: head} (`gen`, `record`)."""
        latest: dict[int, dict[str, Any]] = {}
        async for head in self.heads.find({"clinic_id": clinic_id}):
            held = latest.get(head["shard"])
            if held is None or head["gen"] > held["gen"]:
                latest[head["shard"]] = head
        return latest

    async def _blobs(self, kind: str, clinic_id: str, ids: list[str]) -> dict[str, Any]:
        # States and rows of one generation share an id: the cache keys by kind too.
        found = {i: value for i in ids if (value := self._decoded.get((kind, i))) is not None}
        missing = [i for i in ids if i not in found]
        if missing:
            # A few queries at once: the server reads and the client decodes in parallel.
            groups = [missing[n::READERS] for n in range(min(READERS, len(missing)))]
            for read in await asyncio.gather(*(self._read(kind, clinic_id, g) for g in groups)):
                found.update(read)  # from here, not the cache: a bounded one may have let go
        return found

    async def _read(self, kind: str, clinic_id: str, ids: list[str]) -> dict[str, Any]:
        read: dict[str, Any] = {}
        rows = kind == ROWS
        async for doc in self.blobs_of(kind, clinic_id).find({"_id": {"$in": ids}}, batch_size=8):
            # Off the event loop, a blob at a time: at 100,000 patients a new generation's 64
            # shards decode for most of a second, which other requests waited behind.
            value = await asyncio.to_thread(_decode_record, doc["blob"], rows)
            self._decoded.put((kind, doc["_id"]), value, len(doc["blob"]))
            read[doc["_id"]] = value
        return read

    def _forget(self, stale: Iterable[str]) -> None:
        for record_id in stale:
            for kind in (STATES, ROWS):
                self._decoded.pop((kind, record_id))

    async def shard_states(
        self, clinic_id: str, shards: Iterable[int] | None = None, *, copies: bool = True
    ) -> dict[int, tuple[int, dict[str, State]]]:
        """{shard: (generation, {patient id: state})}; copies (safe to fold into) by default,
        else the cached states themselves (read only)."""
        latest = await self._latest(clinic_id)
        return await self._states_at(clinic_id, latest, shards, copies=copies)

    async def _states_at(
        self,
        clinic_id: str,
        latest: dict[int, dict[str, Any]],
        shards: Iterable[int] | None,
        *,
        copies: bool,
    ) -> dict[int, tuple[int, dict[str, State]]]:
        wanted = [s for s in (latest if shards is None else shards) if s in latest]
        blobs = await self._blobs(STATES, clinic_id, [latest[s]["record"] for s in wanted])
        states = {s: (latest[s]["gen"], blobs[latest[s]["record"]]) for s in wanted}
        if not copies:
            return states
        return {
            s: (gen, {pid: _copy(state) for pid, state in held.items()})
            for s, (gen, held) in states.items()
        }

    async def patient_states(self, clinic_id: str) -> dict[str, State]:
        """Every patient of the clinic, as of now (shards plus pending facts); read only."""
        _, facts = await self._pending_facts(clinic_id)
        states: dict[str, State] = {}
        for _, shard in (await self.shard_states(clinic_id, copies=False)).values():
            states.update(shard)
        with without_gc():
            touched = {pid for f in facts for pid in f.get("pids") or [f["pid"]]}
            for pid in touched & states.keys():
                states[pid] = _copy(states[pid])  # the cached state itself stays as stored
            fold(states, facts)
        return states

    async def patient_state(self, clinic_id: str, patient_id: str) -> State | None:
        """One patient as of now, or None while no `patient.upserted` told us of them: the one
        shard that holds the patient (not the clinic's 64) plus the patient's pending facts."""
        return (await self.patient_states_of(clinic_id, {patient_id})).get(patient_id)

    async def patient_states_of(self, clinic_id: str, patient_ids: set[str]) -> dict[str, State]:
        """Some patients as of now (those known: a `patient.upserted` told us of them), read
        from the shards that hold them plus the clinic's pending facts, read once."""
        _, facts = await self._pending_facts(clinic_id)
        shards = sorted({self.shard_of(patient_id) for patient_id in patient_ids})
        stored = await self.shard_states(clinic_id, shards, copies=False)
        states: dict[str, State] = {}
        for patient_id in patient_ids:
            _, held = stored.get(self.shard_of(patient_id), (0, {}))
            state = _with_pending(patient_id, held.get(patient_id), facts)
            if state is not None and state["p"] is not None:
                states[patient_id] = state
        return states

    async def rows(self, clinic_id: str) -> "Rows":
        """The targeting rows of every known patient of the clinic (see `facts.R_*`).

        Pending facts are applied to the patients they touch only, whose rows replace theirs
        in the shards' stored rows. Contact facts (who was contacted or targeted: all a send
        adds) are applied to the stored rows themselves (`facts.with_contacts`); only the
        patients other facts touch are folded again, from copies of their states. While a
        campaign sends its contact facts touch every shard: reading and decoding the states
        of the whole clinic for them made an estimate ~2 s of CPU at 100,000 patients."""
        _, facts = await self._pending_facts(clinic_id)
        latest = await self._latest(clinic_id)
        by_record = await self._blobs(ROWS, clinic_id, [head["record"] for head in latest.values()])
        pending = PendingFacts.of(facts, self.shard_of)
        result = Rows(
            [
                by_record[head["record"]]
                for shard, head in latest.items()
                if shard not in pending.shards and head["record"] in by_record
            ]
        )
        if not facts:
            return result
        stored = await self._states_at(clinic_id, latest, pending.refolded, copies=False)
        # Off the event loop: at 100,000 patients a send's pending facts make this a fraction
        # of a second of CPU, which other requests of this process would otherwise wait behind.
        result.loose = await asyncio.to_thread(_rows_touched, pending, stored, latest, by_record)
        return result

    # --- compaction (each clinic by the replica owning its partition) ------------------------

    async def compact(self, owner: PartitionShare | None = None) -> "Round":
        """Fold pending facts of every clinic (of `owner`'s clinics) into new shard generations.

        The pending records are read once for all clinics: on FerretDB a `distinct` of their
        clinics ships every record from PostgreSQL as a read of them does."""
        due, waiting = await self._clinics_due(owner)
        by_clinic: dict[str, tuple[list[str], list[Fact]]] = {}
        taken = 0
        if due:
            query = {"clinic_id": due[0] if len(due) == 1 else {"$in": due}}
            async for record in self.pending.find(query, batch_size=50).limit(ROUND_RECORDS):
                ids, facts = by_clinic.setdefault(record["clinic_id"], ([], []))
                ids.append(record["_id"])
                facts.extend(unpack(record["blob"]))
                taken += 1
        folded = 0
        for clinic_id, (record_ids, facts) in by_clinic.items():
            holding = owner.holding(clinic_id) if owner is not None else None
            folded += await self._compact_records(clinic_id, record_ids, facts, holding)
        return Round(folded, backlog=taken >= ROUND_RECORDS, waiting=waiting)

    async def _clinics_due(self, owner: PartitionShare | None) -> tuple[list[str], int]:
        """The clinics (of `owner`) whose pending facts a round folds now, and how many
        records wait.

        Records holding contact facts alone wait until the oldest is `contacts_wait_seconds`
        old, or until they fill half a round (so other clinics' records are never stuck
        behind them). Asked without the blobs: the round then reads only the clinics due.
        With other replicas' clinics among them, a round looks at as many more records as
        its share is smaller, so their backlog never hides its own."""
        found = self.pending.find({}, {"clinic_id": 1, "at": 1, "contacts": 1})
        if owner is not None and not owner.owned:
            return [], 0
        looked_at = ROUND_RECORDS if owner is None else int(ROUND_RECORDS / owner.share())
        records: dict[str, list[dict[str, Any]]] = defaultdict(list)
        async for record in found.limit(looked_at):
            if owner is None or owner.owns_key(record["clinic_id"]):
                records[record["clinic_id"]].append(record)
        now, due, waiting = time.time(), [], 0
        for clinic_id, held in records.items():
            may_wait = (
                len(held) < ROUND_RECORDS // 2
                and all(record.get("contacts") for record in held)  # none on older records
                and now - min(record["at"] for record in held) < self.contacts_wait_seconds
            )
            if may_wait:
                waiting += len(held)
            else:
                due.append(clinic_id)
        return due, waiting

    async def compact_clinic(self, clinic_id: str, holding: Holding | None = None) -> int:
        """One round over one clinic's pending facts; the facts folded."""
        record_ids, facts = await self._pending_facts(clinic_id, ROUND_RECORDS)
        return await self._compact_records(clinic_id, record_ids, facts, holding)

    async def _compact_records(
        self, clinic_id: str, record_ids: list[str], facts: list[Fact], holding: Holding | None
    ) -> int:
        """Fold these pending records of the clinic; the facts folded."""
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
        latest = await self._latest(clinic_id)
        current = await self._states_at(clinic_id, latest, by_shard, copies=False)
        previous = {shard: latest[shard]["record"] for shard in by_shard if shard in latest}
        rows = await self._blobs(ROWS, clinic_id, list(previous.values()))
        previous_rows = {shard: rows.get(record) for shard, record in previous.items()}
        with without_gc():
            new_states, new_rows, cache = _fold_shards(
                clinic_id, by_shard, current, previous_rows, round_id=uuid.uuid4().hex[:8]
            )
        if holding is not None and not holding.held():
            return 0
        await insert_new(self.blobs_of(STATES, clinic_id), new_states, batch=16)
        await insert_new(self.blobs_of(ROWS, clinic_id), new_rows, batch=16)
        stored_bytes = {
            (kind, document["_id"]): len(document["blob"])
            for kind, documents in ((STATES, new_states), (ROWS, new_rows))
            for document in documents
        }
        for record_id, states, shard_columns in cache:  # this replica need not decode them
            for kind, value in ((STATES, states), (ROWS, shard_columns)):
                key = (kind, record_id)
                self._decoded.put(key, value, stored_bytes[key])
        heads = [_head_of(document) for document in new_states]
        won = await insert_new(self.heads, heads)
        if won.duplicate_ids:
            # Another compactor (a clinic moving between replicas) took these generations: its heads stand,
            # and the facts stay pending until a round folds them onto its generations.
            log.warning("projection.generations_lost", clinic_id=clinic_id, lost=won.duplicate_ids)
            return 0
        await self.pending.delete_many({"clinic_id": clinic_id, "_id": {"$in": record_ids}})
        for record_id in record_ids:
            self._decoded.pop((PENDING, record_id))
        await self._forget_older(clinic_id, {head["shard"]: head["gen"] for head in heads})
        log.info(
            "projection.compacted", clinic_id=clinic_id, facts=len(facts), shards=len(by_shard)
        )
        return len(facts)

    async def _forget_older(self, clinic_id: str, newest: dict[int, int]) -> None:
        """Every older generation of the rewritten shards (more than one after a crash)."""
        stale = [
            head
            async for head in self.heads.find({"clinic_id": clinic_id})
            if head["shard"] in newest and head["gen"] < newest[head["shard"]]
        ]
        if not stale:
            return
        records = [head["record"] for head in stale]
        for kind in (STATES, ROWS):
            await self.blobs_of(kind, clinic_id).delete_many({"_id": {"$in": records}})
        ids = [head["_id"] for head in stale]
        await self.heads.delete_many({"clinic_id": clinic_id, "_id": {"$in": ids}})
        self._forget(records)


def _with_pending(patient_id: str, state: State | None, facts: list[Fact]) -> State | None:
    """The patient's stored state with their pending facts folded into a copy (the cached
    shard stays as stored)."""
    own = [
        {**f, "pids": [patient_id]} if f.get("pids") else f
        for f in facts
        if patient_id in (f.get("pids") or (f["pid"],))
    ]
    if not own:
        return state
    states = {patient_id: _copy(state) if state else new_state(patient_id)}
    fold(states, own)
    return states[patient_id]


def _decode_record(blob: bytes, rows: bool) -> Any:
    """A stored record's blob: a shard's row columns, or its states by patient id."""
    with without_gc():
        value = unpack(blob)
        if rows:
            return value["cols"]
        return {state["id"]: state for state in value}


@dataclass
class PendingFacts:
    """A clinic's pending facts as a reader applies them: the patients to fold again from
    their states (touched by a fact other than a contact) with their facts, and the contact
    facts of every other touched patient."""

    refolded: dict[int, set[str]]  # shard -> patients folded again
    refold_facts: list[Fact]  # every fact about them (contacts too), restricted to them
    contacts: dict[str, list[Fact]]  # patient -> contact facts, for the others
    shards: set[int]  # every shard a fact touches

    @classmethod
    def of(cls, facts: list[Fact], shard_of: Callable[[str], int]) -> "PendingFacts":
        again = {fact["pid"] for fact in facts if not is_contact(fact)}
        refolded: dict[int, set[str]] = defaultdict(set)
        for pid in again:
            refolded[shard_of(pid)].add(pid)
        refold_facts: list[Fact] = []
        contacts: dict[str, list[Fact]] = defaultdict(list)
        for fact in facts:
            members = fact.get("pids") or [fact["pid"]]
            ours = [pid for pid in members if pid in again]
            if ours:
                refold_facts.append({**fact, "pids": ours} if fact.get("pids") else fact)
            if is_contact(fact):
                for pid in members:
                    if pid not in again:
                        contacts[pid].append(fact)
        shards = set(refolded) | {shard_of(pid) for pid in contacts}
        return cls(dict(refolded), refold_facts, dict(contacts), shards)


def _rows_touched(
    pending: PendingFacts,
    stored: dict[int, tuple[int, dict[str, State]]],
    latest: dict[int, dict[str, Any]],
    by_record: dict[str, Any],
) -> list[Any]:
    """Rows of the touched shards: patients folded again (into copies of their states), rows
    with their contact facts applied, the others as stored."""
    with without_gc():
        states = {
            pid: _copy(held[pid])
            for shard, pids in pending.refolded.items()
            for held in [stored.get(shard, (0, {}))[1]]
            for pid in pids
            if pid in held
        }
        fold(states, pending.refold_facts)
        again = states.keys() | {pid for pids in pending.refolded.values() for pid in pids}
        rows = [row for state in states.values() if (row := targeting_row(state)) is not None]
        for shard in pending.shards:
            head = latest.get(shard)
            columns = by_record.get(head["record"]) if head else None
            if not columns:  # no generation yet: its patients are all in `states`
                continue
            for row in zip(*columns, strict=True):
                pid = row[R_ID]
                if pid in again:
                    continue
                contacts = pending.contacts.get(pid)
                rows.append(with_contacts(row, contacts) if contacts else row)
    return rows


@dataclass(frozen=True)
class Round:
    """A compaction round: facts folded, whether more were pending than one round takes, and
    the pending records left to wait (contact facts, see `Projection._clinics_due`)."""

    folded: int
    backlog: bool
    waiting: int = 0


def _head_of(state_record: dict[str, Any]) -> dict[str, Any]:
    clinic_id, shard, gen = state_record["clinic_id"], state_record["shard"], state_record["gen"]
    return {
        "_id": f"{clinic_id}:{shard:04d}:{gen:09d}",
        "clinic_id": clinic_id,
        "shard": shard,
        "gen": gen,
        "record": state_record["_id"],
    }


def _fold_shards(
    clinic_id: str,
    by_shard: dict[int, list[Fact]],
    current: dict[int, tuple[int, dict[str, State]]],
    previous_rows: dict[int, Any],
    *,
    round_id: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[str, Any, Any]]]:
    """The next generation of each shard the facts touch: state and row documents to insert,
    and what to cache. The cached generation stays as it is (readers may hold it): facts are
    folded into copies of the states they touch, and rows derived again for those only."""
    new_states, new_rows, cache = [], [], []
    for shard, shard_facts in by_shard.items():
        gen, cached = current.get(shard, (0, {}))
        touched = {pid for f in shard_facts for pid in f.get("pids") or [f["pid"]]}
        states = dict(cached)
        for pid in touched & states.keys():
            states[pid] = _copy(states[pid])
        fold(states, shard_facts)
        # A round's own records: a crashed or lost round's leftovers never collide with them.
        record_id = f"{clinic_id}:{shard:04d}:{gen + 1:09d}:{round_id}"
        old_rows = previous_rows.get(shard)
        by_pid = {row[R_ID]: row for row in zip(*old_rows, strict=True)} if old_rows else {}
        if not old_rows:
            touched = set(states)
        for pid in touched:
            row = targeting_row(states[pid])
            if row is None:
                by_pid.pop(pid, None)
            else:
                by_pid[pid] = row
        shard_columns = [list(c) for c in zip(*by_pid.values(), strict=True)]
        base = {"_id": record_id, "clinic_id": clinic_id, "shard": shard, "gen": gen + 1}
        new_states.append({**base, "n": len(states), "blob": pack(list(states.values()))})
        new_rows.append({**base, "n": len(by_pid), "blob": pack({"cols": shard_columns})})
        cache.append((record_id, states, shard_columns))
    return new_states, new_rows, cache


class Rows:
    """A clinic's targeting rows, kept as the shards' columns: iterating yields one tuple per
    patient at a time (nothing is copied, so the cached columns stay the only objects). The
    rows of shards pending facts touched come as they were made (`loose`): turning 100,000 of
    them into columns took an eighth of an estimate's CPU during a send."""

    def __init__(self, shards: list[list[list[Any]]], loose: list[Any] | None = None) -> None:
        self.shards = shards
        self.loose = loose or []

    def __iter__(self) -> Iterator[tuple[Any, ...]] | Iterator[list[Any]]:
        stored = chain.from_iterable(zip(*columns, strict=True) for columns in self.shards)
        return chain(stored, self.loose)

    def __len__(self) -> int:
        return sum(len(columns[0]) for columns in self.shards if columns) + len(self.loose)


def _copy(state: State) -> State:
    return {**state, "a": dict(state["a"]), "g": dict(state["g"]), "u": dict(state["u"])}
