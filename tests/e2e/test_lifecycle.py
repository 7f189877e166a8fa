"""A campaign's whole life through the gateway's GraphQL, with the events Kafka carries for it."""

from datetime import timedelta
from typing import Any

import pytest

pytestmark = pytest.mark.infra

CAMPAIGN_PARTS = """
fragment CampaignParts on Campaign {
  id name description status runNumber createdBy createdAt updatedAt launchedAt completedAt
  channels holdoutPercent
  targeting {
    inactiveDays treatmentStages includeNoShows includeDropouts excludeRecentContact
    excludeContactDays
  }
  messageTemplates { channel subject body sequence delayDays variant }
  variants { name weight }
  schedule { startDate endDate sendTimes timezone }
  incentive { hasIncentive incentiveDetails incentiveCode incentiveCostCents }
}
"""
CREATE = (
    CAMPAIGN_PARTS
    + """
mutation Create($input: CampaignInput!) {
  createCampaign(input: $input) {
    __typename
    ...CampaignParts
    ... on ValidationError { message fields { field message } }
  }
}
"""
)
UPDATE = (
    CAMPAIGN_PARTS
    + """
mutation Update($id: ID!, $input: CampaignInput!) {
  updateCampaign(id: $id, input: $input) {
    __typename
    ...CampaignParts
    ... on ValidationError { message fields { field message } }
    ... on NotFound { message }
    ... on NotAllowed { message }
  }
}
"""
)
# launch, pause, resume and cancel answer the same union shape.
TRANSITION = (
    CAMPAIGN_PARTS
    + """
mutation Transition($id: ID!) {
  %s(id: $id) {
    __typename
    ...CampaignParts
    ... on ValidationError { message fields { field message } }
    ... on NotFound { message }
    ... on NotAllowed { message }
  }
}
"""
)
LAUNCH = TRANSITION % "launchCampaign"
PAUSE = TRANSITION % "pauseCampaign"
RESUME = TRANSITION % "resumeCampaign"
CANCEL = TRANSITION % "cancelCampaign"
DUPLICATE = (
    CAMPAIGN_PARTS
    + """
mutation Duplicate($id: ID!) {
  duplicateCampaign(id: $id) {
    __typename
    ...CampaignParts
    ... on NotFound { message }
    ... on NotAllowed { message }
  }
}
"""
)
DELETE = """
mutation Delete($id: ID!) {
  deleteCampaign(id: $id) {
    __typename
    ... on DeletedCampaign { id }
    ... on NotFound { message }
    ... on NotAllowed { message }
  }
}
"""
CAMPAIGN = (
    CAMPAIGN_PARTS
    + """
query Campaign($id: ID!) { campaign(id: $id) { ...CampaignParts } }
"""
)
TOTAL = "query { campaigns { totalCount } }"

MUTATIONS = {
    "launch": LAUNCH,
    "pause": PAUSE,
    "resume": RESUME,
    "cancel": CANCEL,
    "update": UPDATE,
    "delete": DELETE,
}
FIELD_OF = {
    "launch": "launchCampaign",
    "pause": "pauseCampaign",
    "resume": "resumeCampaign",
    "cancel": "cancelCampaign",
    "update": "updateCampaign",
    "delete": "deleteCampaign",
}
# What the state machine refuses: (status the campaign is in, what is asked).
REFUSED = [
    ("DRAFT", "pause"),
    ("DRAFT", "resume"),
    ("DRAFT", "cancel"),
    ("SCHEDULED", "launch"),
    ("SCHEDULED", "pause"),
    ("SCHEDULED", "resume"),
    ("SCHEDULED", "update"),
    ("SCHEDULED", "delete"),
    ("ACTIVE", "launch"),
    ("ACTIVE", "resume"),
    ("ACTIVE", "update"),
    ("ACTIVE", "delete"),
    ("PAUSED", "launch"),
    ("PAUSED", "pause"),
    ("PAUSED", "update"),
    ("PAUSED", "delete"),
    ("CANCELLED", "launch"),
    ("CANCELLED", "pause"),
    ("CANCELLED", "resume"),
    ("CANCELLED", "cancel"),
    ("CANCELLED", "update"),
    ("CANCELLED", "delete"),
]
EDITABLE = (
    "name",
    "targeting",
    "channels",
    "messageTemplates",
    "variants",
    "holdoutPercent",
    "schedule",
    "incentive",
)


