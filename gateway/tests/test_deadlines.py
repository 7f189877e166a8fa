"""Every call to a service has a deadline; any kind of timeout is an outage answer (503 /
NOT_AVAILABLE), never a 500 or a masked "unknown error"."""

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway.app import create_app
from reengage_common.settings import Settings
from reengage_testing import serving

TIMEOUTS = [httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout, httpx.ConnectTimeout]
PAGE = "{ campaigns(first: 5) { totalCount } }"


class TimingOut(httpx.AsyncBaseTransport):
    """A campaign-svc that raises `kind`, or (kind None) holds every answer for `hold` s."""

    def __init__(
        self, kind: type[httpx.TimeoutException] | None, hold: float = 0.0, answer: object = None
    ) -> None:
        self.kind = kind
        self.hold = hold
        self.answer = answer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.kind is not None:
            raise self.kind("no answer in time", request=request)
        await asyncio.sleep(self.hold)
        return httpx.Response(200, json=self.answer)


def gateway_of(settings: Settings, campaign_svc: httpx.AsyncBaseTransport) -> Starlette:
    """The gateway in front of this campaign-svc; the other services answer 503 (down)."""
    down = httpx.MockTransport(lambda request: httpx.Response(503))
    transports = {name: down for name in ("audience-svc", "dispatch-svc", "tracking-svc")}
    return create_app(settings, {**transports, "campaign-svc": campaign_svc})


async def answers(
    settings: Settings, transport: httpx.AsyncBaseTransport, headers: dict[str, str]
) -> tuple[httpx.Response, dict[str, Any]]:
    async with serving(gateway_of(settings, transport)) as gateway:
        rest = await gateway.get("/api/booking/campaigns/c-1", headers=headers)
        graphql = await gateway.post("/graphql", json={"query": PAGE}, headers=headers)
    return rest, graphql.json()


@pytest.mark.parametrize("kind", TIMEOUTS, ids=lambda kind: kind.__name__)
async def test_a_timeout_of_any_kind_is_not_available(settings, headers_of, kind) -> None:
    rest, graphql = await answers(settings, TimingOut(kind), headers_of("viewer"))

    assert rest.status_code == 503, rest.text
    assert rest.json()["error"]["code"] == "NOT_AVAILABLE"
    assert graphql["errors"][0]["extensions"] == {
        "code": "NOT_AVAILABLE",
        "service": "campaign-svc",
    }


async def test_an_answer_past_the_read_deadline_is_not_available(settings, headers_of) -> None:
    """The deadline bounds the whole call, whatever the transport's own timeouts do."""
    quick = settings.model_copy(update={"gateway_read_deadline_seconds": 0.2})

    rest, graphql = await answers(quick, TimingOut(None, hold=5.0), headers_of("viewer"))

    assert rest.status_code == 503
    assert rest.json()["error"]["message"] == "campaign-svc did not answer within 0.2 s"
    assert graphql["errors"][0]["extensions"]["code"] == "NOT_AVAILABLE"


async def test_a_launch_has_a_longer_deadline_than_a_read(settings, headers_of) -> None:
    slow = settings.model_copy(
        update={"gateway_read_deadline_seconds": 0.1, "gateway_launch_deadline_seconds": 5.0}
    )
    launched = TimingOut(None, hold=0.3, answer={"id": "c-1", "status": "ACTIVE"})
    async with serving(gateway_of(slow, launched)) as gateway:
        launch = await gateway.post(
            "/api/booking/campaigns/c-1/launch", headers=headers_of("clinic_admin")
        )

    assert launch.status_code == 200, launch.text
    assert launch.json()["status"] == "ACTIVE"


async def test_readiness_probes_a_hung_service_within_its_probe_deadline(settings) -> None:
    quick = settings.model_copy(update={"gateway_probe_deadline_seconds": 0.2})
    async with serving(gateway_of(quick, TimingOut(None, hold=30.0))) as gateway:
        ready = await asyncio.wait_for(gateway.get("/readyz"), timeout=10)

    assert ready.status_code == 503
    assert ready.json()["checks"]["campaign-svc"] == "failing: TimeoutError"
