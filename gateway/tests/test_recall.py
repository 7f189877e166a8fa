"""Recall due dates through the gateway in front of the real audience-svc: a patient's own
interval imported, the recall criterion and its buckets over GraphQL and REST, a bad window
named by its field, and a campaign keeping its recall window."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from .test_audience import audience_transport, gateway

pytestmark = pytest.mark.infra

# The service runs on the real clock. Never visited, so each is due by its createdAt: 7.5
# months ago with the 6-month default (1-3 months overdue), or a 12-month interval (not due);
# 10 months ago (4 months overdue).
NOW = datetime.now(UTC)
SEVEN_AND_A_HALF_MONTHS_AGO = f"{NOW - timedelta(days=228):%Y-%m-%dT%H:%M:%SZ}"
TEN_MONTHS_AGO = f"{NOW - timedelta(days=304):%Y-%m-%dT%H:%M:%SZ}"
CSV = (
    "patientId,email,createdAt,recallIntervalMonths\n"
    f"r-1,a@example.com,{SEVEN_AND_A_HALF_MONTHS_AGO},\n"
    f"r-2,b@example.com,{SEVEN_AND_A_HALF_MONTHS_AGO},12\n"
    f"r-3,c@example.com,{TEN_MONTHS_AGO},\n"
    f"r-4,d@example.com,{TEN_MONTHS_AGO},0\n"
)
ESTIMATE = """
query Estimate($targeting: TargetingInput!) {
  audienceEstimate(targeting: $targeting, channels: [EMAIL]) {
    __typename
    ... on AudienceEstimate {
      total excluded { reason patients }
      recall { dueThisMonth overdue1To3Months overdue3To12Months overdue12PlusMonths notDue }
    }
    ... on ValidationError { fields { field code } }
  }
}
"""
CREATE = """
mutation Create($input: CampaignInput!) {
  createCampaign(input: $input) {
    __typename
    ... on Campaign { targeting { recall { dueSince overdueByMonths maxOverdueMonths } } }
  }
}
"""
# the module's audience-svc and the gateway in front of it, as test_audience starts them
__all__ = ["audience_transport", "gateway"]


async def test_the_recall_criterion_and_buckets_over_graphql_and_rest(gateway, headers_of) -> None:
    # given three patients imported with their intervals (a fourth's interval refused)
    clinic = f"clinic-{uuid.uuid4().hex[:6]}"
    manager = {**headers_of("manager", clinic), "content-type": "text/csv"}
    imported = await gateway.post("/api/booking/patients/import", content=CSV, headers=manager)
    assert imported.json()["imported"] == 3, imported.text
    assert imported.json()["rejected"] == [
        {"line": 5, "reason": "recallIntervalMonths: must be 1 to 120 months, not 0"}
    ]
    viewer = headers_of("viewer", clinic)

    # when
    graphql = await gateway.post(
        "/graphql",
        json={"query": ESTIMATE, "variables": {"targeting": {"inactiveDays": 1, "recall": {}}}},
        headers=viewer,
    )
    rest = await gateway.post(
        "/api/booking/campaigns/estimate",
        json={"targeting": {"inactiveDays": 1, "recall": {"overdueByMonths": 3}}},
        headers=viewer,
    )

    # then
    estimate = graphql.json()["data"]["audienceEstimate"]
    assert estimate["total"] == 2
    assert estimate["excluded"] == [{"reason": "RECALL_NOT_DUE", "patients": 1}]
    assert estimate["recall"] == {
        "dueThisMonth": 0,
        "overdue1To3Months": 1,
        "overdue3To12Months": 1,
        "overdue12PlusMonths": 0,
        "notDue": 0,
    }
    assert rest.status_code == 200, rest.text
    assert rest.json()["total"] == 1
    assert rest.json()["excluded"] == {"RECALL_NOT_DUE": 2}
    assert rest.json()["recall"]["overdue3To12Months"] == 1


async def test_a_bad_recall_window_names_its_field(gateway, headers_of) -> None:
    window = {"overdueByMonths": 2, "maxOverdueMonths": 1}
    graphql = await gateway.post(
        "/graphql",
        json={"query": ESTIMATE, "variables": {"targeting": {"inactiveDays": 1, "recall": window}}},
        headers=headers_of("viewer"),
    )
    rest = await gateway.post(
        "/api/booking/campaigns/estimate",
        json={"targeting": {"inactiveDays": 1, "recall": {"dueSince": "soon"}}},
        headers=headers_of("viewer"),
    )

    assert graphql.json()["data"]["audienceEstimate"] == {
        "__typename": "ValidationError",
        "fields": [{"field": "targeting.recall.maxOverdueMonths", "code": "OUT_OF_RANGE"}],
    }
    assert rest.status_code == 422
    assert [f["field"] for f in rest.json()["error"]["fields"]] == ["targeting.recall.dueSince"]


async def test_a_campaign_keeps_its_recall_window(gateway, headers_of) -> None:
    recall = {"dueSince": "2026-06-01", "overdueByMonths": 1, "maxOverdueMonths": 3}
    definition = {
        "name": "Recall",
        "targeting": {"inactiveDays": 1, "recall": recall},
        "channels": ["EMAIL"],
        "messageTemplates": [{"channel": "EMAIL", "subject": "Hi", "body": "Due", "sequence": 1}],
        "schedule": {"sendTimes": ["10:00"]},
    }

    created = await gateway.post(
        "/graphql",
        json={"query": CREATE, "variables": {"input": definition}},
        headers=headers_of("manager"),
    )

    assert created.json()["data"]["createCampaign"]["targeting"]["recall"] == recall
