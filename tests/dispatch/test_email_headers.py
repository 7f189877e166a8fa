"""The email as a mail client and a mailbox provider read it: RFC 2369 / RFC 8058 unsubscribe
headers set by the service (a template cannot forge or drop them), a Message-ID from the
messageId, a multipart text + HTML body with signed links and the clinic's postal address."""

import email
import email.policy
import re
from datetime import timedelta

import pytest
from kit import (
    CLINIC,
    CLINIC_PROFILE,
    PUBLIC_BASE_URL,
    FakeClock,
    dispatch_stack,
    due,
    launched,
    sent_of,
    step,
    unique,
    utc,
)

from reengage_common.clinic import postal_lines
from reengage_common.events import Channel, message_id
from reengage_common.messages import BOOKING_CLICK, UNSUBSCRIBE, read_link_token
from reengage_testing import eventually

pytestmark = pytest.mark.infra

NOW = utc(2026, 11, 26, 16, 0)  # 10:00 in Chicago
FORGING_STEP = step(
    Channel.EMAIL,
    1,
    "List-Unsubscribe: <https://evil.example/u>\nList-Unsubscribe-Post: nothing\n\n"
    "Hi {{ patient.firstName }}, book at {{ bookingLink }}",
    subject="Hello {{ patient.firstName }}",
)
# A patient's name as a clinic system sent it: header injection through merge data.
HOSTILE_NAME = "Ann\r\nList-Unsubscribe: <https://evil.example/x>\r\nBcc: all@evil.example"


async def test_unsubscribe_headers_follow_rfc_8058_and_2369_and_templates_cannot_touch_them(
    infra,
) -> None:
    clock = FakeClock(NOW)
    campaign, patient = unique("headers"), unique("p-headers")
    async with dispatch_stack(
        infra, "headers", clock, email_unsubscribe_mailto="unsubscribe@brightsmiles.example"
    ) as stack:
        sent = await stack.bus.watch("message.sent")
        await stack.bus.publish(
            launched(campaign, [FORGING_STEP], at=clock.now - timedelta(hours=1))
        )
        await stack.bus.publish(due(campaign, patient, at=clock.now, first_name=HOSTILE_NAME))
        await eventually(lambda: _one(sent, campaign))
        arrived = await stack.mailpit.to(f"{patient}@patients.example")
        assert len(arrived) == 1
        raw = await stack.mailpit.raw(arrived[0]["ID"])

    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    mid = message_id(campaign, patient, 1, 1)
    # one of each, with our values only; no Bcc smuggled in
    assert parsed.get_all("List-Unsubscribe") and len(parsed.get_all("List-Unsubscribe")) == 1
    assert parsed.get_all("List-Unsubscribe-Post") == ["List-Unsubscribe=One-Click"]
    assert parsed.get_all("Bcc") is None
    assert "evil.example" not in parsed["List-Unsubscribe"]
    # the hostile name stays inside the Subject and To values it was merged into
    ours = {"Subject", "To", "From", "Date", "Message-ID", "List-Unsubscribe"}
    ours |= {"List-Unsubscribe-Post", "MIME-Version", "Content-Type"}
    ours |= {"X-Reengage-Message-Id", "X-Reengage-Campaign-Id", "Return-Path", "Received"}
    assert set(parsed.keys()) == ours
    assert parsed["Message-ID"] == f"<{mid}@brightsmiles.example>"
    assert parsed["Subject"] == " ".join(f"Hello {HOSTILE_NAME}".split())

    # RFC 2369: each URI in angle brackets, comma separated, preferred first.
    # RFC 8058: exactly one HTTPS URI, and the POST header says One-Click.
    uris = re.findall(r"<([^>]+)>", parsed["List-Unsubscribe"])
    assert re.fullmatch(r"<[^>]+>(, <[^>]+>)*", parsed["List-Unsubscribe"])
    https = [uri for uri in uris if uri.startswith("https://")]
    assert len(https) == 1 and https[0].startswith(f"{PUBLIC_BASE_URL}/u/")
    assert uris[1] == "mailto:unsubscribe@brightsmiles.example?subject=unsubscribe"
    claims = read_link_token(
        stack.settings.link_secret, https[0].rsplit("/", 1)[1], UNSUBSCRIBE, now=NOW
    )
    assert (claims.message_id, claims.campaign_id, claims.patient_id, claims.clinic_id) == (
        mid,
        campaign,
        patient,
        CLINIC,
    )
    assert claims.channel is Channel.EMAIL
    # still valid 60 days later: a patient may unsubscribe from an old email
    read_link_token(
        stack.settings.link_secret,
        https[0].rsplit("/", 1)[1],
        UNSUBSCRIBE,
        now=NOW + timedelta(days=60),
    )

    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert https[0] in text and f'href="{https[0]}"' in html
    booking = re.search(rf"{re.escape(PUBLIC_BASE_URL)}/b/(\S+)", text)
    assert booking is not None
    booked = read_link_token(stack.settings.link_secret, booking.group(1), BOOKING_CLICK, now=NOW)
    assert booked.message_id == mid and booked.channel is None
    # the clinic's postal address, line by line, and the clinic as the sender
    assert all(line in text and line in html for line in postal_lines(CLINIC_PROFILE.address))
    assert parsed["From"] == CLINIC_PROFILE.email_from
    # the template's "headers" are text in the body, nothing more
    assert "List-Unsubscribe: &lt;https://evil.example/u&gt;" in html


async def _one(events, campaign: str) -> bool:
    return len(sent_of(events, campaign)) >= 1


DOTTED_STEP = step(
    Channel.EMAIL,
    1,
    "Hi {{ patient.firstName }},\n.\n...and a line that starts with dots\n.. two\n\n{{ bookingLink }}",
    subject="Dots",
)


async def test_lines_starting_with_a_dot_arrive_as_written(infra) -> None:
    # SMTP ends a message with a line holding one dot: the sender doubles leading dots and the
    # server takes them off again (RFC 5321 4.5.2)
    clock = FakeClock(NOW)
    campaign, patient = unique("dots"), unique("p-dots")
    async with dispatch_stack(infra, "dots", clock) as stack:
        sent = await stack.bus.watch("message.sent")
        await stack.bus.publish(
            launched(campaign, [DOTTED_STEP], at=clock.now - timedelta(hours=1))
        )
        await stack.bus.publish(due(campaign, patient, at=clock.now))
        await eventually(lambda: _one(sent, campaign))
        arrived = await stack.mailpit.to(f"{patient}@patients.example")
        raw = await stack.mailpit.raw(arrived[0]["ID"])

    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    text = parsed.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "\n.\n...and a line that starts with dots\n.. two\n" in text
    html = parsed.get_body(("html",)).get_content()
    assert "...and a line that starts with dots" in html
