"""An id that names no campaign (empty, not one path segment, or with a control character) is a NotFound for every
operation over GraphQL, never an outage (NOT_AVAILABLE) or a service failure: a client must
tell a bad id from a service that is down. Nothing changes."""

import pytest

pytestmark = pytest.mark.infra

ANSWERS = "__typename ... on NotFound { message }"
BAD_IDS = ["", "a/b", "../launch", "..", "c-1\x00", "tab\there"]


def mutation(name: str) -> str:
    return f"mutation($id: ID!) {{ {name}(id: $id) {{ {ANSWERS} }} }}"


OPERATIONS = {
    "updateCampaign": "mutation($id: ID!, $input: CampaignInput!) {"
    f" updateCampaign(id: $id, input: $input) {{ {ANSWERS} }} }}",
    "deleteCampaign": mutation("deleteCampaign"),
    "launchCampaign": mutation("launchCampaign"),
    "pauseCampaign": mutation("pauseCampaign"),
    "resumeCampaign": mutation("resumeCampaign"),
    "cancelCampaign": mutation("cancelCampaign"),
    "duplicateCampaign": mutation("duplicateCampaign"),
    "previewCampaign": mutation("previewCampaign"),
    "campaignStats": f"query($id: ID!) {{ campaignStats(id: $id) {{ {ANSWERS} }} }}",
    "campaignRecipients": "query($id: ID!) {"
    f" campaignRecipients(campaignId: $id) {{ {ANSWERS} }} }}",
}


@pytest.mark.parametrize("bad_id", BAD_IDS, ids=repr)
@pytest.mark.parametrize("field", sorted(OPERATIONS))
async def test_a_bad_id_is_not_found_for_every_operation(
    stack, new_campaign_input, field: str, bad_id: str
) -> None:
    # given
    count = await stack.count()
    variables = {"id": bad_id}
    if field == "updateCampaign":
        variables["input"] = new_campaign_input(name="Never saved")

    # when
    answer = await stack.graphql(OPERATIONS[field], variables)

    # then
    assert "errors" not in answer, answer
    assert answer["data"][field]["__typename"] == "NotFound", answer
    assert await stack.count() == count


@pytest.mark.parametrize("bad_id", BAD_IDS, ids=repr)
async def test_a_bad_id_reads_as_no_campaign(stack, bad_id: str) -> None:
    answer = await stack.graphql("query($id: ID!) { campaign(id: $id) { id } }", {"id": bad_id})

    assert answer == {"data": {"campaign": None}}
