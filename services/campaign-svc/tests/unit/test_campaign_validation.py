from datetime import datetime
from typing import Any

import pytest

from campaign_svc.domain.model import FieldError, parse_campaign_input
from campaign_svc.domain.validation import validate_campaign, validate_launch
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


def test_a_valid_campaign_has_no_problems(campaign_document: dict[str, Any], now: datetime) -> None:
    assert problems(campaign_document, now) == []


# --- name and targeting ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   "])
def test_a_name_is_required(campaign_document: dict[str, Any], now: datetime, name: str) -> None:
    campaign_document["name"] = name

    assert problems(campaign_document, now) == [
        FieldError("name", "a campaign needs a name", Code.REQUIRED)
    ]


def test_a_name_is_at_most_200_characters(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["name"] = "x" * 201

    assert problems(campaign_document, now) == [
        FieldError("name", "must be at most 200 characters, not 201", Code.TOO_LONG)
    ]


def test_a_name_of_exactly_200_characters_is_fine(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["name"] = "x" * 200

    assert problems(campaign_document, now) == []


@pytest.mark.parametrize("days", [0, -5])
def test_inactive_days_must_be_positive(
    campaign_document: dict[str, Any], now: datetime, days: int
) -> None:
    campaign_document["targeting"]["inactiveDays"] = days

    assert fields(campaign_document, now) == ["targeting.inactiveDays"]


def test_exclude_contact_days_must_be_positive(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["targeting"]["excludeContactDays"] = 0

    assert fields(campaign_document, now) == ["targeting.excludeContactDays"]


def test_treatment_stages_must_be_known(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["targeting"]["treatmentStages"] = ["RETENTION", "BRACES_OFF"]

    [error] = problems(campaign_document, now)

    assert error.field == "targeting.treatmentStages.1"
    assert "unknown treatment stage 'BRACES_OFF'" in error.message


# --- channels, variants, holdout ------------------------------------------------------------


def test_at_least_one_channel_is_required(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["channels"] = []

    # Both steps now use a channel the campaign does not have, too.
    assert fields(campaign_document, now) == [
        "channels",
        "messageTemplates.0.channel",
        "messageTemplates.1.channel",
    ]


def test_a_channel_is_listed_once(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["channels"] = ["EMAIL", "SMS", "EMAIL"]

    assert problems(campaign_document, now) == [
        FieldError("channels.2", "EMAIL is listed twice", Code.DUPLICATE)
    ]


def test_variant_names_are_required(campaign_document: dict[str, Any], now: datetime) -> None:
    add_variant_b(campaign_document)
    campaign_document["variants"][1]["name"] = " "

    assert "variants.1.name" in fields(campaign_document, now)


def test_variant_names_are_unique(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["variants"] = [{"name": "A", "weight": 1}, {"name": "A", "weight": 2}]

    assert problems(campaign_document, now) == [
        FieldError("variants.1.name", "variant 'A' is listed twice", Code.DUPLICATE)
    ]


@pytest.mark.parametrize("weight", [0, -1])
def test_variant_weights_are_positive(
    campaign_document: dict[str, Any], now: datetime, weight: int
) -> None:
    add_variant_b(campaign_document)
    campaign_document["variants"][1]["weight"] = weight

    assert fields(campaign_document, now) == ["variants.1.weight"]


def test_at_least_one_variant_is_required(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["variants"] = []

    assert fields(campaign_document, now) == [
        "variants",
        "messageTemplates.0.variant",
        "messageTemplates.1.variant",
    ]


@pytest.mark.parametrize("percent", [-1, 50.5, 51, float("nan")])
def test_holdout_is_between_0_and_50_percent(
    campaign_document: dict[str, Any], now: datetime, percent: float
) -> None:
    campaign_document["holdoutPercent"] = percent

    assert problems(campaign_document, now) == [
        FieldError("holdoutPercent", "must be between 0 and 50 percent", Code.OUT_OF_RANGE)
    ]


@pytest.mark.parametrize("percent", [0, 12.5, 50])
def test_holdout_limits_are_inclusive(
    campaign_document: dict[str, Any], now: datetime, percent: float
) -> None:
    campaign_document["holdoutPercent"] = percent

    assert problems(campaign_document, now) == []


# --- schedule -------------------------------------------------------------------------------


def test_at_least_one_send_time_is_required(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["schedule"]["sendTimes"] = []

    assert fields(campaign_document, now) == ["schedule.sendTimes"]


@pytest.mark.parametrize("send_time", ["25:00", "9:00", "10:60", "10:00\n", "noon", "10:00:00"])
def test_send_times_are_hh_mm(
    campaign_document: dict[str, Any], now: datetime, send_time: str
) -> None:
    campaign_document["schedule"]["sendTimes"] = ["10:00", send_time]

    [error] = problems(campaign_document, now)

    assert error.field == "schedule.sendTimes.1"
    assert "HH:MM (24-hour clock)" in error.message


@pytest.mark.parametrize("send_time", ["07:59", "21:01", "23:30", "00:00"])
def test_send_times_lie_in_the_legal_window(
    campaign_document: dict[str, Any], now: datetime, send_time: str
) -> None:
    campaign_document["schedule"]["sendTimes"] = [send_time]

    assert problems(campaign_document, now) == [
        FieldError(
            "schedule.sendTimes.0",
            f"{send_time} is not between 08:00 and 21:00, the hours the law allows outreach "
            "in the patient's own time zone",
            Code.OUTSIDE_LEGAL_HOURS,
        )
    ]


def test_the_window_edges_are_allowed(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["schedule"]["sendTimes"] = ["08:00", "21:00"]

    assert problems(campaign_document, now) == []


def test_a_send_time_is_listed_once(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["schedule"]["sendTimes"] = ["10:00", "10:00"]

    assert problems(campaign_document, now) == [
        FieldError("schedule.sendTimes.1", "10:00 is listed twice", Code.DUPLICATE)
    ]


@pytest.mark.parametrize("zone", ["Mars/Olympus", "america/chicago", "", "../etc/x", "localtime"])
def test_the_time_zone_is_an_iana_zone(
    campaign_document: dict[str, Any], now: datetime, zone: str
) -> None:
    campaign_document["schedule"]["timezone"] = zone

    assert fields(campaign_document, now) == ["schedule.timezone"]


@pytest.mark.parametrize("end", ["2026-06-30T09:00:00Z", "2026-07-01T09:00:00Z"])
def test_the_end_comes_after_the_start(
    campaign_document: dict[str, Any], now: datetime, end: str
) -> None:
    campaign_document["schedule"]["endDate"] = end

    assert problems(campaign_document, now) == [
        FieldError(
            "schedule.endDate", "the end date must come after the start date", Code.END_BEFORE_START
        )
    ]


def test_a_campaign_may_have_no_end(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["schedule"]["endDate"] = None

    assert problems(campaign_document, now) == []


# --- incentive ------------------------------------------------------------------------------


def test_an_incentive_needs_details(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["incentive"]["incentiveDetails"] = None

    assert fields(campaign_document, now) == ["incentive.incentiveDetails"]


def test_an_incentive_needs_a_code(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign_document["incentive"]["incentiveCode"] = ""

    assert fields(campaign_document, now) == ["incentive.incentiveCode"]


@pytest.mark.parametrize("code", ["X" * 33, "SMILE 20", "SMILE_20", "ÉTÉ20"])
def test_an_incentive_code_is_short_letters_digits_and_dashes(
    campaign_document: dict[str, Any], now: datetime, code: str
) -> None:
    campaign_document["incentive"]["incentiveCode"] = code

    assert fields(campaign_document, now) == ["incentive.incentiveCode"]


def test_an_incentive_code_of_32_characters_is_fine(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["incentive"]["incentiveCode"] = "SMILE-2026-" + "X" * 21

    assert problems(campaign_document, now) == []


def test_an_incentive_cost_cannot_be_negative(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["incentive"]["incentiveCostCents"] = -1

    assert fields(campaign_document, now) == ["incentive.incentiveCostCents"]


def test_without_an_incentive_no_details_or_code_are_needed(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["incentive"] = {"hasIncentive": False}
    campaign_document["messageTemplates"][0]["body"] = "Hi {{ patient.firstName }}"

    assert problems(campaign_document, now) == []


# --- launch ---------------------------------------------------------------------------------


def test_launching_after_the_end_date_is_refused(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["schedule"]["startDate"] = "2026-05-01T09:00:00Z"
    campaign_document["schedule"]["endDate"] = "2026-06-15T12:00:00Z"

    assert validate_launch(parse_campaign_input(campaign_document), now=now) == [
        FieldError(
            "schedule.endDate",
            "the end date has passed; the campaign would send nothing",
            Code.END_DATE_PASSED,
        )
    ]


def test_launching_with_a_past_start_is_fine(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["schedule"]["startDate"] = "2026-05-01T09:00:00Z"

    assert validate_launch(parse_campaign_input(campaign_document), now=now) == []


def test_launching_checks_every_saving_rule_too(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["name"] = ""

    assert [e.field for e in validate_launch(parse_campaign_input(campaign_document), now=now)] == [
        "name"
    ]
