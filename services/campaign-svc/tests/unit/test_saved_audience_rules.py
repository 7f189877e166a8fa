"""The saved-audience rules without I/O: parsing, validation, names, and how a campaign
request takes an audience's targeting."""

from datetime import UTC, datetime

import pytest

from campaign_svc.domain.model import InvalidCampaign
from campaign_svc.domain.saved_audiences import (
    NAME_MAX_LENGTH,
    SavedAudience,
    name_key,
    parse_saved_audience,
    referenced_audience,
    revised,
    saved_audience_errors,
    with_targeting,
)
from reengage_common.events import Targeting

AT = datetime(2026, 12, 1, tzinfo=UTC)


def codes(document: dict) -> list[tuple[str, str]]:
    return [(e.field, e.code.value) for e in saved_audience_errors(parse_saved_audience(document))]


def test_a_named_targeting_is_valid() -> None:
    assert codes({"name": "Lapsed", "targeting": {"inactiveDays": 180}}) == []


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"name": " ", "targeting": {"inactiveDays": 1}}, [("name", "REQUIRED")]),
        (
            {"name": "x" * (NAME_MAX_LENGTH + 1), "targeting": {"inactiveDays": 1}},
            [("name", "TOO_LONG")],
        ),
        (
            {"name": "a", "targeting": {"inactiveDays": 0}},
            [("targeting.inactiveDays", "OUT_OF_RANGE")],
        ),
        (
            {"name": "a", "targeting": {"inactiveDays": 9, "treatmentStages": ["X"]}},
            [("targeting.treatmentStages.0", "UNKNOWN_TREATMENT_STAGE")],
        ),
        (
            {"name": "a", "description": "d" * 501, "targeting": {"inactiveDays": 9}},
            [("description", "TOO_LONG")],
        ),
    ],
)
def test_each_broken_rule_names_its_field(document: dict, expected: list) -> None:
    assert codes(document) == expected


@pytest.mark.parametrize(
    ("document", "field", "code"),
    [
        ({"targeting": {"inactiveDays": 9}}, "name", "REQUIRED"),
        ({"name": "a"}, "targeting", "REQUIRED"),
        (
            {"name": "a", "targeting": {"inactiveDays": "9"}},
            "targeting.inactiveDays",
            "INVALID_TYPE",
        ),
        ([], "audience", "INVALID_TYPE"),
    ],
)
def test_a_malformed_request_names_its_field(document: object, field: str, code: str) -> None:
    with pytest.raises(InvalidCampaign) as raised:
        parse_saved_audience(document)
    assert [(e.field, e.code.value) for e in raised.value.errors] == [(field, code)]


def test_names_that_read_alike_share_a_key() -> None:
    assert name_key("  Lapsed   HYGIENE ") == name_key("lapsed hygiene")
    assert name_key("Lapsed hygiene") != name_key("Lapsed hygiene 2")


def test_a_campaign_request_takes_the_audience_targeting_in_place_of_its_own() -> None:
    body = {"name": "c", "savedAudienceId": "a1", "targeting": {"inactiveDays": 5}}
    assert referenced_audience(body) == "a1"
    assert referenced_audience({"savedAudienceId": None}) is None
    assert referenced_audience("not an object") is None
    taken = with_targeting(body, Targeting(inactive_days=365))
    assert taken["targeting"]["inactiveDays"] == 365
    assert taken["savedAudienceId"] == "a1"


def test_a_replace_keeps_identity_and_creation() -> None:
    current = SavedAudience(
        id="a1",
        name="Old",
        targeting=Targeting(inactive_days=9),
        created_by="u-1",
        created_at=AT,
        updated_at=AT,
    )
    change = parse_saved_audience({"name": "New", "targeting": {"inactiveDays": 30}})
    later = datetime(2026, 12, 2, tzinfo=UTC)
    after = revised(current, change, at=later)
    assert (after.id, after.created_by, after.created_at, after.updated_at) == (
        "a1",
        "u-1",
        AT,
        later,
    )
    assert (after.name, after.targeting.inactive_days) == ("New", 30)
