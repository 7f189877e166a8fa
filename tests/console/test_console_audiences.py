"""The console's saved audiences in a real browser (Debian's Chromium) against the running
system: a manager saves a targeting by name and sees its live count, a taken name is refused
beside its field, a campaign's editor takes an audience's targeting, staff only read.
Pictures (CONSOLE_SCREENSHOTS=1): docs/console/audiences.png, docs/console/editor-audience.png.
"""

import uuid

import pytest
from console_kit import (
    SHOWN_WITHIN_MS,
    axe_violations,
    publish_patients,
    screenshot,
    sign_in,
    until_known,
)
from playwright.async_api import expect

pytestmark = pytest.mark.infra

CAMPAIGN = """
query($id: ID!) { campaign(id: $id) { savedAudienceId targeting { inactiveDays } } }
"""


async def test_a_manager_saves_an_audience_sees_its_count_and_uses_it_in_a_campaign(
    browser, console
) -> None:
    # given a clinic with three patients last seen 400 days ago and two seen 60 days ago
    clinic = f"clinic-aud-{uuid.uuid4().hex[:6]}"
    await console.give_profile(clinic)
    await publish_patients(
        console,
        [
            {"id": f"p{n}", "first": f"P{n}", "email": f"p{n}@example.com", "days_since_visit": d}
            for n, d in enumerate([400, 400, 400, 60, 60])
        ],
        clinic=clinic,
    )
    await until_known(console, clinic, 5)
    page = await sign_in(browser, console, "manager", clinic)

    # when the manager saves "Lapsed hygiene": last visit 180+ days ago
    await page.get_by_role("link", name="Audiences").click()
    await page.get_by_role("button", name="New audience").click()
    form = page.get_by_role("form", name="New saved audience")
    await form.get_by_label("Audience name").fill("Lapsed hygiene")
    await form.get_by_label("Description").fill("Hygiene patients gone quiet")
    await form.get_by_label("Last visit at least this many days ago").fill("180")
    await form.get_by_role("button", name="Save audience").click()

    # then it lists with its live count: 3 of the clinic's 5 patients
    row = page.get_by_test_id("saved-audience").filter(has_text="Lapsed hygiene")
    await expect(row.get_by_test_id("audience-count")).to_have_text(
        "3 of 5 patients", timeout=SHOWN_WITHIN_MS
    )
    assert await axe_violations(page) == []
    await screenshot(page, "audiences")

    # and a second audience with the same name (another case) is refused beside the name
    await page.get_by_role("button", name="New audience").click()
    form = page.get_by_role("form", name="New saved audience")
    await form.get_by_label("Audience name").fill("LAPSED HYGIENE")
    await form.get_by_role("button", name="Save audience").click()
    await expect(form.get_by_role("alert")).to_contain_text("another saved audience is called")
    await form.get_by_role("button", name="Cancel").click()
    await expect(page.get_by_test_id("saved-audience")).to_have_count(1)

    # when a new campaign chooses the audience, its targeting shows and cannot be typed over
    await page.get_by_role("link", name="Campaigns").click()
    await page.get_by_role("link", name="New campaign").click()
    await page.get_by_label("Name", exact=True).fill("Recall from an audience")
    await page.get_by_label("Saved audience").select_option(label="Lapsed hygiene")
    days = page.get_by_label("Last visit at least this many days ago")
    await expect(days).to_have_value("180")
    await expect(days).to_be_disabled()
    await expect(page.get_by_test_id("audience-note")).to_be_visible()
    await screenshot(page, "editor-audience")
    await page.get_by_role("button", name="Save draft").click()
    await page.wait_for_url("**/campaigns/*/edit", timeout=SHOWN_WITHIN_MS)

    # then the saved campaign names the audience and carries its targeting
    campaign_id = page.url.rsplit("/", 2)[-2]
    saved = await console.graphql(CAMPAIGN, {"id": campaign_id}, clinic=clinic)
    assert saved["campaign"] == {
        "savedAudienceId": saved["campaign"]["savedAudienceId"],
        "targeting": {"inactiveDays": 180},
    }
    assert saved["campaign"]["savedAudienceId"]
    assert page.problems == []  # type: ignore[attr-defined]


async def test_staff_see_saved_audiences_but_cannot_change_them(browser, console) -> None:
    clinic = f"clinic-aud-{uuid.uuid4().hex[:6]}"
    await console.graphql(
        "mutation($i: SavedAudienceInput!) { createSavedAudience(input: $i) { __typename } }",
        {"i": {"name": "Ortho dropouts", "targeting": {"inactiveDays": 90}}},
        clinic=clinic,
    )
    page = await sign_in(browser, console, "staff", clinic)
    await page.get_by_role("link", name="Audiences").click()
    await expect(page.get_by_test_id("saved-audience")).to_contain_text("Ortho dropouts")
    assert await page.get_by_role("button", name="New audience").count() == 0
    assert await page.get_by_role("button", name="Edit Ortho dropouts").count() == 0
    assert await axe_violations(page) == []
