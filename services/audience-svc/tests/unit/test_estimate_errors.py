"""An estimate's field errors: each names its camelCase path and an `AudienceErrorCode`."""

import json
from typing import Any

import pytest
from pydantic import ValidationError

from audience_svc.api import EstimateRequest, code_of, field_errors


def errors_of(body: dict[str, Any]) -> dict[str, str]:
    """`{field: code}` for a body read as the endpoint reads it (strictly, as JSON)."""
    with pytest.raises(ValidationError) as caught:
        EstimateRequest.model_validate_json(json.dumps(body), strict=True)
    return {error["field"]: error["code"] for error in field_errors(caught.value)}


@pytest.mark.parametrize(
    ("pydantic_type", "code"),
    [
        ("missing", "REQUIRED"),
        ("list_type", "INVALID_TYPE"),
        ("greater_than_equal", "OUT_OF_RANGE"),
        ("less_than_equal", "OUT_OF_RANGE"),
        ("enum", "NOT_ONE_OF"),
        ("string_too_long", "INVALID"),
    ],
)
def test_each_pydantic_error_has_an_audience_code(pydantic_type: str, code: str) -> None:
    assert code_of(pydantic_type) == code


def test_day_counts_below_one_are_out_of_range_at_their_own_path() -> None:
    assert errors_of({"targeting": {"inactiveDays": 0, "excludeContactDays": -3}}) == {
        "targeting.inactiveDays": "OUT_OF_RANGE",
        "targeting.excludeContactDays": "OUT_OF_RANGE",
    }


def test_every_broken_field_is_named_with_its_code_at_once() -> None:
    body = {
        "targeting": {"treatmentStages": "RETENTION"},
        "channels": ["FAX"],
        "holdoutPercent": 60,
    }

    assert errors_of(body) == {
        "targeting.inactiveDays": "REQUIRED",
        "targeting.treatmentStages": "INVALID_TYPE",
        "channels.0": "NOT_ONE_OF",
        "holdoutPercent": "OUT_OF_RANGE",
    }


def test_a_targeting_within_bounds_is_estimated() -> None:
    wanted = EstimateRequest.model_validate_json('{"targeting": {"inactiveDays": 1}}', strict=True)

    assert wanted.audience().targeting.exclude_contact_days == 30


def test_a_merge_field_no_template_may_use_is_not_one_of_them() -> None:
    body = {"targeting": {"inactiveDays": 180}, "mergeFields": ["patient.firstName", "ssn"]}

    assert errors_of(body) == {"mergeFields.1": "NOT_ONE_OF"}
