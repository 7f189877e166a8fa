"""Inbound SMS meanings and Twilio's signature, cross-checked with the provider fake's."""

import sys
from pathlib import Path

import pytest

from tracking_svc.domain.replies import (
    ReplyMeaning,
    is_permanent_sms_failure,
    meaning_of,
    signature_matches,
    twilio_signature,
    twiml,
)


@pytest.mark.parametrize(
    "body",
    ["STOP", " stop ", "StopAll", "unsubscribe", "CANCEL", "end", "Quit", "REVOKE", "optout"],
)
def test_every_stop_word_in_any_case_opts_out(body: str) -> None:
    assert meaning_of(body) is ReplyMeaning.STOP


@pytest.mark.parametrize(
    ("body", "meaning"),
    [
        ("HELP", ReplyMeaning.HELP),
        ("yes", ReplyMeaning.INTERESTED),
        ("Y", ReplyMeaning.INTERESTED),
        ("Can I book for Tuesday?", ReplyMeaning.INTERESTED),
        ("no", ReplyMeaning.NOT_INTERESTED),
        ("who is this?", ReplyMeaning.OTHER),
        ("please stop texting my dad", ReplyMeaning.OTHER),
    ],
)
def test_replies_mean_what_the_patient_says(body: str, meaning: ReplyMeaning) -> None:
    assert meaning_of(body) is meaning


def test_the_signature_is_the_one_the_twilio_fake_makes() -> None:
    # the inputs of tests/providers/test_twilio_protocol.py
    url = "https://clinic.example/webhooks/twilio/inbound?x=1"
    params = [("To", "+15005550006"), ("Body", "STOP"), ("From", "+15551230001")]
    sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "deploy" / "local"))
    from provider_fakes.twilio_protocol import request_signature

    signature = twilio_signature("12345", url, params)

    assert signature == request_signature("12345", url, params)
    assert signature_matches("12345", url, params, signature)
    assert not signature_matches("12345", url, [("Body", "YES"), *params[:1]], signature)
    assert not signature_matches("other", url, params, signature)
    assert not signature_matches("12345", url, params, None)


def test_only_permanent_errors_bounce_and_twiml_is_escaped() -> None:
    assert is_permanent_sms_failure("undelivered", "30003")
    assert not is_permanent_sms_failure("undelivered", "30001")
    assert not is_permanent_sms_failure("delivered", None)
    assert "&lt;b&gt;" in twiml("<b>")
