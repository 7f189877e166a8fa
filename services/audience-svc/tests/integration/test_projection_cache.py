"""A replica's decoded shards stay within PROJECTION_CACHE_BYTES however many clinics it reads,
and reads stay exact when the cache lets go of what they just decoded (issue 17 #14)."""

import tracemalloc
import uuid

import pytest
from pymongo import AsyncMongoClient

from audience_svc.domain.facts import fold
from audience_svc.projection import ROWS, STATES, Projection, pending_record
from reengage_common.settings import Settings

from .conftest import facts_of_patients

pytestmark = pytest.mark.infra
CLINICS = ("clinic-cache-a", "clinic-cache-b", "clinic-cache-c")


async def test_the_shard_cache_is_bounded_and_reads_stay_exact(infra: Settings) -> None:
    mongo: AsyncMongoClient = AsyncMongoClient(infra.mongo_url)
    database = mongo[f"{infra.mongo_db_prefix}cache_{uuid.uuid4().hex[:6]}"]
    writer = Projection(database, shards=8)
    facts = {clinic: facts_of_patients(clinic, 400) for clinic in CLINICS}
    try:
        for clinic, clinic_facts in facts.items():
            await writer.append([pending_record(f"batch-{clinic}", clinic, clinic_facts)])
            await writer.compact_clinic(clinic)
        stored = 0
        for clinic in CLINICS:
            for kind in (STATES, ROWS):
                async for doc in writer.blobs_of(kind, clinic).find({}, {"blob": 1}):
                    stored += len(doc["blob"])

        # given a reader keeping about a third of what the clinics' shards take
        reader = Projection(database, shards=8, cache_bytes=stored // 3)
        for _ in range(2):
            for clinic in CLINICS:
                expected: dict = {}
                fold(expected, facts[clinic])
                # then every read is exact, and the cache never holds more than its bound
                assert await reader.patient_states(clinic) == expected
                await reader.rows(clinic)
                assert reader._decoded.bytes <= stored // 3

        # the memory a decoded shard takes, per stored byte (for the setting's documentation)
        tracemalloc.start()
        unbounded = Projection(database, shards=8, cache_bytes=stored * 10)
        for clinic in CLINICS:
            await unbounded.patient_states(
                clinic,
            )
            await unbounded.rows(clinic)
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"\n{stored} stored bytes decode into ~{held} bytes ({held / stored:.1f}x)")
        assert unbounded._decoded.bytes == stored
    finally:
        await mongo.drop_database(database.name)
        await mongo.close()
