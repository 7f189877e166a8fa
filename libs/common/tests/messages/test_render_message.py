"""The message dispatch sends: one patient's merge data and signed links through a step."""

from datetime import datetime
from typing import Any

import pytest

from reengage_common.events import Channel, MessageTemplate
from reengage_common.messages import (
    SMS_OPT_OUT,
    MessageLinks,
    SmsSize,
    compile_step,
    render_message,
)
from reengage_common.messages.email_html import email_html

LINKS = MessageLinks(
    unsubscribe="http://127.0.0.1:8104/u/eyJtIjoibS0xIn0.aBc.sIg-_",
    booking="http://127.0.0.1:8104/b/eyJtIjoibS0xIn0.aBc.sIg-_",
)


@pytest.fixture
def merge_data() -> dict[str, Any]:
    """Merge data as message.due carries it: no links, dispatch adds them."""
    return {
        "patient": {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "lastVisitDate": "2025-10-15",
            "treatmentStage": "RETENTION",
        },
        "clinic": {"name": "Bright Smiles", "phone": "(555) 010-0100", "address": "1 Main St"},
        "incentive": {"code": "SMILE20", "details": "20% off your next cleaning"},
    }


def test_an_email_has_a_subject_a_text_part_and_an_html_part(
    merge_data: dict[str, Any], now: datetime
) -> None:
    step = MessageTemplate(
        channel=Channel.EMAIL,
        subject="We miss you, {{ patient.firstName }}",
        body="Hi {{ patient.firstName }},\nbook at {{ bookingLink }}\n\nUse {{ incentive.code }}.",
        sequence=1,
    )

    message = render_message(step, merge_data, LINKS, now=now)

    assert message.subject == "We miss you, Ada"
    assert message.body == (
        f"Hi Ada,\nbook at {LINKS.booking}\n\nUse SMILE20.\n\n"
        f"To stop receiving these emails, unsubscribe here: {LINKS.unsubscribe}"
    )
    assert message.sms is None
    assert message.html is not None
    assert f'<p>Hi Ada,<br>book at <a href="{LINKS.booking}">{LINKS.booking}</a></p>' in (
        message.html
    )
    assert f'<a href="{LINKS.unsubscribe}">{LINKS.unsubscribe}</a></p>' in message.html


def test_the_links_of_the_message_replace_any_in_the_merge_data(
    merge_data: dict[str, Any], now: datetime
) -> None:
    merge_data["bookingLink"] = "https://evil.example.com"
    step = MessageTemplate(channel=Channel.SMS, body="{{ bookingLink }}", sequence=1)

    assert render_message(step, merge_data, LINKS, now=now).body.startswith(LINKS.booking)


def test_merge_data_is_escaped_in_the_html_part(merge_data: dict[str, Any], now: datetime) -> None:
    merge_data["patient"]["firstName"] = '<script>alert("x")</script> https://evil.example.com'
    step = MessageTemplate(
        channel=Channel.EMAIL, subject="Hi", body="Dear {{ patient.firstName }}", sequence=1
    )

    html = render_message(step, merge_data, LINKS, now=now).html or ""

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert 'href="https://evil.example.com"' not in html


def test_an_sms_ends_with_the_opt_out_once_and_is_counted(
    merge_data: dict[str, Any], now: datetime
) -> None:
    step = MessageTemplate(
        channel=Channel.SMS,
        body="{{ clinic.name }}: book at {{ bookingLink }} Reply STOP to opt out",
        sequence=2,
    )

    message = render_message(step, merge_data, LINKS, now=now)

    assert message.body == f"Bright Smiles: book at {LINKS.booking} {SMS_OPT_OUT}"
    assert message.body.count(SMS_OPT_OUT) == 1
    assert message.sms == SmsSize("GSM-7", len(message.body), 1)
    assert (message.subject, message.html) == (None, None)


def test_an_sms_without_the_opt_out_gets_it(merge_data: dict[str, Any], now: datetime) -> None:
    step = MessageTemplate(channel=Channel.SMS, body="Hi {{ patient.firstName }}", sequence=1)

    message = render_message(step, merge_data, LINKS, now=now)

    assert message.body == f"Hi Ada\n{SMS_OPT_OUT}"


def test_a_letter_carries_opt_out_instructions(merge_data: dict[str, Any], now: datetime) -> None:
    step = MessageTemplate(channel=Channel.MAIL, body="Dear {{ patient.firstName }},", sequence=1)

    message = render_message(step, merge_data, LINKS, now=now)

    assert message.body == (
        f"Dear Ada,\n\nTo stop receiving mail from us, visit {LINKS.unsubscribe} "
        "or call us at (555) 010-0100."
    )
    assert (message.sms, message.html) == (None, None)


def test_a_step_is_compiled_once() -> None:
    step = MessageTemplate(
        channel=Channel.EMAIL, subject="S", body="B {{ clinic.name }}", sequence=1
    )
    same_text = MessageTemplate(
        channel=Channel.EMAIL, subject="S", body="B {{ clinic.name }}", sequence=3, variant="B"
    )

    assert compile_step(step) is compile_step(same_text)


def test_a_link_inside_another_link_is_not_wrapped_twice() -> None:
    html = email_html(
        "a https://x.example/b and https://x.example/b/c",
        clickable=["https://x.example/b", "https://x.example/b/c"],
    )

    assert html.count("<a ") == 2
    assert '<a href="https://x.example/b/c">https://x.example/b/c</a>' in html


def test_only_web_links_are_clickable() -> None:
    html = email_html("javascript:alert(1)", clickable=["javascript:alert(1)"])

    assert "<a " not in html
