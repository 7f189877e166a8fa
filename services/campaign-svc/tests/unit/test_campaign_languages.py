"""A campaign's languages: its default one and each step's templates in other languages are
checked when it is saved, each problem naming its field; a good one travels in the snapshot."""

from datetime import datetime
from typing import Any

from campaign_svc.domain.model import FieldError, parse_campaign_input
from campaign_svc.domain.snapshot import launched_event
from campaign_svc.domain.validation import validate_campaign
from reengage_common.error_codes import CampaignErrorCode as Code

SPANISH_EMAIL = {
    "language": "es",
    "subject": "Le extrañamos, {{ patient.firstName | default('paciente') }}",
    "body": "Su última visita fue {{ patient.lastVisitDate | ago }}. Reserve: {{ bookingLink }}",
}
SPANISH_SMS = {"language": "es", "body": "{{ clinic.name }}: reserve en {{ bookingLink }}"}


def problems(document: dict[str, Any], now: datetime) -> list[FieldError]:
    return validate_campaign(parse_campaign_input(document), now=now)


def codes(document: dict[str, Any], now: datetime) -> list[tuple[str, Code]]:
    return [(error.field, error.code) for error in problems(document, now)]


def test_a_step_may_add_a_template_per_supported_language(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    # given Spanish templates beside the English ones
    campaign_document["messageTemplates"][0]["translations"] = [SPANISH_EMAIL]
    campaign_document["messageTemplates"][1]["translations"] = [SPANISH_SMS]

    # then the campaign may be saved, and its snapshot carries them and the default language
    assert problems(campaign_document, now) == []
    definition = parse_campaign_input(campaign_document)
    snapshot = launched_event("c-1", definition, launched_at=now)
    assert snapshot.default_language == "en"
    assert snapshot.message_templates[1].translations[0].body == SPANISH_SMS["body"]


def test_a_campaign_written_in_spanish_first_may_add_english(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["defaultLanguage"] = "es"
    campaign_document["messageTemplates"][1]["translations"] = [
        {"language": "en", "body": "Time for a check-up? {{ bookingLink }}"}
    ]

    assert problems(campaign_document, now) == []


def test_an_unsupported_default_language_is_refused(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["defaultLanguage"] = "fr"

    [error] = problems(campaign_document, now)

    assert (error.field, error.code) == ("defaultLanguage", Code.UNSUPPORTED_LANGUAGE)
    assert error.message == (
        "'fr' is not a language messages are written in (supported: en (English), es (Spanish))"
    )


def test_a_template_in_an_unsupported_language_is_refused_at_its_field(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["messageTemplates"][1]["translations"] = [
        SPANISH_SMS,
        {"language": "klingon", "body": "Qapla'"},
    ]

    assert codes(campaign_document, now) == [
        ("messageTemplates.1.translations.1.language", Code.UNSUPPORTED_LANGUAGE)
    ]


def test_a_language_is_given_once_per_step_and_never_the_default_again(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["messageTemplates"][1]["translations"] = [
        {"language": "en", "body": "Hi"},
        SPANISH_SMS,
        SPANISH_SMS,
    ]

    assert codes(campaign_document, now) == [
        ("messageTemplates.1.translations.0.language", Code.DUPLICATE),
        ("messageTemplates.1.translations.2.language", Code.DUPLICATE),
    ]


def test_a_translated_email_needs_its_subject_and_body(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["messageTemplates"][0]["translations"] = [
        {"language": "es", "subject": " ", "body": ""}
    ]

    assert codes(campaign_document, now) == [
        ("messageTemplates.0.translations.0.subject", Code.REQUIRED),
        ("messageTemplates.0.translations.0.body", Code.REQUIRED),
    ]


def test_a_translation_that_cannot_render_is_refused_at_its_field(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["messageTemplates"][0]["translations"] = [
        {**SPANISH_EMAIL, "subject": "Hola {{ patient.firstName"},
    ]
    campaign_document["messageTemplates"][1]["translations"] = [
        {"language": "es", "body": "Hola {{ patient.nickname }}"},
    ]

    assert codes(campaign_document, now) == [
        ("messageTemplates.0.translations.0.subject", Code.INVALID_TEMPLATE),
        ("messageTemplates.1.translations.0.body", Code.INVALID_TEMPLATE),
    ]


def test_a_translation_that_fails_for_a_missing_value_is_refused(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["messageTemplates"][1]["translations"] = [
        {"language": "es", "body": "Llame al {{ clinic.phone[:5] }}"},
    ]

    [error] = problems(campaign_document, now)

    assert (error.field, error.code) == (
        "messageTemplates.1.translations.0.body",
        Code.FAILS_FOR_MISSING_VALUE,
    )


def test_a_refused_translation_is_not_rendered_so_a_long_list_costs_little(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    # a request listing the same language many times, each with a broken template
    campaign_document["messageTemplates"][1]["translations"] = [SPANISH_SMS] + [
        {"language": "es", "body": "{{ broken"}
    ] * 500

    errors = codes(campaign_document, now)

    # only the duplicates are named; none of their templates was compiled or rendered
    assert errors == [
        (f"messageTemplates.1.translations.{i}.language", Code.DUPLICATE) for i in range(1, 501)
    ]
