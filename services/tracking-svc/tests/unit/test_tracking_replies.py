"""Inbound SMS meanings and Twilio's signature, cross-checked with the provider fake's."""

import sys
from pathlib import Path

import pytest

from reengage_common.events import ClinicProfile
from tracking_svc.domain.replies import (
    ReplyMeaning,
    is_permanent_sms_failure,
    meaning_of,
    reply_language,
    reply_text,
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


@pytest.mark.parametrize(
    ("body", "meaning"),
    [
        ("Parar", ReplyMeaning.STOP),
        ("BAJA", ReplyMeaning.STOP),
        ("ayuda", ReplyMeaning.HELP),
        ("Sí", ReplyMeaning.INTERESTED),
        ("no gracias", ReplyMeaning.NOT_INTERESTED),
    ],
)
def test_spanish_replies_mean_what_the_patient_says(body: str, meaning: ReplyMeaning) -> None:
    assert meaning_of(body) is meaning


@pytest.mark.parametrize(
    ("patient_language", "body", "language"),
    [
        ("es-MX", "STOP", "es"),
        ("en", "PARAR", "en"),
        (None, "PARAR", "es"),
        ("fr", "STOP", "en"),
        (None, "HELP", "en"),
    ],
)
def test_we_answer_in_the_patients_language_else_their_keywords(
    patient_language: str | None, body: str, language: str
) -> None:
    assert reply_language(patient_language, body) == language


def test_spanish_answers_name_the_clinic_and_keep_stop() -> None:
    clinic = ClinicProfile(name="Sonrisas", timezone="UTC", phone="(555) 010-0100")

    assert reply_text(ReplyMeaning.STOP, clinic, "es") == (
        "Sonrisas: se ha dado de baja y no recibirá más mensajes. Responda START para volver a "
        "suscribirse."
    )
    assert reply_text(ReplyMeaning.HELP, clinic, "es") == (
        "Sonrisas: contáctenos en (555) 010-0100. Responda STOP para darse de baja."
    )
    assert reply_text(ReplyMeaning.INTERESTED, None, "es") == (
        "Su clínica dental: ¡gracias! Le llamaremos para reservar su visita."
    )


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
