"""No patient's contact details or words reach a log line (issue 17 #10)."""

import json
import logging

import pytest
import structlog

from reengage_common.logging import configure_logging, redact_personal_data, redact_text


def processed(**fields) -> dict:
    return dict(redact_personal_data(None, "info", {"event": "message.failed", **fields}))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("invalid recipient a@b@c", "invalid recipient [email]"),
        ("550 5.1.1 <ada@example.com>: unknown user", "550 5.1.1 <[email]>: unknown user"),
        ("Twilio 21211: '+15551230001' is not valid", "Twilio 21211: '[phone]' is not valid"),
        ("call +1 (312) 555-0100 or 312.555.0100", "call [phone] or [phone]"),
        ("guardian grace.l+recall@mail.example.org", "guardian [email]"),
    ],
)
def test_addresses_and_numbers_are_masked(text: str, shown: str) -> None:
    assert redact_text(text) == shown


@pytest.mark.parametrize(
    "kept",
    [
        "2026-12-03T15:30:00+00:00",
        "m-8f14e45fceea167a5a36dedd4bea2543",
        "offset 12345678901",
        "campaign c-1 run 3 took 0.25 s",
        "3b241101-e2bb-4255-8caf-4136c566a962",
    ],
)
def test_times_ids_and_figures_are_kept(kept: str) -> None:
    assert redact_text(kept) == kept


def test_free_text_fields_are_dropped_with_their_length_and_nested_values_masked() -> None:
    line = processed(
        body="my braces hurt, call me at +15551230001",
        reply="YES",
        reason="SMTP 550 for ada@example.com",
        contact={"email": "ada@example.com", "phone": "+15551230001", "timezone": "UTC"},
        recipients=["ada@example.com", "p-1"],
        error=ValueError("bad address a@b@c"),
    )

    assert line == {
        "event": "message.failed",
        "body": "[redacted] (39 characters)",
        "reply": "[redacted] (3 characters)",
        "reason": "SMTP 550 for [email]",
        "contact": {"email": "[email]", "phone": "[phone]", "timezone": "UTC"},
        "recipients": ["[email]", "p-1"],
        "error": "ValueError('bad address [email]')",
    }


def test_a_configured_logger_writes_no_address_even_in_a_traceback(capsys) -> None:
    configure_logging("test-svc")
    try:
        try:
            raise ValueError("could not send to a@b@c")
        except ValueError:
            structlog.get_logger().exception("send.crashed", to="ada@example.com")
        logging.getLogger("aiokafka").warning("peer +15551230001 said %s", "x@y.example")
    finally:
        structlog.reset_defaults()
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    crashed = json.loads(next(line for line in lines if "send.crashed" in line))
    assert crashed["to"] == "[email]"
    assert "could not send to [email]" in crashed["exception"]
    assert "@" not in out and "5551230001" not in out
