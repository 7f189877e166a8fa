"""Limits on queries, masking of unexpected errors, and no introspection in production."""

import httpx
from strawberry.extensions.validation_cache import _get_validate_cache as validation_cache

from gateway.app import create_app
from reengage_common.settings import load_settings
from reengage_testing import serving

PRODUCTION_SECRETS = {
    "jwt_issuer": "https://id.clinic-platform.example",
    "link_secret": "a-production-link-secret-of-40-characters",
}

CAMPAIGN = "query($id: ID!) { campaign(id: $id) { id name } }"
INTROSPECTION = "query { __schema { queryType { name } } }"


def stats_and_back(times: int) -> str:
    """campaigns > edges > node, then `times` x (stats > campaign), then id."""
    inner = "id"
    for _ in range(times):
        inner = f"stats {{ ... on CampaignStats {{ campaign {{ {inner} }} }} }}"
    return f"query {{ campaigns {{ edges {{ node {{ {inner} }} }} }} }}"


DEPTH_10 = stats_and_back(3)
DEPTH_12 = stats_and_back(4)
TOO_MANY_ALIASES = "query { " + " ".join(f"a{n}: __typename" for n in range(31)) + " }"


async def test_an_unexpected_failure_is_masked(graphql, services) -> None:
    services.campaign.force("GET", "/campaigns/c-1", httpx.Response(500, text="boom"))

    answer = await graphql(CAMPAIGN, {"id": "c-1"})

    (error,) = answer["errors"]
    assert error["message"] == "Unexpected error."
    assert "extensions" not in error


async def test_a_malformed_answer_of_a_service_is_masked(graphql, services) -> None:
    services.campaign.force("GET", "/campaigns/c-1", httpx.Response(200, json={"id": "c-1"}))

    answer = await graphql(CAMPAIGN, {"id": "c-1"})

    assert [error["message"] for error in answer["errors"]] == ["Unexpected error."]


async def test_authentication_and_permission_errors_are_not_masked(graphql) -> None:
    no_token = await graphql(CAMPAIGN, {"id": "c-1"}, persona="no token")
    no_permission = await graphql(CAMPAIGN, {"id": "c-1"}, persona="staff without permissions")

    assert no_token["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert "Bearer" in no_token["errors"][0]["message"]
    assert no_permission["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert "booking:view_analytics" in no_permission["errors"][0]["message"]


async def test_in_development_failures_are_shown_as_they_are(
    services, headers_of, signing_key
) -> None:
    settings = load_settings("gateway", env="development", jwt_public_key=signing_key.public_pem)
    services.campaign.force("GET", "/campaigns/c-1", httpx.Response(500, text="boom"))

    async with serving(create_app(settings, services.transports())) as client:
        response = await client.post(
            "/graphql",
            json={"query": CAMPAIGN, "variables": {"id": "c-1"}},
            headers=headers_of("viewer"),
        )

    assert response.json()["errors"][0]["message"] == "campaign-svc failed (500)"


async def test_introspection_is_off_in_production(services, signing_key) -> None:
    settings = load_settings(
        "gateway", env="production", jwt_public_key=signing_key.public_pem, **PRODUCTION_SECRETS
    )

    async with serving(create_app(settings, services.transports())) as client:
        response = await client.post("/graphql", json={"query": INTROSPECTION})
        unauthenticated = await client.post(
            "/graphql", json={"query": CAMPAIGN, "variables": {"id": "c-1"}}
        )

    assert response.json()["data"] is None
    assert "introspection" in response.json()["errors"][0]["message"].lower()
    assert unauthenticated.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_introspection_is_on_outside_production(graphql) -> None:
    answer = await graphql(INTROSPECTION)

    assert answer == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_a_query_deeper_than_the_limit_is_refused_before_any_call(graphql, services) -> None:
    answer = await graphql(DEPTH_12)

    assert "exceeds maximum operation depth of 10" in answer["errors"][0]["message"]
    assert services.campaign.requests == []


async def test_a_query_at_the_depth_limit_runs(graphql, services) -> None:
    services.campaign.add("c-1")
    services.tracking.deployed = True

    answer = await graphql(DEPTH_10)

    assert "errors" not in answer


async def test_too_many_aliases_are_refused(graphql) -> None:
    answer = await graphql(TOO_MANY_ALIASES)

    assert "aliases found" in answer["errors"][0]["message"].lower()


async def test_too_many_tokens_are_refused(graphql) -> None:
    answer = await graphql("query { " + "__typename " * 4001 + "}")

    assert "token" in answer["errors"][0]["message"].lower()


async def test_a_repeated_operation_is_not_validated_again(graphql, services) -> None:
    """The limits are validation rules: made per request, they kept every request out of the
    validation cache (a third of the gateway's CPU under the console's load scenario)."""
    services.campaign.add("c-1")
    validated = validation_cache(512).cache_info  # the one ValidationCache(maxsize=512) uses
    await graphql(CAMPAIGN, {"id": "c-1"})
    before = validated()

    answer = await graphql(CAMPAIGN, {"id": "c-1"})

    assert answer["data"]["campaign"]["id"] == "c-1"
    assert validated().hits == before.hits + 1
    assert validated().misses == before.misses
