from datetime import datetime, timedelta
from typing import Any

from campaign_svc.domain.lifecycle import Action, transition
from campaign_svc.domain.model import Campaign, parse_campaign_input
from campaign_svc.domain.snapshot import (
    duplicate,
    duplicate_name,
    event_for,
    launched_event,
    status_changed_event,
)
from reengage_common.events import CampaignLaunched, CampaignStatus, CampaignStatusChanged

DAY = timedelta(days=1)


def test_the_launched_event_carries_the_whole_definition(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    definition = parse_campaign_input(campaign_document)

    event = launched_event("c-1", definition, launched_at=now, run_number=2)

    data = event.model_dump(mode="json", by_alias=True)
    assert data["campaignId"] == "c-1"
    assert data["runNumber"] == 2
    assert data["launchedAt"] == "2026-06-15T12:00:00Z"
    assert data["messageTemplates"][1]["delayDays"] == 3
    assert data["schedule"]["sendTimes"] == ["10:00", "17:30"]
    assert data["incentive"]["incentiveCode"] == "SMILE20"
    assert data["variants"] == [{"name": "A", "weight": 1}]
    assert CampaignLaunched.model_validate(data) == event


def test_the_snapshot_does_not_change_with_the_definition(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    definition = parse_campaign_input(campaign_document)
    event = launched_event("c-1", definition, launched_at=now)

    definition.message_templates[0].body = "changed after launch"
    definition.schedule.send_times.append("20:00")

    assert event.message_templates[0].body != "changed after launch"
    assert event.schedule.send_times == ["10:00", "17:30"]


def test_the_status_changed_event_says_from_and_to(now: datetime) -> None:
    change = transition(Action.PAUSE, CampaignStatus.ACTIVE, now=now)

    event = status_changed_event("c-1", change, at=now)

    assert event.model_dump(mode="json", by_alias=True) == {
        "campaignId": "c-1",
        "from": "ACTIVE",
        "to": "PAUSED",
        "at": "2026-06-15T12:00:00Z",
    }


def test_each_transition_gets_its_event(campaign_document: dict[str, Any], now: datetime) -> None:
    campaign = Campaign(
        **parse_campaign_input(campaign_document).model_dump(),
        id="c-1",
        created_at=now,
        updated_at=now,
    )
    launch = transition(Action.LAUNCH, CampaignStatus.DRAFT, now=now, start=now)
    edit = transition(Action.EDIT, CampaignStatus.DRAFT, now=now)
    scheduled = transition(Action.LAUNCH, CampaignStatus.DRAFT, now=now, start=now + DAY)

    assert isinstance(event_for(campaign, launch, at=now), CampaignLaunched)
    assert isinstance(event_for(campaign, scheduled, at=now), CampaignStatusChanged)
    assert event_for(campaign, edit, at=now) is None


def test_a_duplicate_is_called_copy_of_and_has_no_incentive_code(
    campaign_document: dict[str, Any],
) -> None:
    original = parse_campaign_input(campaign_document)
    assert original.incentive.incentive_code == "SMILE20"

    copy = duplicate(original)

    assert copy.name == "Copy of Spring recall"
    assert copy.incentive.incentive_code is None
    assert copy.incentive.incentive_details == original.incentive.incentive_details
    assert copy.model_dump(exclude={"name", "incentive"}) == original.model_dump(
        exclude={"name", "incentive"}
    )
    assert copy.message_templates[0] is not original.message_templates[0]


def test_a_duplicate_name_stays_within_the_limit() -> None:
    name = duplicate_name("x" * 200)

    assert name == "Copy of " + "x" * 192
    assert len(name) == 200
