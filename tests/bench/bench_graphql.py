"""How much strawberry's parser and validation caches save, and what a 50-campaign page costs.

Run by hand (not part of the suite): .venv/bin/python tests/bench/bench_graphql.py
It prints milliseconds per operation; machines here are noisy, so compare within one run.
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from unittest.mock import patch

import httpx
from strawberry.extensions import ParserCache, ValidationCache

from gateway import graphql_app
from gateway.app import create_app
from gateway.graphql_app import schema_extensions
from gateway.schema import build_schema
from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.logging import configure_logging
from reengage_common.settings import Settings, load_settings
from reengage_testing import serving

ONE_FIELD = "{ __typename }"
SERVICES = ["campaign-svc", "audience-svc", "dispatch-svc", "tracking-svc"]
SIGNING_KEY = generate_signing_key()  # mints the bench's token; the gateway holds the public key
PAGE = """
query Page { campaigns(first: 50) { totalCount edges { node { id name status
  stats { __typename ... on CampaignStats { sent rebooked revenueCents roi } } } } } }
"""


def fake_campaign(n: int) -> dict[str, object]:
    at = datetime(2026, 11, 1, tzinfo=UTC).isoformat()
    return {
        "id": f"c-{n}",
        "clinicId": "clinic-a",
        "name": f"Recall {n}",
        "description": None,
        "status": "ACTIVE",
        "runNumber": 1,
        "targeting": {
            "inactiveDays": 180,
            "treatmentStages": [],
            "includeNoShows": True,
            "includeDropouts": True,
            "excludeRecentContact": True,
            "excludeContactDays": 30,
        },
        "channels": ["EMAIL"],
        "messageTemplates": [
            {
                "channel": "EMAIL",
                "subject": "Hi",
                "body": "Hi",
                "sequence": 1,
                "delayDays": 0,
                "variant": "A",
            }
        ],
        "variants": [{"name": "A", "weight": 1}],
        "holdoutPercent": 0,
        "schedule": {"startDate": at, "endDate": None, "sendTimes": ["10:00"], "timezone": "UTC"},
        "incentive": {
            "hasIncentive": False,
            "incentiveDetails": None,
            "incentiveCode": None,
            "incentiveCostCents": 0,
        },
        "createdAt": at,
        "updatedAt": at,
        "launchedAt": at,
        "completedAt": None,
        "createdBy": "u",
        "cursor": f"k{n}",
    }


def fake_services(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/campaigns":
        items = [fake_campaign(n) for n in range(50)]
        return httpx.Response(
            200,
            json={
                "items": items,
                "pageInfo": {"hasNextPage": False, "endCursor": "k49"},
                "totalCount": 50,
            },
        )
    if request.url.path == "/stats/batch":
        ids = json.loads(request.content)["campaignIds"]
        stats = {
            "recipients": 100,
            "sent": 90,
            "delivered": 85,
            "failed": 5,
            "responded": 20,
            "interested": 10,
            "rebooked": 8,
            "unsubscribed": 1,
            "bounced": 2,
            "revenueCents": 200000,
            "costCents": 5000,
            "roi": 39.0,
        }
        return httpx.Response(200, json={"items": [{"campaignId": i, **stats} for i in ids]})
    return httpx.Response(404)


async def per_call_ms(run: Callable[[], Awaitable[object]], repeat: int) -> float:
    for _ in range(20):
        await run()
    started = time.perf_counter()
    for _ in range(repeat):
        await run()
    return (time.perf_counter() - started) * 1000 / repeat


async def page_ms(settings: Settings, *, caches: bool) -> float:
    """A 50-campaign page with stats through the whole gateway over HTTP (services faked)."""
    extensions = schema_extensions(settings)
    if not caches:
        extensions = extensions[2:]  # the list starts with ParserCache and ValidationCache
    with patch.object(graphql_app, "schema_extensions", lambda _: extensions):
        transport = httpx.MockTransport(fake_services)
        app = create_app(settings, transports=dict.fromkeys(SERVICES, transport))
    token = issue_token(SIGNING_KEY, user_id="u", clinic_id="clinic-a", role="clinic_admin")
    headers = {"Authorization": f"Bearer {token}"}
    async with serving(app) as gateway:
        answer = await gateway.post("/graphql", json={"query": PAGE}, headers=headers)
        assert answer.json()["data"]["campaigns"]["totalCount"] == 50, answer.text
        return await per_call_ms(
            lambda: gateway.post("/graphql", json={"query": PAGE}, headers=headers), 300
        )


async def main() -> None:
    settings = load_settings("gateway", jwt_public_key=SIGNING_KEY.public_pem)
    configure_logging("bench", "WARNING")
    caches = [lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512)]
    bare, cached = build_schema([]), build_schema(caches)
    print(
        f"one-field query, no caches:   {await per_call_ms(lambda: bare.execute(ONE_FIELD), 2000):.3f} ms"
    )
    print(
        f"one-field query, with caches: {await per_call_ms(lambda: cached.execute(ONE_FIELD), 2000):.3f} ms"
    )
    print(
        f"50 campaigns + stats over HTTP, no caches:   {await page_ms(settings, caches=False):.2f} ms"
    )
    print(
        f"50 campaigns + stats over HTTP, with caches: {await page_ms(settings, caches=True):.2f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
