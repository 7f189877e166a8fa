"""Clinic isolation: clinic A never sees, changes or learns of clinic B's campaigns. B's id is
answered exactly like an id nobody ever used, whatever the operation, and B's campaign stays as
it was."""

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

pytestmark = pytest.mark.infra

CLINIC_A, CLINIC_B = "clinic-a", "clinic-b"
ONE = "/api/booking/campaigns/{id}"

ANSWERS = """
    __typename
    ... on Campaign { id status }
    ... on NotFound { message }
    ... on NotAllowed { message }
    ... on ValidationError { message fields { field message } }
"""


@dataclass(frozen=True)
class Attempt:
    field: str
    document: str
    on: str  # the status of B's campaign it is tried on
    variables: dict[str, Any] = field(default_factory=dict)


def mutation(name: str, answers: str = ANSWERS) -> str:
    return f"mutation($id: ID!) {{ {name}(id: $id) {{ {answers} }} }}"


ATTEMPTS = [
    Attempt(
        "updateCampaign",
        "mutation($id: ID!, $input: CampaignInput!) {"
        f" updateCampaign(id: $id, input: $input) {{ {ANSWERS} }} }}",
        "DRAFT",
        {"input": "a valid campaign"},
    ),
    Attempt(
        "deleteCampaign",
        mutation(
            "deleteCampaign",
            "__typename ... on DeletedCampaign { id } ... on NotFound { message }"
            " ... on NotAllowed { message }",
        ),
        "DRAFT",
    ),
    Attempt("launchCampaign", mutation("launchCampaign"), "DRAFT"),
    Attempt("pauseCampaign", mutation("pauseCampaign"), "ACTIVE"),
    Attempt("resumeCampaign", mutation("resumeCampaign"), "PAUSED"),
    Attempt("cancelCampaign", mutation("cancelCampaign"), "ACTIVE"),
    Attempt(
        "duplicateCampaign",
        mutation(
            "duplicateCampaign",
            "__typename ... on Campaign { id } ... on NotFound { message }"
            " ... on NotAllowed { message }",
        ),
        "DRAFT",
    ),
    Attempt(
        "previewCampaign",
        "mutation($id: ID!) { previewCampaign(id: $id, sampleData: {}) {"
        " __typename ... on CampaignPreview { messages { body } }"
        " ... on NotFound { message } ... on ValidationError { message } } }",
        "DRAFT",
    ),
    Attempt(
        "campaignStats",
        "query($id: ID!) { campaignStats(id: $id) {"
        " __typename ... on CampaignStats { sent } ... on NotFound { message }"
        " ... on NotAvailable { message service } } }",
        "ACTIVE",
    ),
    Attempt(
        "campaignRecipients",
        "query($id: ID!) { campaignRecipients(campaignId: $id) {"
        " __typename ... on RecipientConnection { totalCount } ... on NotFound { message }"
        " ... on NotAvailable { message service } } }",
        "ACTIVE",
    ),
]
CAMPAIGN = "query($id: ID!) { campaign(id: $id) { id name status } }"
CAMPAIGNS = """
query($status: CampaignStatus) {
  campaigns(status: $status, first: 100) { totalCount edges { node { id name } } }
}
"""
REST = [
    ("GET", ONE, "DRAFT", None),
    ("PUT", ONE, "DRAFT", "a valid campaign"),
    ("DELETE", ONE, "DRAFT", None),
    ("POST", ONE + "/launch", "DRAFT", None),
    ("POST", ONE + "/pause", "ACTIVE", None),
    ("POST", ONE + "/resume", "PAUSED", None),
    ("POST", ONE + "/cancel", "ACTIVE", None),
    ("POST", ONE + "/duplicate", "DRAFT", None),
    ("POST", ONE + "/preview", "DRAFT", {"sampleData": {}}),
    ("GET", ONE + "/stats", "ACTIVE", None),
    ("GET", ONE + "/recipients", "ACTIVE", None),
]


@pytest.fixture(scope="module")
async def clinic_b(stack) -> dict[str, dict[str, Any]]:
    """Clinic B's campaigns, one per status, named so a leak would show."""
    return {
        status: await stack.campaign(status, clinic=CLINIC_B, name=f"Clinic B secret {status}")
        for status in ("DRAFT", "ACTIVE", "PAUSED")
    }


def without(campaign_id: str, answer: Any) -> str:
    """The answer with the id it was asked about blanked out, to compare two answers."""
    return json.dumps(answer, sort_keys=True).replace(campaign_id, "<id>")


