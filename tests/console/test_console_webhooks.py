"""The console's Webhooks page in a real browser (Debian's Chromium) against the running
system and a local HTTPS receiver: an admin registers an endpoint, copies its secret (shown
once), sends a test that arrives signed with it, watches a failing delivery's attempts; a bad
URL is named beside its field; staff only read.
Pictures (CONSOLE_SCREENSHOTS=1): docs/console/webhooks.png.
"""

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from console_kit import SHOWN_WITHIN_MS, axe_violations, screenshot, sign_in
from playwright.async_api import expect

from reengage_common.bus import EventPublisher, make_producer
from reengage_common.events import Channel, Envelope, RecipientResponded, ResponseKind
from reengage_testing import eventually

pytestmark = pytest.mark.infra

FEATURES = Path(__file__).resolve().parents[2] / "docs" / "features.md"


def documented_verify() -> Any:
    block = re.search(
        r"<!-- webhook-verify -->\n```python\n(.*?)```", FEATURES.read_text(encoding="utf-8"), re.S
    )
    assert block
    scope: dict[str, Any] = {}
    exec(block.group(1), scope)
    return scope["verify"]


async def test_an_admin_registers_an_endpoint_and_sees_its_deliveries(browser, console) -> None:
    clinic = f"clinic-hooks-{uuid.uuid4().hex[:6]}"
    page = await sign_in(browser, console, "clinic_admin", clinic)
    await page.get_by_role("link", name="Webhooks").click()

    # a plain-http URL is named beside its field, nothing registered
    await page.get_by_role("button", name="New endpoint").click()
    form = page.get_by_role("form", name="New webhook endpoint")
    await form.get_by_label("Endpoint URL (https)").fill("http://pms.example/hooks")
    await form.get_by_role("button", name="Save endpoint").click()
    await expect(form.get_by_role("alert")).to_contain_text("https")

    # when the admin registers the receiver's URL for rebookings only
    url = f"{console.receiver.url}/pms/{clinic}"
    await form.get_by_label("Endpoint URL (https)").fill(url)
    await form.get_by_label("Description").fill("Front desk system")
    await form.get_by_label("Responses (interested or not)").uncheck()
    await form.get_by_label("Unsubscribes").uncheck()
    await form.get_by_role("button", name="Save endpoint").click()

    # then the secret is shown once, and the endpoint lists with its hint
    shown = page.get_by_test_id("new-secret")
    await expect(shown).to_contain_text("whsec_")
    secret = (await shown.locator("code").inner_text()).strip()
    row = page.get_by_test_id("webhook-endpoint").filter(has_text=url)
    await expect(row).to_contain_text("Rebookings")
    await expect(row).to_contain_text(secret[:10])
    verify = documented_verify()
    console.receiver.verify = lambda body, signature: verify(
        secret, body, signature, now=console.clock.now.timestamp()
    )

    # when a test is sent, it arrives signed with that secret, and shows as delivered
    await page.get_by_role("button", name="I have copied it").click()
    await page.get_by_role("button", name=f"Send test to {url}").click()

    def arrived(kind: str) -> list[Any]:
        path = f"/pms/{clinic}"
        return [
            r
            for r in console.receiver.received
            if r.path == path and json.loads(r.body)["type"] == kind
        ]

    async def tested() -> bool:
        return bool(arrived("webhook.test"))

    await eventually(tested, within=30)
    assert arrived("webhook.test")[0].signed
    attempts = page.get_by_role("table", name="Attempts")
    await page.get_by_role("button", name="Refresh").click()
    await expect(attempts).to_contain_text("webhook.test", timeout=SHOWN_WITHIN_MS)
    await expect(attempts).to_contain_text("delivered")

    # when a rebooking comes while the practice system fails, the page shows the failure
    console.receiver.answer_with(503)
    rebooked = RecipientResponded(
        campaign_id="c-1",
        patient_id="p-7",
        kind=ResponseKind.REBOOKED,
        channel=Channel.EMAIL,
        appointment_id="a-7",
        revenue_cents=18_000,
        at=console.clock.now,
    )
    producer = make_producer(console.settings)
    await producer.start()
    try:
        await EventPublisher(console.settings, producer).publish_many(
            [Envelope.wrap(rebooked, source="tracking-svc", clinic_id=clinic, at=console.clock.now)]
        )
    finally:
        await producer.stop()

    async def failed_once() -> bool:
        return bool(arrived("patient.rebooked"))

    await eventually(failed_once, within=30)
    await page.reload()
    health = page.get_by_test_id("webhook-endpoint").filter(has_text=url)
    await expect(health.get_by_test_id("webhook-health")).to_contain_text(
        "Failing (HTTP 503)", timeout=SHOWN_WITHIN_MS
    )
    await page.get_by_role("button", name=f"Attempts of {url}").click()
    await expect(page.get_by_role("table", name="Attempts")).to_contain_text("retrying")
    assert await axe_violations(page) == []
    await screenshot(page, "webhooks")
    assert page.problems == []  # type: ignore[attr-defined]

    # and staff see the endpoint and its state but cannot add or delete one
    staff = await sign_in(browser, console, "staff", clinic)
    await staff.get_by_role("link", name="Webhooks").click()
    await expect(staff.get_by_test_id("webhook-endpoint")).to_contain_text(url)
    assert await staff.get_by_role("button", name="New endpoint").count() == 0
    assert await staff.get_by_role("button", name=f"Delete {url}").count() == 0
