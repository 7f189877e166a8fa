"""The scheduler inside campaign-svc starts campaigns at their startDate and completes them at
their endDate by itself: nobody calls anything, the (injected) clock just moves on, and the
gateway shows the new status."""

import asyncio
from datetime import timedelta

import pytest

from reengage_testing import eventually

pytestmark = pytest.mark.infra

LAUNCH = """
mutation($id: ID!) {
  launchCampaign(id: $id) { __typename ... on Campaign { status launchedAt } }
}
"""
CAMPAIGN = """
query($id: ID!) { campaign(id: $id) { status runNumber launchedAt completedAt } }
"""
A_FEW_SCHEDULER_ROUNDS = 0.5  # the scheduler looks every 0.1 s in these tests
# The status changes a campaign went through to be live in this status (launch is its own event).
CHANGES_TO_REACH = {"ACTIVE": [], "PAUSED": [("ACTIVE", "PAUSED")]}


async def seen_through_the_gateway(stack, campaign_id: str) -> dict:
    return (await stack.graphql(CAMPAIGN, {"id": campaign_id}))["data"]["campaign"]


async def becomes(stack, campaign_id: str, status: str) -> None:
    async def shown() -> bool:
        return (await seen_through_the_gateway(stack, campaign_id))["status"] == status

    await eventually(shown, within=15)


async def test_a_scheduled_campaign_starts_at_its_start_and_completes_at_its_end(stack) -> None:
    # given a campaign launched to start in a minute and end ten minutes later
    start = stack.clock.now + timedelta(minutes=1)
    end = start + timedelta(minutes=10)
    draft = await stack.campaign(
        schedule={"startDate": start.isoformat(), "endDate": end.isoformat()}
    )
    launched = (await stack.graphql(LAUNCH, {"id": draft["id"]}))["data"]["launchCampaign"]
    await asyncio.sleep(A_FEW_SCHEDULER_ROUNDS)
    before_start = await seen_through_the_gateway(stack, draft["id"])

    # when its start passes
    stack.clock.now = start + timedelta(seconds=1)
    await becomes(stack, draft["id"], "ACTIVE")
    started = await seen_through_the_gateway(stack, draft["id"])
    # and then its end
    stack.clock.now = end + timedelta(seconds=1)
    await becomes(stack, draft["id"], "COMPLETED")
    completed = await seen_through_the_gateway(stack, draft["id"])

    # then it waited, started and completed on its own
    assert launched == {"__typename": "Campaign", "status": "SCHEDULED", "launchedAt": None}
    assert before_start["status"] == "SCHEDULED"
    assert started["launchedAt"] == (start + timedelta(seconds=1)).isoformat()
    assert started["runNumber"] == 1 and started["completedAt"] is None
    assert completed["completedAt"] == (end + timedelta(seconds=1)).isoformat()
    # and Kafka heard the snapshot when it went live, and each status change
    (snapshot,) = await stack.events("campaign.launched", draft["id"], count=1)
    assert snapshot.data.launched_at == start + timedelta(seconds=1)
    changes = await stack.events("campaign.status_changed", draft["id"], count=2)
    assert [(c.data.from_status, c.data.to) for c in changes] == [
        ("DRAFT", "SCHEDULED"),
        ("ACTIVE", "COMPLETED"),
    ]


@pytest.mark.parametrize("status", ["ACTIVE", "PAUSED"])
async def test_a_live_campaign_completes_by_itself_once_its_end_date_passes(
    stack, status: str
) -> None:
    # given a live campaign that ends in five minutes, and one without an end
    end = stack.clock.now + timedelta(minutes=5)
    ending = await stack.campaign(status, schedule={"endDate": end.isoformat()})
    endless = await stack.campaign(status)

    # when the end passes
    stack.clock.now = end + timedelta(seconds=1)
    await becomes(stack, ending["id"], "COMPLETED")
    await asyncio.sleep(A_FEW_SCHEDULER_ROUNDS)

    # then only the one with an end completed
    assert (await seen_through_the_gateway(stack, ending["id"]))["completedAt"] == (
        stack.clock.now.isoformat()
    )
    assert (await seen_through_the_gateway(stack, endless["id"]))["status"] == status
    expected = [*CHANGES_TO_REACH[status], (status, "COMPLETED")]
    changes = await stack.events("campaign.status_changed", ending["id"], count=len(expected))
    assert [(c.data.from_status, c.data.to) for c in changes] == expected
