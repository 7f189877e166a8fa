"""The editor's languages in a real browser (Debian's Chromium) against the running system: a
manager adds Spanish templates to a campaign's steps, previews it in Spanish and for a patient
who prefers Spanish (the Spanish templates and STOP line), sees a step without a Spanish
template fall back to the default one, and a Spanish template that cannot render refused
beside its field. Picture (CONSOLE_SCREENSHOTS=1): docs/console/editor-languages.png.
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

SAVED = """
query($id: ID!) {
  campaign(id: $id) { defaultLanguage messageTemplates { translations { language subject body } } }
}
"""


async def test_a_manager_writes_spanish_templates_and_previews_each_language(
    browser, console
) -> None:
    # given a clinic whose patient Lucía prefers Spanish
    clinic = f"clinic-lang-{uuid.uuid4().hex[:6]}"
    await console.give_profile(clinic)
    lucia = {"id": "p-es", "first": "Lucía", "email": "lucia@example.com", "language": "es-MX"}
    ada = {"id": "p-en", "first": "Ada", "email": "ada@example.com", "language": "en"}
    await publish_patients(
        console, [{**p, "days_since_visit": 400} for p in (lucia, ada)], clinic=clinic
    )
    await until_known(console, clinic, 2)
    page = await sign_in(browser, console, "manager", clinic)

    # when the manager adds Spanish to both steps of a new campaign
    await page.get_by_role("link", name="New campaign").click()
    await page.get_by_label("Name", exact=True).fill("Recall in Spanish too")
    await expect(page.get_by_label("Language of each step")).to_have_value("en")
    await page.get_by_role("button", name="Add Spanish to step 1").click()
    await page.get_by_label("Spanish subject for step 1").fill(
        "Le extrañamos, {{ patient.firstName | default('paciente') }}"
    )
    await page.get_by_label("Spanish message for step 1").fill(
        "Su última visita fue {{ patient.lastVisitDate | ago }}. Reserve: {{ bookingLink }}"
    )
    await page.get_by_role("button", name="Add Spanish to step 2").click()
    await page.get_by_label("Spanish message for step 2").fill(
        "{{ clinic.name }}: ¿hora de su revisión? Reserve en {{ bookingLink }}"
    )
    assert await page.get_by_role("button", name="Add Spanish to step 1").count() == 0

    # and previews in Spanish
    await page.get_by_label("Preview in").select_option("es")
    await page.get_by_role("button", name="Save and preview").click()

    # then each step shows its Spanish template, the SMS with the Spanish STOP line
    previews = page.get_by_test_id("preview-message")
    await expect(previews.first).to_contain_text("Le extrañamos, Jamie", timeout=SHOWN_WITHIN_MS)
    await expect(previews.first.locator("h3")).to_contain_text("Spanish")
    await expect(previews.nth(1).locator(".preview-sms")).to_contain_text(
        "Responda STOP para darse de baja"
    )
    await expect(page.get_by_test_id("preview-fallback")).to_have_count(0)
    campaign_id = page.url.rsplit("/", 2)[-2]
    saved = await console.graphql(SAVED, {"id": campaign_id}, clinic=clinic)
    assert saved["campaign"]["defaultLanguage"] == "en"
    assert [t["translations"][0]["language"] for t in saved["campaign"]["messageTemplates"]] == [
        "es",
        "es",
    ]
    assert await axe_violations(page) == []
    await screenshot(page, "editor-languages")

    # when the preview is for Lucía, in her own language (es-MX), after step 2 loses Spanish
    await page.get_by_role("button", name="Remove the Spanish template of step 2").click()
    await page.get_by_label("Preview in").select_option("")
    await page.get_by_label("Preview for patient id").fill("p-es")
    await page.get_by_role("button", name="Save and preview").click()

    # then step 1 is Spanish with her name; step 2 the English template, saying why, with
    # the STOP line in her language
    await expect(previews.first).to_contain_text("Le extrañamos, Lucía", timeout=SHOWN_WITHIN_MS)
    await expect(previews.nth(1).get_by_test_id("preview-fallback")).to_have_text(
        "This step has no Spanish template: patients who prefer Spanish get the English one."
    )
    await expect(previews.nth(1).locator(".preview-sms")).to_contain_text("time for your check-up?")
    await expect(previews.nth(1).locator(".preview-sms")).to_contain_text(
        "Responda STOP para darse de baja"
    )

    # when a Spanish template that cannot render is saved
    await page.get_by_label("Spanish message for step 1").fill("Hola {{ patient.apodo }}")
    await page.get_by_role("button", name="Save draft").click()

    # then it is refused beside that field, and the saved campaign keeps its template
    translation = page.get_by_test_id("step-translation").first
    await expect(translation.get_by_role("alert")).to_contain_text(
        "mistake in its merge fields", timeout=SHOWN_WITHIN_MS
    )
    kept = await console.graphql(SAVED, {"id": campaign_id}, clinic=clinic)
    assert kept["campaign"]["messageTemplates"][0]["translations"][0]["body"].startswith(
        "Su última visita"
    )
    assert page.problems == []  # type: ignore[attr-defined]
