"""Campaign queries and mutations over GraphQL: answers, pages and result unions."""

import json

import httpx

from gateway.schema import build_schema

CAMPAIGN_INPUT = {
    "name": "Come back",
    "targeting": {"inactiveDays": 180, "treatmentStages": ["RETENTION"]},
    "channels": ["EMAIL", "SMS"],
    "messageTemplates": [
        {"channel": "EMAIL", "subject": "Hi", "body": "Hello {{ first_name }}", "sequence": 1},
        {"channel": "SMS", "body": "Hi", "sequence": 2, "delayDays": 3},
    ],
    "schedule": {"startDate": "2026-01-05T09:00:00+00:00", "sendTimes": ["10:00"]},
}

CAMPAIGNS = """
query Campaigns($status: CampaignStatus, $first: Int, $after: String) {
  campaigns(status: $status, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name status holdoutPercent schedule { startDate } } }
  }
}
"""
CAMPAIGN = """
query Campaign($id: ID!) {
  campaign(id: $id) {
    id name status channels runNumber createdAt
    targeting { inactiveDays treatmentStages excludeContactDays }
    messageTemplates { channel subject body sequence delayDays variant }
    incentive { hasIncentive incentiveCode incentiveCostCents }
  }
}
"""
CREATE = """
mutation Create($input: CampaignInput!) {
  createCampaign(input: $input) {
    __typename
    ... on Campaign { id status name }
    ... on ValidationError { message fields { field message } }
  }
}
"""
UPDATE = """
mutation Update($id: ID!, $input: CampaignInput!) {
  updateCampaign(id: $id, input: $input) {
    __typename
    ... on Campaign { id }
    ... on NotFound { message }
    ... on NotAllowed { message }
  }
}
"""
LAUNCH = """
mutation Launch($id: ID!) {
  launchCampaign(id: $id) {
    __typename
    ... on Campaign { id status }
    ... on ValidationError { fields { field message } }
  }
}
"""
DELETE = (
    "mutation($id: ID!) { deleteCampaign(id: $id) { __typename ... on DeletedCampaign { id } } }"
)
PREVIEW = """
mutation Preview($id: ID!, $data: JSON) {
  previewCampaign(id: $id, sampleData: $data) {
    __typename
    ... on CampaignPreview { campaignId messages { channel body sms { encoding segments } } }
  }
}
"""


async def test_a_page_of_campaigns_passes_the_paging_arguments_through(graphql, services) -> None:
    # given
    for n in range(5):
        services.campaign.add(f"c-{n}", status="ACTIVE")

    # when
    answer = await graphql(CAMPAIGNS, {"status": "ACTIVE", "first": 2, "after": "1"})

    # then
    (call,) = services.campaign.requests
    assert dict(call.url.params) == {"status": "ACTIVE", "first": "2", "after": "1"}
    page = answer["data"]["campaigns"]
    assert page["totalCount"] == 5
    assert page["pageInfo"] == {"hasNextPage": True, "endCursor": "3"}
    assert [edge["node"]["id"] for edge in page["edges"]] == ["c-1", "c-2"]
    assert page["edges"][-1]["cursor"] == "3"


async def test_paging_arguments_left_out_are_left_to_the_service(graphql, services) -> None:
    await graphql(CAMPAIGNS)

    (call,) = services.campaign.requests
    assert dict(call.url.params) == {}


async def test_a_page_size_the_service_refuses_is_a_validation_error(graphql, services) -> None:
    services.campaign.force(
        "GET",
        "/campaigns",
        httpx.Response(
            422,
            json={
                "error": {
                    "code": "VALIDATION",
                    "message": "first: at most 100",
                    "fields": [
                        {"field": "first", "message": "at most 100", "code": "OUT_OF_RANGE"}
                    ],
                }
            },
        ),
    )

    answer = await graphql(CAMPAIGNS, {"first": 500})

    (error,) = answer["errors"]
    assert error["extensions"] == {
        "code": "VALIDATION",
        "fields": [{"field": "first", "message": "at most 100", "code": "OUT_OF_RANGE"}],
        # what generic tooling (e.g. schemathesis) reads as the client's mistake
        "classification": "BAD_USER_INPUT",
    }


async def test_a_campaign_reads_in_camel_case(graphql, services) -> None:
    services.campaign.add("c-1")

    answer = await graphql(CAMPAIGN, {"id": "c-1"})

    campaign = answer["data"]["campaign"]
    assert campaign["targeting"] == {
        "inactiveDays": 180,
        "treatmentStages": ["RETENTION"],
        "excludeContactDays": 30,
    }
    assert campaign["messageTemplates"][0]["delayDays"] == 0
    assert campaign["incentive"]["incentiveCode"] == "SMILE20"
    assert campaign["createdAt"] == "2025-12-01T10:00:00+00:00"


