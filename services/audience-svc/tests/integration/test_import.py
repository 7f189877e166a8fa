"""Bulk import through the service's API: CSV and JSON lines, bad rows by line and reason."""

import json

import pytest

from reengage_common.auth import VIEW_ANALYTICS

pytestmark = pytest.mark.infra

CSV = """patientId,firstName,lastName,email,phone,address.line1,address.city,address.postalCode,consents.email,consents.sms,createdAt,treatmentStage
p-1,Ada,Lovelace,ada@example.com,+15550000001,1 Main St,Springfield,62701,true,yes,2019-01-01T00:00:00Z,RETENTION
p-2,"Hopper, Grace",Hopper,grace@example.com,,"2 Elm St
Apt 3",Springfield,62701,true,no,2019-01-01T00:00:00Z,RETENTION
,Nobody,Here,x@example.com,,,,,true,true,2019-01-01T00:00:00Z,RETENTION
p-4,Alan,Turing,alan@example.com,,,,,maybe,true,2019-01-01T00:00:00Z,RETENTION
p-5,Too,Few
p-6,Katherine,Johnson,kj@example.com,,,,,true,true,not-a-date,RETENTION
"""


async def test_a_csv_import_reports_every_bad_row_by_line_and_reason(audience) -> None:
    answer = await audience.client.post(
        "/import", content=CSV.encode(), headers={**audience.headers(), "content-type": "text/csv"}
    )

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["imported"] == 2 and report["rejectedCount"] == 4
    reasons = {row["line"]: row["reason"] for row in report["rejected"]}
    assert set(reasons) == {5, 6, 7, 8}
    assert reasons[5] == "patientId: is required"
    assert "consents.email" in reasons[6] and "'maybe'" in reasons[6]
    assert "expected 12 cells" in reasons[7]
    assert reasons[8].startswith("createdAt:")
    estimate = await audience.estimate(targeting={"inactiveDays": 30}, channels=["SMS"])
    assert estimate["patients"] == 2 and estimate["byChannel"] == {"SMS": 1}


async def test_a_json_lines_import_goes_through_the_event_path(audience) -> None:
    lines = [
        json.dumps(
            {
                "patientId": "j-1",
                "firstName": "Ada",
                "email": "a@example.com",
                "createdAt": "2019-01-01T00:00:00Z",
            }
        ),
        "",
        "{not json",
        json.dumps({"patientId": "j-2", "consents": {"sms": "sometimes"}}),
        json.dumps(["a list"]),
        json.dumps(
            {"patientId": "j-3", "email": "c@example.com", "createdAt": "2019-01-01T00:00:00Z"}
        ),
    ]
    body = "\n".join(lines).encode()

    answer = await audience.client.post(
        "/import",
        content=body,
        headers={**audience.headers(), "content-type": "application/x-ndjson"},
    )

    report = answer.json()
    assert report["imported"] == 2
    assert [row["line"] for row in report["rejected"]] == [3, 4, 5]
    assert report["rejected"][1]["reason"].startswith("consents.sms:")
    estimate = await audience.estimate(targeting={"inactiveDays": 30}, channels=["EMAIL"])
    assert estimate["total"] == 2


async def test_an_import_needs_the_manage_permission_and_a_known_header(audience) -> None:
    viewer = audience.headers(permissions=[VIEW_ANALYTICS])
    refused = await audience.client.post("/import", content=CSV.encode(), headers=viewer)
    unknown = await audience.client.post(
        "/import", content=b"patientId,shoeSize\np-1,9\n", headers=audience.headers()
    )

    assert refused.status_code == 403
    assert unknown.status_code == 422
    assert unknown.json()["error"]["fields"] == [
        {
            "field": "file",
            "message": "line 1: unknown column(s) shoeSize",
            "code": "UNREADABLE_FILE",
        }
    ]


async def test_a_bad_targeting_is_refused_naming_each_field_with_its_code(audience) -> None:
    answer = await audience.client.post(
        "/estimate",
        json={"targeting": {"inactiveDays": 0, "treatmentStages": "RETENTION"}},
        headers=audience.headers(),
    )

    assert answer.status_code == 422
    assert {f["field"]: f["code"] for f in answer.json()["error"]["fields"]} == {
        "targeting.inactiveDays": "OUT_OF_RANGE",
        "targeting.treatmentStages": "INVALID_TYPE",
    }
