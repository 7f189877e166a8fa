"""Every part boots against the real servers and answers health, readiness and metrics."""

import contextlib

import httpx
import pytest

from audience_svc.app import create_app as audience_app
from campaign_svc.app import create_app as campaign_app
from campaign_svc.config import CampaignSettings
from dispatch_svc.app import create_app as dispatch_app
from gateway.app import create_app as gateway_app
from reengage_common.settings import Settings
from reengage_testing import eventually, serving
from tracking_svc.app import create_app as tracking_app

pytestmark = pytest.mark.infra

SERVICES = {
    "campaign-svc": campaign_app,
    "audience-svc": audience_app,
    "dispatch-svc": dispatch_app,
    "tracking-svc": tracking_app,
}


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_every_service_is_ready_once_infrastructure_is_up(infra, settings_for, name) -> None:
    settings_class = CampaignSettings if name == "campaign-svc" else Settings
    async with serving(SERVICES[name](settings_for(name, settings_class))) as client:
        health = await client.get("/healthz")
        ready = await ready_within(client, seconds=30)
        metrics = await client.get("/metrics")

    assert health.status_code == 200
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["mongo"] == "ok" and ready.json()["checks"]["kafka"] == "ok"
    assert "reengage_http_requests_total" in metrics.text


async def test_the_gateway_answers_graphql_and_is_ready_when_the_services_are(
    infra, settings_for
) -> None:
    async with (
        serving(campaign_app(settings_for("campaign-svc", CampaignSettings))) as campaign,
        serving(audience_app(settings_for("audience-svc"))) as audience,
        serving(dispatch_app(settings_for("dispatch-svc"))) as dispatch,
        serving(tracking_app(settings_for("tracking-svc"))) as tracking,
    ):
        transports = {
            "campaign-svc": campaign._transport,
            "audience-svc": audience._transport,
            "dispatch-svc": dispatch._transport,
            "tracking-svc": tracking._transport,
        }
        async with serving(gateway_app(settings_for("gateway"), transports)) as gateway:
            answer = await gateway.post("/graphql", json={"query": "{ __typename }"})
            ready = await ready_within(gateway, seconds=30)

    assert answer.json() == {"data": {"__typename": "Query"}}
    assert ready.status_code == 200, ready.text


async def test_the_gateway_is_not_ready_while_a_service_is_down(settings_for) -> None:
    refused = httpx.MockTransport(lambda request: httpx.Response(503))
    transports = dict.fromkeys(SERVICES, refused)

    async with serving(gateway_app(settings_for("gateway"), transports)) as gateway:
        ready = await gateway.get("/readyz")

    assert ready.status_code == 503
    assert ready.json()["checks"]["campaign-svc"].startswith("failing")


async def ready_within(client: httpx.AsyncClient, *, seconds: float) -> httpx.Response:
    """Readiness includes joining the consumer group, which takes a moment after start-up."""
    answers: list[httpx.Response] = []

    async def ready() -> bool:
        answers.append(await client.get("/readyz"))
        return answers[-1].status_code == 200

    with contextlib.suppress(AssertionError):
        await eventually(ready, within=seconds, interval=0.25)
    return answers[-1]
