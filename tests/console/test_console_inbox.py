"""The front desk's inbox in a real browser (Debian's Chromium) against the running system: a
patient's SMS reply (through the Twilio stand-in's signed inbound webhook to tracking-svc, then
`message.received` on Kafka to dispatch-svc) shows as an unread conversation that asks to book,
with the campaign it answered; a manager assigns it and replies, and the reply leaves through the
clinic's number (the stand-in records it); after the patient's STOP no reply can be sent, and
none outside the sending hours on the patient's clock.
The page learns of new replies from the `inboxReplies` subscription (the gateway's consumer of
`message.received`), not by polling. Pictures (CONSOLE_SCREENSHOTS=1): docs/console/inbox.png.
"""

import uuid
from datetime import timedelta

import httpx
import pytest
from console_kit import (
    NOW,
    SHOWN_WITHIN_MS,
    TWILIO_FAKE,
    axe_violations,
    publish_patients,
    screenshot,
    sign_in,
)
from playwright.async_api import expect

from reengage_testing import COMPLETE_CLINIC_PROFILE, eventually

pytestmark = pytest.mark.infra

CLINIC_NUMBER = COMPLETE_CLINIC_PROFILE["smsFrom"]
CREATE = """
mutation($input: CampaignInput!) { createCampaign(input: $input) { ... on Campaign { id } } }
"""
LAUNCH = "mutation($id: ID!) { launchCampaign(id: $id) { __typename } }"
REPLY = """
mutation($p: ID!, $t: String!) { replyToPatient(patientId: $p, text: $t) {
  __typename ... on NotAllowed { message } ... on InboxMessage { status } } }
"""


async def texts_to(phone: str) -> list[dict]:
    async with httpx.AsyncClient(timeout=10) as client:
        found = await client.get(f"{TWILIO_FAKE}/_fake/messages")
    items = found.json()
    items = items.get("messages", items) if isinstance(items, dict) else items
    return [m for m in items if m.get("To") == phone or m.get("to") == phone]


async def patient_writes(console, phone: str, body: str) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        posted = await client.post(
            f"{TWILIO_FAKE}/_fake/inbound",
            json={
                "from": phone,
                "to": CLINIC_NUMBER,
                "body": body,
                "url": f"{console.tracking_public}/webhooks/twilio/inbound",
            },
        )
    assert posted.status_code == 200, posted.text


async def test_a_reply_reaches_the_inbox_and_the_front_desk_answers_it(browser, console) -> None:
    # given an SMS campaign sent to a lapsed patient
    clinic = f"clinic-inbox-{uuid.uuid4().hex[:6]}"
    phone = f"+1512555{uuid.uuid4().int % 10_000:04d}"
    await console.give_profile(clinic)
    await publish_patients(
        console,
        [{"id": "p-ines", "first": "Ines", "phone": phone, "days_since_visit": 400}],
        clinic=clinic,
    )

    async def known() -> bool:
        found = await console.graphql(
            "{ audienceEstimate(targeting: {inactiveDays: 180}, channels: [SMS]) "
            "{ ... on AudienceEstimate { total } } }",
            clinic=clinic,
        )
        return found["audienceEstimate"].get("total") == 1

    await eventually(known, within=30, interval=0.3)
    definition = {
        "name": "Ortho check-in",
        "targeting": {"inactiveDays": 180},
        "channels": ["SMS"],
        "messageTemplates": [
            {"channel": "SMS", "sequence": 1, "body": "{{ clinic.name }}: time for a check-up?"}
        ],
        "schedule": {"sendTimes": ["10:00"], "timezone": "America/Chicago"},
    }
    campaign_id = (await console.graphql(CREATE, {"input": definition}, clinic=clinic))[
        "createCampaign"
    ]["id"]
    await console.graphql(LAUNCH, {"id": campaign_id}, clinic=clinic)

    async def texted() -> bool:
        return len(await texts_to(phone)) == 1

    await eventually(texted, within=30, interval=0.3)

    # when the patient answers asking to book, while the manager has the inbox open
    page = await sign_in(browser, console, "manager", clinic)
    await page.get_by_role("link", name="Inbox").click()
    await expect(page.get_by_role("table", name="Conversations")).to_contain_text("No replies yet")
    await patient_writes(console, phone, "Could I book Tuesday afternoon?")

    # then it appears there without a reload (the inboxReplies subscription): unread, wanting
    # to book, with its campaign
    row = page.get_by_test_id("conversation").filter(has_text="p-ines")
    await expect(row).to_contain_text("1 new", timeout=SHOWN_WITHIN_MS)
    await expect(row).to_contain_text("wants to book")
    await expect(row).to_contain_text("Ortho check-in")
    await expect(row).to_contain_text("Could I book Tuesday afternoon?")

    # when the manager opens it (read), takes it and replies
    await page.get_by_role("button", name="Open p-ines").click()
    panel = page.get_by_role("region", name="Conversation")
    await expect(panel.get_by_test_id("thread-message")).to_have_count(1)
    await panel.get_by_role("button", name="Assign to me").click()
    await expect(panel.get_by_test_id("conversation-meta")).to_contain_text("Assigned to u-manager")
    await panel.get_by_label("Reply by SMS").fill("Tuesday 3pm works. See you then!")
    await panel.get_by_role("button", name="Send reply").click()

    # then the reply leaves through the clinic's number and joins the thread; the row is read
    async def answered() -> bool:
        sent = await texts_to(phone)
        return any("Tuesday 3pm works" in (m.get("Body") or m.get("body") or "") for m in sent)

    await eventually(answered, within=30, interval=0.3)
    reply = next(
        m
        for m in await texts_to(phone)
        if "Tuesday 3pm works" in (m.get("Body") or m.get("body") or "")
    )
    assert (reply.get("From") or reply.get("from")) == CLINIC_NUMBER
    await expect(panel.get_by_test_id("thread-message")).to_have_count(2)
    await expect(panel.get_by_test_id("thread-message").nth(1)).to_contain_text("sent")
    await expect(row).not_to_contain_text("new", timeout=SHOWN_WITHIN_MS)
    await expect(row).to_contain_text("assigned to u-manager", timeout=SHOWN_WITHIN_MS)
    await expect(row).to_contain_text("You: Tuesday 3pm works")
    assert await axe_violations(page) == []
    await screenshot(page, "inbox")
    assert page.problems == []  # type: ignore[attr-defined]

    # and outside the sending hours on the patient's clock a reply is refused, with when
    console.clock.now = NOW + timedelta(hours=12)  # 22:00 in Chicago
    try:
        late = await console.graphql(REPLY, {"p": "p-ines", "t": "Still there?"}, clinic=clinic)
    finally:
        console.clock.now = NOW
    assert late["replyToPatient"]["__typename"] == "NotAllowed"
    assert "08:00 (America/Chicago)" in late["replyToPatient"]["message"]

    # and after the patient's STOP nothing more can be sent, in the page or the API
    await patient_writes(console, phone, "STOP")
    await page.reload()
    await page.get_by_role("button", name="Open p-ines").click()
    panel = page.get_by_role("region", name="Conversation")
    await expect(panel).to_contain_text("replied STOP", timeout=SHOWN_WITHIN_MS)
    assert await panel.get_by_role("button", name="Send reply").count() == 0
    refused = await console.graphql(REPLY, {"p": "p-ines", "t": "Are you sure?"}, clinic=clinic)
    assert refused["replyToPatient"]["__typename"] == "NotAllowed"
    assert not any("Are you sure" in str(m) for m in await texts_to(phone))
