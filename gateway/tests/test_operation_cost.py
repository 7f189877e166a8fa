"""A cost limit per GraphQL operation (issue 17 #7): a view-only user cannot run thirty
audience estimates (or campaign stats, or recipient pages) in one request."""

from gateway.operation_cost import COSTLY_FIELDS

ESTIMATE_FIELDS = "__typename ... on AudienceEstimate { total }"


def estimates(count: int) -> str:
    aliased = " ".join(
        f"e{n}: audienceEstimate(targeting: {{inactiveDays: {180 + n}}}) {{ {ESTIMATE_FIELDS} }}"
        for n in range(count)
    )
    return f"query {{ {aliased} }}"


SPREAD_ESTIMATES = f"""
query {{ ...Two  more: audienceEstimate(targeting: {{inactiveDays: 90}}) {{ {ESTIMATE_FIELDS} }} }}
fragment Two on Query {{
  a: audienceEstimate(targeting: {{inactiveDays: 180}}) {{ {ESTIMATE_FIELDS} }}
  ... on Query {{ b: audienceEstimate(targeting: {{inactiveDays: 365}}) {{ {ESTIMATE_FIELDS} }} }}
}}
"""


def stats(count: int) -> str:
    aliased = " ".join(f's{n}: campaignStats(id: "c-{n}") {{ __typename }}' for n in range(count))
    return f"query {{ {aliased} }}"


async def test_thirty_aliased_estimates_are_refused_before_any_reaches_audience_svc(
    graphql, services
) -> None:
    services.audience.deployed = True

    answer = await graphql(estimates(30), persona="viewer")

    assert answer.get("data") is None
    (error,) = answer["errors"]
    assert error["extensions"] == {
        "code": "TOO_COSTLY",
        "field": "audienceEstimate",
        "limit": 2,
        "requested": 30,
    }
    assert "at most 2 per request" in error["message"]
    assert services.audience.requests == []


async def test_estimates_spread_through_fragments_count_each_use(graphql, services) -> None:
    services.audience.deployed = True

    answer = await graphql(SPREAD_ESTIMATES, persona="viewer")

    assert answer["errors"][0]["extensions"]["requested"] == 3
    assert services.audience.requests == []


async def test_two_estimates_run(graphql, services) -> None:
    services.audience.deployed = True

    answer = await graphql(estimates(2), persona="viewer")

    assert "errors" not in answer, answer
    assert len(services.audience.requests) == 2


async def test_stats_past_their_limit_are_refused_naming_it(graphql, services) -> None:
    limit = COSTLY_FIELDS[("Query", "campaignStats")]

    refused = await graphql(stats(limit + 1), persona="viewer")

    assert refused["errors"][0]["extensions"]["code"] == "TOO_COSTLY"
    assert refused["errors"][0]["extensions"]["field"] == "campaignStats"
    assert services.tracking.requests == []
