"""A hung service (alive, accepting connections, answering nothing) is an outage answer.

campaign-svc and the gateway run as their own OS processes; campaign-svc is stopped with
SIGSTOP, so the kernel still accepts the gateway's connections and nothing ever answers them.
Every gateway call has a deadline: past it the gateway answers 503 with the documented error
body over REST and NOT_AVAILABLE over GraphQL, and its /readyz reports the service failing
after a bounded probe. Latencies are printed, not asserted (the machine is shared); the outer
timeout only says "answered, not hanging".
"""

import asyncio
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest

from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.settings import Settings
from reengage_testing import ServiceProcess, eventually, free_port

pytestmark = pytest.mark.infra

KEY = generate_signing_key()
CLINIC = "clinic-hung"
HEADERS = {
    "authorization": "Bearer "
    + issue_token(KEY, user_id="u-admin", clinic_id=CLINIC, role="clinic_admin")
}
# The deadline the gateway gives a read here (short, so the test is quick) and how long the
# test waits for any answer before calling it a hang.
READ_DEADLINE = 1.5
HANG = 30.0
CAMPAIGNS_PAGE = "{ campaigns(first: 50) { totalCount edges { node { id sentCount } } } }"


@dataclass
class Parts:
    campaign_svc: ServiceProcess
    gateway: ServiceProcess


@pytest.fixture(scope="module")
async def parts(infra: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Parts]:
    logs = tmp_path_factory.mktemp("hung")
    own = uuid.uuid4().hex[:6]
    env = {
        "KAFKA_TOPIC_PREFIX": f"{infra.kafka_topic_prefix}hung-{own}.",
        "MONGO_DB_PREFIX": f"{infra.mongo_db_prefix}hung_{own}_",
        "JWT_PUBLIC_KEY": KEY.public_pem,
        "LOG_LEVEL": "WARNING",
    }
    campaign_svc = ServiceProcess("campaign_svc", env, str(logs / "campaign-svc.log"))
    nowhere = {
        f"{name}_SVC_URL": f"http://127.0.0.1:{free_port()}"
        for name in ("AUDIENCE", "DISPATCH", "TRACKING")
    }
    gateway_env = {
        **env,
        **nowhere,
        "CAMPAIGN_SVC_URL": campaign_svc.url,
        "GATEWAY_READ_DEADLINE_SECONDS": str(READ_DEADLINE),
    }
    gateway = ServiceProcess("gateway", gateway_env, str(logs / "gateway.log"))
    try:
        campaign_svc.start()
        gateway.start()
        await campaign_svc.wait_ready()
        await _healthy(gateway)  # not ready: the other services are down on purpose
        yield Parts(campaign_svc, gateway)
    finally:
        gateway.stop()
        campaign_svc.stop()


async def _healthy(process: ServiceProcess) -> None:
    async with httpx.AsyncClient(base_url=process.url, timeout=2) as client:

        async def answers() -> bool:
            try:
                return (await client.get("/healthz")).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(answers, within=60, interval=0.2)


@contextmanager
def hung(process: ServiceProcess) -> Iterator[None]:
    assert process.process is not None
    os.kill(process.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.process.pid, signal.SIGCONT)


async def timed(label: str, call: Awaitable[httpx.Response]) -> httpx.Response:
    start = time.perf_counter()
    answer = await asyncio.wait_for(call, timeout=HANG)
    print(f"{label}: {answer.status_code} after {time.perf_counter() - start:.2f} s")
    return answer


async def test_a_hung_campaign_svc_is_not_available_over_rest_graphql_and_readiness(
    parts: Parts,
) -> None:
    async with httpx.AsyncClient(base_url=parts.gateway.url, headers=HEADERS, timeout=HANG) as api:
        created = await api.post("/api/booking/campaigns", json=_draft())
        assert created.status_code == 201, created.text
        one = f"/api/booking/campaigns/{created.json()['id']}"

        with hung(parts.campaign_svc):
            read = await timed("GET campaign", api.get(one))
            stats = await timed("GET stats", api.get(f"{one}/stats"))
            page = await timed("GraphQL campaigns", api.post("/graphql", json=_query()))
            ready = await timed("GET /readyz", api.get("/readyz"))

    for answer in (read, stats):
        assert answer.status_code == 503, answer.text
        error = answer.json()["error"]
        assert error["code"] == "NOT_AVAILABLE" and "campaign-svc" in error["message"]
    (problem,) = page.json()["errors"]
    assert problem["extensions"]["code"] == "NOT_AVAILABLE", problem
    assert problem["extensions"]["service"] == "campaign-svc"
    assert ready.status_code == 503
    assert ready.json()["checks"]["campaign-svc"].startswith("failing")


def _query() -> dict[str, object]:
    return {"query": CAMPAIGNS_PAGE}


def _draft() -> dict[str, object]:
    return {
        "name": "Recall while hung",
        "targeting": {"inactiveDays": 180},
        "channels": ["EMAIL"],
        "messageTemplates": [
            {"channel": "EMAIL", "subject": "Hi", "body": "Book: {{ bookingLink }}", "sequence": 1}
        ],
        "schedule": {"sendTimes": ["10:00"], "timezone": "UTC"},
    }
