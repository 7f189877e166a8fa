"""The clinic console in a real browser (Debian's Chromium) against the running system: what a
clinic admin, a manager and a staff member see and do, each page checked with axe-core.

Figures the issue asks for are printed, not asserted: the JavaScript of the first load (gzip),
the time from navigation to a table of 50 campaigns, and from a `message.sent` to the
dashboard's count changing.
"""

import asyncio
import csv
import gzip
import io
import re
import time
import uuid
from datetime import timedelta
from typing import Any

import anyio
import httpx
import pytest
from console_kit import (
    MAILPIT,
    NOW,
    SHOWN_WITHIN_MS,
    TWILIO_FAKE,
    axe_violations,
    first_event_seen,
    publish_patients,
    sign_in,
)
from playwright.async_api import Page, expect

from reengage_testing import COMPLETE_CLINIC_PROFILE, eventually

pytestmark = pytest.mark.infra

CREATE = """
mutation($input: CampaignInput!) { createCampaign(input: $input) { __typename ... on Campaign { id } } }
"""


def draft(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "targeting": {"inactiveDays": 180},
        "channels": ["EMAIL"],
        "messageTemplates": [
            {
                "channel": "EMAIL",
                "sequence": 1,
                "subject": "We miss you, {{ patient.firstName }}",
                "body": "Book at {{ bookingLink }}",
            }
        ],
        "schedule": {"sendTimes": ["10:00"], "timezone": "America/Chicago"},
    }


async def test_the_campaigns_page_lists_fifty_campaigns_for_a_signed_in_admin(
    browser, console
) -> None:
    for n in range(50):
        await console.graphql(CREATE, {"input": draft(f"Recall {n:02d}")})
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    scripts = []
    page.on(
        "response",
        lambda r: scripts.append(r) if r.request.resource_type == "script" else None,
    )
    await page.goto(f"{console.url}/console/")
    await page.get_by_label("Access token", exact=True).wait_for()
    first_load_js = sum([len(gzip.compress(await r.body(), 9)) for r in scripts])
    await page.get_by_label("Access token", exact=True).fill(console.token("clinic_admin"))
    await page.get_by_role("button", name="Sign in with token").click()
    await expect(page.get_by_test_id("me")).to_contain_text("clinic_admin")
    await expect(page.get_by_test_id("me")).to_contain_text("clinic-console")

    # a second visit, signed in (the token is in this tab's sessionStorage): time to the table
    started = time.perf_counter()
    await page.reload()
    await expect(page.locator("table[aria-label=Campaigns] tbody tr")).to_have_count(
        50, timeout=SHOWN_WITHIN_MS
    )
    table_ms = (time.perf_counter() - started) * 1000
    print(f"\nconsole first load: {first_load_js / 1024:.0f} KB gzip JS (goal <= 250)")
    print(f"navigation -> table of 50 campaigns: {table_ms:.0f} ms (goal <= 1000)")
    assert await page.evaluate("() => localStorage.length") == 0
    assert "token" not in page.url
    await expect(page.get_by_role("button", name="Launch Recall 00")).to_be_visible()
    assert await axe_violations(page) == []
    await context.close()


FLOW = "clinic-console-flow"
COMPLETE_SMS_FROM = COMPLETE_CLINIC_PROFILE["smsFrom"]
ESTIMATE = """
query($t: TargetingInput!, $c: [Channel!]) {
  audienceEstimate(targeting: $t, channels: $c) { __typename ... on AudienceEstimate { total } }
}
"""


