"""Tracking in the gateway: the campaign's spec counters, totalCount from the stats, and the
live hub (one fetch per campaign change, fanned out to every subscriber)."""

import asyncio
import json

import httpx

from gateway.clients import make_service_clients
from gateway.live.stats import LiveStats, _campaign_of
from gateway.operations.access import Caller
from reengage_common.auth import verifier_for

COUNTS = """
query One($id: ID!) {
  campaign(id: $id) { targetCount sentCount responseCount rebookedCount statsAvailable }
}
"""
RECIPIENTS_TOTAL = """
query R($id: ID!) { campaignRecipients(campaignId: $id, status: "RESPONDED") {
  ... on RecipientConnection { totalCount edges { node { patientId status } } } } }
"""
FIGURES = {
    "campaignId": "c-1",
    "targeted": 120,
    "sent": 100,
    "responded": 12,
    "rebooked": 5,
    "statusCounts": {"RESPONDED": 7, "REBOOKED": 5},
}


async def test_a_campaign_carries_the_spec_counters_from_tracking(graphql, services) -> None:
    services.campaign.add("c-1", status="ACTIVE")
    services.tracking.deployed = True
    services.tracking.stats["c-1"] = FIGURES

    answer = await graphql(COUNTS, {"id": "c-1"}, persona="viewer")

    assert answer["data"]["campaign"] == {
        "targetCount": 120,
        "sentCount": 100,
        "responseCount": 12,
        "rebookedCount": 5,
        "statsAvailable": True,
    }
    assert len(services.tracking.calls("POST", "/stats/batch")) == 1  # five fields, one call


ZERO_COUNTS = {
    "targetCount": 0,
    "sentCount": 0,
    "responseCount": 0,
    "rebookedCount": 0,
    "statsAvailable": False,
}


async def test_the_counters_are_zero_and_marked_unavailable_while_tracking_is_down(
    graphql, services
) -> None:
    services.campaign.add("c-1", status="ACTIVE")

    answer = await graphql(COUNTS, {"id": "c-1"}, persona="viewer")

    assert "errors" not in answer
    assert answer["data"]["campaign"] == ZERO_COUNTS


async def test_the_counters_are_zero_and_marked_unavailable_while_tracking_fails(
    graphql, gateway, services, headers_of
) -> None:
    services.campaign.add("c-1", status="ACTIVE")
    services.tracking.deployed = True
    services.tracking.force("POST", "/stats/batch", httpx.Response(500, text="boom"))

    answer = await graphql(COUNTS, {"id": "c-1"}, persona="viewer")
    one = (await gateway.get("/api/booking/campaigns/c-1", headers=headers_of("viewer"))).json()

    assert answer["data"]["campaign"] == ZERO_COUNTS
    assert {name: one[name] for name in ZERO_COUNTS} == ZERO_COUNTS


async def test_rest_campaigns_read_with_zero_counts_while_tracking_is_down(
    gateway, services, headers_of
) -> None:
    services.campaign.add("c-1", status="ACTIVE")

    one = await gateway.get("/api/booking/campaigns/c-1", headers=headers_of("viewer"))
    page = await gateway.get("/api/booking/campaigns", headers=headers_of("viewer"))

    assert one.status_code == 200 and page.status_code == 200
    assert {name: one.json()[name] for name in ZERO_COUNTS} == ZERO_COUNTS
    assert {name: page.json()["items"][0][name] for name in ZERO_COUNTS} == ZERO_COUNTS


async def test_every_rest_answer_with_a_campaign_carries_its_counters(
    gateway, services, headers_of
) -> None:
    services.campaign.add("c-1", status="ACTIVE")
    services.tracking.deployed = True
    services.tracking.stats["c-1"] = FIGURES

    paused = await gateway.post("/api/booking/campaigns/c-1/pause", headers=headers_of("manager"))

    assert paused.status_code == 200, paused.text
    assert (paused.json()["sentCount"], paused.json()["statsAvailable"]) == (100, True)


async def test_rest_campaigns_carry_the_counters(gateway, services, headers_of) -> None:
    services.campaign.add("c-1", status="ACTIVE")
    services.tracking.deployed = True
    services.tracking.stats["c-1"] = FIGURES

    one = (await gateway.get("/api/booking/campaigns/c-1", headers=headers_of("viewer"))).json()
    page = (await gateway.get("/api/booking/campaigns", headers=headers_of("viewer"))).json()

    assert (one["targetCount"], one["sentCount"], one["rebookedCount"]) == (120, 100, 5)
    assert one["statsAvailable"] is True
    assert page["items"][0]["responseCount"] == 12


async def test_recipients_total_comes_from_the_stats_when_the_page_has_none(
    graphql, services
) -> None:
    services.campaign.add("c-1", status="ACTIVE")
    services.tracking.deployed = True
    services.tracking.stats["c-1"] = FIGURES
    page = {"items": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}
    services.tracking.force("GET", "/campaigns/c-1/recipients", httpx.Response(200, json=page))

    answer = await graphql(RECIPIENTS_TOTAL, {"id": "c-1"}, persona="viewer")

    assert answer["data"]["campaignRecipients"]["totalCount"] == 7
    (call,) = services.tracking.calls("GET", "/campaigns/c-1/recipients")
    assert "withTotal" not in call.url.params


