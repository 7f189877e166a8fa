"""Two real campaign-svc processes on one database and consumer group.

The scheduler and the outbox relay run in one replica at a time, under a lease; a SIGKILL of
that replica hands both over to the other. Commands on one campaign at both replicas meet at
the campaign's next revision, which exactly one of them wins.
"""

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.events import parse
from reengage_common.settings import Settings
from reengage_testing import (
    COMPLETE_CLINIC_PROFILE,
    ServiceProcess,
    eventually,
    read_topic,
    running,
)

pytestmark = pytest.mark.infra

KEY = generate_signing_key()
CLINIC = "clinic-replicas"
HEADERS = {
    "authorization": "Bearer "
    + issue_token(KEY, user_id="u-admin", clinic_id=CLINIC, role="clinic_admin")
}


def campaign(name: str, start: datetime) -> dict[str, Any]:
    return {
        "name": name,
        "targeting": {"inactiveDays": 180},
        "channels": ["EMAIL"],
        "messageTemplates": [
            {
                "channel": "EMAIL",
                "subject": "Hello",
                "body": "Book: {{ bookingLink }}",
                "sequence": 1,
            }
        ],
        "schedule": {"startDate": start.isoformat(), "sendTimes": ["10:00"], "timezone": "UTC"},
    }


@pytest.fixture(scope="module")
async def replicas(
    infra: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[list[ServiceProcess]]:
    """Two replicas for the module; the last test kills one of them."""
    tmp_path = tmp_path_factory.mktemp("replicas")
    prefix = f"{infra.kafka_topic_prefix}replicas-{uuid.uuid4().hex[:6]}."
    env = {
        "KAFKA_TOPIC_PREFIX": prefix,
        "MONGO_DB_PREFIX": f"{infra.mongo_db_prefix}replicas_",
        "JWT_PUBLIC_KEY": KEY.public_pem,
        "LEASE_TTL_SECONDS": "2",
        "SCHEDULER_INTERVAL_SECONDS": "0.2",
        "OUTBOX_POLL_SECONDS": "0.1",
    }
    processes = [
        ServiceProcess("campaign_svc", env, str(tmp_path / f"campaign-svc-{n}.log"))
        for n in range(2)
    ]
    async with running(processes):
        yield processes


async def launch_scheduled(replica: ServiceProcess, names: list[str], start: datetime) -> list[str]:
    ids = []
    async with httpx.AsyncClient(base_url=replica.url, headers=HEADERS, timeout=10) as client:
        profile = await client.put("/clinic", json=COMPLETE_CLINIC_PROFILE)
        assert profile.status_code == 200, profile.text
        for name in names:
            created = await client.post("/campaigns", json=campaign(name, start))
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
            launched = await client.post(f"/campaigns/{ids[-1]}/launch")
            assert launched.json()["status"] in {"SCHEDULED", "ACTIVE"}, launched.text
    return ids


async def statuses(replica: ServiceProcess, ids: list[str]) -> set[str]:
    async with httpx.AsyncClient(base_url=replica.url, headers=HEADERS, timeout=10) as client:
        return {(await client.get(f"/campaigns/{id_}")).json()["status"] for id_ in ids}


async def lease_owner(settings: Settings, loop: str) -> dict[str, Any]:
    mongo: AsyncMongoClient = AsyncMongoClient(settings.mongo_url, tz_aware=True)
    try:
        leases = mongo[f"{settings.mongo_db_prefix}replicas_campaign"]["leases"]
        found = await leases.find({"loop": loop}).sort("epoch", -1).limit(1).to_list()
        return found[0]
    finally:
        await mongo.close()


async def launched_events(settings: Settings, prefix_of: ServiceProcess, count: int) -> Counter:
    topic = f"{prefix_of._env['KAFKA_TOPIC_PREFIX']}campaign.launched"
    records = await read_topic(settings, topic, count=count, within=5)
    return Counter(parse(record.value).data.campaign_id for record in records)


async def test_commands_on_one_campaign_at_two_replicas_change_it_once(
    replicas: list[ServiceProcess], infra: Settings
) -> None:
    [campaign_id] = await launch_scheduled(
        replicas[0], ["paused twice"], datetime.now(UTC) - timedelta(minutes=1)
    )
    await eventually(lambda: _all_active(replicas[0], [campaign_id]), within=30)

    async def pause(replica: ServiceProcess) -> int:
        async with httpx.AsyncClient(base_url=replica.url, headers=HEADERS, timeout=10) as c:
            return (await c.post(f"/campaigns/{campaign_id}/pause")).status_code

    answers = []
    for _ in range(5):  # both replicas at once, a few times over: never both win
        answers += await asyncio.gather(pause(replicas[0]), pause(replicas[1]))
        await _resume(replicas[0], campaign_id)
    topic = f"{replicas[0]._env['KAFKA_TOPIC_PREFIX']}campaign.status_changed"
    records = await read_topic(infra, topic, count=100, within=4)
    pauses = [parse(r.value).data for r in records]

    assert answers.count(200) == 5
    assert set(answers) <= {200, 409}
    assert sum(1 for change in pauses if change.to == "PAUSED") == 5


async def test_the_scheduler_activates_each_campaign_once_and_a_sigkill_hands_it_over(
    replicas: list[ServiceProcess], infra: Settings
) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=2)
    first = await launch_scheduled(replicas[0], [f"first {n}" for n in range(6)], soon)
    await eventually(lambda: _all_active(replicas[1], first), within=30)
    owner = await lease_owner(infra, "scheduler")
    [killed] = [r for r in replicas if f":{r.process.pid}:" in owner["owner"]]
    [survivor] = [r for r in replicas if r is not killed]

    killed.kill()
    later = datetime.now(UTC) + timedelta(seconds=1)
    second = await launch_scheduled(survivor, [f"second {n}" for n in range(6)], later)
    await eventually(lambda: _all_active(survivor, second), within=30)
    successor = await lease_owner(infra, "scheduler")
    launched = await launched_events(infra, survivor, count=len(first) + len(second) + 1)

    assert f":{survivor.process.pid}:" in successor["owner"]
    assert successor["epoch"] > owner["epoch"]
    assert {campaign_id: launched[campaign_id] for campaign_id in first + second} == dict.fromkeys(
        first + second, 1
    )
    assert max(launched.values()) == 1


async def _resume(replica: ServiceProcess, campaign_id: str) -> None:
    async with httpx.AsyncClient(base_url=replica.url, headers=HEADERS, timeout=10) as client:
        assert (await client.post(f"/campaigns/{campaign_id}/resume")).status_code == 200


async def _all_active(replica: ServiceProcess, ids: list[str]) -> bool:
    return await statuses(replica, ids) == {"ACTIVE"}