async def test_an_admin_creates_previews_launches_and_watches_a_campaign_live(
    browser, console
) -> None:
    # given a clinic with a complete profile and eight lapsed patients: five by email and one
    # by SMS last seen 400 days ago, two by email 200 days ago
    run = uuid.uuid4().hex[:6]
    email = {n: f"p{n}-{run}@patients.example" for n in (0, 1, 2, 3, 4, 6, 7)}
    patients = [
        {"id": f"p{n}", "first": name, "email": email[n], "days_since_visit": 400}
        for n, name in enumerate(["Ada", "Ben", "Cy", "Dee", "Eve"])
    ]
    patients.append({"id": "p5", "first": "Sam", "phone": "+15125550155", "days_since_visit": 400})
    patients += [
        {"id": f"p{n}", "first": f"Recent{n}", "email": email[n], "days_since_visit": 200}
        for n in (6, 7)
    ]
    await console.give_profile(FLOW)
    await publish_patients(console, patients, clinic=FLOW)

    async def api_estimate(days: int) -> int:
        data = await console.graphql(
            ESTIMATE, {"t": {"inactiveDays": days}, "c": ["EMAIL", "SMS"]}, clinic=FLOW
        )
        return data["audienceEstimate"].get("total", -1)

    async def all_known() -> bool:
        return await api_estimate(180) == 8

    await eventually(all_known, within=30)

    # when the admin writes a campaign, watching the estimate follow inactiveDays
    page = await sign_in(browser, console, "clinic_admin", FLOW)
    await page.get_by_role("link", name="New campaign").click()
    await page.get_by_label("Name", exact=True).fill(f"Winter recall {run}")
    total = page.get_by_test_id("estimate-total")
    await page.get_by_label("Last visit at least this many days ago").fill("300")
    await expect(total).to_have_text("6", timeout=SHOWN_WITHIN_MS)
    assert await api_estimate(300) == 6
    await page.get_by_label("Last visit at least this many days ago").fill("180")
    await expect(total).to_have_text("8", timeout=SHOWN_WITHIN_MS)
    assert await api_estimate(180) == 8
    await expect(page.get_by_test_id("estimate-reach")).to_contain_text("SMS reaches 1 of 8")
    await page.get_by_label("Holdout: share of patients").fill("0")
    await page.get_by_label("Send times (HH:MM, comma-separated)").fill("10:05")
    assert await axe_violations(page) == []

    # the preview shows the patient's email as HTML in a frame that runs no script, and the SMS
    # with its STOP line and size
    await page.get_by_label("Preview for patient id").fill("p0")
    await page.get_by_role("button", name="Save and preview").click()
    previews = page.get_by_test_id("preview-message")
    await expect(previews.first).to_contain_text("We miss you, Ada", timeout=SHOWN_WITHIN_MS)
    frame = page.locator("iframe[title^='Email preview']")
    assert await frame.get_attribute("sandbox") == ""
    html_part = page.frame_locator("iframe[title^='Email preview']")
    await expect(html_part.locator("p").first).to_contain_text("Hi Ada")
    await expect(html_part.get_by_role("link").first).to_have_attribute("href", re.compile("^http"))
    await expect(previews.nth(1).locator(".preview-sms")).to_contain_text("Reply STOP to opt out")
    await expect(previews.nth(1).get_by_test_id("preview-sms-size")).to_contain_text("1 segment")

    # launch from the list, with a confirmation saying what happens
    await page.get_by_role("link", name="Campaigns", exact=True).click()
    name = f"Winter recall {run}"
    await page.get_by_role("button", name=f"Launch {name}").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("Launching sends to 8 patients")
    await dialog.get_by_role("button", name="Launch").click()
    await expect(page.locator("tr", has_text=name)).to_contain_text(
        "active", timeout=SHOWN_WITHIN_MS
    )

    # the dashboard is open before anything is sent; at 10:05 the sent count rises, no reload
    await page.get_by_role("link", name=name).click()
    sent = page.get_by_test_id("figure-sent")
    await expect(page.get_by_test_id("figure-targeted")).to_have_text("8", timeout=SHOWN_WITHIN_MS)
    await expect(sent).to_have_text("0")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    campaign_id = page.url.rsplit("/", 1)[-1]
    async with first_event_seen(console, "message.sent", campaign_id) as sent_seen:
        console.clock.now = NOW + timedelta(minutes=5)
        moved = time.perf_counter()
        await expect(sent).not_to_have_text("0", timeout=30_000)
        changed = time.perf_counter()
        first_sent = await asyncio.wait_for(sent_seen, 30)
    # every patient's first reachable step: seven emails and Sam's SMS
    await expect(sent).to_have_text("8", timeout=30_000)

    async def emails_arrived() -> bool:
        return all([await mailpit_has(address) for address in email.values()])

    await eventually(emails_arrived, within=30)
    print(
        f"\nclock at the send time -> first message.sent readable: {(first_sent - moved) * 1000:.0f}"
        f" ms -> dashboard's sent count changed: {(changed - first_sent) * 1000:.0f} ms (goal"
        f" <= 2000; send time -> dashboard {(changed - moved) * 1000:.0f} ms)"
    )
    assert await axe_violations(page) == []

    # a reply through the Twilio stand-in's inbound route shows up live as a response
    async with httpx.AsyncClient(timeout=10) as client:
        posted = await client.post(
            f"{TWILIO_FAKE}/_fake/inbound",
            json={
                "from": "+15125550155",
                "to": COMPLETE_SMS_FROM,
                "body": "YES please call me",
                "url": f"{console.tracking_public}/webhooks/twilio/inbound",
            },
        )
    assert posted.status_code == 200, posted.text
    await expect(page.get_by_test_id("figure-responded")).to_have_text("1", timeout=30_000)
    assert navigations == []  # no reload

    # the recipients list shows it
    await page.get_by_role("link", name="Recipients", exact=True).click()
    await page.get_by_label("Status").select_option("RESPONDED")
    table = page.locator("table[aria-label=Recipients] tbody tr")
    await expect(table).to_have_count(1, timeout=SHOWN_WITHIN_MS)
    await expect(table).to_contain_text("Sam")
    assert await axe_violations(page) == []

    # exported as CSV: the filtered list, then every recipient
    ((patient, name, status),) = await exported(page)
    assert (patient, status) == ("p5", "RESPONDED") and name.startswith("Sam")
    await page.get_by_label("Status").select_option("")
    await expect(table).to_have_count(8, timeout=SHOWN_WITHIN_MS)
    every = await exported(page)
    assert sorted(patient for patient, _, _ in every) == [f"p{n}" for n in range(8)]
    assert {status for _, _, status in every} == {"CONTACTED", "RESPONDED"}
    assert page.problems == []  # type: ignore[attr-defined]
    await page.context.close()


