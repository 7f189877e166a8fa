"""Bulk import through the service's API: CSV and JSON lines, bad rows by line and reason."""

import asyncio
import json
import time

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


# --- issue 17 #4: linear, bounded, off the event loop ----------------------------------------

BAD_ROWS_HEADER = "patientId,firstName,consents.sms,createdAt\n"


async def post_import(audience, body, content_type: str = "text/csv"):
    return await audience.client.post(
        "/import", content=body, headers={**audience.headers(), "content-type": content_type}
    )


async def test_only_the_first_rejected_rows_are_listed_with_a_count_of_the_rest(audience) -> None:
    bad = "".join(f"p-{n},Ada,{'maybe' * 600},2019-01-01T00:00:00Z\n" for n in range(250))
    good = "p-ok,Ada,yes,2019-01-01T00:00:00Z\n"

    answer = await post_import(audience, (BAD_ROWS_HEADER + bad + good).encode())

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["imported"] == 1
    assert report["rejectedCount"] == 250 and report["moreRejected"] == 150
    assert [row["line"] for row in report["rejected"]] == list(range(2, 102))
    reason = report["rejected"][0]["reason"]
    assert reason.startswith("consents.sms: expected true or false, found 'maybemaybe")
    assert len(reason) == 200 and reason.endswith("…")


async def test_a_quoted_field_open_over_thousands_of_lines_is_one_rejected_row(audience) -> None:
    body = BAD_ROWS_HEADER + 'p-1,"' + "xy\n" * 8000 + '",yes,2019-01-01T00:00:00Z\n'

    answer = await post_import(audience, body.encode())

    assert answer.json()["rejected"] == [
        {"line": 2, "reason": "firstName: longer than 4096 characters"}
    ]


async def test_a_json_line_past_the_line_limit_refuses_the_file(audience) -> None:
    body = b'{"patientId": "j-1"}\n{"patientId": "' + b"j" * 70_000 + b'"}\n'

    answer = await post_import(audience, body, "application/x-ndjson")

    assert answer.status_code == 422
    (problem,) = answer.json()["error"]["fields"]
    assert problem["code"] == "UNREADABLE_FILE"
    assert problem["message"] == ("line 2: longer than 65536 bytes (nothing was imported)")


async def test_healthz_answers_while_a_50_mb_import_is_parsed(audience) -> None:
    """Printed, not asserted on time: each row is validated and rejected (a bad createdAt),
    so the whole 50 MB is parsed, and nothing is stored (which would cost minutes here)."""
    row = (
        "p-{n:07d},Ada,yes,not-a-date-but-long-enough-to-make-a-row-of-real-size-"
        "with-an-address-and-a-phone-number-xxxxxxxxx\n"
    )
    rows_per_chunk = 64 * 1024 // len(row.format(n=0))
    chunk = "".join(row.format(n=n) for n in range(rows_per_chunk)).encode()
    chunks = (50 * 1024 * 1024 - len(BAD_ROWS_HEADER)) // len(chunk)

    async def body():
        yield BAD_ROWS_HEADER.encode()
        for _ in range(chunks):
            yield chunk
            await asyncio.sleep(0)

    latencies: list[float] = []
    importing = asyncio.create_task(post_import(audience, body()))
    started = time.perf_counter()
    while not importing.done():
        asked = time.perf_counter()
        assert (await audience.client.get("/healthz")).status_code == 200
        latencies.append(time.perf_counter() - asked)
        await asyncio.sleep(0.2)
    report = (await importing).json()
    print(
        f"\n50 MB import ({chunks * rows_per_chunk} rows) in {time.perf_counter() - started:.1f} s;"
        f" /healthz answered {len(latencies)} times, slowest {max(latencies) * 1000:.0f} ms,"
        f" median {sorted(latencies)[len(latencies) // 2] * 1000:.0f} ms"
    )
    assert report["imported"] == 0 and report["rejectedCount"] == chunks * rows_per_chunk
    assert len(report["rejected"]) == 100
    assert report["moreRejected"] == report["rejectedCount"] - 100
