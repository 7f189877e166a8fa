"""Who may do what over GraphQL: reads need view_analytics, writes manage_reminders, launch
also role clinic_admin. A refused call never reaches a service."""

import itertools
from typing import Any

import pytest

CAMPAIGN_INPUT = {
    "name": "Come back",
    "targeting": {"inactiveDays": 180},
    "channels": ["EMAIL"],
    "messageTemplates": [{"channel": "EMAIL", "subject": "Hi", "body": "Hello", "sequence": 1}],
    "schedule": {"startDate": "2026-01-05T09:00:00Z"},
}
ID = {"id": "c-1"}

# field -> (document, variables, what it needs)
OPERATIONS: dict[str, tuple[str, dict[str, Any], str]] = {
    "campaigns": ("query { campaigns { totalCount } }", {}, "read"),
    "campaign": ("query($id: ID!) { campaign(id: $id) { id } }", ID, "read"),
    "campaignStats": (
        "query($id: ID!) { campaignStats(id: $id) { __typename } }",
        ID,
        "read",
    ),
    "campaignRecipients": (
        "query($id: ID!) { campaignRecipients(campaignId: $id) { __typename } }",
        ID,
        "read",
    ),
    "audienceEstimate": (
        "query($t: TargetingInput!) { audienceEstimate(targeting: $t) { __typename } }",
        {"t": {"inactiveDays": 90}},
        "read",
    ),
    "createCampaign": (
        "mutation($input: CampaignInput!) { createCampaign(input: $input) { __typename } }",
        {"input": CAMPAIGN_INPUT},
        "manage",
    ),
    "updateCampaign": (
        "mutation($id: ID!, $input: CampaignInput!) {"
        " updateCampaign(id: $id, input: $input) { __typename } }",
        {**ID, "input": CAMPAIGN_INPUT},
        "manage",
    ),
    "deleteCampaign": (
        "mutation($id: ID!) { deleteCampaign(id: $id) { __typename } }",
        ID,
        "manage",
    ),
    "launchCampaign": (
        "mutation($id: ID!) { launchCampaign(id: $id) { __typename } }",
        ID,
        "launch",
    ),
    "pauseCampaign": ("mutation($id: ID!) { pauseCampaign(id: $id) { __typename } }", ID, "manage"),
    "resumeCampaign": (
        "mutation($id: ID!) { resumeCampaign(id: $id) { __typename } }",
        ID,
        "manage",
    ),
    "cancelCampaign": (
        "mutation($id: ID!) { cancelCampaign(id: $id) { __typename } }",
        ID,
        "manage",
    ),
    "duplicateCampaign": (
        "mutation($id: ID!) { duplicateCampaign(id: $id) { __typename } }",
        ID,
        "manage",
    ),
    "previewCampaign": (
        'mutation($id: ID!) { previewCampaign(id: $id, sampleData: {first_name: "Ada"}) {'
        " __typename } }",
        ID,
        "manage",
    ),
}

# persona -> the error code for (read, manage, launch); None where allowed
REFUSALS: dict[str, dict[str, str | None]] = {
    "no token": dict.fromkeys(("read", "manage", "launch"), "UNAUTHENTICATED"),
    "bad token": dict.fromkeys(("read", "manage", "launch"), "UNAUTHENTICATED"),
    "staff without permissions": dict.fromkeys(("read", "manage", "launch"), "FORBIDDEN"),
    "viewer": {"read": None, "manage": "FORBIDDEN", "launch": "FORBIDDEN"},
    "manager": {"read": None, "manage": None, "launch": "FORBIDDEN"},
    "clinic_admin": {"read": None, "manage": None, "launch": None},
}


@pytest.mark.parametrize(("persona", "field"), list(itertools.product(REFUSALS, OPERATIONS)))
async def test_each_persona_gets_exactly_what_its_token_allows(
    graphql, services, persona: str, field: str
) -> None:
    # given
    services.campaign.add("c-1", status="ACTIVE")
    services.tracking.deployed = True
    services.audience.deployed = True
    document, variables, needs = OPERATIONS[field]
    refusal = REFUSALS[persona][needs]

    # when
    answer = await graphql(document, variables, persona=persona)

    # then
    if refusal is None:
        assert "errors" not in answer, answer
        assert answer["data"][field] is not None
    else:
        assert answer["data"] == {field: None}
        assert [e["extensions"]["code"] for e in answer["errors"]] == [refusal]
        assert services.campaign.requests == []
        assert services.tracking.requests == []
        assert services.audience.requests == []


STATS_OF_A_CAMPAIGN = "query { campaigns { edges { node { stats { __typename } } } } }"


async def test_stats_inside_a_campaign_need_the_read_permission_too(graphql, services) -> None:
    # given a manager whose token carries manage_reminders only
    services.campaign.add("c-1")
    services.tracking.deployed = True

    # when
    answer = await graphql(STATS_OF_A_CAMPAIGN, persona="staff without permissions")

    # then
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


ME = "query { me { clinicId role permissions } }"


async def test_the_clinic_is_the_one_of_the_token(graphql) -> None:
    answer = await graphql(ME, persona="viewer", clinic_id="clinic-z")

    assert answer["data"]["me"] == {
        "clinicId": "clinic-z",
        "role": "staff",
        "permissions": ["booking:view_analytics"],
    }