async def exported(page: Page) -> list[tuple[str, str, str]]:
    """Export CSV, as downloaded: (patientId, name, status) of each row under its header."""
    async with page.expect_download() as download:
        await page.get_by_role("button", name="Export CSV").click()
    path = await (await download.value).path()
    text = await anyio.Path(path).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][:3] == ["patientId", "name", "status"]
    return [(row[0], row[1], row[2]) for row in rows[1:]]


async def mailpit_has(address: str) -> bool:
    async with httpx.AsyncClient(base_url=MAILPIT, timeout=10) as client:
        found = await client.get("/api/v1/search", params={"query": f"to:{address}"})
    return found.status_code == 200 and found.json().get("messages_count", 0) >= 1


async def test_permissions_shape_the_ui_staff_view_and_manager_edit_without_launch(
    browser, console
) -> None:
    await console.graphql(CREATE, {"input": draft("Permission check")})
    staff = await sign_in(browser, console, "staff")
    await expect(staff.locator("table[aria-label=Campaigns] tbody tr").first).to_be_visible()
    assert await staff.get_by_role("button", name="Edit Permission check").count() == 0
    assert await staff.get_by_role("button", name="Launch Permission check").count() == 0
    assert await staff.get_by_role("link", name="New campaign").count() == 0
    await staff.context.close()

    manager = await sign_in(browser, console, "manager")
    await expect(manager.get_by_role("button", name="Edit Permission check")).to_be_visible()
    assert await manager.get_by_role("button", name="Launch Permission check").count() == 0
    await manager.context.close()