async def test_a_campaign_lives_its_whole_life_and_kafka_sees_every_step_in_order(
    stack, new_campaign_input
) -> None:
    # given a draft, revised once
    created = (await stack.graphql(CREATE, {"input": new_campaign_input()}))["data"][
        "createCampaign"
    ]
    campaign_id = created["id"]
    revision = new_campaign_input(name="Winter recall 2026", holdoutPercent=5.0)
    revision["messageTemplates"][1]["delayDays"] = 5
    updated = (await stack.graphql(UPDATE, {"id": campaign_id, "input": revision}))["data"][
        "updateCampaign"
    ]

    # when it starts now, is paused, resumed and cancelled
    steps = [
        (await stack.graphql(document, {"id": campaign_id}))["data"][field]
        for document, field in (
            (LAUNCH, "launchCampaign"),
            (PAUSE, "pauseCampaign"),
            (RESUME, "resumeCampaign"),
            (CANCEL, "cancelCampaign"),
        )
    ]

    # then every answer is the campaign in its new status
    assert created["__typename"] == "Campaign", created
    assert created["status"] == "DRAFT" and created["createdBy"] == "u-clinic_admin"
    assert created["runNumber"] == 0 and created["launchedAt"] is None
    assert updated["__typename"] == "Campaign", updated
    assert updated["name"] == "Winter recall 2026" and updated["holdoutPercent"] == 5.0
    assert updated["messageTemplates"][1]["delayDays"] == 5
    assert [step["__typename"] for step in steps] == ["Campaign"] * 4, steps
    assert [step["status"] for step in steps] == ["ACTIVE", "PAUSED", "ACTIVE", "CANCELLED"]
    now = stack.clock.now.isoformat()
    assert steps[0]["launchedAt"] == now and steps[0]["runNumber"] == 1
    assert steps[-1]["completedAt"] == now and steps[-1]["launchedAt"] == now
    # and the gateway reads back what was stored
    read = (await stack.graphql(CAMPAIGN, {"id": campaign_id}))["data"]["campaign"]
    assert {"__typename": "Campaign", **read} == steps[-1]

    # and Kafka carries the launch with the full snapshot, then each status change in order
    (launched,) = await stack.events("campaign.launched", campaign_id, count=1)
    changes = await stack.events("campaign.status_changed", campaign_id, count=3)
    stored = await stack.stored(campaign_id)
    assert stored is not None
    assert launched.type == "campaign.launched" and launched.source == "campaign-svc"
    assert launched.clinic_id == "clinic-a" and launched.key == campaign_id
    snapshot = launched.data.model_dump(mode="json", by_alias=True)
    assert snapshot["campaignId"] == campaign_id and snapshot["runNumber"] == 1
    assert snapshot["launchedAt"].replace("Z", "+00:00") == now
    assert {field: snapshot[field] for field in EDITABLE} == {f: stored[f] for f in EDITABLE}
    assert snapshot["name"] == "Winter recall 2026" and snapshot["holdoutPercent"] == 5.0
    assert [t["sequence"] for t in snapshot["messageTemplates"]] == [1, 2]
    assert snapshot["incentive"]["incentiveCode"] == "SMILE20"
    assert snapshot["schedule"]["sendTimes"] == ["10:00", "17:30"]
    transitions = [
        (change.data.campaign_id, change.data.from_status, change.data.to) for change in changes
    ]
    assert transitions == [
        (campaign_id, "ACTIVE", "PAUSED"),
        (campaign_id, "PAUSED", "ACTIVE"),
        (campaign_id, "ACTIVE", "CANCELLED"),
    ]
    assert all(change.data.at == stack.clock.now for change in changes)


async def test_a_launch_with_a_future_start_schedules_the_campaign_and_says_so_on_kafka(
    stack, new_campaign_input
) -> None:
    # given a draft that starts tomorrow
    start = stack.clock.now + timedelta(days=1)
    draft = await stack.campaign(schedule={"startDate": start.isoformat()})

    # when it is launched
    answer = await stack.graphql(LAUNCH, {"id": draft["id"]})

    # then it waits, SCHEDULED, and only a status change is published
    launched = answer["data"]["launchCampaign"]
    assert launched["__typename"] == "Campaign", launched
    assert launched["status"] == "SCHEDULED" and launched["launchedAt"] is None
    (change,) = await stack.events("campaign.status_changed", draft["id"], count=1)
    assert (change.data.from_status, change.data.to) == ("DRAFT", "SCHEDULED")
    assert change.key == draft["id"]
    assert await stack.events("campaign.launched", draft["id"], count=0, within=1) == []