async def test_one_fetch_per_change_serves_every_subscriber(settings, services, headers_of) -> None:
    services.tracking.deployed = True
    services.tracking.stats["c-1"] = {"campaignId": "c-1", "sent": 1}
    clients = make_service_clients(settings, services.transports())
    identity = verifier_for(settings).verify(headers_of("viewer")["authorization"].split()[1])
    caller = Caller(
        identity=identity, authorization=headers_of("viewer")["authorization"], clients=clients
    )
    fetched: list[str] = []

    async def fetch(who: Caller, campaign_id: str) -> dict:
        fetched.append(campaign_id)
        return dict(services.tracking.stats[campaign_id])

    hub = LiveStats(settings, fetch, kafka=False, min_interval=0.01, follow_ups=())
    async with (
        hub.subscribe(caller, "c-1", refresh=60) as first,
        hub.subscribe(caller, "c-1", refresh=60) as second,
    ):
        initial = [await first.get(), await second.get()]
        calls_before = len(fetched)
        services.tracking.stats["c-1"] = {"campaignId": "c-1", "sent": 2}
        hub.campaign_changed("c-1")  # what the Kafka consumer does for each event's campaign
        hub.campaign_changed("c-9")  # nobody watches it: nothing happens
        changed = [await asyncio.wait_for(q.get(), 5) for q in (first, second)]
    await hub.close()
    await clients.aclose()

    assert [u["sent"] for u in initial] == [1, 1] and calls_before == 1
    assert [u["sent"] for u in changed] == [2, 2]
    assert fetched == ["c-1", "c-1"]  # two subscribers, two changes: two fetches in all


async def test_an_event_read_before_tracking_stored_it_shows_at_a_follow_up_not_the_refresh(
    settings, services, headers_of
) -> None:
    # given a dashboard watching c-1, and tracking-svc that stores the event's fact only after
    # the gateway's first fetch (both read the same topic)
    caller = Caller(
        identity=verifier_for(settings).verify(headers_of("viewer")["authorization"].split()[1]),
        authorization=headers_of("viewer")["authorization"],
        clients=None,  # type: ignore[arg-type]  (fetch below calls no service)
    )
    figures = {"campaignId": "c-1", "sent": 0}
    fetches: list[int] = []

    async def fetch(who: Caller, campaign_id: str) -> dict:
        fetches.append(figures["sent"])
        answer = dict(figures)
        figures["sent"] = 1  # stored just after this fetch read the figures
        return answer

    hub = LiveStats(settings, fetch, kafka=False, min_interval=0.01, follow_ups=(0.0, 0.05))
    async with hub.subscribe(caller, "c-1", refresh=60) as updates:
        assert (await updates.get())["sent"] == 0
        figures["sent"] = 0
        # when the event arrives
        hub.campaign_changed("c-1")
        # then the count changes long before the next refresh (60 s), without another event
        assert (await asyncio.wait_for(updates.get(), 5))["sent"] == 1
    await hub.close()
    assert fetches[:3] == [0, 0, 1]  # on subscribing, on the event (too early), a follow-up


def test_the_campaign_of_an_event_is_read_from_its_envelope() -> None:
    assert _campaign_of(b'{"type": "message.sent", "data": {"campaignId": "c-7"}}') == "c-7"
    assert _campaign_of(b"not json") is None
    assert _campaign_of(b'{"data": {"patientId": "p-1"}}') is None


PAGE_COUNTS = """
{ campaigns(first: 50) { edges { node { id targetCount sentCount statsAvailable } } } }
"""


async def test_drafts_have_no_stats_so_tracking_is_asked_only_for_launched_campaigns(
    graphql, gateway, services, headers_of
) -> None:
    # given two drafts and two launched campaigns, one of them with figures
    services.campaign.add("c-draft-1")
    services.campaign.add("c-draft-2")
    services.campaign.add("c-1", status="ACTIVE")
    services.campaign.add("c-2", status="COMPLETED")
    services.tracking.deployed = True
    services.tracking.stats["c-1"] = FIGURES

    # when the campaigns page is read with its counters, over GraphQL and REST
    edges = (await graphql(PAGE_COUNTS, persona="viewer"))["data"]["campaigns"]["edges"]
    page = await gateway.get("/api/booking/campaigns", headers=headers_of("viewer"))

    # then one batch per page names only the launched ones; drafts count 0, known as such
    counts = {e["node"]["id"]: (e["node"]["sentCount"], e["node"]["statsAvailable"]) for e in edges}
    assert counts == {
        "c-draft-1": (0, True),
        "c-draft-2": (0, True),
        "c-1": (100, True),
        "c-2": (0, True),
    }
    assert {item["id"]: item["sentCount"] for item in page.json()["items"]} == {
        name: sent for name, (sent, _) in counts.items()
    }
    batches = services.tracking.calls("POST", "/stats/batch")
    assert [json.loads(b.content)["campaignIds"] for b in batches] == [["c-1", "c-2"]] * 2


async def test_a_page_of_drafts_and_a_drafts_stats_cost_tracking_nothing(
    graphql, gateway, services, headers_of
) -> None:
    services.campaign.add("c-draft-1")
    services.campaign.add("c-draft-2")
    services.tracking.deployed = True

    edges = (await graphql(PAGE_COUNTS, persona="viewer"))["data"]["campaigns"]["edges"]
    page = await gateway.get("/api/booking/campaigns", headers=headers_of("viewer"))
    stats = await gateway.get(
        "/api/booking/campaigns/c-draft-1/stats", headers=headers_of("viewer")
    )

    assert [e["node"]["targetCount"] for e in edges] == [0, 0]
    assert [item["targetCount"] for item in page.json()["items"]] == [0, 0]
    assert stats.status_code == 200 and stats.json()["sent"] == 0
    assert services.tracking.requests == []
