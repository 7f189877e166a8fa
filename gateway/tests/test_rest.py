"""REST paths answer what campaign-svc answers, with the spec's status codes and error body."""

import httpx
import pytest
from starlette.routing import Route

from gateway.app import create_app
from reengage_common.resources.campaigns import EXAMPLE_CAMPAIGN
from reengage_testing import serving

BASE = "/api/booking/campaigns"
CAMPAIGN = {
    "name": "Come back",
    "targeting": {"inactiveDays": 180},
    "channels": ["EMAIL"],
    "messageTemplates": [{"channel": "EMAIL", "subject": "Hi", "body": "Hello", "sequence": 1}],
    "schedule": {"startDate": "2026-01-05T09:00:00Z"},
}
SUBJECT_MISSING = {
    "error": {
        "code": "VALIDATION",
        "message": "the campaign is not valid",
        "fields": [
            {
                "field": "messageTemplates.0.subject",
                "message": "email needs a subject",
                "code": "REQUIRED",
            }
        ],
    }
}


async def test_a_created_campaign_is_201_with_the_clinic_of_the_token(
    gateway, services, headers_of
) -> None:
    response = await gateway.post(
        BASE, json={**CAMPAIGN, "clinicId": "clinic-b"}, headers=headers_of("manager")
    )

    assert response.status_code == 201
    assert response.json()["clinicId"] == "clinic-a"
    assert response.json()["status"] == "DRAFT"


async def test_the_callers_own_token_is_forwarded(gateway, services, headers_of) -> None:
    headers = headers_of("viewer")
    services.campaign.add("c-1")

    await gateway.get(f"{BASE}/c-1", headers=headers)

    (call,) = services.campaign.requests
    assert call.headers["authorization"] == headers["authorization"]
    assert call.url.path == "/campaigns/c-1"


async def test_validation_is_422_with_the_fields(gateway, services, headers_of) -> None:
    services.campaign.force("POST", "/campaigns", httpx.Response(422, json=SUBJECT_MISSING))

    response = await gateway.post(BASE, json=CAMPAIGN, headers=headers_of("manager"))

    assert response.status_code == 422
    assert response.json() == SUBJECT_MISSING


async def test_a_body_that_is_not_json_is_422_naming_the_body(gateway, headers_of) -> None:
    response = await gateway.post(BASE, content=b"{not json", headers=headers_of("manager"))

    assert response.status_code == 422
    assert response.json()["error"]["fields"] == [
        {"field": "body", "message": "is not JSON", "code": "NOT_JSON"}
    ]


