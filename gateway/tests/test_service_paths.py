"""An id from the caller is one path segment of the internal call, never a path of its own."""

import httpx
import pytest

from gateway.app import create_app
from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.settings import load_settings
from reengage_testing import serving

HOSTILE_IDS = ["../healthz", "../../metrics", "..", "x?ids=a,b", "a/launch", "%2e%2e/readyz"]
CAMPAIGN = "query Campaign($id: ID!) { campaign(id: $id) { id } }"


@pytest.mark.parametrize("hostile_id", HOSTILE_IDS)
async def test_a_hostile_id_reaches_the_service_as_one_segment_under_campaigns(hostile_id) -> None:
    seen: list[httpx.URL] = []

    def campaign_svc(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(404, json={"error": {"code": "NOT_FOUND", "message": "not found"}})

    key = generate_signing_key()
    settings = load_settings("gateway", jwt_public_key=key.public_pem)
    transports = dict.fromkeys(
        ["campaign-svc", "audience-svc", "dispatch-svc", "tracking-svc"],
        httpx.MockTransport(campaign_svc),
    )
    token = issue_token(key, user_id="u", clinic_id="c", role="clinic_admin")
    headers = {"Authorization": f"Bearer {token}"}

    async with serving(create_app(settings, transports)) as gateway:
        read = await gateway.post(
            "/graphql", json={"query": CAMPAIGN, "variables": {"id": hostile_id}}, headers=headers
        )
        paused = await gateway.post(
            "/graphql",
            json={
                "query": "mutation($id: ID!) { pauseCampaign(id: $id) { __typename } }",
                "variables": {"id": hostile_id},
            },
            headers=headers,
        )

    assert read.json() == {"data": {"campaign": None}}
    assert paused.json() == {"data": {"pauseCampaign": {"__typename": "NotFound"}}}
    # An id with a `/` is no single segment, so it names no campaign and is never sent.
    assert len(seen) == (0 if "/" in hostile_id else 2)
    for url in seen:
        _, collection, segment, *action = url.raw_path.decode().split("?")[0].split("/")
        assert collection == "campaigns" and segment not in {"", ".", ".."}
        assert action in ([], ["pause"])
        assert url.query == b""
