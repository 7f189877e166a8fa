"""The console's exports in a real browser (Debian's Chromium) against the running system: the
dashboard's stats as CSV and PDF, the recipients' streamed CSV, and the Reports page's summary
across campaigns with its CSV, each file as downloaded.
Pictures (CONSOLE_SCREENSHOTS=1): docs/console/reports.png.
"""

import csv
import io
import uuid

import anyio
import pytest
from console_kit import SHOWN_WITHIN_MS, axe_violations, publish_patients, screenshot, sign_in
from playwright.async_api import Page, expect

from reengage_testing import eventually

pytestmark = pytest.mark.infra

CREATE = """
mutation($input: CampaignInput!) { createCampaign(input: $input) { ... on Campaign { id } } }
"""
LAUNCH = "mutation($id: ID!) { launchCampaign(id: $id) { __typename } }"
STATS = "query($id: ID!) { campaignStats(id: $id) { ... on CampaignStats { targeted } } }"


async def downloaded(page: Page, button: str) -> tuple[str, bytes]:
    """Click `button`; the downloaded file's suggested name and bytes."""
    async with page.expect_download() as download:
        await page.get_by_role("button", name=button).click()
    done = await download.value
    return done.suggested_filename, await anyio.Path(await done.path()).read_bytes()


def rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


async def test_a_clinic_downloads_its_stats_recipients_and_a_summary(browser, console) -> None:
    # given a launched campaign that targeted the clinic's three lapsed patients
    clinic = f"clinic-exp-{uuid.uuid4().hex[:6]}"
    await console.give_profile(clinic)
    await publish_patients(
        console,
        [
            {"id": f"x{n}", "first": f"X{n}", "email": f"x{n}@example.com", "days_since_visit": 400}
            for n in range(3)
        ],
        clinic=clinic,
    )

    async def known() -> bool:
        estimate = await console.graphql(
            "{ audienceEstimate(targeting: {inactiveDays: 180}) "
            "{ ... on AudienceEstimate { total } } }",
            clinic=clinic,
        )
        return estimate["audienceEstimate"].get("total") == 3

    await eventually(known, within=30, interval=0.3)
    definition = {
        "name": "Spring recall",
        "targeting": {"inactiveDays": 180},
        "channels": ["EMAIL"],
        "messageTemplates": [
            {"channel": "EMAIL", "sequence": 1, "subject": "Hello", "body": "{{ bookingLink }}"}
        ],
        "schedule": {"sendTimes": ["10:00"], "timezone": "America/Chicago"},
    }
    campaign_id = (await console.graphql(CREATE, {"input": definition}, clinic=clinic))[
        "createCampaign"
    ]["id"]
    await console.graphql(LAUNCH, {"id": campaign_id}, clinic=clinic)

    async def targeted() -> bool:
        stats = await console.graphql(STATS, {"id": campaign_id}, clinic=clinic)
        return stats["campaignStats"].get("targeted") == 3

    await eventually(targeted, within=30, interval=0.3)
    page = await sign_in(browser, console, "staff", clinic)

    # when a staff member downloads the dashboard's stats as CSV and as PDF
    await page.goto(f"{console.url}/console/campaigns/{campaign_id}")
    name, content = await downloaded(page, "Stats CSV")
    assert name == f"stats-{campaign_id}.csv"
    assert ["total", "", "targeted", "3"] in rows(content)
    name, content = await downloaded(page, "Stats PDF")
    assert name == f"stats-{campaign_id}.pdf" and content.startswith(b"%PDF-")

    # and the recipients, streamed by the gateway
    await page.get_by_role("link", name="Recipients").click()
    name, content = await downloaded(page, "Export CSV")
    assert name == f"recipients-{campaign_id}.csv"
    assert sorted(row[0] for row in rows(content)[1:]) == ["x0", "x1", "x2"]

    # and the Reports page's summary of this month so far, and its CSV
    await page.get_by_role("link", name="Reports").click()
    summary = page.get_by_test_id("summary-row").filter(has_text="Spring recall")
    await expect(summary).to_contain_text("3", timeout=SHOWN_WITHIN_MS)
    await expect(page.get_by_test_id("summary-totals")).to_contain_text("1 campaigns")
    assert await axe_violations(page) == []
    await screenshot(page, "reports")
    name, content = await downloaded(page, "Download CSV")
    assert name.startswith("campaigns-") and name.endswith(".csv")
    summary_rows = rows(content)
    assert [row[1] for row in summary_rows[1:]] == ["Spring recall", "1 campaigns"]

    # and a range that runs backwards is named beside its field, changing nothing
    await page.get_by_label("From").fill("2026-11-30")
    await page.get_by_label("To").fill("2026-11-01")
    await page.get_by_role("button", name="Show").click()
    await expect(page.get_by_role("alert")).to_contain_text("must be on or after")
    assert page.problems == []  # type: ignore[attr-defined]
