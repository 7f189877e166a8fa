"""Bounded inputs and bounded messages (issue 17 #3): the incentive text merged into every
message has a length limit, and a template that renders past its part's limit is refused on
save with RENDERED_TOO_LARGE, without the oversized text ever being built."""

from datetime import datetime
from typing import Any

from campaign_svc.domain.model import FieldError, parse_campaign_input
from campaign_svc.domain.validation import validate_campaign
from reengage_common.error_codes import CampaignErrorCode as Code


def problems(document: dict[str, Any], now: datetime) -> list[FieldError]:
    return validate_campaign(parse_campaign_input(document), now=now)


def test_incentive_details_longer_than_500_characters_are_refused(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["incentive"]["incentiveDetails"] = "x" * 200_000

    error, *rest = problems(campaign_document, now)

    assert (error.field, error.code) == ("incentive.incentiveDetails", Code.TOO_LONG)
    # The email merging it would pass its limit too, and says so without building it.
    assert [(e.field, e.code) for e in rest] == [
        ("messageTemplates.0.body", Code.RENDERED_TOO_LARGE)
    ]
    assert "at most 500 characters" in error.message


def test_a_template_repeating_the_incentive_past_the_email_limit_is_refused(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["incentive"]["incentiveDetails"] = "x" * 500
    campaign_document["messageTemplates"][0]["body"] = "{{incentive.details}}" * 950

    [error] = problems(campaign_document, now)

    assert error == FieldError(
        "messageTemplates.0.body",
        "renders to more than 100,000 characters with sample data; shorten the template or "
        "what it repeats",
        Code.RENDERED_TOO_LARGE,
    )


def test_an_sms_that_renders_past_ten_segments_is_refused(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["messageTemplates"][1]["body"] = "{{ incentive.details }} " * 70

    [error] = problems(campaign_document, now)

    assert (error.field, error.code) == ("messageTemplates.1.body", Code.RENDERED_TOO_LARGE)
    assert "1,600 characters" in error.message


def test_a_subject_past_one_header_line_is_refused(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["messageTemplates"][0]["subject"] = "{{ incentive.details }}" * 40

    [error] = problems(campaign_document, now)

    assert (error.field, error.code) == ("messageTemplates.0.subject", Code.RENDERED_TOO_LARGE)
