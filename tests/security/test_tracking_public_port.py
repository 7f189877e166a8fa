"""tracking-svc as deployed (its own process, uvicorn on real sockets): the public routes on
PUBLIC_PORT only, the internal API, /metrics and /readyz on PORT only; a worker opens no public
port."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from reengage_common.settings import Settings
from reengage_testing import ServiceProcess, eventually

pytestmark = pytest.mark.infra


async def _answers(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(f"{url}/healthz")).status_code < 500
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
async def tracking(
    infra: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ServiceProcess]:
    logs = tmp_path_factory.mktemp("tracking-ports")
    own = uuid.uuid4().hex[:6]
    env = {
        "ENV": "development",
        "SERVICE_ROLE": "api",
        "KAFKA_TOPIC_PREFIX": f"{infra.kafka_topic_prefix}ports-{own}.",
        "MONGO_DB_PREFIX": f"{infra.mongo_db_prefix}ports_{own}_",
    }
    process = ServiceProcess("tracking_svc", env, str(logs / "tracking.log")).start()
    try:
        await eventually(lambda: _answers(process.url), within=60, interval=0.2)
        yield process
    finally:
        process.stop()


async def test_each_port_serves_only_its_own_routes(tracking: ServiceProcess) -> None:
    public = f"http://127.0.0.1:{tracking.public_port}"
    async with httpx.AsyncClient(timeout=5) as client:
        on_public = {
            path: (await client.get(f"{public}{path}")).status_code
            for path in ("/metrics", "/readyz", "/campaigns/c-1/stats", "/b/not-a-token")
        }
        on_internal = {
            path: (await client.get(f"{tracking.url}{path}")).status_code
            for path in ("/metrics", "/b/not-a-token", "/u/not-a-token")
        }

    assert on_public == {
        "/metrics": 404,
        "/readyz": 404,
        "/campaigns/c-1/stats": 404,
        "/b/not-a-token": 400,  # the link page: "This link is not valid"
    }
    assert on_internal == {"/metrics": 200, "/b/not-a-token": 404, "/u/not-a-token": 404}
