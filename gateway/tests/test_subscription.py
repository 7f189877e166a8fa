"""Live stats: sent now and whenever they change; NotAvailable once while tracking-svc is absent."""

import asyncio
import warnings
from collections.abc import AsyncIterator

import pytest

with warnings.catch_warnings():
    # Starlette would rather have the httpx2 package; httpx (what the workspace pins) still works.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.clients import ServiceClients, make_service_clients
from gateway.graphql_app import make_context, schema_extensions
from gateway.schema import build_schema

LIVE_STATS = """
subscription Live($id: ID!) {
  campaignStats(id: $id) {
    __typename
    ... on CampaignStats { sent }
    ... on NotAvailable { service }
    ... on NotFound { message }
  }
}
"""


@pytest.fixture
async def clients(settings, services) -> AsyncIterator[ServiceClients]:
    clients = make_service_clients(settings, services.transports())
    yield clients
    await clients.aclose()


@pytest.fixture
def subscribe(settings, clients, headers_of):
    schema = build_schema(schema_extensions(settings))

    async def start(campaign_id: str, persona: str = "viewer"):
        authorization = headers_of(persona).get("authorization")
        context = make_context(settings, clients, authorization)
        context.stats_poll_seconds = 0.01
        return await schema.subscribe(LIVE_STATS, {"id": campaign_id}, context_value=context)

    return start


async def results_of(stream, limit: int = 10) -> list[dict]:
    """Up to `limit` results of a stream, or fewer when it ends."""
    results = []
    async for result in stream:
        results.append({"data": result.data, "errors": result.errors})
        if len(results) == limit:
            await stream.aclose()
    return results


async def test_it_sends_not_available_once_and_ends_until_tracking_svc_exists(
    subscribe, services
) -> None:
    services.campaign.add("c-1")

    results = await results_of(await subscribe("c-1"))

    assert results == [
        {
            "data": {"campaignStats": {"__typename": "NotAvailable", "service": "tracking-svc"}},
            "errors": None,
        }
    ]


async def test_it_sends_the_figures_when_they_change_only(subscribe, services) -> None:
    # given
    services.campaign.add("c-1")
    services.tracking.deployed = True
    services.tracking.stats["c-1"] = {"campaignId": "c-1", "sent": 1}
    stream = await subscribe("c-1")

    # when
    first = await anext(stream)
    following = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.1)  # several polls with the same figures
    unchanged = following.done()
    services.tracking.stats["c-1"] = {"campaignId": "c-1", "sent": 2}
    second = await asyncio.wait_for(following, timeout=5)
    await stream.aclose()

    # then
    assert first.data == {"campaignStats": {"__typename": "CampaignStats", "sent": 1}}
    assert not unchanged
    assert second.data == {"campaignStats": {"__typename": "CampaignStats", "sent": 2}}
    assert len(services.tracking.calls("POST", "/stats/batch")) >= 3


async def test_another_clinics_campaign_is_not_found_once(subscribe, services) -> None:
    services.campaign.add("c-9", clinic_id="clinic-b")
    services.tracking.deployed = True

    results = await results_of(await subscribe("c-9"))

    assert [r["data"]["campaignStats"]["__typename"] for r in results] == ["NotFound"]
    assert services.tracking.requests == []


@pytest.mark.parametrize(
    ("persona", "code"),
    [("no token", "UNAUTHENTICATED"), ("staff without permissions", "FORBIDDEN")],
)
async def test_it_needs_the_read_permission(subscribe, services, persona: str, code: str) -> None:
    services.campaign.add("c-1")

    results = await results_of(await subscribe("c-1", persona))

    (result,) = results
    assert result["errors"][0].extensions == {"code": code}
    assert services.campaign.requests == []


def test_over_a_websocket_the_token_comes_in_the_connection_params(
    settings, services, headers_of
) -> None:
    services.campaign.add("c-1")
    app = create_app(settings, services.transports())

    with (
        TestClient(app) as client,
        client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": headers_of("viewer")})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": LIVE_STATS, "variables": {"id": "c-1"}},
            }
        )
        answer = ws.receive_json()
        completed = ws.receive_json()

    assert answer["payload"]["data"]["campaignStats"]["__typename"] == "NotAvailable"
    assert completed == {"id": "1", "type": "complete"}


def test_over_a_websocket_without_a_token_the_subscription_is_refused(settings, services) -> None:
    app = create_app(settings, services.transports())

    with (
        TestClient(app) as client,
        client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": {}})
        ws.receive_json()
        ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": LIVE_STATS, "variables": {"id": "c-1"}},
            }
        )
        answer = ws.receive_json()

    assert answer["type"] in {"next", "error"}
    errors = answer["payload"]["errors"] if answer["type"] == "next" else answer["payload"]
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
