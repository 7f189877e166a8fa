"""The HTTP pieces every service shares: the body limit of the service shell, trace ids."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reengage_common.service import build_service_app
from reengage_common.settings import Settings

LIMIT = 64 * 1024


async def echo_size(request: Request) -> JSONResponse:
    return JSONResponse({"size": len(await request.body())})


async def streamed_size(request: Request) -> JSONResponse:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
    return JSONResponse({"size": size})


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """A service shell's internal API (no lifespan: nothing here needs Kafka or MongoDB)."""
    settings = Settings(service="campaign-svc", env="test", max_body_bytes=LIMIT)
    app = build_service_app(
        settings,
        routes=[
            Route("/echo", echo_size, methods=["POST"]),
            Route("/import", streamed_size, methods=["POST"]),
        ],
        larger_bodies={"/import": 4 * LIMIT},
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        yield client


async def chunks(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 1024):
        yield b"x" * 1024


async def test_a_service_refuses_a_body_over_its_limit_unread(client: httpx.AsyncClient) -> None:
    at_limit = await client.post("/echo", content=b"x" * LIMIT)
    over = await client.post("/echo", content=b"x" * (LIMIT + 1))

    assert at_limit.json() == {"size": LIMIT}
    assert over.status_code == 413
    assert over.json()["error"] == {
        "code": "TOO_LARGE",
        "message": f"request body over {LIMIT} bytes",
        "limit": LIMIT,
    }


async def test_a_chunked_body_is_cut_at_the_limit(client: httpx.AsyncClient) -> None:
    over = await client.post("/echo", content=(chunks(LIMIT + 1024)))

    assert "content-length" not in over.request.headers
    assert over.status_code == 413


async def test_a_path_with_a_larger_limit_streams_up_to_it(client: httpx.AsyncClient) -> None:
    streamed = await client.post("/import", content=(chunks(3 * LIMIT)))
    over = await client.post("/import", content=(chunks(5 * LIMIT)))

    assert streamed.json() == {"size": 3 * LIMIT}
    assert over.status_code == 413
    assert over.json()["error"]["limit"] == 4 * LIMIT


@pytest.mark.parametrize(
    "sent",
    ["x" * 65, "a b", "id\twith\ttabs", '{"forged": "log"}', "ü-nicode", "../../etc"],
)
async def test_a_malformed_trace_id_is_replaced_by_a_new_one(
    client: httpx.AsyncClient, sent: str
) -> None:
    answer = await client.get("/healthz", headers={"x-trace-id": sent.encode()})

    assert answer.headers["x-trace-id"] != sent
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-trace-id"])


@pytest.mark.parametrize("sent", ["abc", "A-b_9" * 12, "x" * 64, "0f" * 16])
async def test_a_well_formed_trace_id_is_kept(client: httpx.AsyncClient, sent: str) -> None:
    answer = await client.get("/healthz", headers={"x-trace-id": sent})

    assert answer.headers["x-trace-id"] == sent
