"""The gateway checks tokens as a resource server: exp, iss and aud required, the key (a PEM or
a JWKS entry chosen by kid) decides the algorithm. A refused token never reaches a service."""

import pytest

from gateway.app import create_app
from reengage_common.auth import generate_signing_key, issue_token, verifier_for
from reengage_common.settings import load_settings
from reengage_testing import serving
from reengage_testing.tokens import refused_tokens, serving_jwks

CAMPAIGNS = "query { campaigns { totalCount } }"
REST_CAMPAIGNS = "/api/booking/campaigns"
FLAWS = sorted(refused_tokens(generate_signing_key()))


@pytest.mark.parametrize("flaw", FLAWS)
async def test_graphql_answers_unauthenticated_to_a_token_it_must_not_trust(
    gateway, services, signing_key, flaw
) -> None:
    token = refused_tokens(signing_key)[flaw]

    response = await gateway.post(
        "/graphql", json={"query": CAMPAIGNS}, headers={"authorization": f"Bearer {token}"}
    )

    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert services.campaign.requests == []


@pytest.mark.parametrize("flaw", FLAWS)
async def test_rest_answers_401_to_a_token_it_must_not_trust(
    gateway, services, signing_key, flaw
) -> None:
    token = refused_tokens(signing_key)[flaw]

    response = await gateway.get(REST_CAMPAIGNS, headers={"authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"
    assert services.campaign.requests == []


async def test_a_gateway_verifying_with_a_jwks_accepts_its_keys_only(services) -> None:
    identity_service, stranger = generate_signing_key("RS256"), generate_signing_key()
    services.campaign.add("c-1")
    with serving_jwks(identity_service) as url:
        settings = load_settings("gateway", jwt_jwks_url=url)
        services.campaign.verifier = verifier_for(settings)  # the service checks it again
        async with serving(create_app(settings, services.transports())) as gateway:
            answers = {
                name: await gateway.get(
                    REST_CAMPAIGNS, headers={"authorization": f"Bearer {token}"}
                )
                for name, token in {
                    "served key": issue_token(
                        identity_service, user_id="u", clinic_id="clinic-a", role="staff"
                    ),
                    "unknown key": issue_token(
                        stranger, user_id="u", clinic_id="clinic-a", role="clinic_admin"
                    ),
                    **refused_tokens(identity_service),
                }.items()
            }

    assert answers.pop("served key").status_code == 200
    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(
        answers, 401
    )