@pytest.mark.parametrize(("status", "action"), REFUSED, ids=[f"{s}-{a}" for s, a in REFUSED])
async def test_a_transition_the_state_machine_refuses_is_not_allowed_and_changes_nothing(
    stack, new_campaign_input, status: str, action: str
) -> None:
    # given a campaign in `status`
    campaign = await stack.campaign(status)
    variables: dict[str, Any] = {"id": campaign["id"]}
    if action == "update":
        variables["input"] = new_campaign_input(name="Edited after all")

    # when the action is asked for
    answer = await stack.graphql(MUTATIONS[action], variables)

    # then it is refused with the reason, and the campaign is as it was
    result = answer["data"][FIELD_OF[action]]
    assert result["__typename"] == "NotAllowed", answer
    assert status in result["message"]
    assert await stack.stored(campaign["id"]) == campaign


async def test_a_duplicate_is_a_new_draft_copy_of_the_campaign(stack) -> None:
    # given a campaign that ran and was cancelled
    original = await stack.campaign("CANCELLED")
    before = await stack.count()

    # when it is duplicated
    answer = await stack.graphql(DUPLICATE, {"id": original["id"]})

    # then the copy is a fresh draft with the same content but no incentive code (two campaigns
    # sharing one make ROI attribution ambiguous), and the original is untouched
    copy = answer["data"]["duplicateCampaign"]
    assert copy["__typename"] == "Campaign", answer
    assert copy["id"] != original["id"]
    assert copy["name"] == "Copy of Winter recall" and copy["status"] == "DRAFT"
    assert copy["runNumber"] == 0 and copy["launchedAt"] is None and copy["completedAt"] is None
    stored_copy = await stack.stored(copy["id"])
    assert stored_copy is not None
    assert stored_copy["incentive"] == {**original["incentive"], "incentiveCode": None}
    assert {f: stored_copy[f] for f in EDITABLE if f not in {"name", "incentive"}} == {
        f: original[f] for f in EDITABLE if f not in {"name", "incentive"}
    }
    assert await stack.stored(original["id"]) == original
    assert await stack.count() == before + 1


async def test_a_draft_can_be_deleted_and_is_gone(stack) -> None:
    # given a draft
    draft = await stack.campaign()
    before = (await stack.graphql(TOTAL))["data"]["campaigns"]["totalCount"]

    # when it is deleted
    answer = await stack.graphql(DELETE, {"id": draft["id"]})

    # then it no longer exists anywhere
    assert answer["data"]["deleteCampaign"] == {"__typename": "DeletedCampaign", "id": draft["id"]}
    assert (await stack.graphql(CAMPAIGN, {"id": draft["id"]}))["data"]["campaign"] is None
    assert (await stack.graphql(TOTAL))["data"]["campaigns"]["totalCount"] == before - 1
    again = await stack.graphql(DELETE, {"id": draft["id"]})
    assert again["data"]["deleteCampaign"]["__typename"] == "NotFound"


RESULTS = """
query Results($id: ID!, $targeting: TargetingInput!) {
  campaignStats(id: $id) {
    __typename ... on CampaignStats { campaignId targeted heldOut sent }
    ... on NotAvailable { service }
  }
  campaignRecipients(campaignId: $id) {
    __typename ... on RecipientConnection { totalCount edges { node { patientId } } }
    ... on NotAvailable { service }
  }
  audienceEstimate(targeting: $targeting, channels: [EMAIL, SMS]) {
    __typename ... on AudienceEstimate { total patients } ... on NotAvailable { service }
  }
  campaign(id: $id) {
    status
    stats { __typename ... on CampaignStats { campaignId } ... on NotAvailable { service } }
  }
  campaigns(status: ACTIVE, first: 5) {
    edges { node { id stats { __typename ... on NotAvailable { service } } } }
  }
}
"""
TRACKING_PARTS = ("campaignStats", "campaignRecipients")
TRACKING_DOWN = {"__typename": "NotAvailable", "service": "tracking-svc"}
AUDIENCE_DOWN = {"__typename": "NotAvailable", "service": "audience-svc"}


