"""Getting in and getting around: the development sign-in (ENV=development only), a refused or
expired token back at sign-in with a message saying so, another clinic's campaign as "not found",
and every page's primary controls reached with the Tab key alone."""

from datetime import timedelta

import pytest
from console_kit import (
    SHOWN_WITHIN_MS,
    SIGNING_KEY,
    axe_violations,
    focus_misses,
    sign_in,
)
from playwright.async_api import Locator, expect

from reengage_common.auth import generate_signing_key, issue_token

pytestmark = pytest.mark.infra

CREATE = """
mutation($input: CampaignInput!) { createCampaign(input: $input) { __typename ... on Campaign { id } } }
"""
ACCESS = "clinic-console-access"
OTHER = "clinic-console-other"


def draft(name: str) -> dict:
    return {
        "name": name,
        "targeting": {"inactiveDays": 180},
        "channels": ["EMAIL"],
        "messageTemplates": [
            {"channel": "EMAIL", "sequence": 1, "subject": "Hello", "body": "{{ bookingLink }}"}
        ],
        "schedule": {"sendTimes": ["10:00"], "timezone": "America/Chicago"},
    }


async def test_the_development_sign_in_picks_clinic_and_role_only_in_development(
    browser, console
) -> None:
    # given the test gateway (ENV=test) offers only the token, and one with ENV=development
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{console.url}/console/")
    await expect(page.get_by_label("Access token", exact=True)).to_be_visible()
    assert await page.get_by_role("heading", name="Development sign-in").count() == 0
    await page.context.close()
    await console.graphql(CREATE, {"input": draft("Picked by role")}, clinic=ACCESS)

    async with console.another_gateway(env="development") as url:
        page = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
        await page.goto(f"{url}/console/")
        # when a manager of the clinic is picked
        await page.get_by_label("Clinic", exact=True).fill(ACCESS)
        await page.get_by_label("Role").select_option("manager")
        assert await axe_violations(page) == []
        await page.get_by_role("button", name="Sign in as manager").click()

        # then the console is the manager's of that clinic: edit, no launch
        me = page.get_by_test_id("me")
        await expect(me).to_contain_text("manager", timeout=SHOWN_WITHIN_MS)
        await expect(me).to_contain_text(ACCESS)
        await expect(page.get_by_role("button", name="Edit Picked by role")).to_be_visible()
        assert await page.get_by_role("button", name="Launch Picked by role").count() == 0
        assert await page.evaluate("() => localStorage.length") == 0
        await page.context.close()


async def test_a_refused_or_expired_token_returns_to_sign_in_saying_why(browser, console) -> None:
    # a token the gateway does not accept (signed by someone else's key)
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{console.url}/console/")
    forged = issue_token(generate_signing_key(), user_id="u", clinic_id=ACCESS, role="staff")
    await page.get_by_label("Access token", exact=True).fill(forged)
    await page.get_by_role("button", name="Sign in with token").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "The gateway did not accept that token. Sign in again.", timeout=SHOWN_WITHIN_MS
    )
    await expect(page.get_by_label("Access token", exact=True)).to_be_visible()
    assert await page.evaluate("() => sessionStorage.getItem('reengage.console.token')") is None
    await page.context.close()

    # a token that expires while the console is open: back to sign-in when it does
    short = issue_token(
        SIGNING_KEY, user_id="u", clinic_id=ACCESS, role="staff", ttl=timedelta(seconds=4)
    )
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{console.url}/console/")
    await page.get_by_label("Access token", exact=True).fill(short)
    await page.get_by_role("button", name="Sign in with token").click()
    await expect(page.get_by_test_id("me")).to_contain_text("staff", timeout=SHOWN_WITHIN_MS)
    await expect(page.get_by_role("alert")).to_have_text(
        "Your sign-in expired. Sign in again.", timeout=SHOWN_WITHIN_MS
    )
    await expect(page.get_by_label("Access token", exact=True)).to_be_visible()
    assert "/console/sign-in" in page.url
    await page.context.close()


async def test_another_clinics_campaign_is_not_found_as_the_api_says(browser, console) -> None:
    theirs = await console.graphql(CREATE, {"input": draft("Not yours")}, clinic=OTHER)
    their_id = theirs["createCampaign"]["id"]
    assert (
        await console.graphql("query($id: ID!) { campaign(id: $id) { id } }", {"id": their_id})
    )["campaign"] is None  # the API's answer to this clinic

    page = await sign_in(browser, console, "clinic_admin", ACCESS)
    for path, shown in [
        (f"/campaigns/{their_id}", "Campaign not found"),
        (f"/campaigns/{their_id}/edit", "Campaign not found"),
        (f"/campaigns/{their_id}/recipients", "No such campaign in your clinic."),
    ]:
        await page.goto(f"{console.url}/console{path}")
        await expect(page.get_by_role("main")).to_contain_text(shown, timeout=SHOWN_WITHIN_MS)
        await expect(page.get_by_role("main")).not_to_contain_text("Not yours")
    await page.context.close()


async def test_the_tab_key_reaches_every_pages_primary_controls(browser, console) -> None:
    await console.graphql(CREATE, {"input": draft("Reached by keyboard")}, clinic=ACCESS)
    listed = await console.graphql(
        "{ campaigns(first: 1) { edges { node { id } } } }", clinic=ACCESS
    )
    campaign_id = listed["campaigns"]["edges"][0]["node"]["id"]
    page = await sign_in(browser, console, "clinic_admin", ACCESS)

    def role(kind: str, name: str) -> Locator:
        return page.get_by_role(kind, name=name, exact=True)  # type: ignore[arg-type]

    pages = {
        "/": [
            role("link", "New campaign"),
            page.get_by_label("Status"),
            role("button", "Edit Reached by keyboard"),
            role("button", "Launch Reached by keyboard"),
            role("link", "Clinic settings"),
            role("button", "Sign out"),
        ],
        f"/campaigns/{campaign_id}/edit": [
            page.get_by_label("Name", exact=True),
            page.get_by_label("Last visit at least this many days ago"),
            page.get_by_label("Hygiene recall"),
            page.get_by_label("sms", exact=True),
            page.get_by_label("Step 1 message"),
            role("button", "Insert into step 1"),
            role("button", "Save draft"),
            role("button", "Save and preview"),
        ],
        f"/campaigns/{campaign_id}": [role("link", "Recipients")],
        f"/campaigns/{campaign_id}/recipients": [
            page.get_by_label("Status"),
            role("link", "Dashboard"),
        ],
        "/settings": [page.get_by_label("Clinic name"), role("button", "Save profile")],
        "/import": [role("link", "Import patients"), page.get_by_label("Patients file")],
    }
    for path, controls in pages.items():
        await page.goto(f"{console.url}/console{path}")
        await expect(controls[0]).to_be_visible(timeout=SHOWN_WITHIN_MS)
        assert await focus_misses(page, controls) == [], path
    await page.context.close()
