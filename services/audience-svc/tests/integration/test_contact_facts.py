"""A send's contact facts (message.sent, a fan-out's targeted facts) wait to be folded while a
reader applies them to the stored rows as they are: the rows equal those of a full fold, and
the compactor rewrites no shard for them until they are old, while any other fact of the
clinic is folded at once."""

import uuid
from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient

from audience_svc.domain.facts import R_ID
from audience_svc.projection import Projection, pending_record
from reengage_common.settings import Settings

from .conftest import NOW, facts_of_patients, patient

pytestmark = pytest.mark.infra
CLINIC = "clinic-contacts"


@pytest.fixture
async def database(infra: Settings) -> AsyncIterator[object]:
    mongo: AsyncMongoClient = AsyncMongoClient(infra.mongo_url)
    database = mongo[f"{infra.mongo_db_prefix}contacts_{uuid.uuid4().hex[:6]}"]
    yield database
    await mongo.drop_database(database.name)
    await mongo.close()


def sent(pid: str, campaign: str, at: float) -> dict[str, object]:
    return {"k": "s", "pid": pid, "t": at, "c": campaign}


def rows_by_patient(rows: object) -> dict[str, tuple[object, ...]]:
    return {row[R_ID]: tuple(row) for row in rows}  # type: ignore[attr-defined]


async def test_rows_with_waiting_contact_facts_equal_the_rows_after_they_are_folded(
    database,
) -> None:
    waits = Projection(database, shards=8, contacts_wait_seconds=3600)
    pids = [f"{CLINIC}-{n:04d}" for n in range(200)]
    await waits.append([pending_record("import", CLINIC, facts_of_patients(CLINIC, 200))])
    assert (await waits.compact()).folded > 0
    launched = NOW.timestamp()
    contacts = [{"k": "g", "c": "camp-1", "t": launched, "pids": pids[:150]}]
    contacts += [sent(pid, "camp-1", launched + n) for n, pid in enumerate(pids[:120])]
    contacts += [sent(pids[3], "camp-0", launched - 86_400)]  # an older campaign's message
    await waits.append([pending_record("send-1", CLINIC, contacts)])
    # a patient the import did not have, and a changed profile, in the same clinic later on
    upserts = [
        {"k": "p", "pid": f"{CLINIC}-new", "t": launched, "i": "e-new", "d": patient("x")},
        {"k": "p", "pid": pids[5], "t": launched, "i": "e-5", "d": patient(pids[5], lastName="B")},
    ]

    assert (await waits.compact()).waiting == 1  # contacts alone: nothing folded
    assert await database["pending_facts"].count_documents({}) == 1
    read_waiting = rows_by_patient(await Projection(database, shards=8).rows(CLINIC))
    await waits.append([pending_record("upserts", CLINIC, upserts)])
    read_with_both = rows_by_patient(await Projection(database, shards=8).rows(CLINIC))

    assert (await waits.compact()).folded == len(contacts) + len(upserts)  # now due: everything
    assert await database["pending_facts"].count_documents({}) == 0
    folded = rows_by_patient(await Projection(database, shards=8).rows(CLINIC))
    assert read_with_both == folded
    changed_later = {f"{CLINIC}-new", pids[5]}
    assert {pid: row for pid, row in read_waiting.items() if pid not in changed_later} == {
        pid: row for pid, row in folded.items() if pid not in changed_later
    }


async def test_contact_facts_are_folded_once_they_are_old(database) -> None:
    eager = Projection(database, shards=8)  # contacts_wait_seconds=0: as old as can be
    await eager.append([pending_record("import", CLINIC, facts_of_patients(CLINIC, 20))])
    await eager.compact()
    pid = f"{CLINIC}-0001"
    await eager.append([pending_record("send", CLINIC, [sent(pid, "c", NOW.timestamp())])])

    assert (await eager.compact()).folded == 1
    assert await database["pending_facts"].count_documents({}) == 0