async def test_a_validation_error_shows_in_words_beside_its_field(browser, console) -> None:
    page = await sign_in(browser, console, "manager")
    await page.get_by_role("link", name="New campaign").click()
    await page.get_by_label("Name", exact=True).fill("Late-night recall")
    await page.get_by_label("Send times (HH:MM, comma-separated)").fill("22:30")
    await page.get_by_role("button", name="Save draft").click()

    beside = page.locator("#err-sendTimes")
    await expect(beside).to_have_text(
        "Messages may only go between 08:00 and 21:00.", timeout=SHOWN_WITHIN_MS
    )
    # nothing typed is lost
    await expect(page.get_by_label("Name", exact=True)).to_have_value("Late-night recall")
    assert await axe_violations(page) == []

    # fixed, and with a letter as step 2, the preview lays the letter out under a letterhead
    await page.get_by_label("Send times (HH:MM, comma-separated)").fill("10:00")
    await page.get_by_label("mail", exact=True).check()
    await page.get_by_label("Step 2 channel").select_option("MAIL")
    await page.get_by_role("button", name="Save and preview").click()
    letter = page.get_by_role("article", name="Letter preview")
    await expect(letter).to_contain_text("To stop receiving mail from us", timeout=SHOWN_WITHIN_MS)
    await expect(letter.locator(".letterhead")).to_contain_text("Your clinic")
    await expect(beside).to_be_empty()
    assert await axe_violations(page) == []
    await page.context.close()


async def test_an_import_reports_a_bad_line_with_its_number(browser, console) -> None:
    page = await sign_in(browser, console, "clinic_admin")
    await page.get_by_role("link", name="Import patients").click()
    csv = (
        b"patientId,firstName,email,createdAt\n"
        b"imp-1,Ada,ada@example.com,2024-01-10T09:00:00Z\n"
        b",Nameless,x@example.com,2024-01-10T09:00:00Z\n"
        b"imp-2,Ben,ben@example.com,2024-01-10T09:00:00Z\n"
    )
    await page.get_by_label("Patients file").set_input_files(
        files=[{"name": "patients.csv", "mimeType": "text/csv", "buffer": csv}]
    )
    await page.get_by_role("button", name="Upload").click()

    await expect(page.get_by_test_id("import-accepted")).to_contain_text(
        "2 patients accepted, 1 lines rejected", timeout=SHOWN_WITHIN_MS
    )
    rejected = page.locator("table[aria-label='Rejected lines'] tbody tr")
    await expect(rejected).to_have_count(1)
    await expect(rejected.locator("td").first).to_have_text("3")
    assert await axe_violations(page) == []
    await page.goto(f"{console.url}/console/settings")
    await expect(page.get_by_label("Clinic name")).to_be_visible()
    assert await axe_violations(page) == []
    await page.context.close()


async def test_a_stopped_tracking_svc_shows_a_notice_on_the_dashboard_while_the_list_works(
    browser, console
) -> None:
    launched = await console.graphql(
        CREATE, {"input": draft("Shown while tracking is out")}, clinic=FLOW
    )
    campaign_id = launched["createCampaign"]["id"]
    async with console.gateway_without_tracking() as url:
        page = await sign_in(browser, console, "staff", FLOW, url=url)
        await expect(page.locator("table[aria-label=Campaigns] tbody tr").first).to_be_visible(
            timeout=SHOWN_WITHIN_MS
        )
        await expect(page.get_by_role("link", name="Shown while tracking is out")).to_be_visible()
        await page.get_by_role("link", name="Shown while tracking is out").click()
        await expect(page.get_by_role("status")).to_contain_text(
            "Live figures are not available right now", timeout=SHOWN_WITHIN_MS
        )
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Shown while tracking is out"
        )
        assert campaign_id in page.url
        await page.context.close()
