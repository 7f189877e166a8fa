"""What the campaigns page's counters cost: the GraphQL page of 50 campaigns with targetCount,
sentCount, responseCount and rebookedCount, beside campaign-svc's own list of the same 50.

Run by hand (not part of the suite): .venv/bin/python tests/bench/bench_counters.py [repeat]
Real campaign-svc and tracking-svc (in-process, real Kafka and FerretDB, topics and databases
of their own, removed at the end) behind the gateway. Two clinics: one with 50 drafts, one with
50 launched campaigns (tracking-svc has their launch terms; no audience-svc, so no
recipients). Medians of
`repeat` rounds after a warm-up (each round runs every operation once); machines here are noisy, so compare within one run.
"""

import asyncio
import logging
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from campaign_svc.app import create_app as campaign_app
from campaign_svc.config import CampaignSettings
from gateway.app import create_app as gateway_app
from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.settings import Settings
from reengage_testing import COMPLETE_CLINIC_PROFILE, eventually, serving
from tracking_svc.app import create_app as tracking_app
from tracking_svc.config import TrackingSettings

CAMPAIGNS = 50
WITH_COUNTERS = """{ campaigns(first: 50) { totalCount edges { node { id name status
  targetCount sentCount responseCount rebookedCount } } } }"""
WITHOUT_COUNTERS = """{ campaigns(first: 50) { totalCount edges { node { id name status } } } }"""
KEY = generate_signing_key()


def campaign(n: int, start: datetime) -> dict[str, object]:
    return {
        "name": f"Recall {n}",
        "targeting": {"inactiveDays": 180},
        "channels": ["EMAIL"],
        "messageTemplates": [
            {"channel": "EMAIL", "subject": "Hi", "body": "Book: {{ bookingLink }}", "sequence": 1}
        ],
        "schedule": {"startDate": start.isoformat(), "sendTimes": ["10:00"], "timezone": "UTC"},
        "incentive": {
            "hasIncentive": True,
            "incentiveDetails": "20% off",
            "incentiveCode": f"BENCH{n}",
        },
    }


def headers(clinic: str) -> dict[str, str]:
    token = issue_token(KEY, user_id="u-bench", clinic_id=clinic, role="clinic_admin")
    return {"authorization": f"Bearer {token}"}


async def medians_ms(
    runs: dict[str, Callable[[], Awaitable[object]]], repeat: int
) -> dict[str, float]:
    """Each run once per round, round after round, so a noisy moment hits them all alike.
    Wall time, and this process's CPU time (every part runs in it), which other work on the
    machine disturbs less."""
    took: dict[str, list[float]] = {n: [] for name in runs for n in (name, f"{name} (CPU)")}
    for round_number in range(repeat + 1):
        for name, run in runs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            await run()
            if round_number:  # round 0 warms caches and connections up
                took[name].append(time.perf_counter() - wall)
                took[f"{name} (CPU)"].append(time.process_time() - cpu)
    return {name: statistics.median(values) * 1000 for name, values in took.items()}


async def make_campaigns(svc: httpx.AsyncClient, clinic: str, *, launched: bool) -> list[str]:
    start = datetime.now(UTC) - timedelta(hours=1)  # a launch activates (campaign.launched)
    if launched:
        answer = await svc.put("/clinic", json=COMPLETE_CLINIC_PROFILE, headers=headers(clinic))
        assert answer.status_code == 200, answer.text
    ids = []
    for n in range(CAMPAIGNS):
        created = await svc.post("/campaigns", json=campaign(n, start), headers=headers(clinic))
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
        if launched:
            answer = await svc.post(f"/campaigns/{ids[-1]}/launch", headers=headers(clinic))
            assert answer.status_code == 200, answer.text
    return ids


async def measure(
    gateway: httpx.AsyncClient,
    svc: httpx.AsyncClient,
    tracking: httpx.AsyncClient,
    clinic: str,
    ids: list[str],
    repeat: int,
) -> dict[str, float]:
    async def graphql(document: str) -> None:
        answer = await gateway.post("/graphql", json={"query": document}, headers=headers(clinic))
        assert "errors" not in answer.json(), answer.text

    async def own_list() -> None:
        answer = await svc.get("/campaigns", params={"first": 50}, headers=headers(clinic))
        assert answer.status_code == 200

    async def batch() -> None:
        body = {"campaignIds": ids}
        answer = await tracking.post("/stats/batch", json=body, headers=headers(clinic))
        assert answer.status_code == 200

    runs: dict[str, Callable[[], Awaitable[object]]] = {
        "campaign-svc list": own_list,
        "tracking /stats/batch (50)": batch,
        "GraphQL page, no counters": lambda: graphql(WITHOUT_COUNTERS),
        "GraphQL page, counters": lambda: graphql(WITH_COUNTERS),
    }
    return await medians_ms(runs, repeat)


async def cleanup(settings: list[Settings]) -> None:
    mongo: AsyncMongoClient = AsyncMongoClient(settings[0].mongo_url)
    for each in settings:
        await mongo.drop_database(each.database_name)
    await mongo.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=settings[0].kafka_bootstrap_servers)
    await admin.start()
    prefix = settings[0].kafka_topic_prefix
    await admin.delete_topics([t for t in await admin.list_topics() if t.startswith(prefix)])
    await admin.close()


async def launches_stored(tracking: httpx.AsyncClient, clinic: str, ids: list[str]) -> bool:
    """tracking-svc has read every campaign.launched (a launch's terms name its variants)."""
    body = {"campaignIds": ids}
    answer = await tracking.post("/stats/batch", json=body, headers=headers(clinic))
    return all(item.get("byVariant") for item in answer.json()["items"])


async def main(repeat: int = 20) -> None:
    logging.disable(logging.INFO)
    run = uuid.uuid4().hex[:6]
    common = {
        "kafka_topic_prefix": f"bench-cnt-{run}.",
        "mongo_db_prefix": f"bench_cnt_{run}_",
        "jwt_public_key": KEY.public_pem,
        "log_level": "WARNING",
    }
    campaign_settings = CampaignSettings(**common, outbox_poll_seconds=0.05)
    tracking_settings = TrackingSettings(**common)
    try:
        async with (
            serving(campaign_app(campaign_settings)) as svc,
            serving(tracking_app(tracking_settings)) as tracking,
        ):
            transports = {"campaign-svc": svc._transport, "tracking-svc": tracking._transport}
            gateway_settings = Settings(service="gateway", **common)
            async with serving(gateway_app(gateway_settings, transports)) as gateway:
                drafts = await make_campaigns(svc, "clinic-drafts", launched=False)
                launched = await make_campaigns(svc, "clinic-launched", launched=True)
                await eventually(
                    lambda: launches_stored(tracking, "clinic-launched", launched), within=60
                )
                for label, clinic, ids in (
                    ("50 drafts", "clinic-drafts", drafts),
                    ("50 launched", "clinic-launched", launched),
                ):
                    figures = await measure(gateway, svc, tracking, clinic, ids, repeat)
                    print(f"--- {label} (median of {repeat})")
                    for name, value in figures.items():
                        base = figures["campaign-svc list" + (" (CPU)" if "CPU" in name else "")]
                        print(f"{name:<36} {value:>7.1f} ms  {value / base:>5.2f}x the list")
    finally:
        await cleanup([campaign_settings, tracking_settings])


if __name__ == "__main__":
    asyncio.run(main(*(int(arg) for arg in sys.argv[1:])))
