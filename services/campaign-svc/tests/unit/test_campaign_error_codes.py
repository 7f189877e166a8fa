"""Each rule answers its code beside its message, so a client can react without parsing text."""

from datetime import datetime
from typing import Any

import pytest

from campaign_svc.domain.model import InvalidCampaign, parse_campaign_input
from campaign_svc.domain.validation import validate_campaign
from reengage_common.error_codes import CampaignErrorCode as Code


def codes(document: dict[str, Any], now: datetime) -> dict[str, Code]:
    problems = validate_campaign(parse_campaign_input(document), now=now)
    return {problem.field: problem.code for problem in problems}


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (
            lambda d: d["targeting"].update(inactiveDays=0),
            {"targeting.inactiveDays": Code.OUT_OF_RANGE},
        ),
        (
            lambda d: d["targeting"].update(treatmentStages=["BRACES"]),
            {"targeting.treatmentStages.0": Code.UNKNOWN_TREATMENT_STAGE},
        ),
        (
            lambda d: d.update(variants=[{"name": "A", "weight": 0}]),
            {"variants.0.weight": Code.OUT_OF_RANGE},
        ),
        (
            lambda d: d["schedule"].update(sendTimes=["7pm"]),
            {"schedule.sendTimes.0": Code.INVALID_TIME},
        ),
        (
            lambda d: d["schedule"].update(sendTimes=["22:00"]),
            {"schedule.sendTimes.0": Code.OUTSIDE_LEGAL_HOURS},
        ),
        (
            lambda d: d["schedule"].update(timezone="Mars/Olympus"),
            {"schedule.timezone": Code.INVALID_TIME_ZONE},
        ),
        (
            lambda d: d["incentive"].update(incentiveCode="20% OFF"),
            {"incentive.incentiveCode": Code.INVALID},
        ),
        (
            lambda d: d["messageTemplates"][1].update(body="Hi {{ patient.nickname }}"),
            {"messageTemplates.1.body": Code.INVALID_TEMPLATE},
        ),
    ],
)
def test_a_broken_rule_names_its_code(
    campaign_document: dict[str, Any], now: datetime, spoil: Any, expected: dict[str, Code]
) -> None:
    spoil(campaign_document)

    assert codes(campaign_document, now) == expected


def test_a_type_error_is_invalid_type_and_a_missing_field_required(
    campaign_document: dict[str, Any],
) -> None:
    campaign_document["holdoutPercent"] = "ten"
    del campaign_document["schedule"]

    with pytest.raises(InvalidCampaign) as refused:
        parse_campaign_input(campaign_document)

    assert {e.field: e.code for e in refused.value.errors} == {
        "holdoutPercent": Code.INVALID_TYPE,
        "schedule": Code.REQUIRED,
    }
