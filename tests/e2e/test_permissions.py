"""Who may do what, through the gateway to the real services: every GraphQL operation and every
REST path, for every kind of caller. Reads (campaigns, their stats and recipients, audience
estimates, the clinic profile, saved audiences, exports, webhook endpoints, the inbox) need
booking:view_analytics, writes (campaigns, patient imports, the clinic profile, saved
audiences, webhook endpoints, inbox assignments and replies) booking:manage_reminders,
launching also role clinic_admin; a refused call changes nothing, and an allowed one answers
what the clinic asked for. Operations on an audience, endpoint or conversation are called with
an id the clinic does not have: allowed, they answer NotFound (or null)."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from reengage_testing import COMPLETE_CLINIC_PROFILE

pytestmark = pytest.mark.infra

PERSONAS = (
    "no token",
    "bad token",
    "staff without permissions",
    "staff with view only",
    "manager",
    "clinic_admin",
)
# Who passes each requirement; everyone else is refused.
ALLOWED = {
    "read": {"staff with view only", "manager", "clinic_admin"},
    "manage": {"manager", "clinic_admin"},
    "launch": {"clinic_admin"},
}
UNAUTHENTICATED = {"no token", "bad token"}

ONE = "/api/booking/campaigns/{id}"
SAMPLE = {"patient": {"firstName": "Ada"}}
STAT_FIGURES = ("targeted", "heldOut", "recipients", "contacted", "sent", "responded", "rebooked")
STATUSES = {"PENDING", "CONTACTED", "BOUNCED", "RESPONDED", "UNSUBSCRIBED", "REBOOKED"}
ESTIMATE_TARGETING = {"inactiveDays": 90, "treatmentStages": ["RETENTION"]}


def graphql_stats(result: dict[str, Any], campaign: dict[str, Any] | None) -> None:
    assert campaign is not None and result["campaignId"] == campaign["id"]
    assert all(isinstance(result[name], int) and result[name] >= 0 for name in STAT_FIGURES)
    assert set(result["statusCounts"]) == STATUSES
    assert [v["variant"] for v in result["byVariant"]] == ["A"]


def graphql_recipients(result: dict[str, Any], campaign: dict[str, Any] | None) -> None:
    assert isinstance(result["totalCount"], int)
    assert len(result["edges"]) <= result["totalCount"]
    assert isinstance(result["pageInfo"]["hasNextPage"], bool)


def graphql_estimate(result: dict[str, Any], campaign: dict[str, Any] | None) -> None:
    assert result["total"] == result["targeted"] + result["heldOut"]
    assert result["heldOut"] == 0  # an estimate of a targeting alone holds nobody out
    excluded = sum(e["patients"] for e in result["excluded"])
    assert result["patients"] == result["total"] + excluded
    assert {c["channel"] for c in result["byChannel"]} <= {"EMAIL"}
    assert sum(c["patients"] for c in result["byChannel"]) == result["total"]


@dataclass(frozen=True)
class GraphQLOperation:
    field: str
    document: str
    needs: str
    on: str | None = None  # the status of the campaign it is called on; None: no campaign
    # __typename of the answer when allowed; None: null (a lookup of what the clinic lacks);
    # "[]": a list
    answers: str | None = "Campaign"
    then_status: str | None = None  # the campaign's status after an allowed call
    variables: dict[str, Any] = field(default_factory=dict)
    changes: bool = False  # an allowed call changes the campaign it is called on
    creates: bool = False  # an allowed call adds a campaign
    # checks the answer of an allowed call (its fields, beyond __typename)
    check: Callable[[dict[str, Any], dict[str, Any] | None], None] | None = None


GRAPHQL = [
    GraphQLOperation(
        "campaigns",
        "query { campaigns { __typename totalCount } }",
        "read",
        answers="CampaignConnection",
    ),
    GraphQLOperation(
        "campaign", "query($id: ID!) { campaign(id: $id) { __typename id } }", "read", on="DRAFT"
    ),
    GraphQLOperation(
        "campaignStats",
        "query($id: ID!) { campaignStats(id: $id) { __typename ... on CampaignStats {"
        f" campaignId {' '.join(STAT_FIGURES)} statusCounts byVariant {{ variant }} }} }} }}",
        "read",
        on="ACTIVE",
        answers="CampaignStats",
        check=graphql_stats,
    ),
    GraphQLOperation(
        "campaignRecipients",
        "query($id: ID!) { campaignRecipients(campaignId: $id, first: 5) { __typename"
        " ... on RecipientConnection { totalCount edges { node { patientId status } }"
        " pageInfo { hasNextPage } } } }",
        "read",
        on="ACTIVE",
        answers="RecipientConnection",
        check=graphql_recipients,
    ),
    GraphQLOperation(
        "audienceEstimate",
        "query($t: TargetingInput!, $c: [Channel!]) { audienceEstimate(targeting: $t,"
        " channels: $c) { __typename ... on AudienceEstimate { total targeted heldOut patients"
        " excluded { reason patients } byChannel { channel patients } } } }",
        "read",
        answers="AudienceEstimate",
        variables={"t": ESTIMATE_TARGETING, "c": ["EMAIL"]},
        check=graphql_estimate,
    ),
    GraphQLOperation(
        "createCampaign",
        "mutation($input: CampaignInput!) {"
        " createCampaign(input: $input) { __typename ... on Campaign { id status } } }",
        "manage",
        then_status="DRAFT",
        variables={"input": "a valid campaign"},
        creates=True,
    ),
    GraphQLOperation(
        "updateCampaign",
        "mutation($id: ID!, $input: CampaignInput!) {"
        " updateCampaign(id: $id, input: $input) { __typename ... on Campaign { id status } } }",
        "manage",
        on="DRAFT",
        then_status="DRAFT",
        variables={"input": "a valid campaign"},
        changes=True,
    ),
    GraphQLOperation(
        "deleteCampaign",
        "mutation($id: ID!) { deleteCampaign(id: $id) { __typename } }",
        "manage",
        on="DRAFT",
        answers="DeletedCampaign",
        changes=True,
    ),
    GraphQLOperation(
        "launchCampaign",
        "mutation($id: ID!) { launchCampaign(id: $id) { __typename ... on Campaign { status } } }",
        "launch",
        on="DRAFT",
        then_status="ACTIVE",
        changes=True,
    ),
    GraphQLOperation(
        "pauseCampaign",
        "mutation($id: ID!) { pauseCampaign(id: $id) { __typename ... on Campaign { status } } }",
        "manage",
        on="ACTIVE",
        then_status="PAUSED",
        changes=True,
    ),
    GraphQLOperation(
        "resumeCampaign",
        "mutation($id: ID!) { resumeCampaign(id: $id) { __typename ... on Campaign { status } } }",
        "manage",
        on="PAUSED",
        then_status="ACTIVE",
        changes=True,
    ),
    GraphQLOperation(
        "cancelCampaign",
        "mutation($id: ID!) { cancelCampaign(id: $id) { __typename ... on Campaign { status } } }",
        "manage",
        on="ACTIVE",
        then_status="CANCELLED",
        changes=True,
    ),
    GraphQLOperation(
        "duplicateCampaign",
        "mutation($id: ID!) {"
        " duplicateCampaign(id: $id) { __typename ... on Campaign { id status } } }",
        "manage",
        on="DRAFT",
        then_status="DRAFT",
        creates=True,
    ),
    GraphQLOperation(
        "previewCampaign",
        "mutation($id: ID!, $data: JSON) { previewCampaign(id: $id, sampleData: $data) {"
        " __typename ... on CampaignPreview { messages { body } } } }",
        "manage",
        on="DRAFT",
        answers="CampaignPreview",
        variables={"data": SAMPLE},
    ),
    GraphQLOperation(
        "clinic", "query { clinic { __typename name } }", "read", answers="ClinicProfile"
    ),
    GraphQLOperation(
        "updateClinicProfile",
        "mutation($p: ClinicProfileInput!) {"
        " updateClinicProfile(input: $p) { __typename ... on ClinicProfile { name } } }",
        "manage",
        answers="ClinicProfile",
        variables={"p": COMPLETE_CLINIC_PROFILE},
    ),
    GraphQLOperation(
        "savedAudiences", "query { savedAudiences { __typename } }", "read", answers="[]"
    ),
    GraphQLOperation(
        "savedAudience",
        "query($a: ID!) { savedAudience(id: $a) { __typename } }",
        "read",
        answers=None,
        variables={"a": "no-such-audience"},
    ),
    GraphQLOperation(
        "createSavedAudience",
        "mutation($input: SavedAudienceInput!) { createSavedAudience(input: $input) { __typename } }",
        "manage",
        answers="SavedAudience",
        variables={"input": "a new audience"},
    ),
    GraphQLOperation(
        "updateSavedAudience",
        "mutation($a: ID!, $input: SavedAudienceInput!) {"
        " updateSavedAudience(id: $a, input: $input) { __typename } }",
        "manage",
        answers="NotFound",
        variables={"a": "no-such-audience", "input": "a new audience"},
    ),
    GraphQLOperation(
        "deleteSavedAudience",
        "mutation($a: ID!) { deleteSavedAudience(id: $a) { __typename } }",
        "manage",
        answers="NotFound",
        variables={"a": "no-such-audience"},
    ),
    GraphQLOperation(
        "campaignSummary",
        'query { campaignSummary(from: "2026-11-01", to: "2026-11-30") { __typename } }',
        "read",
        answers="CampaignSummary",
    ),
    GraphQLOperation(
        "webhookEndpoints", "query { webhookEndpoints { __typename } }", "read", answers="[]"
    ),
    GraphQLOperation(
        "webhookEndpoint",
        "query($w: ID!) { webhookEndpoint(id: $w) { __typename } }",
        "read",
        answers=None,
        variables={"w": "no-such-endpoint"},
    ),
    GraphQLOperation(
        "createWebhookEndpoint",
        "mutation($input: WebhookEndpointInput!) { createWebhookEndpoint(input: $input) { __typename } }",
        "manage",
        answers="CreatedWebhookEndpoint",
        variables={
            "input": {
                "url": "https://pms.example/hooks",
                "events": ["PATIENT_REBOOKED"],
                "enabled": False,
            }
        },
    ),
    GraphQLOperation(
        "updateWebhookEndpoint",
        "mutation($w: ID!, $input: WebhookEndpointInput!) {"
        " updateWebhookEndpoint(id: $w, input: $input) { __typename } }",
        "manage",
        answers="NotFound",
        variables={
            "w": "no-such-endpoint",
            "input": {"url": "https://pms.example/h", "events": ["PATIENT_REBOOKED"]},
        },
    ),
    GraphQLOperation(
        "deleteWebhookEndpoint",
        "mutation($w: ID!) { deleteWebhookEndpoint(id: $w) { __typename } }",
        "manage",
        answers="NotFound",
        variables={"w": "no-such-endpoint"},
    ),
    GraphQLOperation(
        "sendTestWebhook",
        "mutation($w: ID!) { sendTestWebhook(id: $w) { __typename } }",
        "manage",
        answers="NotFound",
        variables={"w": "no-such-endpoint"},
    ),
    GraphQLOperation("inbox", "query { inbox { __typename } }", "read", answers="[]"),
    GraphQLOperation(
        "messageLanguages", "query { messageLanguages { __typename } }", "read", answers="[]"
    ),
    GraphQLOperation(
        "conversation",
        "query($p: ID!) { conversation(patientId: $p) { __typename } }",
        "read",
        answers=None,
        variables={"p": "no-such-patient"},
    ),
    GraphQLOperation(
        "markConversationRead",
        "mutation($p: ID!) { markConversationRead(patientId: $p) { __typename } }",
        "manage",
        answers="NotFound",
        variables={"p": "no-such-patient"},
    ),
    GraphQLOperation(
        "assignConversation",
        'mutation($p: ID!) { assignConversation(patientId: $p, assignee: "u-1") { __typename } }',
        "manage",
        answers="NotFound",
        variables={"p": "no-such-patient"},
    ),
    GraphQLOperation(
        "replyToPatient",
        'mutation($p: ID!) { replyToPatient(patientId: $p, text: "See you Tuesday") { __typename } }',
        "manage",
        answers="NotFound",
        variables={"p": "no-such-patient"},
    ),
]


@dataclass(frozen=True)
class RestOperation:
    method: str
    path: str
    needs: str
    on: str | None = None
    answers: int = 200  # the status code when allowed
    body: Any = None
    changes: bool = False
    creates: bool = False
    imports: bool = False  # the body is a CSV file of one new patient
    check: Callable[[dict[str, Any], dict[str, Any] | None], None] | None = None
    query: str = ""  # a query string the call adds to the path


def rest_stats(body: dict[str, Any], campaign: dict[str, Any] | None) -> None:
    assert campaign is not None and body["campaignId"] == campaign["id"]
    assert all(isinstance(body[name], int) and body[name] >= 0 for name in STAT_FIGURES)
    assert set(body["statusCounts"]) == STATUSES and isinstance(body["excluded"], dict)
    assert body["lift"]["heldOut"] == body["heldOut"]


def rest_recipients(body: dict[str, Any], campaign: dict[str, Any] | None) -> None:
    assert isinstance(body["items"], list) and isinstance(body["totalCount"], int)
    assert len(body["items"]) <= body["totalCount"]
    assert isinstance(body["pageInfo"]["hasNextPage"], bool)


def rest_estimate(body: dict[str, Any], campaign: dict[str, Any] | None) -> None:
    assert body["total"] == body["targeted"] + body["heldOut"]
    assert body["patients"] == body["total"] + sum(body["excluded"].values())
    assert set(body["byChannel"]) <= {"EMAIL"}


def rest_import(body: dict[str, Any], campaign: dict[str, Any] | None) -> None:
    assert body == {"imported": 1, "rejectedCount": 0, "rejected": [], "moreRejected": 0}


def one_patient_csv() -> bytes:
    """A new patient of the clinic, deceased so that no campaign of these tests reaches them."""
    return f"patientId,firstName,deceased\nperm-{uuid.uuid4().hex[:8]},Ada,true\n".encode()


REST = [
    RestOperation("GET", "/api/booking/campaigns", "read"),
    RestOperation(
        "POST",
        "/api/booking/campaigns",
        "manage",
        answers=201,
        body="a valid campaign",
        creates=True,
    ),
    RestOperation("GET", ONE, "read", on="DRAFT"),
    RestOperation("PUT", ONE, "manage", on="DRAFT", body="a valid campaign", changes=True),
    RestOperation("DELETE", ONE, "manage", on="DRAFT", changes=True),
    RestOperation("POST", ONE + "/launch", "launch", on="DRAFT", changes=True),
    RestOperation("POST", ONE + "/pause", "manage", on="ACTIVE", changes=True),
    RestOperation("POST", ONE + "/resume", "manage", on="PAUSED", changes=True),
    RestOperation("POST", ONE + "/cancel", "manage", on="ACTIVE", changes=True),
    RestOperation("POST", ONE + "/duplicate", "manage", on="DRAFT", answers=201, creates=True),
    RestOperation("POST", ONE + "/preview", "manage", on="DRAFT", body={"sampleData": SAMPLE}),
    RestOperation("GET", ONE + "/stats", "read", on="ACTIVE", check=rest_stats),
    RestOperation("GET", ONE + "/recipients", "read", on="ACTIVE", check=rest_recipients),
    RestOperation(
        "POST",
        "/api/booking/campaigns/estimate",
        "read",
        body={"targeting": ESTIMATE_TARGETING, "channels": ["EMAIL"], "holdoutPercent": 10},
        check=rest_estimate,
    ),
    RestOperation(
        "POST", "/api/booking/patients/import", "manage", imports=True, check=rest_import
    ),
    RestOperation("GET", "/api/booking/clinic", "read"),
    RestOperation("PUT", "/api/booking/clinic", "manage", body=COMPLETE_CLINIC_PROFILE),
    RestOperation("GET", ONE + "/recipients.csv", "read", on="ACTIVE"),
    RestOperation("GET", ONE + "/stats.csv", "read", on="ACTIVE"),
    RestOperation("GET", ONE + "/stats.pdf", "read", on="ACTIVE"),
    RestOperation(
        "GET",
        "/api/booking/reports/campaigns.csv",
        "read",
        query="?from=2026-11-01&to=2026-11-30",
    ),
]


@pytest.fixture(scope="module")
async def standing(stack) -> dict[str, dict[str, Any]]:
    """One campaign per status for the calls that leave it as it is (reads, refused calls)."""
    return {status: await stack.campaign(status) for status in ("DRAFT", "ACTIVE", "PAUSED")}


async def campaign_for(
    stack, standing: dict[str, dict[str, Any]], on: str | None, *, fresh: bool
) -> dict[str, Any] | None:
    """The campaign a call acts on: a fresh one where an allowed call would change it."""
    if on is None:
        return None
    if not fresh:
        return standing[on]
    # a code of its own: launching it must not meet another live campaign's code
    return await stack.campaign(on, incentive={"incentiveCode": f"PERM-{uuid.uuid4().hex[:8]}"})


def expected_refusal(persona: str, needs: str) -> str | None:
    """The error code the persona meets, or None when it is allowed."""
    if persona in UNAUTHENTICATED:
        return "UNAUTHENTICATED"
    return None if persona in ALLOWED[needs] else "FORBIDDEN"


def made(value: Any, new_campaign_input: Callable[..., dict[str, Any]]) -> Any:
    """A variable's value: the valid documents named in the table made afresh for each call."""
    if value == "a valid campaign":
        return new_campaign_input(name="Spring recall")
    if value == "a new audience":
        return {"name": f"Audience {uuid.uuid4().hex[:8]}", "targeting": {"inactiveDays": 90}}
    return value


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", GRAPHQL, ids=[op.field for op in GRAPHQL])
async def test_every_graphql_operation_lets_in_exactly_the_callers_it_should(
    stack, standing, new_campaign_input, operation: GraphQLOperation, persona: str
) -> None:
    # given a campaign in the state the operation applies to, when it needs one
    refusal = expected_refusal(persona, operation.needs)
    fresh = operation.changes and refusal is None
    campaign = await campaign_for(stack, standing, operation.on, fresh=fresh)
    variables = {
        name: made(value, new_campaign_input) for name, value in operation.variables.items()
    }
    if campaign is not None:
        variables["id"] = campaign["id"]
    before = await stack.count() if operation.creates and refusal is not None else None

    # when the persona calls it
    answer = await stack.graphql(operation.document, variables, persona=persona)

    # then it is answered, or refused with its code and nothing changed
    result = answer["data"][operation.field]
    if refusal is None:
        assert "errors" not in answer, answer
        if operation.answers is None or operation.answers == "[]":
            assert result is None if operation.answers is None else isinstance(result, list)
            return
        assert result["__typename"] == operation.answers, answer
        if operation.then_status is not None:
            assert result["status"] == operation.then_status
        if operation.check is not None:
            operation.check(result, campaign)
        return
    assert result is None, answer
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == refusal, error
    assert error["path"] == [operation.field]
    if before is not None:
        assert await stack.count() == before
    if campaign is not None:
        assert await stack.stored(campaign["id"]) == campaign


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", REST, ids=[f"{op.method} {op.path}" for op in REST])
async def test_every_rest_path_lets_in_exactly_the_callers_it_should(
    stack, standing, new_campaign_input, operation: RestOperation, persona: str
) -> None:
    # given a campaign in the state the path applies to, when it needs one
    refusal = expected_refusal(persona, operation.needs)
    fresh = operation.changes and refusal is None
    campaign = await campaign_for(stack, standing, operation.on, fresh=fresh)
    path = (
        operation.path.format(id=campaign["id"]) if campaign else operation.path
    ) + operation.query
    body = new_campaign_input() if operation.body == "a valid campaign" else operation.body
    before = await stack.count() if operation.creates and refusal is not None else None
    patients = await stack.patients() if operation.imports else None
    csv = {"content": one_patient_csv(), "content_type": "text/csv"} if operation.imports else {}

    # when the persona calls it
    answer = await stack.rest(operation.method, path, persona=persona, json=body, **csv)

    # then it is answered, or refused with its code and nothing changed
    if refusal is None:
        assert answer.status_code == operation.answers, answer.text
        if operation.check is not None:
            operation.check(answer.json(), campaign)
        if patients is not None:
            assert await stack.patients() == patients + 1
        return
    assert answer.status_code == (401 if refusal == "UNAUTHENTICATED" else 403), answer.text
    assert answer.json()["error"]["code"] == refusal
    if refusal == "UNAUTHENTICATED":
        assert answer.headers["www-authenticate"] == "Bearer"
    if before is not None:
        assert await stack.count() == before
    if patients is not None:
        assert await stack.patients() == patients
    if campaign is not None:
        assert await stack.stored(campaign["id"]) == campaign


FIELDS = "query { __schema { queryType { fields { name } } mutationType { fields { name } } } }"


async def test_the_tables_cover_every_graphql_operation_and_every_rest_path(stack) -> None:
    # given what the gateway serves
    schema = (await stack.graphql(FIELDS))["data"]["__schema"]
    document = (await stack.rest("GET", "/api/openapi.json", persona="no token")).json()

    # then each of it is in a table above (`me` only tells the caller who they are)
    served = {f["name"] for f in schema["queryType"]["fields"] + schema["mutationType"]["fields"]}
    assert served - {"me"} == {op.field for op in GRAPHQL}
    paths = {
        (method.upper(), path)
        for path, methods in document["paths"].items()
        if path != "/api/openapi.json"
        for method in methods
    }
    assert paths == {(op.method, op.path) for op in REST}
