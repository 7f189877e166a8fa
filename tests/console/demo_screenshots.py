"""The README's pictures of every page, at 1280x800, from the demo clinic `./dev up` seeds:
deploy/local/demo_data.py's Bright Smiles Dental, the 2,000 patients of seed.py (seed 7) and its
three campaigns, loaded into this stack. The recall sends at the stack's 10:00; some of its
patients then book. Run by hand (not collected by `./dev test`: publishing 2,000 patients and
sending the recall costs about a minute the suite does not need):

    CONSOLE_SCREENSHOTS=1 .venv/bin/pytest tests/console/demo_screenshots.py
"""

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_kit import NOW, SHOWN_WITHIN_MS, ConsoleStack, screenshot, sign_in
from playwright.async_api import Locator, expect

from reengage_common.bus import EventPublisher, make_producer
from reengage_common.events import AppointmentStatus, AppointmentUpdated, Envelope
from reengage_testing import eventually

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
from demo_data import CLINIC, DEMO_PROFILE, PATIENTS, demo_campaigns
from seed import clinic_events

pytestmark = pytest.mark.infra
SEED = 7  # demo_data.publish_patients'
STATS = """
query($id: ID!) { campaignStats(id: $id) { ... on CampaignStats { recipients contacted sent } } }
"""
CONTACTED = """
query($id: ID!) { campaignRecipients(campaignId: $id, status: "CONTACTED", first: 60) {
  ... on RecipientConnection { edges { node { patientId } } } } }
"""
BAD_LINE_CSV = (
    b"patientId,firstName,email,createdAt\n"
    b"imp-1,Ada,ada@example.com,2024-01-10T09:00:00Z\n"
    b",Nameless,x@example.com,2024-01-10T09:00:00Z\n"
    b"imp-2,Ben,ben@example.com,2024-01-10T09:00:00Z\n"
)


async def publish(stack: ConsoleStack, events: list[Envelope[Any]]) -> None:
    producer = make_producer(stack.settings)
    await producer.start()
    try:
        await EventPublisher(stack.settings, producer).publish_many(events)
    finally:
        await producer.stop()


async def load_demo_clinic(stack: ConsoleStack) -> dict[str, str]:
    """What `./dev up` loads (demo_data.main), here: campaign ids by name."""
    await stack.give_profile(CLINIC, DEMO_PROFILE)
    await publish(stack, list(clinic_events(CLINIC, PATIENTS, SEED, NOW.date())))

    async def all_known() -> bool:
        answer = await stack.graphql(
            "{ audienceEstimate(targeting: {inactiveDays: 1}) "
            "{ ... on AudienceEstimate { patients } } }",
            clinic=CLINIC,
        )
        return answer["audienceEstimate"].get("patients") == PATIENTS

    await eventually(all_known, within=120, interval=1)
    ids = {}
    async with httpx.AsyncClient(
        base_url=stack.url, headers=stack.headers("clinic_admin", CLINIC), timeout=60
    ) as gateway:
        for campaign, action in demo_campaigns(NOW):
            created = await gateway.post("/api/booking/campaigns", json=campaign)
            assert created.status_code == 201, created.text
            ids[campaign["name"]] = created.json()["id"]
            if action:
                acted = await gateway.post(f"/api/booking/campaigns/{ids[campaign['name']]}/launch")
                assert acted.status_code == 200, acted.text
    return ids


async def sent_all(stack: ConsoleStack, campaign_id: str) -> None:
    """The campaign's first step went to every patient it contacts."""

    async def done() -> bool:
        stats = (await stack.graphql(STATS, {"id": campaign_id}, clinic=CLINIC))["campaignStats"]
        return stats.get("recipients", 0) > 0 and stats["sent"] >= stats["contacted"] > 0

    await eventually(done, within=180, interval=1)


async def some_book_again(stack: ConsoleStack, campaign_id: str) -> None:
    """A third of the first contacted patients book a visit an hour after the email."""
    answer = await stack.graphql(CONTACTED, {"id": campaign_id}, clinic=CLINIC)
    patients = [e["node"]["patientId"] for e in answer["campaignRecipients"]["edges"]][::3]
    booked = [
        Envelope.wrap(
            AppointmentUpdated(
                appointment_id=f"{patient}-rebooked",
                patient_id=patient,
                status=AppointmentStatus.BOOKED,
                scheduled_at=NOW + timedelta(days=9),
                value_cents=18_500,
            ),
            source="clinic-pms",
            clinic_id=CLINIC,
            at=NOW + timedelta(hours=1),
        )
        for patient in patients
    ]
    await publish(stack, booked)


async def centred(part: Locator) -> None:
    await part.evaluate("e => e.scrollIntoView({block: 'center'})")


async def test_every_page_pictured_with_the_demo_clinic(browser, console) -> None:
    ids = await load_demo_clinic(console)
    recall = ids["6-month hygiene recall"]
    await sent_all(console, recall)
    await some_book_again(console, recall)
    page = await sign_in(browser, console, "clinic_admin", CLINIC)

    rows = page.locator("table[aria-label=Campaigns] tbody tr")
    await expect(rows).to_have_count(3, timeout=SHOWN_WITHIN_MS)
    await screenshot(page, "campaigns")

    await page.goto(f"{console.url}/console/campaigns/{recall}")
    await expect(page.get_by_test_id("figure-rebooked")).not_to_have_text(
        "0", timeout=SHOWN_WITHIN_MS
    )
    await screenshot(page, "dashboard")

    await page.get_by_role("link", name="Recipients", exact=True).click()
    await expect(page.locator("table[aria-label=Recipients] tbody tr").first).to_be_visible(
        timeout=SHOWN_WITHIN_MS
    )
    await screenshot(page, "recipients")

    # a new campaign: the estimate over the demo's patients, a patient's email and SMS
    await page.goto(f"{console.url}/console/campaigns/new")
    await page.get_by_label("Name", exact=True).fill("Spring check-up")
    await page.get_by_label("Consultation").check()
    await page.get_by_label("Treatment planned").check()
    await expect(page.get_by_test_id("estimate-reach")).to_be_visible(timeout=SHOWN_WITHIN_MS)
    await page.get_by_label("Preview for patient id").fill(f"{CLINIC}-p000004")
    await page.get_by_role("button", name="Save and preview").click()
    await expect(page.get_by_test_id("preview-message").nth(1)).to_contain_text(
        "STOP", timeout=SHOWN_WITHIN_MS
    )
    await centred(page.get_by_test_id("preview-message").first)
    await screenshot(page, "editor")

    # the ortho dropouts' letter, under the clinic's letterhead
    await page.goto(
        f"{console.url}/console/campaigns/{ids['Ortho dropouts: finish your smile']}/edit"
    )
    await page.get_by_role("button", name="Preview", exact=True).click()
    letter = page.get_by_role("article", name="Letter preview")
    await expect(letter).to_contain_text("Bright Smiles Dental", timeout=SHOWN_WITHIN_MS)
    await centred(letter)
    await screenshot(page, "letter")

    await page.goto(f"{console.url}/console/settings")
    await expect(page.get_by_label("Clinic name")).to_have_value("Bright Smiles Dental")
    await screenshot(page, "settings")

    await page.goto(f"{console.url}/console/import")
    await page.get_by_label("Patients file").set_input_files(
        files=[{"name": "patients.csv", "mimeType": "text/csv", "buffer": BAD_LINE_CSV}]
    )
    await page.get_by_role("button", name="Upload").click()
    await expect(page.get_by_test_id("import-accepted")).to_be_visible(timeout=SHOWN_WITHIN_MS)
    await screenshot(page, "import")
    await page.context.close()
