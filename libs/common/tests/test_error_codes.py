"""The documented set of field error codes, and how pydantic's complaints map onto them."""

import pytest

from reengage_common.error_codes import (
    AudienceErrorCode,
    CampaignErrorCode,
    FieldErrorCode,
    ProfileErrorCode,
    RequestErrorCode,
    TrackingErrorCode,
    code_of_pydantic_error,
)

DOMAINS = (
    CampaignErrorCode,
    ProfileErrorCode,
    AudienceErrorCode,
    TrackingErrorCode,
    RequestErrorCode,
)
# The domains whose fields are read by pydantic (tracking-svc checks its parameters by hand).
PYDANTIC_DOMAINS = (CampaignErrorCode, ProfileErrorCode, AudienceErrorCode, RequestErrorCode)


@pytest.mark.parametrize(
    ("pydantic_type", "code"),
    [
        ("missing", "REQUIRED"),
        ("int_type", "INVALID_TYPE"),
        ("model_attributes_type", "INVALID_TYPE"),
        ("int_from_float", "INVALID_TYPE"),
        ("enum", "INVALID"),
        ("datetime_from_date_parsing", "INVALID"),
    ],
)
def test_pydantic_errors_map_to_a_code_every_domain_has(pydantic_type: str, code: str) -> None:
    assert code_of_pydantic_error(pydantic_type) == code
    for domain in PYDANTIC_DOMAINS:
        assert domain(code) == code


def test_the_documented_set_holds_every_domains_codes_once() -> None:
    every = {c.value for d in DOMAINS for c in d}

    assert {code.value for code in FieldErrorCode} == every
    assert [code.value for code in FieldErrorCode] == sorted(every)
    assert {"NOT_E164", "OUTSIDE_LEGAL_HOURS", "CODE_IN_USE", "PROFILE_INCOMPLETE"} <= every
    assert {"UNREADABLE_FILE", "BAD_CURSOR"} <= every
