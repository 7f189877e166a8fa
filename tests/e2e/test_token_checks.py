"""Tokens a resource server must not trust are refused at the gateway (GraphQL and REST) and by
campaign-svc itself when called directly, so a leaked internal route is no way around the gateway.
"""

import pytest

from reengage_common.auth import generate_signing_key
from reengage_testing.tokens import refused_tokens

pytestmark = pytest.mark.infra

CAMPAIGNS = "query { campaigns { totalCount } }"
FLAWS = sorted(refused_tokens(generate_signing_key()))


@pytest.mark.parametrize("flaw", FLAWS)
async def test_a_token_it_must_not_trust_is_refused_everywhere(stack, signing_key, flaw) -> None:
    bearer = {"authorization": f"Bearer {refused_tokens(signing_key)[flaw]}"}

    graphql = await stack.gateway.post("/graphql", json={"query": CAMPAIGNS}, headers=bearer)
    rest = await stack.gateway.get("/api/booking/campaigns", headers=bearer)
    direct = await stack.campaign_svc.get("/campaigns", headers=bearer)

    assert graphql.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert (rest.status_code, rest.json()["error"]["code"]) == (401, "UNAUTHENTICATED")
    assert (direct.status_code, direct.json()["error"]["code"]) == (401, "UNAUTHENTICATED")


async def test_a_good_token_is_accepted_everywhere(stack) -> None:
    graphql = await stack.graphql(CAMPAIGNS)
    direct = await stack.campaign_svc.get("/campaigns", headers=stack.headers())

    assert "errors" not in graphql
    assert direct.status_code == 200