async def test_another_clinics_campaign_is_404(gateway, services, headers_of) -> None:
    services.campaign.add("c-9", clinic_id="clinic-b")

    response = await gateway.get(f"{BASE}/c-9", headers=headers_of("viewer"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_a_transition_not_allowed_is_409(gateway, services, headers_of) -> None:
    services.campaign.add("c-1", status="COMPLETED")
    services.campaign.force(
        "POST",
        "/campaigns/c-1/pause",
        httpx.Response(409, json={"error": {"code": "NOT_ALLOWED", "message": "completed"}}),
    )

    response = await gateway.post(f"{BASE}/c-1/pause", headers=headers_of("manager"))

    assert response.status_code == 409
    assert response.json() == {"error": {"code": "NOT_ALLOWED", "message": "completed"}}


async def test_paging_arguments_pass_through(gateway, services, headers_of) -> None:
    await gateway.get(
        BASE, params={"status": "ACTIVE", "first": "5", "after": "10"}, headers=headers_of("viewer")
    )

    (call,) = services.campaign.requests
    assert dict(call.url.params) == {"status": "ACTIVE", "first": "5", "after": "10"}


async def test_a_page_size_that_is_not_a_number_is_422(gateway, services, headers_of) -> None:
    response = await gateway.get(BASE, params={"first": "many"}, headers=headers_of("viewer"))

    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "first"
    assert services.campaign.requests == []


async def test_stats_are_503_not_available_until_tracking_svc_exists(
    gateway, services, headers_of
) -> None:
    services.campaign.add("c-1", status="ACTIVE")

    response = await gateway.get(f"{BASE}/c-1/stats", headers=headers_of("viewer"))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "NOT_AVAILABLE"


async def test_stats_of_a_campaign_tracking_has_not_seen_are_zero(
    gateway, services, headers_of
) -> None:
    services.campaign.add("c-1")
    services.tracking.deployed = True

    response = await gateway.get(f"{BASE}/c-1/stats", headers=headers_of("viewer"))

    assert response.status_code == 200
    assert response.json()["sent"] == 0 and response.json()["roi"] is None


async def test_the_openapi_document_lists_every_path_and_method(settings, services) -> None:
    # given every REST path the app serves, and the methods its 405 answer allows
    app = create_app(settings, services.transports())
    paths = [
        route.path
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/api/")
    ]

    # when
    async with serving(app) as client:
        document = (await client.get("/api/openapi.json")).json()
        refused = [await client.request("PATCH", path.replace("{id}", "c-1")) for path in paths]
    served = {
        (path, method.lower())
        for path, answer in zip(paths, refused, strict=True)
        for method in answer.headers["allow"].split(", ")
        if method != "HEAD"
    }

    # then
    assert document["openapi"].startswith("3.1")
    listed = {(path, method) for path, methods in document["paths"].items() for method in methods}
    assert listed == served
    # 14 campaign paths, estimate, patient import, clinic GET and PUT, 4 export files
    assert len(served) == 22
    for path, method in served - {("/api/openapi.json", "get")}:
        responses = document["paths"][path][method]["responses"]
        assert any(status.startswith("2") for status in responses)
        assert {"401", "403"} <= set(responses)
        for answer in responses.values():
            if "application/json" not in answer["content"]:  # a file: CSV or PDF
                assert set(answer["content"]) <= {"text/csv; charset=utf-8", "application/pdf"}
                continue
            reference = answer["content"]["application/json"]["schema"]["$ref"]
            assert (
                reference.removeprefix("#/components/schemas/") in document["components"]["schemas"]
            )


async def test_a_method_a_path_does_not_take_is_405_allowing_all_it_takes(
    settings, services
) -> None:
    # given
    app = create_app(settings, services.transports())

    async with serving(app) as client:
        document = (await client.get("/api/openapi.json")).json()
        for path, operations in document["paths"].items():
            # when
            answer = await client.request("PATCH", path.replace("{id}", "c-1"))

            # then
            documented = {method.upper() for method in operations}
            assert answer.status_code == 405, (path, answer.text)
            allowed = set(answer.headers["allow"].split(", "))
            assert allowed == documented | ({"HEAD"} if "GET" in documented else set()), path


async def test_the_collection_and_one_campaign_allow_each_of_their_methods(
    gateway, services
) -> None:
    one = await gateway.request("POST", f"{BASE}/c-1")
    collection = await gateway.request("DELETE", BASE)
    estimate = await gateway.get(f"{BASE}/estimate")

    assert (one.status_code, one.headers["allow"]) == (405, "DELETE, GET, HEAD, PUT")
    assert one.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert (collection.status_code, collection.headers["allow"]) == (405, "GET, HEAD, POST")
    # a fixed path is never read as a campaign's id
    assert (estimate.status_code, estimate.headers["allow"]) == (405, "POST")
    assert services.campaign.requests == []


async def test_head_answers_like_get(gateway, services, headers_of) -> None:
    services.campaign.add("c-1")

    answer = await gateway.head(f"{BASE}/c-1", headers=headers_of("viewer"))

    assert answer.status_code == 200


async def test_a_put_without_the_required_fields_names_each_and_changes_nothing(
    gateway, services, headers_of
) -> None:
    services.campaign.add("c-1")

    answer = await gateway.put(
        f"{BASE}/c-1", json={"name": "Only a name"}, headers=headers_of("manager")
    )

    assert answer.status_code == 422
    assert {f["field"] for f in answer.json()["error"]["fields"]} == {
        "targeting",
        "channels",
        "messageTemplates",
        "schedule",
    }
    assert services.campaign.calls("PUT") == []


async def test_a_put_without_a_nested_required_field_names_it_and_changes_nothing(
    gateway, services, headers_of
) -> None:
    """Found by schemathesis: a targeting without inactiveDays was merged into the stored one."""
    services.campaign.add("c-1")
    body = {**EXAMPLE_CAMPAIGN, "targeting": {"treatmentStages": ["HYGIENE_RECALL"]}}

    answer = await gateway.put(f"{BASE}/c-1", json=body, headers=headers_of("manager"))

    assert answer.status_code == 422
    fields = answer.json()["error"]["fields"]
    assert [(f["field"], f["code"]) for f in fields] == [("targeting.inactiveDays", "REQUIRED")]
    assert services.campaign.calls("PUT") == []


async def test_only_a_body_with_a_required_field_is_documented_as_required(gateway) -> None:
    document = (await gateway.get("/api/openapi.json")).json()

    paths = document["paths"]
    assert paths[f"{BASE}/{{id}}/preview"]["post"]["requestBody"]["required"] is False
    assert paths[BASE]["post"]["requestBody"]["required"] is True
    assert paths[f"{BASE}/{{id}}"]["put"]["requestBody"]["required"] is True


async def test_each_route_is_tagged_by_its_resource_with_errors_meant_for_it(gateway) -> None:
    document = (await gateway.get("/api/openapi.json")).json()

    paths = document["paths"]
    clinic_get = paths["/api/booking/clinic"]["get"]
    assert clinic_get["tags"] == ["clinic"]
    assert clinic_get["responses"]["404"]["description"].startswith("Your clinic has no profile")
    assert "campaign" not in str(paths["/api/booking/clinic"]).lower()
    assert paths[f"{BASE}/{{id}}"]["get"]["tags"] == ["campaigns"]
    assert paths[f"{BASE}/{{id}}"]["get"]["responses"]["404"]["description"] == (
        "No such campaign in your clinic"
    )
    assert paths[f"{BASE}/{{id}}/stats"]["get"]["tags"] == ["tracking"]
    assert paths[f"{BASE}/estimate"]["post"]["tags"] == ["audience"]
    assert "audience-svc" in paths[f"{BASE}/estimate"]["post"]["responses"]["503"]["description"]
    assert (
        "PROFILE_INCOMPLETE"
        in paths[f"{BASE}/{{id}}/launch"]["post"]["responses"]["422"]["description"]
    )
    used = {tag for methods in paths.values() for op in methods.values() for tag in op["tags"]}
    assert used == {tag["name"] for tag in document["tags"]}


async def test_a_field_error_code_is_documented_as_the_set_of_codes(gateway, graphql) -> None:
    document = (await gateway.get("/api/openapi.json")).json()
    enum = await graphql('{ __type(name: "FieldErrorCode") { enumValues { name } } }')

    schemas = document["components"]["schemas"]
    assert schemas["FieldProblem"]["required"] == ["field", "message", "code"]
    codes = set(schemas["FieldErrorCode"]["enum"])
    assert {"REQUIRED", "NOT_E164", "OUTSIDE_LEGAL_HOURS", "CODE_IN_USE", "NOT_JSON"} <= codes
    # audience-svc's and tracking-svc's codes too, in both documents
    assert {"UNREADABLE_FILE", "BAD_CURSOR"} <= codes
    assert {v["name"] for v in enum["data"]["__type"]["enumValues"]} == codes


async def test_a_query_parameter_given_twice_is_refused_by_name(
    gateway, services, headers_of
) -> None:
    answer = await gateway.get(f"{BASE}?status=DRAFT&status=ACTIVE", headers=headers_of("viewer"))

    assert answer.status_code == 422
    assert answer.json()["error"]["fields"] == [
        {"field": "status", "message": "give it once", "code": "GIVEN_TWICE"}
    ]
    assert services.campaign.requests == []


async def test_a_preview_body_of_null_is_refused_and_no_body_is_an_empty_one(
    gateway, services, headers_of
) -> None:
    services.campaign.add("c-1")
    path = f"{BASE}/c-1/preview"

    null = await gateway.post(path, content=b"null", headers=headers_of("manager"))
    empty = await gateway.post(path, headers=headers_of("manager"))

    assert null.status_code == 422
    assert null.json()["error"]["fields"][0]["field"] == "body"
    assert empty.status_code == 200, empty.text


@pytest.mark.parametrize("path", [BASE, f"{BASE}/c-1/recipients"])
async def test_a_status_filter_must_be_a_known_status(gateway, services, headers_of, path) -> None:
    for status in ("", "LOST"):
        answer = await gateway.get(f"{path}?status={status}", headers=headers_of("viewer"))

        assert answer.status_code == 422, (status, answer.text)
        assert answer.json()["error"]["fields"][0]["field"] == "status"


async def test_an_empty_page_size_is_not_a_whole_number(gateway, services, headers_of) -> None:
    answer = await gateway.get(f"{BASE}?first=", headers=headers_of("viewer"))

    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"] == "first"
