from datetime import datetime
from typing import Any

import pytest

from campaign_svc.domain.model import FieldError, parse_campaign_input
from campaign_svc.domain.validation import validate_campaign
from reengage_common.error_codes import CampaignErrorCode as Code


def problems(document: dict[str, Any], now: datetime) -> list[FieldError]:
    return validate_campaign(parse_campaign_input(document), now=now)


def fields(document: dict[str, Any], now: datetime) -> list[str]:
    return [error.field for error in problems(document, now)]


def add_variant_b(document: dict[str, Any]) -> None:
    document["variants"] = [{"name": "A", "weight": 1}, {"name": "B", "weight": 1}]
    document["messageTemplates"].append(
        {"channel": "SMS", "body": "Hi from B", "sequence": 1, "variant": "B"}
    )


# --- message steps --------------------------------------------------------------------------


def test_at_least_one_step_is_required(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["messageTemplates"] = []

    assert fields(campaign_document, now) == ["messageTemplates", "variants.0"]


def test_step_numbers_do_not_repeat_within_a_variant(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["messageTemplates"][1]["sequence"] = 1

    assert problems(campaign_document, now) == [
        FieldError("messageTemplates.1.sequence", "variant A already has a step 1", Code.DUPLICATE)
    ]


def test_step_numbers_have_no_gaps(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["messageTemplates"][1]["sequence"] = 3

    [error] = problems(campaign_document, now)

    assert error.field == "messageTemplates.1.sequence"
    assert error.message.startswith("variant A has no step 2")


def test_step_numbers_start_at_1(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["messageTemplates"][0]["sequence"] = 0

    # With step 0 out of the count, the variant also lacks a step 1.
    assert problems(campaign_document, now) == [
        FieldError("messageTemplates.0.sequence", "steps are numbered from 1", Code.OUT_OF_RANGE),
        FieldError(
            "messageTemplates.1.sequence",
            "variant A has no step 1; number its steps 1, 2, 3… without gaps",
            Code.SEQUENCE_GAP,
        ),
    ]


def test_each_variant_numbers_its_own_steps(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    add_variant_b(campaign_document)

    assert problems(campaign_document, now) == []


def test_a_step_belongs_to_one_of_the_variants(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["messageTemplates"][1]["variant"] = "B"

    # Step 2 also leaves variant A with a lone step 1, which is fine; B is the problem.
    assert problems(campaign_document, now) == [
        FieldError(
            "messageTemplates.1.variant",
            "'B' is not one of the campaign's variants (A)",
            Code.NOT_IN_CAMPAIGN,
        ),
        FieldError(
            "messageTemplates.1.sequence",
            "variant B has no step 1; number its steps 1, 2, 3… without gaps",
            Code.SEQUENCE_GAP,
        ),
    ]


def test_every_variant_has_a_step(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["variants"] = [{"name": "A", "weight": 1}, {"name": "B", "weight": 1}]

    assert problems(campaign_document, now) == [
        FieldError("variants.1", "variant 'B' has no message steps", Code.UNUSED_VARIANT)
    ]


def test_a_step_uses_one_of_the_campaign_channels(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["messageTemplates"][1]["channel"] = "MAIL"

    assert problems(campaign_document, now) == [
        FieldError(
            "messageTemplates.1.channel",
            "MAIL is not one of the campaign's channels (EMAIL, SMS)",
            Code.NOT_IN_CAMPAIGN,
        )
    ]


@pytest.mark.parametrize("subject", [None, "", "  "])
def test_an_email_needs_a_subject(
    campaign_document: dict[str, Any], now: datetime, subject: str | None
) -> None:
    campaign_document["messageTemplates"][0]["subject"] = subject

    assert problems(campaign_document, now) == [
        FieldError("messageTemplates.0.subject", "an email needs a subject", Code.REQUIRED)
    ]


def test_an_sms_subject_is_ignored_even_if_it_is_not_a_valid_template(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["messageTemplates"][1]["subject"] = "{{ config }}"

    assert problems(campaign_document, now) == []


def test_a_step_needs_a_body(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["messageTemplates"][1]["body"] = " \n"

    assert problems(campaign_document, now) == [
        FieldError("messageTemplates.1.body", "a message needs a body", Code.REQUIRED)
    ]


def test_a_delay_cannot_be_negative(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["messageTemplates"][0]["delayDays"] = -1

    assert problems(campaign_document, now) == [
        FieldError("messageTemplates.0.delayDays", "cannot be negative", Code.OUT_OF_RANGE)
    ]


def test_a_follow_up_waits_at_least_a_day(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["messageTemplates"][1]["delayDays"] = 0

    assert problems(campaign_document, now) == [
        FieldError(
            "messageTemplates.1.delayDays",
            "a follow-up must wait at least 1 day after the previous step",
            Code.OUT_OF_RANGE,
        )
    ]


def test_the_first_step_may_wait_some_days(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["messageTemplates"][0]["delayDays"] = 2

    assert problems(campaign_document, now) == []


# --- templates ------------------------------------------------------------------------------


def test_an_unknown_merge_field_is_named_with_its_line(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["messageTemplates"][0]["body"] = "Hello\n\n{{ patient.nickname }}"

    assert problems(campaign_document, now) == [
        FieldError(
            "messageTemplates.0.body",
            "line 3: unknown merge field 'patient.nickname' "
            "(patient has firstName, lastName, lastVisitDate, treatmentStage)",
            Code.INVALID_TEMPLATE,
        )
    ]


def test_a_subject_template_is_checked_too(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["messageTemplates"][0]["subject"] = "Hi {{ patient.firstName"

    [error] = problems(campaign_document, now)

    assert error.field == "messageTemplates.0.subject"
    assert error.message.startswith("line 1: ")


def test_a_template_mentioning_an_absent_incentive_is_refused(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["incentive"] = {"hasIncentive": False}

    assert problems(campaign_document, now) == [
        FieldError(
            "messageTemplates.0.body",
            "uses incentive.code, but the campaign has no incentive",
            Code.NOT_ALLOWED_MERGE_FIELD,
        ),
        FieldError(
            "messageTemplates.0.body",
            "uses incentive.details, but the campaign has no incentive",
            Code.NOT_ALLOWED_MERGE_FIELD,
        ),
    ]


def test_a_template_that_fails_on_sample_data_is_refused(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["messageTemplates"][1]["body"] = "{{ patient.firstName * 3 }}"

    assert problems(campaign_document, now) == [
        FieldError(
            "messageTemplates.1.body",
            "fails with sample data: '*' works on numbers only in message templates",
            Code.TEMPLATE_RENDER_FAILED,
        )
    ]


@pytest.mark.parametrize(
    ("body", "lacking"),
    [
        ("Hi {{ patient.firstName[0] }}.", "patient.firstName"),
        (
            "{% if patient.lastVisitDate < '2026-01-01' %}Long time!{% endif %}",
            "patient.lastVisitDate",
        ),
        ("Call {{ clinic.phone[:5] }}", "clinic.phone"),
        ("{{ patient.treatmentStage | length + 1 }} steps", "patient.treatmentStage"),
    ],
)
def test_a_template_that_fails_for_a_patient_lacking_a_value_is_refused(
    campaign_document: dict[str, Any], now: datetime, body: str, lacking: str
) -> None:
    # given a step that renders for the full sample patient, but not for one without `lacking`
    campaign_document["messageTemplates"][1]["body"] = body

    # when the campaign is saved
    [error] = problems(campaign_document, now)

    # then it is refused there, never at send time
    assert (error.field, error.code) == ("messageTemplates.1.body", Code.FAILS_FOR_MISSING_VALUE)
    assert error.message.startswith(f"fails for a patient without {lacking} (")


@pytest.mark.parametrize(
    "body",
    [
        "Your last visit was {{ patient.lastVisitDate | ago }}. Book: {{ bookingLink }}",
        "Hi {{ patient.firstName | default('there') }}, seen {{ patient.lastVisitDate | date }}",
        "{{ patient.lastVisitDate | ago | default('some time ago') | capitalize }}",
        "{% if patient.lastVisitDate %}Since {{ patient.lastVisitDate | date }}{% endif %}",
        "Hi {{ patient.firstName | default('there') | first }}",
    ],
)
def test_templates_that_handle_a_missing_value_are_saved(
    campaign_document: dict[str, Any], now: datetime, body: str
) -> None:
    campaign_document["messageTemplates"][1]["body"] = body

    assert problems(campaign_document, now) == []


def test_a_template_is_at_most_20000_characters(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["messageTemplates"][0]["body"] = "x" * 20_001

    assert problems(campaign_document, now) == [
        FieldError("messageTemplates.0.body", "must be at most 20000 characters", Code.TOO_LONG)
    ]