async def test_another_clinics_campaign_is_null(graphql, services) -> None:
    services.campaign.add("c-9", clinic_id="clinic-b")

    answer = await graphql(CAMPAIGN, {"id": "c-9"})

    assert answer == {"data": {"campaign": None}}


async def test_create_sends_the_input_in_camel_case_without_what_was_left_out(
    graphql, services
) -> None:
    answer = await graphql(CREATE, {"input": CAMPAIGN_INPUT})

    assert answer["data"]["createCampaign"]["__typename"] == "Campaign"
    (call,) = services.campaign.requests
    sent = json.loads(call.content)
    assert sent == {
        "name": "Come back",
        "targeting": {"inactiveDays": 180, "treatmentStages": ["RETENTION"]},
        "channels": ["EMAIL", "SMS"],
        "messageTemplates": [
            {"channel": "EMAIL", "subject": "Hi", "body": "Hello {{ first_name }}", "sequence": 1},
            {"channel": "SMS", "body": "Hi", "sequence": 2, "delayDays": 3},
        ],
        "schedule": {"startDate": "2026-01-05T09:00:00+00:00", "sendTimes": ["10:00"]},
    }


async def test_a_422_is_a_validation_error_naming_the_fields(graphql, services) -> None:
    services.campaign.force(
        "POST",
        "/campaigns",
        httpx.Response(
            422,
            json={
                "error": {
                    "code": "VALIDATION",
                    "message": "the campaign is not valid",
                    "fields": [
                        {"field": "messageTemplates.0.subject", "message": "email needs a subject"}
                    ],
                }
            },
        ),
    )

    answer = await graphql(CREATE, {"input": CAMPAIGN_INPUT})

    assert answer == {
        "data": {
            "createCampaign": {
                "__typename": "ValidationError",
                "message": "the campaign is not valid",
                "fields": [
                    {"field": "messageTemplates.0.subject", "message": "email needs a subject"}
                ],
            }
        }
    }


async def test_a_404_is_not_found_even_for_another_clinics_campaign(graphql, services) -> None:
    services.campaign.add("c-9", clinic_id="clinic-b")

    answer = await graphql(UPDATE, {"id": "c-9", "input": CAMPAIGN_INPUT})

    assert answer["data"]["updateCampaign"] == {
        "__typename": "NotFound",
        "message": "no campaign c-9",
    }
    assert services.campaign.campaigns["c-9"]["name"] == "Campaign c-9"


async def test_a_409_is_not_allowed(graphql, services) -> None:
    services.campaign.add("c-1", status="ACTIVE")
    services.campaign.force(
        "PUT",
        "/campaigns/c-1",
        httpx.Response(409, json={"error": {"code": "NOT_ALLOWED", "message": "only drafts"}}),
    )

    answer = await graphql(UPDATE, {"id": "c-1", "input": CAMPAIGN_INPUT})

    assert answer["data"]["updateCampaign"] == {
        "__typename": "NotAllowed",
        "message": "only drafts",
    }


async def test_launch_answers_the_launched_campaign(graphql, services) -> None:
    services.campaign.add("c-1")

    answer = await graphql(LAUNCH, {"id": "c-1"})

    assert answer["data"]["launchCampaign"] == {
        "__typename": "Campaign",
        "id": "c-1",
        "status": "ACTIVE",
    }
    assert services.campaign.calls("POST", "/campaigns/c-1/launch")


async def test_delete_answers_the_id(graphql, services) -> None:
    services.campaign.add("c-1")

    answer = await graphql(DELETE, {"id": "c-1"})

    assert answer["data"]["deleteCampaign"] == {"__typename": "DeletedCampaign", "id": "c-1"}


async def test_preview_sends_the_sample_data(graphql, services) -> None:
    services.campaign.add("c-1")

    answer = await graphql(PREVIEW, {"id": "c-1", "data": {"first_name": "Ada"}})

    (call,) = services.campaign.calls("POST", "/campaigns/c-1/preview")
    assert json.loads(call.content) == {"sampleData": {"first_name": "Ada"}}
    assert answer["data"]["previewCampaign"] == {
        "__typename": "CampaignPreview",
        "campaignId": "c-1",
        "messages": [
            {"channel": "SMS", "body": "Hi Ada", "sms": {"encoding": "GSM-7", "segments": 1}}
        ],
    }


async def test_no_operation_takes_a_clinic_argument() -> None:
    schema = build_schema([])._schema
    arguments = [
        name.lower()
        for root in (schema.query_type, schema.mutation_type, schema.subscription_type)
        for field in root.fields.values()
        for name in field.args
    ]
    input_fields = [
        name.lower()
        for type_ in schema.type_map.values()
        if type_.__class__.__name__ == "GraphQLInputObjectType"
        for name in type_.fields
    ]

    assert not [name for name in arguments + input_fields if "clinic" in name]
