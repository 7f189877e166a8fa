"""The spec's REST paths through the gateway to the real services: the OpenAPI document, and a
campaign's round trip (with its audience estimate, stats and recipients, and a patient import)
whose every answer is the status and the shape the document promises."""

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.infra

BASE = "/api/booking/campaigns"
ONE = BASE + "/{id}"
OPENAPI = "/api/openapi.json"
EXPECTED_PATHS = {
    BASE: {"get", "post"},
    ONE: {"get", "put", "delete"},
    ONE + "/launch": {"post"},
    ONE + "/pause": {"post"},
    ONE + "/resume": {"post"},
    ONE + "/cancel": {"post"},
    ONE + "/duplicate": {"post"},
    ONE + "/preview": {"post"},
    ONE + "/stats": {"get"},
    ONE + "/recipients": {"get"},
    BASE + "/estimate": {"post"},
    "/api/booking/patients/import": {"post"},
    "/api/booking/clinic": {"get", "put"},
    ONE + "/recipients.csv": {"get"},
    ONE + "/stats.csv": {"get"},
    ONE + "/stats.pdf": {"get"},
    "/api/booking/reports/campaigns.csv": {"get"},
    OPENAPI: {"get"},
}
NO_COUNTS = {"targetCount": 0, "sentCount": 0, "responseCount": 0, "rebookedCount": 0}
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def problems(value: Any, schema: dict[str, Any], schemas: dict[str, Any], at: str) -> list[str]:
    """Where `value` breaks a JSON schema of the document (the keywords pydantic writes)."""
    if "$ref" in schema:
        return problems(value, schemas[schema["$ref"].rsplit("/", 1)[-1]], schemas, at)
    if "anyOf" in schema:
        each = [problems(value, option, schemas, at) for option in schema["anyOf"]]
        return [] if [] in each else min(each, key=len)
    kind = schema.get("type")
    if kind is not None and not _TYPES[kind](value):
        return [f"{at}: expected {kind}, got {value!r}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{at}: {value!r} is not one of {schema['enum']}"]
    if "const" in schema and value != schema["const"]:
        return [f"{at}: expected {schema['const']!r}, got {value!r}"]
    found: list[str] = []
    if isinstance(value, dict):
        found += [
            f"{at}.{name}: missing" for name in schema.get("required", ()) if name not in value
        ]
        for name, subschema in schema.get("properties", {}).items():
            if name in value:
                found += problems(value[name], subschema, schemas, f"{at}.{name}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += problems(item, schema["items"], schemas, f"{at}[{index}]")
    return found


def assert_as_documented(
    document: dict[str, Any], method: str, path: str, answer: httpx.Response, status: int
) -> Any:
    """The answer has `status`, the document lists that status, and the body its shape."""
    assert answer.status_code == status, answer.text
    responses = document["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} answered {status}, not documented"
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    body = answer.json()
    assert problems(body, schema, document["components"]["schemas"], "$") == []
    return body


@pytest.fixture(scope="module")
async def openapi(stack) -> dict[str, Any]:
    answer = await stack.rest("GET", OPENAPI, persona="no token")
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_the_openapi_document_parses_and_lists_every_path(openapi) -> None:
    # then
    assert openapi["openapi"].startswith("3.1")
    assert {path: set(methods) for path, methods in openapi["paths"].items()} == EXPECTED_PATHS
    schemas = openapi["components"]["schemas"]
    refs: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            refs.extend([node["$ref"]] if "$ref" in node else [])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(openapi)
    assert refs and all(ref.rsplit("/", 1)[-1] in schemas for ref in refs)
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            if path != OPENAPI:
                assert operation["security"] == [{"bearer": []}], (method, path)
                assert "401" in operation["responses"] and "403" in operation["responses"]


async def test_a_campaign_makes_the_round_trip_over_rest(
    stack, openapi, new_campaign_input
) -> None:
    # given
    doc = openapi

    # when a campaign is created, listed, read, replaced, launched, paused, previewed and its
    # stats asked for
    created = assert_as_documented(
        doc, "POST", BASE, await stack.rest("POST", BASE, json=new_campaign_input()), 201
    )
    campaign_id = created["id"]
    one = ONE.format(id=campaign_id)
    listed = assert_as_documented(doc, "GET", BASE, await stack.rest("GET", BASE, json=None), 200)
    read = assert_as_documented(doc, "GET", ONE, await stack.rest("GET", one), 200)
    replaced = assert_as_documented(
        doc,
        "PUT",
        ONE,
        await stack.rest("PUT", one, json=new_campaign_input(name="Spring recall")),
        200,
    )
    launched = assert_as_documented(
        doc, "POST", ONE + "/launch", await stack.rest("POST", one + "/launch"), 200
    )
    paused = assert_as_documented(
        doc, "POST", ONE + "/pause", await stack.rest("POST", one + "/pause"), 200
    )
    previewed = assert_as_documented(
        doc,
        "POST",
        ONE + "/preview",
        await stack.rest(
            "POST", one + "/preview", json={"sampleData": {"patient": {"firstName": "Ada"}}}
        ),
        200,
    )
    stats = assert_as_documented(
        doc, "GET", ONE + "/stats", await stack.rest("GET", one + "/stats"), 200
    )
    recipients = assert_as_documented(
        doc, "GET", ONE + "/recipients", await stack.rest("GET", one + "/recipients"), 200
    )

    # then each answer is the campaign as it now is
    assert created["status"] == "DRAFT" and created["clinicId"] == "clinic-a"
    assert created["runNumber"] == 0 and created["createdBy"] == "u-clinic_admin"
    assert campaign_id in [item["id"] for item in listed["items"]]
    assert listed["totalCount"] >= 1
    # a read adds the spec's counters, from tracking-svc (writes answer the stored campaign)
    assert read == {**created, **NO_COUNTS}
    assert replaced["name"] == "Spring recall" and replaced["status"] == "DRAFT"
    assert launched["status"] == "ACTIVE" and launched["runNumber"] == 1
    assert launched["launchedAt"] is not None
    assert paused["status"] == "PAUSED"
    email, sms = previewed["messages"]
    assert previewed["campaignId"] == campaign_id and email["subject"] == "We miss you, Ada"
    assert sms["sms"] == {"encoding": "GSM-7", "characters": len(sms["body"]), "segments": 1}
    # the clinic has no patients in this module: the launch reached nobody, and says so
    assert stats["campaignId"] == campaign_id
    assert (stats["targeted"], stats["heldOut"], stats["sent"]) == (0, 0, 0)
    assert recipients["items"] == [] and recipients["totalCount"] == 0
    assert recipients["pageInfo"]["hasNextPage"] is False
    final = assert_as_documented(doc, "GET", ONE, await stack.rest("GET", one), 200)
    assert final["name"] == "Spring recall" and final["status"] == "PAUSED"
    assert {name: final[name] for name in NO_COUNTS} == NO_COUNTS


async def test_the_rest_of_a_drafts_paths_answer_as_documented(stack, openapi) -> None:
    # given a draft, and a campaign that is live
    draft = await stack.campaign()
    live = await stack.campaign("ACTIVE")

    # when it is duplicated and deleted, and the live one resumed after pausing, then cancelled
    copy = assert_as_documented(
        openapi,
        "POST",
        ONE + "/duplicate",
        await stack.rest("POST", ONE.format(id=draft["id"]) + "/duplicate"),
        201,
    )
    deleted = assert_as_documented(
        openapi, "DELETE", ONE, await stack.rest("DELETE", ONE.format(id=draft["id"])), 200
    )
    await stack.rest("POST", ONE.format(id=live["id"]) + "/pause")
    resumed = assert_as_documented(
        openapi,
        "POST",
        ONE + "/resume",
        await stack.rest("POST", ONE.format(id=live["id"]) + "/resume"),
        200,
    )
    cancelled = assert_as_documented(
        openapi,
        "POST",
        ONE + "/cancel",
        await stack.rest("POST", ONE.format(id=live["id"]) + "/cancel"),
        200,
    )
    refused = assert_as_documented(
        openapi,
        "POST",
        ONE + "/resume",
        await stack.rest("POST", ONE.format(id=live["id"]) + "/resume"),
        409,
    )
    gone = assert_as_documented(
        openapi, "GET", ONE, await stack.rest("GET", ONE.format(id=draft["id"])), 404
    )

    # then
    assert copy["name"] == "Copy of Winter recall" and copy["status"] == "DRAFT"
    assert deleted == {"id": draft["id"], "deleted": True}
    assert resumed["status"] == "ACTIVE" and cancelled["status"] == "CANCELLED"
    assert refused["error"]["code"] == "NOT_ALLOWED"
    assert gone["error"]["code"] == "NOT_FOUND"


async def test_paging_over_rest_walks_every_campaign_once(stack, openapi) -> None:
    # given
    for _ in range(3):
        await stack.campaign()
    total = await stack.count()

    # when the list is read two at a time
    seen: list[str] = []
    after: str | None = None
    while True:
        path = f"{BASE}?first=2" + (f"&after={after}" if after else "")
        page = assert_as_documented(openapi, "GET", BASE, await stack.rest("GET", path), 200)
        seen += [item["id"] for item in page["items"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    # then
    assert len(seen) == len(set(seen)) == total == page["totalCount"]
    bad = await stack.rest("GET", f"{BASE}?first=0")
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "first"


IMPORT = "/api/booking/patients/import"
# Six patients of clinic "clinic-import" (its own, so no campaign of this module reaches them).
PATIENTS_CSV = b"""patientId,firstName,email,phone,consents.sms,treatmentStage,createdAt,deceased
imp-1,Ada,ada@example.com,,,HYGIENE_RECALL,2024-01-10T09:00:00Z,
imp-2,Ben,ben@example.com,+15125550100,yes,HYGIENE_RECALL,2024-01-10T09:00:00Z,
imp-3,Cy,,+15125550101,yes,HYGIENE_RECALL,2024-01-10T09:00:00Z,
imp-4,Dee,dee@example.com,,,RETENTION,2024-01-10T09:00:00Z,
imp-5,Eve,eve@example.com,,,HYGIENE_RECALL,2024-01-10T09:00:00Z,true
,Nameless,x@example.com,,,,,
imp-6,Fay,fay@example.com,,,HYGIENE_RECALL,2024-01-10T09:00:00Z,maybe
"""


async def test_an_import_is_counted_by_the_estimate_that_follows_it(stack, openapi) -> None:
    # given a clinic with no patients yet
    clinic = "clinic-import"
    estimate = {
        "targeting": {"inactiveDays": 180, "treatmentStages": ["HYGIENE_RECALL"]},
        "channels": ["EMAIL", "SMS"],
    }
    empty = assert_as_documented(
        openapi,
        "POST",
        BASE + "/estimate",
        await stack.rest("POST", BASE + "/estimate", json=estimate, clinic=clinic),
        200,
    )

    # when its patients are imported as CSV, one row without an id and one with a bad boolean
    report = assert_as_documented(
        openapi,
        "POST",
        IMPORT,
        await stack.rest(
            "POST", IMPORT, content=PATIENTS_CSV, content_type="text/csv", clinic=clinic
        ),
        200,
    )
    after = assert_as_documented(
        openapi,
        "POST",
        BASE + "/estimate",
        await stack.rest("POST", BASE + "/estimate", json=estimate, clinic=clinic),
        200,
    )
    invalid = await stack.rest(
        "POST", BASE + "/estimate", json={"targeting": {"inactiveDays": 0}}, clinic=clinic
    )

    # then each good row is a patient, each bad one is named by its line, and the estimate
    # counts them at once: 3 reachable on the campaign's channels, 1 other stage, 1 deceased
    assert empty == {
        "total": 0,
        "targeted": 0,
        "heldOut": 0,
        "patients": 0,
        "excluded": {},
        "byChannel": {},
        "reach": {"EMAIL": 0, "SMS": 0},
        "recall": {
            "notDue": 0,
            "dueThisMonth": 0,
            "overdue1To3Months": 0,
            "overdue3To12Months": 0,
            "overdue12PlusMonths": 0,
        },
    }
    assert report["imported"] == 5 and report["rejectedCount"] == 2
    assert [row["line"] for row in report["rejected"]] == [7, 8]
    assert "patientId" in report["rejected"][0]["reason"]
    assert after["patients"] == 5 and after["total"] == after["targeted"] == 3
    assert after["excluded"] == {"TREATMENT_STAGE": 1, "DECEASED": 1}
    assert after["byChannel"] == {"EMAIL": 2, "SMS": 1}
    assert after["reach"] == {"EMAIL": 2, "SMS": 2}  # Ben has both
    assert invalid.status_code == 422, invalid.text
    assert [(f["field"], f["code"]) for f in invalid.json()["error"]["fields"]] == [
        ("targeting.inactiveDays", "OUT_OF_RANGE")
    ]


async def test_a_create_links_its_id_to_every_operation_on_one_campaign(openapi) -> None:
    # given the operations that take a campaign's id
    on_one = {
        operation["operationId"]
        for path, methods in openapi["paths"].items()
        if "{id}" in path
        for operation in methods.values()
    }

    # then creating (and duplicating) a campaign links its id to each of them
    for path in (BASE, ONE + "/duplicate"):
        links = openapi["paths"][path]["post"]["responses"]["201"]["links"]
        assert set(links) == on_one and len(on_one) == 14  # 11, and the 3 export files
        assert all(link["parameters"] == {"id": "$response.body#/id"} for link in links.values())
        assert {link["operationId"] for link in links.values()} == on_one


async def test_null_for_each_optional_field_is_accepted_as_its_default(
    stack, openapi, new_campaign_input
) -> None:
    # given a create the document allows: null for each optional field
    no_incentive_fields = [
        {"channel": "EMAIL", "subject": "Hello", "body": "Book: {{ bookingLink }}", "sequence": 1}
    ]
    body = {
        **new_campaign_input(channels=["EMAIL"], messageTemplates=no_incentive_fields),
        **dict.fromkeys(("variants", "holdoutPercent", "incentive", "refreshDaily", "description")),
    }
    properties = openapi["components"]["schemas"]["CampaignInput"]["properties"]
    for name in ("variants", "holdoutPercent", "incentive", "refreshDaily", "description"):
        assert {"type": "null"} in properties[name]["anyOf"], name

    # when
    created = assert_as_documented(
        openapi, "POST", BASE, await stack.rest("POST", BASE, json=body), 201
    )
    replaced = assert_as_documented(
        openapi,
        "PUT",
        ONE,
        await stack.rest("PUT", ONE.format(id=created["id"]), json=body),
        200,
    )

    # then
    for campaign in (created, replaced):
        assert campaign["variants"] == [{"name": "A", "weight": 1}]
        assert campaign["holdoutPercent"] == 0
        assert campaign["incentive"]["hasIncentive"] is False
        assert campaign["refreshDaily"] is False


async def test_a_method_a_path_does_not_take_is_405_with_its_allowed_methods(
    stack, openapi
) -> None:
    for path, operations in openapi["paths"].items():
        answer = await stack.rest("PATCH", path.replace("{id}", "c-1"))

        documented = {method.upper() for method in operations}
        assert answer.status_code == 405, path
        assert set(answer.headers["allow"].split(", ")) - {"HEAD"} == documented, path