async def test_results_and_estimates_are_answered_by_their_services(stack) -> None:
    # given a live campaign of a clinic without patients
    live = await stack.campaign("ACTIVE")

    # when its results and an audience estimate are asked for
    answer = await stack.graphql(RESULTS, {"id": live["id"], "targeting": {"inactiveDays": 180}})

    # then tracking-svc and audience-svc answer: nobody was reached, nobody would be
    assert "errors" not in answer, answer
    data = answer["data"]
    assert data["campaignStats"] == {
        "__typename": "CampaignStats",
        "campaignId": live["id"],
        "targeted": 0,
        "heldOut": 0,
        "sent": 0,
    }
    assert data["campaignRecipients"] == {
        "__typename": "RecipientConnection",
        "totalCount": 0,
        "edges": [],
    }
    assert data["audienceEstimate"] == {"__typename": "AudienceEstimate", "total": 0, "patients": 0}
    assert data["campaign"]["stats"] == {"__typename": "CampaignStats", "campaignId": live["id"]}
    assert {edge["node"]["stats"]["__typename"] for edge in data["campaigns"]["edges"]} == {
        "CampaignStats"
    }


@pytest.mark.parametrize("down", ["tracking-svc", "audience-svc"])
async def test_while_a_service_is_down_its_answers_are_not_available_and_the_rest_work(
    stack, down: str
) -> None:
    # given a live campaign, and a gateway whose `down` service listens nowhere
    live = await stack.campaign("ACTIVE")
    one = f"/api/booking/campaigns/{live['id']}"
    estimate = {"targeting": {"inactiveDays": 180}}
    admin = stack.headers()
    async with stack.gateway_without(down) as gateway:
        # when a clinic asks for everything, over GraphQL and REST
        graphql = await gateway.post(
            "/graphql",
            json={
                "query": RESULTS,
                "variables": {"id": live["id"], "targeting": estimate["targeting"]},
            },
            headers=admin,
        )
        rest = {
            "stats": await gateway.get(one + "/stats", headers=admin),
            "recipients": await gateway.get(one + "/recipients", headers=admin),
            "estimate": await gateway.post(
                "/api/booking/campaigns/estimate", json=estimate, headers=admin
            ),
            "import": await gateway.post(
                "/api/booking/patients/import",
                content=b"patientId,firstName\ndown-1,Ada\n",
                # another clinic's, so that this module's clinic stays without patients
                headers={**stack.headers(clinic="clinic-down"), "content-type": "text/csv"},
            ),
        }
        read = await gateway.get(one, headers=admin)
        refused = await gateway.get(
            one + "/stats", headers=stack.headers("staff without permissions")
        )
        paused = await gateway.post(one + "/pause", headers=admin)

    # then what `down` answers is NotAvailable naming it (503 over REST), nothing fails, and
    # what other services answer is answered as always
    assert graphql.status_code == 200, graphql.text
    body = graphql.json()
    assert "errors" not in body, body
    data = body["data"]
    tracking_paths = {"stats", "recipients"}
    audience_paths = {"estimate", "import"}
    unavailable = tracking_paths if down == "tracking-svc" else audience_paths
    for name, answer in rest.items():
        if name in unavailable:
            assert answer.status_code == 503, (name, answer.text)
            assert answer.json()["error"]["code"] == "NOT_AVAILABLE"
            assert down in answer.json()["error"]["message"]
        else:
            assert answer.status_code == 200, (name, answer.text)
    assert read.status_code == 200 and read.json()["status"] == "ACTIVE"
    if down == "tracking-svc":
        assert data["campaignStats"] == data["campaignRecipients"] == TRACKING_DOWN
        assert data["campaign"] == {"status": "ACTIVE", "stats": TRACKING_DOWN}
        assert {edge["node"]["stats"]["__typename"] for edge in data["campaigns"]["edges"]} == {
            "NotAvailable"
        }
        assert data["audienceEstimate"]["__typename"] == "AudienceEstimate"
        # the spec's counters read 0, marked as not known while tracking-svc is away
        assert [read.json()[c] for c in ("targetCount", "sentCount")] == [0, 0]
        assert read.json()["statsAvailable"] is False
    else:
        assert data["audienceEstimate"] == AUDIENCE_DOWN
        assert [data[part]["__typename"] for part in TRACKING_PARTS] == [
            "CampaignStats",
            "RecipientConnection",
        ]
        assert read.json()["targetCount"] == 0
    # a refused caller learns nothing about what is down; campaign-svc still changes campaigns
    assert refused.status_code == 403, refused.text
    assert paused.status_code == 200 and paused.json()["status"] == "PAUSED"
    assert (await stack.stored(live["id"]))["status"] == "PAUSED"
