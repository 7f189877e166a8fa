"""A campaign's `groupHouseholds` (issue 22 #3): on unless turned off, a boolean named when it
is not one, carried by the launch's snapshot."""

from datetime import datetime
from typing import Any

import pytest

from campaign_svc.domain.model import InvalidCampaign, apply_changes, parse_campaign_input
from campaign_svc.domain.snapshot import launched_event
from reengage_common.error_codes import CampaignErrorCode as Code


def test_households_are_grouped_unless_turned_off(campaign_document: dict[str, Any]) -> None:
    assert parse_campaign_input(campaign_document).group_households is True
    campaign_document["groupHouseholds"] = None
    assert parse_campaign_input(campaign_document).group_households is True
    campaign_document["groupHouseholds"] = False
    assert parse_campaign_input(campaign_document).group_households is False


@pytest.mark.parametrize("value", ["no", 0, [False]])
def test_a_setting_that_is_not_a_boolean_is_named(
    campaign_document: dict[str, Any], value: object
) -> None:
    campaign_document["groupHouseholds"] = value

    with pytest.raises(InvalidCampaign) as refused:
        parse_campaign_input(campaign_document)

    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("groupHouseholds", Code.INVALID_TYPE)
    ]


def test_an_update_leaving_it_out_keeps_it(campaign_document: dict[str, Any]) -> None:
    campaign_document["groupHouseholds"] = False
    current = parse_campaign_input(campaign_document)

    assert apply_changes(current, {"name": "Renamed"}).group_households is False
    assert apply_changes(current, {"groupHouseholds": True}).group_households is True


def test_the_launch_snapshot_carries_it(campaign_document: dict[str, Any], now: datetime) -> None:
    grouped = launched_event("c-1", parse_campaign_input(campaign_document), launched_at=now)
    campaign_document["groupHouseholds"] = False
    apart = launched_event("c-2", parse_campaign_input(campaign_document), launched_at=now)

    assert (grouped.group_households, apart.group_households) == (True, False)
