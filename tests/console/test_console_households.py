"""Households in the campaign editor, in a real browser (Debian's Chromium) against the running
services: the merge-field list offers household.names and household.size, the estimate counts
the messages the first step sends (one for patients sharing an email), and "One message per
household" turns grouping off, counted at once and saved with the campaign."""

import uuid

import pytest
from console_kit import SHOWN_WITHIN_MS, axe_violations, publish_patients, sign_in, until_known
from playwright.async_api import expect

pytestmark = pytest.mark.infra

SAVED = "query($id: ID!) { campaign(id: $id) { groupHouseholds } }"


async def test_the_editor_counts_household_messages_and_turns_grouping_off(
    browser, console
) -> None:
    # given three lapsed patients, two of whom share an email address
    clinic = f"clinic-house-{uuid.uuid4().hex[:6]}"
    await console.give_profile(clinic)
    home = f"home-{uuid.uuid4().hex[:6]}@example.com"
    patients = [
        {"id": "p-bo", "first": "Bo", "email": home},
        {"id": "p-cy", "first": "Cy", "email": home},
        {"id": "p-ada", "first": "Ada", "email": "ada@example.com"},
    ]
    await publish_patients(
        console, [{**p, "days_since_visit": 400} for p in patients], clinic=clinic
    )
    await until_known(console, clinic, len(patients))
    page = await sign_in(browser, console, "manager", clinic)

    # when a manager writes a new campaign
    await page.get_by_role("link", name="New campaign").click()
    await page.get_by_label("Name", exact=True).fill("Family recall")
    await expect(page.get_by_test_id("estimate-total")).to_have_text("3", timeout=SHOWN_WITHIN_MS)

    # then the estimate counts one message for the two sharing an address
    messages = page.get_by_test_id("estimate-messages")
    await expect(messages).to_have_text(
        "2 messages by the first step for 3 patients: patients sharing a contact get one together.",
        timeout=SHOWN_WITHIN_MS,
    )
    grouping = page.get_by_role("checkbox", name="One message per household")
    await expect(grouping).to_be_checked()

    # and the merge-field list offers the household's fields, inserted where the cursor is
    picker = page.get_by_label("Merge field for step 1")
    options = await picker.locator("option").all_text_contents()
    assert {"household.names", "household.size"} <= set(options)
    body = page.get_by_label("Step 1 message")
    await body.fill("Hi ")
    await body.press("End")
    await picker.select_option("household.names")
    await page.get_by_role("button", name="Insert into step 1").click()
    await expect(body).to_have_value("Hi {{ household.names }}")
    assert await axe_violations(page) == []

    # when grouping is turned off
    await grouping.uncheck()

    # then every patient's message counts, and the campaign saves the setting
    await expect(messages).to_have_text(
        "3 messages by the first step, one per patient.", timeout=SHOWN_WITHIN_MS
    )
    await page.get_by_role("button", name="Save draft").click()
    await page.wait_for_url("**/campaigns/*/edit", timeout=SHOWN_WITHIN_MS)
    campaign_id = page.url.rsplit("/", 2)[-2]
    saved = await console.graphql(SAVED, {"id": campaign_id}, clinic=clinic)
    assert saved["campaign"] == {"groupHouseholds": False}
    await page.reload()
    await expect(grouping).not_to_be_checked(timeout=SHOWN_WITHIN_MS)
    await expect(messages).to_contain_text("one per patient", timeout=SHOWN_WITHIN_MS)
    assert page.problems == []  # type: ignore[attr-defined]
