"""Messages in the patient's language: which template a patient gets, the opt-out texts we
add in their language, and dates worded in the template's language."""

from datetime import datetime
from typing import Any

import pytest

from reengage_common.events import Channel, MessageTemplate
from reengage_common.messages import (
    MessageLanguages,
    MessageLinks,
    compile_step,
    language_of,
    message_languages,
    render_message,
)

LINKS = MessageLinks(
    unsubscribe="https://links.example/u/tok", booking="https://links.example/b/tok"
)
MERGE_DATA: dict[str, Any] = {
    "patient": {"firstName": "Lucía", "lastName": "Ruiz", "lastVisitDate": "2025-10-15"},
    "clinic": {"name": "Bright Smiles", "phone": "(555) 010-0100", "address": "1 Main St"},
    "incentive": {"code": None, "details": None},
}


def step(channel: Channel, **translations: str) -> MessageTemplate:
    return MessageTemplate(
        channel=channel,
        sequence=1,
        subject="We miss you" if channel is not Channel.SMS else None,
        body="Your last visit was {{ patient.lastVisitDate | ago }}.",
        translations=[
            {"language": language, "subject": "Le extrañamos", "body": body}
            for language, body in translations.items()
        ],
    )


SPANISH = {"es": "Su última visita fue {{ patient.lastVisitDate | ago }}."}


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("es", "es"),
        ("es-MX", "es"),
        ("es_419", "es"),
        ("ES", "es"),
        ("spa", "es"),
        ("en-US", "en"),
        ("fr", "fr"),
        ("", None),
        (None, None),
        ("not a tag", None),
    ],
)
def test_a_patients_tag_is_read_as_its_language(tag: str | None, language: str | None) -> None:
    assert language_of(tag) == language


@pytest.mark.parametrize(
    ("patient", "languages"),
    [
        ("es-MX", MessageLanguages(template="es", wording="es")),
        ("en", MessageLanguages(template="en", wording="en")),
        (None, MessageLanguages(template="en", wording="en")),
        # no French template and no French wording: the default language throughout
        ("fr", MessageLanguages(template="en", wording="en")),
    ],
)
def test_a_patient_gets_their_languages_template_else_the_default(
    patient: str | None, languages: MessageLanguages
) -> None:
    assert message_languages(step(Channel.SMS, **SPANISH), patient, "en") == languages


def test_a_spanish_patient_without_a_spanish_template_reads_the_way_out_in_spanish() -> None:
    assert message_languages(step(Channel.SMS), "es", "en") == MessageLanguages("en", "es")


def test_a_spanish_sms_says_its_dates_and_stop_hint_in_spanish(now: datetime) -> None:
    sms = step(Channel.SMS, **SPANISH)
    languages = message_languages(sms, "es-US", "en")

    rendered = render_message(
        compile_step(sms, languages.template),
        MERGE_DATA,
        LINKS,
        now=now,
        locale=languages.template,
        wording_language=languages.wording,
    )

    assert rendered.body == "Su última visita fue hace 8 meses.\nResponda STOP para darse de baja"


def test_a_stop_hint_the_clinic_wrote_in_spanish_is_not_repeated(now: datetime) -> None:
    sms = step(Channel.SMS, es="Hola. Responda STOP para no recibir más.")

    rendered = render_message(
        compile_step(sms, "es"), MERGE_DATA, LINKS, now=now, locale="es", wording_language="es"
    )

    assert rendered.body == "Hola. Responda STOP para no recibir más."


def test_a_spanish_email_has_its_unsubscribe_line_and_html_language_in_spanish(
    now: datetime,
) -> None:
    email = step(Channel.EMAIL, **SPANISH)

    rendered = render_message(
        compile_step(email, "es"), MERGE_DATA, LINKS, now=now, locale="es", wording_language="es"
    )

    assert rendered.subject == "Le extrañamos"
    assert rendered.body == (
        "Su última visita fue hace 8 meses.\n\nPara dejar de recibir estos correos, cancele su "
        "suscripción aquí: https://links.example/u/tok"
    )
    assert rendered.html is not None and rendered.html.startswith(
        '<!DOCTYPE html>\n<html lang="es">'
    )


def test_an_english_template_for_a_spanish_patient_keeps_english_dates_and_spanish_way_out(
    now: datetime,
) -> None:
    letter = step(Channel.MAIL)

    rendered = render_message(
        compile_step(letter, "en"), MERGE_DATA, LINKS, now=now, locale="en", wording_language="es"
    )

    assert rendered.body == (
        "Your last visit was 8 months ago.\n\nPara dejar de recibir nuestras cartas, visite "
        "https://links.example/u/tok o llámenos al (555) 010-0100."
    )
