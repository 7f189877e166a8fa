"""Exports through the gateway's REST paths to the real services, Kafka and FerretDB: a
campaign's recipients as CSV streamed across pages (every recipient once, as the JSON pages list
them), its stats as CSV and as PDF, a summary across campaigns for a date range (REST CSV and
GraphQL), and bad input named by its field, another clinic's campaign not found."""

import csv
import io
import uuid
from datetime import timedelta
from typing import Any

import pytest

from reengage_common.bus import EventPublisher, make_producer
from reengage_common.events import (
    AppointmentStatus,
    AppointmentUpdated,
    Envelope,
    Event,
    PatientUpserted,
)
from reengage_testing import eventually

pytestmark = pytest.mark.infra

# More than two of tracking-svc's pages of 100: the export must follow the cursor.
PATIENTS = 230
SUMMARY = """
query($from: Date!, $to: Date!) { campaignSummary(from: $from, to: $to) {
  __typename
  ... on CampaignSummary {
    from to csvPath
    campaigns { campaign { id name } stats { targeted } }
    totals { campaigns targeted }
  }
  ... on ValidationError { fields { field code } }
} }
"""


async def publish_patients(stack, clinic: str) -> None:
    now = stack.clock.now
    events: list[Envelope[Event]] = []
    for n in range(PATIENTS):
        pid = f"p-{n:03d}"
        events.append(
            Envelope.wrap(
                PatientUpserted(
                    patient_id=pid,
                    # names like formulas stay text; one in ten, so some are contacted
                    # whichever patients the holdout draws (held out, a patient has no name)
                    first_name="=cmd" if n % 10 == 0 else f"P{n}",
                    email=f"{pid}@example.com",
                    treatment_stage="HYGIENE_RECALL",
                    created_at=now - timedelta(days=900),
                ),
                source="pms",
                clinic_id=clinic,
                at=now,
            )
        )
        events.append(
            Envelope.wrap(
                AppointmentUpdated(
                    appointment_id=f"{pid}-v",
                    patient_id=pid,
                    status=AppointmentStatus.COMPLETED,
                    scheduled_at=now - timedelta(days=400),
                ),
                source="pms",
                clinic_id=clinic,
                at=now,
            )
        )
    producer = make_producer(stack.settings)
    await producer.start()
    try:
        await EventPublisher(stack.settings, producer).publish_many(events)
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
async def launched(stack) -> dict[str, Any]:
    """A clinic whose campaign was launched to its 230 patients, once tracking-svc counted them
    and their messages went out (a status still moving between the CSV and the JSON pages
    read after it made them differ)."""
    clinic = f"clinic-exp-{uuid.uuid4().hex[:6]}"
    await publish_patients(stack, clinic)

    async def all_known() -> bool:
        return await stack.patients(clinic=clinic) == PATIENTS

    await eventually(all_known, within=60, interval=0.3)
    campaign = await stack.campaign("ACTIVE", clinic=clinic, name="Export recall")
    path = f"/api/booking/campaigns/{campaign['id']}"

    async def counted() -> bool:
        stats = (await stack.rest("GET", path + "/stats", clinic=clinic)).json()
        recipients = stats.get("recipients", 0)
        done = sum(stats.get(key, 0) for key in ("sent", "failed", "skipped"))
        return recipients + stats.get("heldOut", 0) == PATIENTS and done == recipients

    await eventually(counted, within=60, interval=0.5)
    launched = {"clinic": clinic, "id": campaign["id"], "path": path}

    async def named() -> bool:
        # tracking takes message.due and message.sent in at their own pace: a recipient known
        # from its send alone has no name until its due fact is in
        items = await json_recipients(stack, launched)
        return all(item.get("name") for item in items if not item.get("holdout"))

    await eventually(named, within=60, interval=0.5)
    return launched


def rows_of(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body)))


async def json_recipients(stack, launched: dict[str, Any]) -> list[dict[str, Any]]:
    items, after = [], None
    while True:
        query = "?first=100" + (f"&after={after}" if after else "")
        page = (
            await stack.rest(
                "GET", launched["path"] + "/recipients" + query, clinic=launched["clinic"]
            )
        ).json()
        items += page["items"]
        if not page["pageInfo"]["hasNextPage"]:
            return items
        after = page["pageInfo"]["endCursor"]


async def test_recipients_stream_as_csv_across_pages_each_once(stack, launched) -> None:
    # when the clinic downloads its recipients
    answer = await stack.rest(
        "GET", launched["path"] + "/recipients.csv", clinic=launched["clinic"]
    )

    # then it is a CSV attachment with a row per recipient, as the JSON pages list them
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    header, *rows = rows_of(answer.text)
    assert header[:3] == ["patientId", "name", "status"]
    expected = await json_recipients(stack, launched)
    assert len(expected) > 200
    assert [row[0] for row in rows] == [item["patientId"] for item in expected]
    assert [row[2] for row in rows] == [item["status"] for item in expected]
    # and a name that starts like a formula stays text
    formulas = [row for row in rows if int(row[0].removeprefix("p-")) % 10 == 0 and row[1]]
    assert formulas and all(row[1].startswith("'=cmd") for row in formulas)

    # and a filter narrows it: every row PENDING
    pending = await stack.rest(
        "GET", launched["path"] + "/recipients.csv?status=PENDING", clinic=launched["clinic"]
    )
    statuses = {row[2] for row in rows_of(pending.text)[1:]}
    assert statuses <= {"PENDING"}


