"""The gateway in front of the real audience-svc (real Kafka and FerretDB behind it): estimates
over GraphQL and REST, and a patient import streamed through POST /api/booking/patients/import."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from audience_svc.app import create_app as audience_app
from audience_svc.config import AudienceSettings
from gateway.app import create_app
from reengage_testing import serving

from .conftest import SIGNING_KEY, Services

pytestmark = pytest.mark.infra

# The service runs on the real clock: a patient created a week ago is not lapsed.
RECENTLY = datetime.now(UTC) - timedelta(days=7)
CSV = (
    "patientId,firstName,email,phone,consents.sms,createdAt,treatmentStage\n"
    "p-1,Ada,ada@example.com,+15550000001,true,2019-01-01T00:00:00Z,RETENTION\n"
    "p-2,Grace,grace@example.com,,false,2019-01-01T00:00:00Z,HYGIENE_RECALL\n"
    "p-3,Alan,alan@example.com,,perhaps,2019-01-01T00:00:00Z,RETENTION\n"
    f"p-4,Recent,recent@example.com,,,{RECENTLY:%Y-%m-%dT%H:%M:%SZ},RETENTION\n"
)
ESTIMATE = """
query Estimate($targeting: TargetingInput!, $channels: [Channel!]) {
  audienceEstimate(targeting: $targeting, channels: $channels) {
    __typename
    ... on AudienceEstimate {
      total patients byChannel { channel patients } excluded { reason patients }
    }
    ... on ValidationError { fields { field message code } }
  }
}
"""


@pytest.fixture(scope="module")
async def audience_transport(infra, settings_for) -> AsyncIterator[httpx.AsyncBaseTransport]:
    own = uuid.uuid4().hex[:6]
    settings = settings_for(
        "audience-svc",
        AudienceSettings,
        kafka_topic_prefix=f"{infra.kafka_topic_prefix}gw-aud-{own}.",
        mongo_db_prefix=f"{infra.mongo_db_prefix}gw_aud_{own}_",
        jwt_public_key=SIGNING_KEY.public_pem,
    )
    async with serving(audience_app(settings)) as client:
        yield client._transport


@pytest.fixture
async def gateway(
    settings, services: Services, audience_transport
) -> AsyncIterator[httpx.AsyncClient]:
    transports = {**services.transports(), "audience-svc": audience_transport}
    async with serving(create_app(settings, transports)) as client:
        yield client


async def test_an_import_through_the_gateway_then_estimates_over_graphql_and_rest(
    gateway, headers_of
) -> None:
    clinic = f"clinic-{uuid.uuid4().hex[:6]}"
    manager = {**headers_of("manager", clinic), "content-type": "text/csv"}

    imported = await gateway.post("/api/booking/patients/import", content=CSV, headers=manager)

    assert imported.status_code == 200, imported.text
    assert imported.json() == {
        "imported": 3,
        "rejectedCount": 1,
        "rejected": [
            {"line": 4, "reason": "consents.sms: expected true or false, found 'perhaps'"}
        ],
        "moreRejected": 0,
    }
    graphql = await gateway.post(
        "/graphql",
        json={
            "query": ESTIMATE,
            "variables": {"targeting": {"inactiveDays": 180}, "channels": ["SMS"]},
        },
        headers=headers_of("viewer", clinic),
    )
    estimate = graphql.json()["data"]["audienceEstimate"]
    assert estimate["total"] == 1 and estimate["patients"] == 3
    assert estimate["byChannel"] == [{"channel": "SMS", "patients": 1}]
    assert sorted((e["reason"], e["patients"]) for e in estimate["excluded"]) == [
        ("NO_REACHABLE_CHANNEL", 1),
        ("VISITED_RECENTLY", 1),
    ]
    rest = await gateway.post(
        "/api/booking/campaigns/estimate",
        json={
            "targeting": {"inactiveDays": 180, "treatmentStages": ["RETENTION"]},
            "channels": ["EMAIL"],
        },
        headers=headers_of("viewer", clinic),
    )
    assert rest.status_code == 200, rest.text
    assert rest.json()["total"] == 1 and rest.json()["excluded"] == {
        "TREATMENT_STAGE": 1,
        "VISITED_RECENTLY": 1,
    }


async def test_a_bad_targeting_is_a_422_naming_the_field_and_its_code(gateway, headers_of) -> None:
    rest = await gateway.post(
        "/api/booking/campaigns/estimate",
        json={"targeting": {"inactiveDays": 0}},
        headers=headers_of("viewer"),
    )
    graphql = await gateway.post(
        "/graphql",
        json={
            "query": ESTIMATE,
            "variables": {"targeting": {"inactiveDays": 30, "excludeContactDays": 0}},
        },
        headers=headers_of("viewer"),
    )

    assert rest.status_code == 422
    assert rest.json()["error"]["fields"] == [
        {
            "field": "targeting.inactiveDays",
            "message": "Input should be greater than or equal to 1",
            "code": "OUT_OF_RANGE",
        }
    ]
    assert graphql.json()["data"]["audienceEstimate"] == {
        "__typename": "ValidationError",
        "fields": [
            {
                "field": "targeting.excludeContactDays",
                "message": "Input should be greater than or equal to 1",
                "code": "OUT_OF_RANGE",
            }
        ],
    }


async def test_an_import_needs_manage_reminders_and_never_reaches_the_service(
    gateway, headers_of
) -> None:
    refused = await gateway.post(
        "/api/booking/patients/import", content=CSV, headers=headers_of("viewer")
    )

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "FORBIDDEN"


async def test_an_estimate_reads_its_body_strictly_as_json(gateway, headers_of) -> None:
    # found by schemathesis: a holdout of `false` was read as 0 % and answered 200
    rest = await gateway.post(
        "/api/booking/campaigns/estimate",
        json={"targeting": {"inactiveDays": 30}, "holdoutPercent": False},
        headers=headers_of("viewer"),
    )

    assert rest.status_code == 422, rest.text
    assert [f["field"] for f in rest.json()["error"]["fields"]] == ["holdoutPercent"]


GAPS_CSV = (
    "patientId,firstName,email,createdAt,treatmentStage\n"
    "g-1,Ada,ada@example.com,2019-01-01T00:00:00Z,RETENTION\n"
    "g-2,,grace@example.com,2019-01-01T00:00:00Z,RETENTION\n"
)
ESTIMATE_GAPS = """
query Estimate($targeting: TargetingInput!, $mergeFields: [String!]) {
  audienceEstimate(targeting: $targeting, mergeFields: $mergeFields) {
    __typename
    ... on AudienceEstimate { total missingFields { field count } }
    ... on ValidationError { fields { field code } }
  }
}
"""


async def test_an_estimate_tells_how_many_patients_lack_each_merge_field(
    gateway, headers_of
) -> None:
    # given two imported patients who never completed a visit, one without a first name
    clinic = f"clinic-{uuid.uuid4().hex[:6]}"
    manager = {**headers_of("manager", clinic), "content-type": "text/csv"}
    imported = await gateway.post("/api/booking/patients/import", content=GAPS_CSV, headers=manager)
    assert imported.json()["imported"] == 2, imported.text
    fields = ["patient.lastVisitDate", "patient.firstName"]

    # when the estimate is asked over GraphQL for merge fields, and over REST for a draft's steps
    graphql = await gateway.post(
        "/graphql",
        json={
            "query": ESTIMATE_GAPS,
            "variables": {"targeting": {"inactiveDays": 180}, "mergeFields": fields},
        },
        headers=headers_of("viewer", clinic),
    )
    rest = await gateway.post(
        "/api/booking/campaigns/estimate",
        json={
            "targeting": {"inactiveDays": 180},
            "channels": ["EMAIL"],
            "messageTemplates": [
                {
                    "channel": "EMAIL",
                    "subject": "Hi {{ patient.firstName | default('there') }}",
                    "body": "Last seen {{ patient.lastVisitDate | ago }}",
                    "sequence": 1,
                }
            ],
        },
        headers=headers_of("viewer", clinic),
    )
    unknown = await gateway.post(
        "/graphql",
        json={
            "query": ESTIMATE_GAPS,
            "variables": {"targeting": {"inactiveDays": 180}, "mergeFields": ["patient.ssn"]},
        },
        headers=headers_of("viewer", clinic),
    )

    # then both count the patients lacking each field; an unknown field is named
    expected = [
        {"field": "patient.firstName", "count": 1},
        {"field": "patient.lastVisitDate", "count": 2},
    ]
    assert graphql.json()["data"]["audienceEstimate"] == {
        "__typename": "AudienceEstimate",
        "total": 2,
        "missingFields": expected,
    }
    assert rest.status_code == 200, rest.text
    assert rest.json()["missingFields"] == expected
    assert unknown.json()["data"]["audienceEstimate"] == {
        "__typename": "ValidationError",
        "fields": [{"field": "mergeFields.0", "code": "NOT_ONE_OF"}],
    }


SHARED_EMAIL_CSV = (
    "patientId,firstName,email,createdAt\n"
    "h-1,Bo,home@example.com,2019-01-01T00:00:00Z\n"
    "h-2,Cy,HOME@example.com,2019-01-01T00:00:00Z\n"
    "h-3,Ada,ada@example.com,2019-01-01T00:00:00Z\n"
)
ESTIMATE_MESSAGES = """
query Estimate($targeting: TargetingInput!, $group: Boolean!) {
  audienceEstimate(targeting: $targeting, channels: [EMAIL], groupHouseholds: $group) {
    __typename
    ...Messages
  }
}
fragment Messages on AudienceEstimate { targeted messages messagesByChannel { channel messages } }
"""


async def test_an_estimate_counts_a_households_message_once_when_asked(gateway, headers_of) -> None:
    # given three patients, two of whom share an email address
    clinic = f"clinic-{uuid.uuid4().hex[:6]}"
    manager = {**headers_of("manager", clinic), "content-type": "text/csv"}
    imported = await gateway.post(
        "/api/booking/patients/import", content=SHARED_EMAIL_CSV, headers=manager
    )
    assert imported.json()["imported"] == 3, imported.text
    viewer = headers_of("viewer", clinic)

    # when the messages are asked for (through a fragment), grouped and not
    async def estimate(query: str, **variables: object) -> dict:
        body = {"query": query, "variables": {"targeting": {"inactiveDays": 180}, **variables}}
        return (await gateway.post("/graphql", json=body, headers=viewer)).json()["data"][
            "audienceEstimate"
        ]

    grouped = await estimate(ESTIMATE_MESSAGES, group=True)
    apart = await estimate(ESTIMATE_MESSAGES, group=False)

    # then the shared address gets one message unless grouping is off
    assert grouped == {
        "__typename": "AudienceEstimate",
        "targeted": 3,
        "messages": 2,
        "messagesByChannel": [{"channel": "EMAIL", "messages": 2}],
    }
    assert (apart["messages"], apart["messagesByChannel"]) == (
        3,
        [{"channel": "EMAIL", "messages": 3}],
    )


async def test_an_estimates_grouping_must_be_a_boolean(gateway, headers_of) -> None:
    rest = await gateway.post(
        "/api/booking/campaigns/estimate",
        json={"targeting": {"inactiveDays": 30}, "countMessages": True, "groupHouseholds": "yes"},
        headers=headers_of("viewer"),
    )

    assert rest.status_code == 422, rest.text
    assert [f["field"] for f in rest.json()["error"]["fields"]] == ["groupHouseholds"]
