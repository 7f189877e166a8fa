"""Every rule a campaign must meet, broken once each through the gateway: the answer names the
field by its camelCase path, and nothing is stored."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

pytestmark = pytest.mark.infra

CREATE = """
mutation Create($input: CampaignInput!) {
  createCampaign(input: $input) {
    __typename
    ... on Campaign { id }
    ... on ValidationError { message fields { field message code } }
  }
}
"""
UPDATE = """
mutation Update($id: ID!, $input: CampaignInput!) {
  updateCampaign(id: $id, input: $input) {
    __typename
    ... on Campaign { id }
    ... on ValidationError { message fields { field message } }
  }
}
"""
TOTAL = "query { campaigns { totalCount } }"
BASE = "/api/booking/campaigns"


@dataclass(frozen=True)
class Case:
    name: str
    breaks: Callable[[dict[str, Any]], object]
    fields: frozenset[str]
    says: str  # part of the message of the first field


def step(index: int, **changes: Any) -> Callable[[dict[str, Any]], object]:
    return lambda campaign: campaign["messageTemplates"][index].update(changes)


def part(key: str, **changes: Any) -> Callable[[dict[str, Any]], object]:
    return lambda campaign: campaign[key].update(changes)


def top(**changes: Any) -> Callable[[dict[str, Any]], object]:
    return lambda campaign: campaign.update(changes)


CASES = [
    Case("empty name", top(name=""), frozenset({"name"}), "needs a name"),
    Case("blank name", top(name="   "), frozenset({"name"}), "needs a name"),
    Case(
        "inactiveDays 0",
        part("targeting", inactiveDays=0),
        frozenset({"targeting.inactiveDays"}),
        "at least 1 day",
    ),
    Case(
        "excludeContactDays 0",
        part("targeting", excludeContactDays=0),
        frozenset({"targeting.excludeContactDays"}),
        "at least 1 day",
    ),
    Case(
        "unknown treatment stage",
        part("targeting", treatmentStages=["ORBITING"]),
        frozenset({"targeting.treatmentStages.0"}),
        "unknown treatment stage 'ORBITING'",
    ),
    Case(
        "no message steps",
        top(messageTemplates=[]),
        frozenset({"messageTemplates", "variants.0"}),
        "at least one message step",
    ),
    Case(
        "steps with a gap (1, 3)",
        step(1, sequence=3),
        frozenset({"messageTemplates.1.sequence"}),
        "has no step 2",
    ),
    Case(
        "duplicate sequence",
        step(1, sequence=1),
        frozenset({"messageTemplates.1.sequence"}),
        "already has a step 1",
    ),
    Case(
        "follow-up on the same day",
        step(1, delayDays=0),
        frozenset({"messageTemplates.1.delayDays"}),
        "at least 1 day",
    ),
    Case(
        "step channel not among the channels",
        top(channels=["EMAIL"]),
        frozenset({"messageTemplates.1.channel"}),
        "SMS is not one of the campaign's channels",
    ),
    Case(
        "step of an unknown variant",
        step(1, variant="B", sequence=1),
        frozenset({"messageTemplates.1.variant"}),
        "'B' is not one of the campaign's variants",
    ),
    Case(
        "email step without subject",
        step(0, subject=None),
        frozenset({"messageTemplates.0.subject"}),
        "an email needs a subject",
    ),
    Case(
        "bad send time 25:00",
        part("schedule", sendTimes=["25:00"]),
        frozenset({"schedule.sendTimes.0"}),
        "not a time of day",
    ),
    Case(
        "send time before 08:00",
        part("schedule", sendTimes=["07:30"]),
        frozenset({"schedule.sendTimes.0"}),
        "not between 08:00 and 21:00",
    ),
    Case(
        "send time after 21:00",
        part("schedule", sendTimes=["10:00", "21:30"]),
        frozenset({"schedule.sendTimes.1"}),
        "not between 08:00 and 21:00",
    ),
    Case(
        "bad timezone",
        part("schedule", timezone="Mars/Olympus_Mons"),
        frozenset({"schedule.timezone"}),
        "not an IANA time zone",
    ),
    Case(
        "endDate before startDate",
        part("schedule", endDate="2026-11-19T09:00:00+00:00"),
        frozenset({"schedule.endDate"}),
        "must come after the start date",
    ),
    Case(
        "variant weight 0",
        top(variants=[{"name": "A", "weight": 0}]),
        frozenset({"variants.0.weight"}),
        "at least 1",
    ),
    Case("holdout 60", top(holdoutPercent=60.0), frozenset({"holdoutPercent"}), "between 0 and 50"),
    Case(
        "incentive without details",
        part("incentive", incentiveDetails=None),
        frozenset({"incentive.incentiveDetails"}),
        "describe what the patient gets",
    ),
    Case(
        "incentive without code",
        part("incentive", incentiveCode=None),
        frozenset({"incentive.incentiveCode"}),
        "needs a code",
    ),
    Case(
        "incentive merge field without an incentive",
        part("incentive", hasIncentive=False),
        frozenset({"messageTemplates.0.body"}),
        "the campaign has no incentive",
    ),
    Case(
        "unknown merge field",
        step(0, body="Your SSN is {{ patient.ssn }}"),
        frozenset({"messageTemplates.0.body"}),
        "unknown merge field 'patient.ssn'",
    ),
    Case(
        "template syntax error",
        step(1, body="Hi {{ patient.firstName "),
        frozenset({"messageTemplates.1.body"}),
        "line 1",
    ),
    Case(
        "template injection",
        step(0, subject="{{ ''.__class__.__mro__ }}"),
        frozenset({"messageTemplates.0.subject"}),
        "'.__mro__' can only follow a merge field group",
    ),
    Case(
        "template calling a function",
        step(1, body="{{ bookingLink.__str__() }}"),
        frozenset({"messageTemplates.1.body"}),
        "line 1",
    ),
]
IDS = [case.name for case in CASES]


def broken(new_campaign_input: Callable[..., dict[str, Any]], case: Case) -> dict[str, Any]:
    campaign = new_campaign_input()
    case.breaks(campaign)
    return campaign


def assert_names_the_fields(fields: list[dict[str, str]], case: Case) -> None:
    assert {problem["field"] for problem in fields} == case.fields, fields
    assert case.says in " | ".join(problem["message"] for problem in fields), fields


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_creating_a_campaign_that_breaks_a_rule_names_the_field_and_stores_nothing(
    stack, new_campaign_input, case: Case
) -> None:
    # given
    before = (await stack.graphql(TOTAL))["data"]["campaigns"]["totalCount"]

    # when
    answer = await stack.graphql(CREATE, {"input": broken(new_campaign_input, case)})

    # then
    result = answer["data"]["createCampaign"]
    assert result["__typename"] == "ValidationError", answer
    assert_names_the_fields(result["fields"], case)
    assert (await stack.graphql(TOTAL))["data"]["campaigns"]["totalCount"] == before


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_an_update_that_breaks_a_rule_names_the_field_and_leaves_the_draft_as_it_was(
    stack, new_campaign_input, case: Case
) -> None:
    # given
    draft = await stack.campaign()

    # when
    answer = await stack.graphql(
        UPDATE, {"id": draft["id"], "input": broken(new_campaign_input, case)}
    )

    # then
    result = answer["data"]["updateCampaign"]
    assert result["__typename"] == "ValidationError", answer
    assert_names_the_fields(result["fields"], case)
    assert await stack.stored(draft["id"]) == draft


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_a_rest_create_that_breaks_a_rule_is_a_422_naming_the_field(
    stack, new_campaign_input, case: Case
) -> None:
    # given
    before = await stack.count()

    # when
    answer = await stack.rest("POST", BASE, json=broken(new_campaign_input, case))

    # then
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION"
    assert_names_the_fields(error["fields"], case)
    assert await stack.count() == before


async def test_every_broken_rule_is_named_at_once(stack, new_campaign_input) -> None:
    # given a campaign that breaks several rules in different places
    campaign = new_campaign_input()
    for case in (CASES[0], CASES[2], CASES[12], CASES[18]):
        case.breaks(campaign)

    # when
    answer = await stack.graphql(CREATE, {"input": campaign})

    # then
    fields = {problem["field"] for problem in answer["data"]["createCampaign"]["fields"]}
    assert fields == {"name", "targeting.inactiveDays", "schedule.sendTimes.0", "holdoutPercent"}


async def test_each_broken_rule_carries_its_code_over_graphql_and_rest(
    stack, new_campaign_input
) -> None:
    # given a campaign with a too-long name, a send time after 21:00 and a type error
    campaign = new_campaign_input(name="x" * 201)
    campaign["schedule"]["sendTimes"] = ["22:00"]
    expected = {"name": "TOO_LONG", "schedule.sendTimes.0": "OUTSIDE_LEGAL_HOURS"}

    # when it is created over GraphQL, and over REST with a holdout that is not a number
    graphql = (await stack.graphql(CREATE, {"input": campaign}))["data"]["createCampaign"]
    rest = await stack.rest("POST", BASE, json={**campaign, "holdoutPercent": "ten"})

    # then each field error says what is wrong as a code, beside its message
    assert {f["field"]: f["code"] for f in graphql["fields"]} == expected, graphql
    assert rest.status_code == 422, rest.text
    assert {f["field"]: f["code"] for f in rest.json()["error"]["fields"]} == {
        "holdoutPercent": "INVALID_TYPE"
    }
    valid_types = await stack.rest("POST", BASE, json=campaign)
    assert {f["field"]: f["code"] for f in valid_types.json()["error"]["fields"]} == expected


ESTIMATE = """
query($t: TargetingInput!) {
  audienceEstimate(targeting: $t) { __typename ... on ValidationError { fields { field code } } }
}
"""
RECIPIENTS = """
query($id: ID!, $after: String) {
  campaignRecipients(campaignId: $id, after: $after) { __typename }
}
"""


async def test_audience_and_tracking_field_errors_carry_their_codes(stack) -> None:
    # given a campaign of the clinic
    campaign = await stack.campaign()

    # when an estimate has a day count of 0 and a recipients page a cursor no one gave out
    estimate = await stack.rest(
        "POST",
        f"{BASE}/estimate",
        json={"targeting": {"inactiveDays": 30, "excludeContactDays": 0}},
    )
    estimated = await stack.graphql(ESTIMATE, {"t": {"inactiveDays": 0}})
    page = await stack.rest("GET", f"{BASE}/{campaign['id']}/recipients?after=not-a-cursor")
    paged = await stack.graphql(RECIPIENTS, {"id": campaign["id"], "after": "not-a-cursor"})

    # then audience-svc's and tracking-svc's own codes reach the client, over REST and GraphQL
    assert estimate.status_code == 422, estimate.text
    assert [(f["field"], f["code"]) for f in estimate.json()["error"]["fields"]] == [
        ("targeting.excludeContactDays", "OUT_OF_RANGE")
    ]
    assert estimated["data"]["audienceEstimate"]["fields"] == [
        {"field": "targeting.inactiveDays", "code": "OUT_OF_RANGE"}
    ]
    assert page.status_code == 422, page.text
    assert [(f["field"], f["code"]) for f in page.json()["error"]["fields"]] == [
        ("after", "BAD_CURSOR")
    ]
    assert [(f["field"], f["code"]) for f in paged["errors"][0]["extensions"]["fields"]] == [
        ("after", "BAD_CURSOR")
    ]
