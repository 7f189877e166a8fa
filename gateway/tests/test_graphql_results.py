"""Stats, recipients and estimates: real answers, and NotAvailable until their services exist.

A missing route (a 404 without our `{"error": ...}` body) or a refused connection both mean
"not available right now"; one batch call to tracking-svc serves a whole page of campaigns.
"""

import json

STATS = """
query Stats($id: ID!) {
  campaignStats(id: $id) {
    __typename
    ... on CampaignStats { campaignId sent rebooked revenueCents roi campaign { name } }
    ... on NotFound { message }
    ... on NotAvailable { message service }
  }
}
"""
RECIPIENTS = """
query Recipients($id: ID!, $status: String, $first: Int, $after: String) {
  campaignRecipients(campaignId: $id, status: $status, first: $first, after: $after) {
    __typename
    ... on RecipientConnection {
      totalCount pageInfo { hasNextPage endCursor } edges { cursor node { patientId channel } }
    }
    ... on NotAvailable { service }
  }
}
"""
ESTIMATE = """
query Estimate($targeting: TargetingInput!) {
  audienceEstimate(targeting: $targeting) {
    __typename
    ... on AudienceEstimate { total byChannel { channel patients } }
    ... on NotAvailable { service message }
  }
}
"""
PAGE_WITH_STATS = """
query { campaigns(first: 50) { edges { node { id stats {
  __typename ... on CampaignStats { sent } } } } } }
"""


async def test_stats_are_not_available_until_tracking_svc_exists(graphql, services) -> None:
    services.campaign.add("c-1", status="ACTIVE")

    answer = await graphql(STATS, {"id": "c-1"})

    assert answer["data"]["campaignStats"] == {
        "__typename": "NotAvailable",
        "message": "tracking-svc is not available right now",
        "service": "tracking-svc",
    }


async def test_stats_are_not_available_while_tracking_svc_is_unreachable(graphql, services) -> None:
    services.campaign.add("c-1", status="ACTIVE")
    services.tracking.reachable = False

    answer = await graphql(STATS, {"id": "c-1"})

    assert answer["data"]["campaignStats"]["__typename"] == "NotAvailable"


async def test_stats_come_from_tracking_svc(graphql, services) -> None:
    services.campaign.add("c-1", status="ACTIVE")
    services.tracking.deployed = True
    services.tracking.stats["c-1"] = {
        "campaignId": "c-1",
        "sent": 10,
        "rebooked": 2,
        "revenueCents": 50000,
        "costCents": 1000,
        "roi": 49.0,
    }

    answer = await graphql(STATS, {"id": "c-1"})

    assert answer["data"]["campaignStats"] == {
        "__typename": "CampaignStats",
        "campaignId": "c-1",
        "sent": 10,
        "rebooked": 2,
        "revenueCents": 50000,
        "roi": 49.0,
        "campaign": {"name": "Campaign c-1"},
    }
    (batch,) = services.tracking.calls("POST", "/stats/batch")
    assert json.loads(batch.content) == {"campaignIds": ["c-1"]}


async def test_stats_of_another_clinics_campaign_are_not_found(graphql, services) -> None:
    services.campaign.add("c-9", clinic_id="clinic-b")
    services.tracking.deployed = True

    answer = await graphql(STATS, {"id": "c-9"})

    assert answer["data"]["campaignStats"]["__typename"] == "NotFound"
    assert services.tracking.requests == []


async def test_recipients_pass_paging_through_to_tracking_svc(graphql, services) -> None:
    services.campaign.add("c-1", status="ACTIVE")
    services.tracking.deployed = True

    answer = await graphql(RECIPIENTS, {"id": "c-1", "status": "SENT", "first": 2, "after": "r-0"})

    (call,) = services.tracking.requests
    assert call.url.path == "/campaigns/c-1/recipients"
    assert dict(call.url.params) == {"status": "SENT", "first": "2", "after": "r-0"}
    page = answer["data"]["campaignRecipients"]
    assert page["totalCount"] == 5
    assert page["pageInfo"] == {"hasNextPage": True, "endCursor": "r-2"}
    assert [edge["node"]["patientId"] for edge in page["edges"]] == ["p-0", "p-1"]


async def test_recipients_are_not_available_until_tracking_svc_exists(graphql, services) -> None:
    services.campaign.add("c-1", status="ACTIVE")

    answer = await graphql(RECIPIENTS, {"id": "c-1"})

    assert answer["data"]["campaignRecipients"] == {
        "__typename": "NotAvailable",
        "service": "tracking-svc",
    }


async def test_an_estimate_is_not_available_until_audience_svc_exists(graphql) -> None:
    answer = await graphql(ESTIMATE, {"targeting": {"inactiveDays": 90}})

    assert answer["data"]["audienceEstimate"]["__typename"] == "NotAvailable"
    assert answer["data"]["audienceEstimate"]["service"] == "audience-svc"


async def test_an_estimate_comes_from_audience_svc(graphql, services) -> None:
    services.audience.deployed = True

    answer = await graphql(ESTIMATE, {"targeting": {"inactiveDays": 90, "includeNoShows": False}})

    (call,) = services.audience.requests
    assert json.loads(call.content) == {"targeting": {"inactiveDays": 90, "includeNoShows": False}}
    assert answer["data"]["audienceEstimate"] == {
        "__typename": "AudienceEstimate",
        "total": 42,
        "byChannel": [{"channel": "EMAIL", "patients": 40}, {"channel": "SMS", "patients": 12}],
    }


ESTIMATE_MESSAGES = """
query Estimate($targeting: TargetingInput!) {
  audienceEstimate(targeting: $targeting, groupHouseholds: false) { ...Messages }
}
fragment Messages on AudienceEstimate { messages }
"""


async def test_an_estimate_asks_audience_svc_to_count_messages_only_when_selected(
    graphql, services
) -> None:
    services.audience.deployed = True

    await graphql(ESTIMATE_MESSAGES, {"targeting": {"inactiveDays": 90}})

    (call,) = services.audience.requests
    assert json.loads(call.content) == {
        "targeting": {"inactiveDays": 90},
        "countMessages": True,
        "groupHouseholds": False,
    }


async def test_fifty_campaigns_with_stats_cost_one_list_call_and_one_batch_call(
    graphql, services
) -> None:
    # given
    for n in range(50):
        services.campaign.add(f"c-{n:02}", status="ACTIVE")
        services.tracking.stats[f"c-{n:02}"] = {"campaignId": f"c-{n:02}", "sent": n}
    services.tracking.deployed = True

    # when
    answer = await graphql(PAGE_WITH_STATS)

    # then
    edges = answer["data"]["campaigns"]["edges"]
    assert [edge["node"]["stats"]["sent"] for edge in edges] == list(range(50))
    assert len(services.campaign.requests) == 1
    (batch,) = services.tracking.requests
    assert batch.url.path == "/stats/batch"
    assert len(json.loads(batch.content)["campaignIds"]) == 50


async def test_a_page_of_campaigns_without_tracking_svc_shows_stats_not_available(
    graphql, services
) -> None:
    for n in range(3):
        services.campaign.add(f"c-{n}", status="ACTIVE")

    answer = await graphql(PAGE_WITH_STATS)

    assert "errors" not in answer
    stats = [edge["node"]["stats"]["__typename"] for edge in answer["data"]["campaigns"]["edges"]]
    assert stats == ["NotAvailable"] * 3
    assert len(services.tracking.requests) == 1
