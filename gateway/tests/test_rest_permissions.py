"""Who may do what over REST: the same permissions as GraphQL, as 401 and 403."""

import itertools
from typing import Any

import pytest

CAMPAIGN = {
    "name": "Come back",
    "targeting": {"inactiveDays": 180},
    "channels": ["EMAIL"],
    "messageTemplates": [{"channel": "EMAIL", "subject": "Hi", "body": "Hello", "sequence": 1}],
    "schedule": {"startDate": "2026-01-05T09:00:00Z"},
}
BASE = "/api/booking/campaigns"

# (method, path, body, what it needs, success status)
ENDPOINTS: dict[str, tuple[str, str, Any, str, int]] = {
    "list": ("GET", BASE, None, "read", 200),
    "create": ("POST", BASE, CAMPAIGN, "manage", 201),
    "get": ("GET", f"{BASE}/c-1", None, "read", 200),
    "update": ("PUT", f"{BASE}/c-1", CAMPAIGN, "manage", 200),
    "delete": ("DELETE", f"{BASE}/c-1", None, "manage", 200),
    "launch": ("POST", f"{BASE}/c-1/launch", None, "launch", 200),
    "pause": ("POST", f"{BASE}/c-1/pause", None, "manage", 200),
    "resume": ("POST", f"{BASE}/c-1/resume", None, "manage", 200),
    "cancel": ("POST", f"{BASE}/c-1/cancel", None, "manage", 200),
    "duplicate": ("POST", f"{BASE}/c-1/duplicate", None, "manage", 201),
    "preview": (
        "POST",
        f"{BASE}/c-1/preview",
        {"sampleData": {"first_name": "Ada"}},
        "manage",
        200,
    ),
    "stats": ("GET", f"{BASE}/c-1/stats", None, "read", 200),
    "recipients": ("GET", f"{BASE}/c-1/recipients", None, "read", 200),
}

# persona -> the status for (read, manage, launch); None where allowed
REFUSALS: dict[str, dict[str, int | None]] = {
    "no token": dict.fromkeys(("read", "manage", "launch"), 401),
    "bad token": dict.fromkeys(("read", "manage", "launch"), 401),
    "staff without permissions": dict.fromkeys(("read", "manage", "launch"), 403),
    "viewer": {"read": None, "manage": 403, "launch": 403},
    "manager": {"read": None, "manage": None, "launch": 403},
    "clinic_admin": {"read": None, "manage": None, "launch": None},
}
CODES = {401: "UNAUTHENTICATED", 403: "FORBIDDEN"}


@pytest.mark.parametrize(("persona", "endpoint"), list(itertools.product(REFUSALS, ENDPOINTS)))
async def test_each_persona_gets_exactly_what_its_token_allows(
    gateway, services, headers_of, persona: str, endpoint: str
) -> None:
    # given
    services.campaign.add("c-1", status="ACTIVE")
    services.tracking.deployed = True
    method, path, body, needs, success = ENDPOINTS[endpoint]
    refusal = REFUSALS[persona][needs]

    # when
    response = await gateway.request(method, path, json=body, headers=headers_of(persona))

    # then
    if refusal is None:
        assert response.status_code == success, response.text
    else:
        assert response.status_code == refusal
        assert response.json()["error"]["code"] == CODES[refusal]
        assert services.campaign.requests == []
        assert services.tracking.requests == []


async def test_a_missing_token_is_answered_with_a_bearer_challenge(gateway) -> None:
    response = await gateway.get(BASE)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_forbidden_caller_is_refused_before_the_body_is_read(gateway, headers_of) -> None:
    response = await gateway.post(BASE, content=b"{not json", headers=headers_of("viewer"))

    assert response.status_code == 403