async def test_stats_download_as_csv_and_pdf(stack, launched) -> None:
    stats = (await stack.rest("GET", launched["path"] + "/stats", clinic=launched["clinic"])).json()

    as_csv = await stack.rest("GET", launched["path"] + "/stats.csv", clinic=launched["clinic"])
    assert as_csv.status_code == 200, as_csv.text
    rows = rows_of(as_csv.text)
    assert rows[0] == ["breakdown", "group", "figure", "value"]
    totals = {row[2]: row[3] for row in rows if row[0] == "total"}
    assert totals["targeted"] == str(stats["targeted"]) and int(totals["targeted"]) > 0
    assert totals["heldOut"] == str(stats["heldOut"])

    as_pdf = await stack.rest("GET", launched["path"] + "/stats.pdf", clinic=launched["clinic"])
    assert as_pdf.status_code == 200, as_pdf.text
    assert as_pdf.headers["content-type"] == "application/pdf"
    assert as_pdf.content.startswith(b"%PDF-") and as_pdf.content.rstrip().endswith(b"%%EOF")
    assert b"Export recall - campaign statistics" in as_pdf.content  # the document's title


async def test_a_summary_lists_the_campaigns_that_ran_in_the_range(stack, launched) -> None:
    today = stack.clock.now.date()
    clinic = launched["clinic"]
    # a draft in the same clinic never ran
    await stack.campaign("DRAFT", clinic=clinic, name="Never launched")

    answer = await stack.rest(
        "GET", f"/api/booking/reports/campaigns.csv?from={today}&to={today}", clinic=clinic
    )
    assert answer.status_code == 200, answer.text
    header, *rows = rows_of(answer.text)
    assert header[:3] == ["campaignId", "name", "status"]
    assert [(row[0], row[1]) for row in rows] == [
        (launched["id"], "Export recall"),
        ("TOTAL", "1 campaigns"),
    ]
    assert rows[0][5] == rows[1][5] != "0"  # targeted, and its total

    # a range that ended before the launch lists none, and still totals
    before = today - timedelta(days=30)
    empty = await stack.rest(
        "GET", f"/api/booking/reports/campaigns.csv?from={before}&to={before}", clinic=clinic
    )
    assert [row[0] for row in rows_of(empty.text)[1:]] == ["TOTAL"]

    # and GraphQL answers the same summary
    found = (await stack.graphql(SUMMARY, {"from": str(today), "to": str(today)}, clinic=clinic))[
        "data"
    ]["campaignSummary"]
    assert found["__typename"] == "CampaignSummary"
    assert [row["campaign"]["id"] for row in found["campaigns"]] == [launched["id"]]
    assert found["totals"]["campaigns"] == 1
    assert found["totals"]["targeted"] == found["campaigns"][0]["stats"]["targeted"]
    assert found["csvPath"] == f"/api/booking/reports/campaigns.csv?from={today}&to={today}"


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("to=2026-11-30", "from", "REQUIRED"),
        ("from=2026-11-01&to=30/11/2026", "to", "INVALID"),
        ("from=2026-11-30&to=2026-11-01", "to", "OUT_OF_RANGE"),
        ("from=2024-01-01&to=2026-11-30", "to", "OUT_OF_RANGE"),
    ],
)
async def test_a_bad_range_names_its_field(stack, query: str, field: str, code: str) -> None:
    answer = await stack.rest("GET", f"/api/booking/reports/campaigns.csv?{query}")
    assert answer.status_code == 422, answer.text
    assert [(f["field"], f["code"]) for f in answer.json()["error"]["fields"]] == [(field, code)]


async def test_exports_are_the_clinics_own_and_need_the_view_permission(stack, launched) -> None:
    for suffix in ("/recipients.csv", "/stats.csv", "/stats.pdf"):
        other = await stack.rest("GET", launched["path"] + suffix, clinic="clinic-stranger")
        assert other.status_code == 404, (suffix, other.text)
        refused = await stack.rest(
            "GET",
            launched["path"] + suffix,
            persona="staff without permissions",
            clinic=launched["clinic"],
        )
        assert refused.status_code == 403, (suffix, refused.text)
    bad_status = await stack.rest(
        "GET", launched["path"] + "/recipients.csv?status=LOST", clinic=launched["clinic"]
    )
    assert bad_status.status_code == 422
    assert bad_status.json()["error"]["fields"][0]["field"] == "status"
