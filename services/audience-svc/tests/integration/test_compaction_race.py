"""Two compactors at once (two replicas whose leases overlapped) over facts that keep arriving:
of each generation exactly one head stands, the loser keeps its facts pending, and the
projection ends as one fold of every fact."""

import asyncio
import random
import uuid

import pytest
from pymongo import AsyncMongoClient

from audience_svc.domain.facts import fold
from audience_svc.projection import Projection, pending_record
from reengage_common.settings import Settings

from .conftest import facts_of_patients

pytestmark = pytest.mark.infra
CLINIC = "clinic-race"


async def test_racing_compactors_lose_no_fact(infra: Settings) -> None:
    mongo: AsyncMongoClient = AsyncMongoClient(infra.mongo_url)
    database = mongo[f"{infra.mongo_db_prefix}race_{uuid.uuid4().hex[:6]}"]
    replicas = [Projection(database, shards=8), Projection(database, shards=8)]
    facts = facts_of_patients(CLINIC, 300)
    chance = random.Random(11)
    stream = facts + chance.sample(facts, len(facts) // 3)  # redeliveries
    chance.shuffle(stream)
    try:

        async def write() -> None:
            for start in range(0, len(stream), 37):
                await replicas[0].append(
                    [pending_record(f"batch-{start}", CLINIC, stream[start : start + 37])]
                )
                await asyncio.sleep(0)

        async def compact(replica: Projection) -> None:
            for _ in range(8):
                await replica.compact_clinic(CLINIC)

        await asyncio.gather(write(), compact(replicas[0]), compact(replicas[1]))
        while await replicas[1].compact_clinic(CLINIC):
            pass
        expected: dict = {}
        fold(expected, facts)
        fresh = Projection(database, shards=8)  # reads only what is stored
        stored = await fresh.patient_states(CLINIC)
        assert stored == expected
        assert await database["pending_facts"].count_documents({}) == 0
        heads = await database["shard_heads"].find({}).to_list()
        assert len(heads) == len({head["shard"] for head in heads})  # old generations gone
    finally:
        await mongo.drop_database(database.name)
        await mongo.close()
