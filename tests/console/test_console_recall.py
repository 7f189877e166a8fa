"""Recall due dates in the campaign editor, in a real browser (Debian's Chromium) against the
running services: the targeting form's recall criterion narrows the live estimate, the estimate
panel counts the buckets, a window that selects no one is named beside its field, and a saved
campaign loads its window back."""

import uuid

import pytest
from console_kit import SHOWN_WITHIN_MS, axe_violations, publish_patients, sign_in, until_known
from playwright.async_api import expect

pytestmark = pytest.mark.infra

# The stack's clock is 2026-11-26: each patient's last visit this many days before, and the
# bucket their recall (6 months by default) falls in.
PATIENTS = [
    {"id": "due-this-month", "days_since_visit": 200},  # due 2026-11-10
    {"id": "overdue-1-3", "days_since_visit": 228},  # due 2026-10-12
    {"id": "yearly", "days_since_visit": 228, "recall_interval_months": 12},  # due 2027-04-12
    {"id": "overdue-3-12", "days_since_visit": 300},  # due 2026-07-30
    {"id": "overdue-12-plus", "days_since_visit": 600},  # due 2025-10-05
]
CAMPAIGN = """
query($id: ID!) {
  campaign(id: $id) { targeting { recall { dueSince overdueByMonths maxOverdueMonths } } }
}
"""


async def test_the_editor_targets_patients_due_for_recall_and_shows_the_buckets(
    browser, console
) -> None:
    # given a clinic with five lapsed patients, four of them due for recall
    clinic = f"clinic-recall-{uuid.uuid4().hex[:6]}"
    await console.give_profile(clinic)
    await publish_patients(
        console,
        [{**p, "first": p["id"], "email": f"{p['id']}@example.com"} for p in PATIENTS],
        clinic=clinic,
    )
    await until_known(console, clinic, len(PATIENTS))
    page = await sign_in(browser, console, "manager", clinic)
    await page.get_by_role("link", name="New campaign").click()
    await page.get_by_label("Name", exact=True).fill("Hygiene recall")
    await page.get_by_label("Last visit at least this many days ago").fill("30")
    total = page.get_by_test_id("estimate-total")
    await expect(total).to_have_text("5", timeout=SHOWN_WITHIN_MS)

    # when the recall criterion is ticked
    await page.get_by_role("checkbox", name="Only patients whose recall is due").check()

    # then the estimate keeps the four due, and counts them by how overdue they are
    await expect(total).to_have_text("4", timeout=SHOWN_WITHIN_MS)
    await expect(page.get_by_test_id("estimate-recall").locator("li")).to_have_text(
        [
            "1 due this month",
            "1 1\u20133 months overdue",
            "1 3\u201312 months overdue",
            "1 12+ months overdue",
            "0 not due yet",
        ]
    )
    await expect(page.get_by_test_id("estimate-excluded")).to_contain_text(
        "1 not due for recall yet"
    )
    assert await axe_violations(page) == []

    # when only those 3 to 12 months overdue are wanted, first with an empty window
    await page.get_by_label("Overdue by at least").fill("3")
    await page.get_by_label("and by less than").fill("2")
    await page.get_by_role("button", name="Save draft").click()

    # then the window is named beside its field and nothing is saved
    await expect(page.locator("#err-maxOverdueMonths")).to_have_text(
        "This number is outside the allowed range."
    )
    assert "/edit" not in page.url

    # when it is fixed and saved
    await page.get_by_label("and by less than").fill("12")
    await expect(total).to_have_text("1", timeout=SHOWN_WITHIN_MS)
    await expect(page.get_by_test_id("estimate-recall").locator("li").nth(2)).to_have_text(
        "1 3\u201312 months overdue"
    )
    await page.get_by_role("button", name="Save draft").click()
    await page.wait_for_url("**/campaigns/*/edit", timeout=SHOWN_WITHIN_MS)

    # then the campaign keeps its window, and the editor loads it back
    campaign_id = page.url.rsplit("/", 2)[-2]
    saved = await console.graphql(CAMPAIGN, {"id": campaign_id}, clinic=clinic)
    assert saved["campaign"]["targeting"]["recall"] == {
        "dueSince": None,
        "overdueByMonths": 3,
        "maxOverdueMonths": 12,
    }
    await page.reload()
    await expect(
        page.get_by_role("checkbox", name="Only patients whose recall is due")
    ).to_be_checked()
    await expect(page.get_by_label("and by less than")).to_have_value("12")
    await expect(total).to_have_text("1", timeout=SHOWN_WITHIN_MS)
    assert page.problems == []  # type: ignore[attr-defined]


async def test_a_saved_audience_keeps_its_recall_window_and_counts_with_it(
    browser, console
) -> None:
    # given the same five patients in a clinic of this test's own
    clinic = f"clinic-recall-{uuid.uuid4().hex[:6]}"
    await publish_patients(
        console,
        [{**p, "first": p["id"], "email": f"{p['id']}@example.com"} for p in PATIENTS],
        clinic=clinic,
    )
    await until_known(console, clinic, len(PATIENTS))
    page = await sign_in(browser, console, "manager", clinic)

    # when a manager saves "Overdue hygiene": recall at least a month overdue
    await page.get_by_role("link", name="Audiences").click()
    await page.get_by_role("button", name="New audience").click()
    form = page.get_by_role("form", name="New saved audience")
    await form.get_by_label("Audience name").fill("Overdue hygiene")
    await form.get_by_label("Last visit at least this many days ago").fill("30")
    await form.get_by_role("checkbox", name="Only patients whose recall is due").check()
    await form.get_by_label("Overdue by at least").fill("1")
    await form.get_by_role("button", name="Save audience").click()

    # then its row says the window and counts the three overdue of the five
    row = page.get_by_test_id("saved-audience").filter(has_text="Overdue hygiene")
    await expect(row).to_contain_text("recall 1+ months overdue")
    await expect(row.get_by_test_id("audience-count")).to_have_text(
        "3 of 5 patients", timeout=SHOWN_WITHIN_MS
    )

    # and editing it shows the window again
    await page.get_by_role("button", name="Edit Overdue hygiene").click()
    form = page.get_by_role("form", name="Edit saved audience")
    await expect(form.get_by_label("Overdue by at least")).to_have_value("1")
    assert await axe_violations(page) == []
    assert page.problems == []  # type: ignore[attr-defined]
