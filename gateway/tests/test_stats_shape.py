"""Every field of a campaign's stats reads over GraphQL as tracking-svc answers it: the types are
derived from the stats resource (reengage_common.resources.stats), and where GraphQL shows a
figure differently (exclusions as a list, a winner per metric) it is tested here. Over REST the
same answer is as the OpenAPI document says."""

from .conftest import undocumented

STATS = """
query Stats($id: ID!) {
  campaignStats(id: $id) {
    ... on CampaignStats {
      campaignId targeted heldOut recipients sent failed notInterested messageCostCents
      incentivesRedeemed incentiveCostCents costCents roi
      rates { delivery response failure }
      excluded { reason count }
      byVariant { variant recipients contacted costCents revenueCents roi rates { rebook } }
      byChannel { channel sequence due sent delivered costCents responses }
      byStep { channel sequence due skipped }
      abTests { metric variantA variantB rateA rateB z pValue significant winner }
      responseWinner rebookWinner
      lift { heldOut holdoutRebooked holdoutRebookRate absoluteLift pValue significant }
      statusCounts
    }
  }
}
"""
RATES = {
    "delivery": 1.0,
    "response": 0.5,
    "interest": 0.25,
    "click": None,
    "rebook": 0.25,
    "unsubscribe": None,
    "bounce": None,
    "failure": 0.0,
}
# As tracking_svc.domain.stats.figures answers, with its A/B inputs GraphQL does not show.
TRACKING_ANSWER = {
    "campaignId": "c-1",
    "targeted": 5,
    "heldOut": 1,
    "excluded": {"DECEASED": 2, "TREATMENT_STAGE": 3},
    "recipients": 4,
    "contacted": 4,
    "sent": 4,
    "delivered": 4,
    "failed": 0,
    "skipped": 0,
    "responded": 2,
    "interested": 1,
    "notInterested": 1,
    "clicked": 0,
    "replied": 1,
    "rebooked": 1,
    "unsubscribed": 0,
    "bounced": 0,
    "contactedResponded": 2,
    "contactedRebooked": 1,
    "messageCostCents": 8,
    "incentivesRedeemed": 1,
    "incentiveCostCents": 500,
    "costCents": 508,
    "revenueCents": 25000,
    "roi": 48.2,
    "rates": RATES,
    "statusCounts": {"PENDING": 0, "CONTACTED": 2, "RESPONDED": 1, "REBOOKED": 1},
    "byVariant": [
        {
            "variant": "A",
            "recipients": 4,
            "contacted": 4,
            "costCents": 508,
            "revenueCents": 25000,
            "roi": 48.2,
            "rates": RATES,
            "contactedRebooked": 1,
        },
    ],
    "byChannel": [
        {
            "channel": "SMS",
            "due": 4,
            "sent": 4,
            "delivered": 4,
            "failed": 0,
            "skipped": 0,
            "costCents": 8,
            "responses": {"INTERESTED": 1},
        },
    ],
    "byStep": [
        {
            "sequence": 1,
            "due": 4,
            "sent": 4,
            "delivered": 4,
            "failed": 0,
            "skipped": 0,
            "costCents": 8,
        },
    ],
    "abTests": [
        {
            "metric": "responded",
            "variantA": "A",
            "variantB": "B",
            "rateA": 0.5,
            "rateB": None,
            "z": None,
            "pValue": None,
            "significant": False,
            "winner": None,
        },
    ],
    "winner": {"responded": None, "rebooked": "A"},
    "lift": {
        "heldOut": 1,
        "holdoutRebooked": 0,
        "holdoutRebookRate": 0.0,
        "treatedRebookRate": 0.25,
        "absoluteLift": 0.25,
        "relativeLift": None,
        "incrementalRebookings": 1.0,
        "pValue": 0.4,
        "significant": False,
    },
}


async def test_every_figure_reads_as_tracking_answers_it(graphql, services) -> None:
    # given
    services.campaign.add("c-1", status="ACTIVE")
    services.tracking.deployed = True
    services.tracking.stats["c-1"] = TRACKING_ANSWER

    # when
    answer = await graphql(STATS, {"id": "c-1"}, persona="viewer")

    # then
    assert "errors" not in answer, answer
    stats = answer["data"]["campaignStats"]
    assert {k: stats[k] for k in ("campaignId", "targeted", "heldOut", "notInterested")} == {
        "campaignId": "c-1",
        "targeted": 5,
        "heldOut": 1,
        "notInterested": 1,
    }
    assert (stats["costCents"], stats["incentiveCostCents"], stats["roi"]) == (508, 500, 48.2)
    assert stats["rates"] == {"delivery": 1.0, "response": 0.5, "failure": 0.0}
    assert stats["excluded"] == [
        {"reason": "DECEASED", "count": 2},
        {"reason": "TREATMENT_STAGE", "count": 3},
    ]
    assert stats["byVariant"] == [
        {
            "variant": "A",
            "recipients": 4,
            "contacted": 4,
            "costCents": 508,
            "revenueCents": 25000,
            "roi": 48.2,
            "rates": {"rebook": 0.25},
        },
    ]
    assert stats["byChannel"] == [
        {
            "channel": "SMS",
            "sequence": None,
            "due": 4,
            "sent": 4,
            "delivered": 4,
            "costCents": 8,
            "responses": {"INTERESTED": 1},
        },
    ]
    assert stats["byStep"] == [{"channel": None, "sequence": 1, "due": 4, "skipped": 0}]
    assert stats["abTests"] == TRACKING_ANSWER["abTests"]
    assert (stats["responseWinner"], stats["rebookWinner"]) == (None, "A")
    assert stats["lift"] == {
        "heldOut": 1,
        "holdoutRebooked": 0,
        "holdoutRebookRate": 0.0,
        "absoluteLift": 0.25,
        "pValue": 0.4,
        "significant": False,
    }
    assert stats["statusCounts"] == TRACKING_ANSWER["statusCounts"]


async def test_a_campaign_tracking_counted_nothing_of_reads_as_zeros(graphql, services) -> None:
    services.campaign.add("c-1", status="ACTIVE")
    services.tracking.deployed = True
    services.tracking.stats["c-1"] = {"campaignId": "c-1"}

    answer = await graphql(STATS, {"id": "c-1"}, persona="viewer")

    stats = answer["data"]["campaignStats"]
    assert (stats["sent"], stats["roi"], stats["excluded"], stats["byVariant"]) == (0, None, [], [])
    assert stats["rates"] == {"delivery": None, "response": None, "failure": None}
    assert (stats["responseWinner"], stats["lift"]["significant"], stats["statusCounts"]) == (
        None,
        False,
        {},
    )


async def test_the_stats_over_rest_are_as_the_openapi_document_says(
    gateway, services, headers_of
) -> None:
    # given
    services.campaign.add("c-1", status="ACTIVE")
    services.tracking.deployed = True
    services.tracking.stats["c-1"] = TRACKING_ANSWER
    document = (await gateway.get("/api/openapi.json")).json()

    # when
    answer = await gateway.get("/api/booking/campaigns/c-1/stats", headers=headers_of("viewer"))

    # then
    assert answer.status_code == 200, answer.text
    assert undocumented(document, "GET", "/api/booking/campaigns/{id}/stats", answer.json()) == []
    assert answer.json()["lift"]["incrementalRebookings"] == 1.0
