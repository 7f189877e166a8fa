"""The storage rules, proved against the running MongoDB-protocol server (FerretDB locally).

Each test is one rule of `reengage_common.storage`: the only primitive that FerretDB makes
atomic is a unique insert, so every claim, compare-and-set and lease is built on it.
"""

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient, UpdateOne, monitoring

from reengage_common.leases import Leases
from reengage_common.storage import (
    MAX_UPDATES_PER_COMMAND,
    Collection,
    claim,
    claim_many,
    insert_new,
    update_in_chunks,
    upsert_unique,
)
from reengage_testing import FakeClock

pytestmark = pytest.mark.infra


class UpdateCommands(monitoring.CommandListener):
    """Counts the statements of every `update` command the driver sends."""

    def __init__(self) -> None:
        self.statements: list[int] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "update":
            self.statements.append(len(event.command.get("updates", [])))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def database(infra) -> AsyncIterator[tuple[AsyncMongoClient, str]]:
    listener = UpdateCommands()
    client: AsyncMongoClient = AsyncMongoClient(
        infra.mongo_url, tz_aware=True, event_listeners=[listener]
    )
    name = f"{infra.mongo_db_prefix}storage_{uuid.uuid4().hex[:6]}"
    client.listener = listener  # type: ignore[attr-defined]
    yield client, name
    await client.drop_database(name)
    await client.close()


def collection(database: tuple[AsyncMongoClient, str], name: str) -> Collection:
    client, db = database
    return client[db][name]


async def test_of_concurrent_claims_of_one_key_exactly_one_wins(database) -> None:
    claims = collection(database, "claims")

    won = await asyncio.gather(
        *(claim(claims, {"_id": "campaign-1:2", "by": writer}) for writer in range(20))
    )

    assert won.count(True) == 1
    assert await claims.count_documents({}) == 1


async def test_concurrent_bulk_claimers_never_take_one_item_twice(database) -> None:
    claims = collection(database, "work_claims")
    items = [f"message-{n}" for n in range(500)]

    async def claimer(worker: int) -> set[str]:
        shuffled = random.Random(worker).sample(items, len(items))
        return await claim_many(claims, [{"_id": item, "worker": worker} for item in shuffled])

    taken = await asyncio.gather(*(claimer(worker) for worker in range(6)))

    assert sum(len(won) for won in taken) == len(items)
    assert set().union(*taken) == set(items)


async def test_bulk_updates_go_out_in_commands_of_at_most_40_statements(database) -> None:
    documents = collection(database, "progress")
    await insert_new(documents, [{"_id": n, "sent": False} for n in range(130)])
    database[0].listener.statements.clear()

    modified = await update_in_chunks(
        documents, [UpdateOne({"_id": n}, {"$set": {"sent": True}}) for n in range(130)]
    )

    # One command of >= 50 update statements deadlocks FerretDB on PostgreSQL.
    assert database[0].listener.statements == [40, 40, 40, 10]
    assert max(database[0].listener.statements) <= MAX_UPDATES_PER_COMMAND
    assert modified == 130
    assert await documents.count_documents({"sent": True}) == 130


async def test_a_redelivered_batch_inserts_nothing_new_and_names_what_existed(database) -> None:
    records = collection(database, "records")
    first = await insert_new(records, [{"_id": f"m-{n}"} for n in range(10)])

    again = await insert_new(records, [{"_id": f"m-{n}"} for n in range(5, 15)])

    assert first.inserted == 10
    assert again.inserted == 5
    assert sorted(again.duplicate_ids) == sorted(f"m-{n}" for n in range(5, 10))


async def test_racing_first_upserts_on_a_unique_key_leave_one_document(database) -> None:
    patients = collection(database, "patients")
    await patients.create_index([("clinic", 1), ("patient", 1)], unique=True)

    await asyncio.gather(
        *(
            upsert_unique(patients, {"clinic": "c", "patient": "p-1"}, {"$set": {"name": f"v{n}"}})
            for n in range(10)
        )
    )

    assert await patients.count_documents({"clinic": "c", "patient": "p-1"}) == 1


START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def test_a_lease_has_one_owner_and_passes_to_exactly_one_replica_after_it_expires(
    database,
) -> None:
    leases_collection = collection(database, "leases")
    clock = FakeClock(START)
    ttl = timedelta(seconds=10)
    replicas = [Leases(leases_collection, f"replica-{n}", ttl, clock) for n in range(5)]

    first = await asyncio.gather(*(replica.acquire("scheduler") for replica in replicas))
    [owner] = [lease for lease in first if lease is not None]
    clock.now += timedelta(seconds=5)
    while_held = await asyncio.gather(*(replica.acquire("scheduler") for replica in replicas))
    clock.now += timedelta(seconds=11)  # the owner died: nobody renewed
    after_expiry = await asyncio.gather(*(replica.acquire("scheduler") for replica in replicas))
    [successor] = [lease for lease in after_expiry if lease is not None]

    assert owner.epoch == 1
    assert while_held == [None] * 5
    assert successor.epoch == 2
    assert not await replicas[0].renew(owner) and not owner.held()
    assert successor.held()


async def test_a_renewed_lease_stays_and_a_stale_owner_learns_it_lost(database) -> None:
    leases_collection = collection(database, "leases")
    clock = FakeClock(START)
    ttl = timedelta(seconds=10)
    owner, other = (Leases(leases_collection, name, ttl, clock) for name in ("a", "b"))
    lease = await owner.acquire("relay")
    assert lease is not None

    for _ in range(5):
        clock.now += timedelta(seconds=4)
        assert await owner.renew(lease)
        assert await other.acquire("relay") is None
    clock.now += timedelta(seconds=30)  # a long pause: the lease ran out meanwhile
    taken = await other.acquire("relay")

    assert taken is not None and taken.epoch == 2
    assert not await owner.renew(lease)
