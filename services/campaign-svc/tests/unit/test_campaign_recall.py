"""A campaign's recall window (targeting.recall): kept as written, and a bad one named by its
field like every targeting rule."""

from datetime import date, datetime
from typing import Any

import pytest

from campaign_svc.domain.model import FieldError, InvalidCampaign, parse_campaign_input
from campaign_svc.domain.validation import validate_campaign
from reengage_common.error_codes import CampaignErrorCode as Code


def problems(document: dict[str, Any], now: datetime) -> list[FieldError]:
    return validate_campaign(parse_campaign_input(document), now=now)


def test_a_recall_window_is_kept_as_written(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    recall = {"dueSince": "2026-06-01", "overdueByMonths": 1, "maxOverdueMonths": 3}
    campaign_document["targeting"]["recall"] = recall

    parsed = parse_campaign_input(campaign_document)

    assert problems(campaign_document, now) == []
    assert parsed.targeting.recall is not None
    assert parsed.targeting.recall.due_since == date(2026, 6, 1)
    assert parsed.targeting.model_dump(mode="json", by_alias=True)["recall"] == recall


@pytest.mark.parametrize(
    ("recall", "field", "message"),
    [
        ({"overdueByMonths": -1}, "targeting.recall.overdueByMonths", "must be 0 to 1200 months"),
        ({"maxOverdueMonths": 0}, "targeting.recall.maxOverdueMonths", "must be 1 to 1200 months"),
        (
            {"overdueByMonths": 12, "maxOverdueMonths": 3},
            "targeting.recall.maxOverdueMonths",
            "must be more than overdueByMonths (12), or the window is empty",
        ),
    ],
)
def test_a_bad_recall_window_names_its_field(
    campaign_document: dict[str, Any], now: datetime, recall: dict, field: str, message: str
) -> None:
    campaign_document["targeting"]["recall"] = recall

    assert problems(campaign_document, now) == [FieldError(field, message, Code.OUT_OF_RANGE)]


def test_a_due_since_that_is_no_date_is_named(campaign_document: dict[str, Any]) -> None:
    campaign_document["targeting"]["recall"] = {"dueSince": "last spring"}

    with pytest.raises(InvalidCampaign) as refused:
        parse_campaign_input(campaign_document)

    assert [error.field for error in refused.value.errors] == ["targeting.recall.dueSince"]