def unused_id() -> str:
    return uuid.uuid4().hex


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=[a.field for a in ATTEMPTS])
async def test_another_clinics_campaign_is_not_found_exactly_like_an_id_nobody_used(
    stack, clinic_b, new_campaign_input, attempt: Attempt
) -> None:
    # given clinic B's campaign, and an id that never existed
    theirs = clinic_b[attempt.on]
    nobodys = unused_id()
    variables = {
        name: new_campaign_input(name="Taken over") if value == "a valid campaign" else value
        for name, value in attempt.variables.items()
    }
    counts = (await stack.count(clinic=CLINIC_A), await stack.count(clinic=CLINIC_B))

    # when clinic A's admin tries it on both
    on_theirs = await stack.graphql(attempt.document, {**variables, "id": theirs["id"]})
    on_nobodys = await stack.graphql(attempt.document, {**variables, "id": nobodys})

    # then both are the same NotFound, and B's campaign is untouched
    assert on_theirs["data"][attempt.field]["__typename"] == "NotFound", on_theirs
    assert without(theirs["id"], on_theirs) == without(nobodys, on_nobodys)
    assert await stack.stored(theirs["id"], clinic=CLINIC_B) == theirs
    assert (await stack.count(clinic=CLINIC_A), await stack.count(clinic=CLINIC_B)) == counts


async def test_another_clinics_campaign_cannot_be_read_by_id(stack, clinic_b) -> None:
    # given
    theirs = clinic_b["ACTIVE"]
    nobodys = unused_id()

    # when
    on_theirs = await stack.graphql(CAMPAIGN, {"id": theirs["id"]})
    on_nobodys = await stack.graphql(CAMPAIGN, {"id": nobodys})

    # then
    assert on_theirs == on_nobodys == {"data": {"campaign": None}}
    as_b = await stack.graphql(CAMPAIGN, {"id": theirs["id"]}, clinic=CLINIC_B)
    assert as_b["data"]["campaign"]["name"] == "Clinic B secret ACTIVE"


@pytest.mark.parametrize("status", [None, "DRAFT", "ACTIVE", "PAUSED"])
async def test_lists_and_counts_hold_only_the_callers_own_campaigns(
    stack, clinic_b, status: str | None
) -> None:
    # given campaigns of clinic A beside clinic B's
    ours = {
        (await stack.campaign(state, name=f"Clinic A {state}"))["id"]: state
        for state in ("DRAFT", "ACTIVE")
    }

    # when each clinic lists its campaigns
    page_a = (await stack.graphql(CAMPAIGNS, {"status": status}))["data"]["campaigns"]
    page_b = (await stack.graphql(CAMPAIGNS, {"status": status}, clinic=CLINIC_B))["data"][
        "campaigns"
    ]

    # then each sees its own only, and counts its own only
    ids_a = {edge["node"]["id"] for edge in page_a["edges"]}
    ids_b = {edge["node"]["id"] for edge in page_b["edges"]}
    theirs = {c["id"] for c in clinic_b.values() if status in (None, c["status"])}
    assert ids_b == theirs and page_b["totalCount"] == len(theirs)
    assert not ids_a & ids_b
    assert not any("Clinic B" in edge["node"]["name"] for edge in page_a["edges"])
    assert {i for i, state in ours.items() if status in (None, state)} <= ids_a
    assert page_a["totalCount"] == len(ids_a)


@pytest.mark.parametrize(
    ("method", "path", "on", "body"), REST, ids=[f"{m} {p}" for m, p, _, _ in REST]
)
async def test_over_rest_another_clinics_campaign_is_a_404_like_an_id_nobody_used(
    stack, clinic_b, new_campaign_input, method: str, path: str, on: str, body: Any
) -> None:
    # given
    theirs = clinic_b[on]
    nobodys = unused_id()
    body = new_campaign_input(name="Taken over") if body == "a valid campaign" else body

    # when
    on_theirs = await stack.rest(method, path.format(id=theirs["id"]), json=body)
    on_nobodys = await stack.rest(method, path.format(id=nobodys), json=body)

    # then
    assert on_theirs.status_code == on_nobodys.status_code == 404, on_theirs.text
    assert on_theirs.json()["error"]["code"] == "NOT_FOUND"
    assert without(theirs["id"], on_theirs.json()) == without(nobodys, on_nobodys.json())
    assert await stack.stored(theirs["id"], clinic=CLINIC_B) == theirs


async def test_the_clinic_comes_from_the_token_never_from_the_request(
    stack, new_campaign_input
) -> None:
    # given a body that claims to belong to clinic B
    before_b = await stack.count(clinic=CLINIC_B)
    body = {**new_campaign_input(name="Claims to be B's"), "clinicId": CLINIC_B}

    # when clinic A's admin sends it
    created = await stack.rest("POST", "/api/booking/campaigns", json=body)

    # then the campaign is clinic A's
    assert created.status_code == 201, created.text
    assert created.json()["clinicId"] == CLINIC_A
    assert await stack.count(clinic=CLINIC_B) == before_b
    assert await stack.stored(created.json()["id"], clinic=CLINIC_B) is None
