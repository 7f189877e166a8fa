"""What a launch needs beyond a valid definition (pure): a start, the clinic's facts for its
channels, and an incentive code no other live campaign of the clinic uses at the same time."""

from datetime import datetime, timedelta
from typing import Any

from campaign_svc.domain.clinic_rules import clinic_profile_errors, with_clinic_time_zone
from campaign_svc.domain.launch import launch_errors, starting_now_if_unset
from campaign_svc.domain.model import Campaign, parse_campaign_input
from campaign_svc.domain.senders import VerifiedSenders
from reengage_common.clinic import parse_profile
from reengage_common.error_codes import CampaignErrorCode
from reengage_common.events import CampaignStatus, Channel, ClinicProfile
from reengage_testing import COMPLETE_CLINIC_PROFILE

PROFILE = parse_profile(COMPLETE_CLINIC_PROFILE)
CLINIC = "clinic-a"
SENDERS = VerifiedSenders(
    email_domains=frozenset({"brightsmiles.example"}),
    sms_numbers={CLINIC: frozenset({"+15005550006"})},
)
DAY = timedelta(days=1)


def live_campaign(
    document: dict[str, Any],
    now: datetime,
    *,
    status: CampaignStatus,
    start: datetime,
    end: datetime | None,
    code: str = "SMILE20",
) -> Campaign:
    definition = {
        **document,
        "schedule": {**document["schedule"], "startDate": start, "endDate": end},
        "incentive": {**document["incentive"], "incentiveCode": code},
    }
    return Campaign.model_validate(
        {**definition, "id": "c-other", "status": status, "createdAt": now, "updatedAt": now}
    )


def code_errors(document: dict[str, Any], now: datetime, *others: Campaign) -> list[str]:
    definition = parse_campaign_input(document)
    errors = launch_errors(
        definition, profile=PROFILE, others=others, now=now, clinic_id=CLINIC, senders=SENDERS
    )
    assert {error.code for error in errors} <= {CampaignErrorCode.CODE_IN_USE}
    return [error.field for error in errors]


def test_a_draft_without_a_start_date_starts_when_launched(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    campaign_document["schedule"] = {"sendTimes": ["10:00"], "timezone": "UTC"}
    draft = parse_campaign_input(campaign_document)
    assert draft.schedule.start_date is None

    launched = starting_now_if_unset(draft, now)

    assert launched.schedule.start_date == now
    assert (
        launch_errors(
            launched, profile=PROFILE, others=[], now=now, clinic_id=CLINIC, senders=SENDERS
        )
        == []
    )
    dated = starting_now_if_unset(launched, now + DAY)
    assert dated.schedule.start_date == now


def test_each_channel_names_the_profile_field_it_misses() -> None:
    bare = ClinicProfile(name="New Clinic", timezone="UTC")

    email = clinic_profile_errors(bare, [Channel.EMAIL])
    sms = clinic_profile_errors(bare, [Channel.SMS])
    mail = clinic_profile_errors(None, [Channel.MAIL])

    assert [e.field for e in email] == ["clinic.address", "clinic.emailFrom"]
    assert email[0].message.startswith("EMAIL needs the clinic's postal address")
    assert [e.field for e in sms] == ["clinic.smsFrom"]
    assert [e.field for e in mail] == ["clinic.address"]
    assert mail[0].message.startswith("MAIL needs")
    assert {e.code for e in [*email, *sms, *mail]} == {CampaignErrorCode.PROFILE_INCOMPLETE}
    assert clinic_profile_errors(PROFILE, list(Channel)) == []


def test_a_live_campaign_with_the_same_code_in_an_overlapping_period_refuses_the_launch(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    start = parse_campaign_input(campaign_document).schedule.start_date
    assert start is not None
    running = live_campaign(
        campaign_document, now, status=CampaignStatus.ACTIVE, start=start - DAY, end=None
    )
    paused_lowercase = live_campaign(
        campaign_document, now, status=CampaignStatus.PAUSED, start=start, end=None, code="smile20"
    )

    assert code_errors(campaign_document, now, running) == ["incentive.incentiveCode"]
    assert code_errors(campaign_document, now, paused_lowercase) == ["incentive.incentiveCode"]


def test_the_same_code_is_fine_in_another_period_another_code_or_a_finished_campaign(
    campaign_document: dict[str, Any], now: datetime
) -> None:
    definition = parse_campaign_input(campaign_document)
    start, end = definition.schedule.start_date, definition.schedule.end_date
    assert start is not None and end is not None
    ended_before = live_campaign(
        campaign_document, now, status=CampaignStatus.SCHEDULED, start=start - 9 * DAY, end=start
    )
    starts_after = live_campaign(
        campaign_document, now, status=CampaignStatus.SCHEDULED, start=end, end=None
    )
    other_code = live_campaign(
        campaign_document, now, status=CampaignStatus.ACTIVE, start=start, end=None, code="FALL10"
    )
    cancelled = live_campaign(
        campaign_document, now, status=CampaignStatus.CANCELLED, start=start, end=None
    )

    assert (
        code_errors(campaign_document, now, ended_before, starts_after, other_code, cancelled) == []
    )


def test_a_new_campaign_takes_the_clinics_time_zone_unless_it_names_one(
    campaign_document: dict[str, Any],
) -> None:
    campaign_document["schedule"].pop("timezone")

    defaulted = with_clinic_time_zone(campaign_document, PROFILE)
    named = with_clinic_time_zone(
        {**campaign_document, "schedule": {"timezone": "Europe/Paris"}}, PROFILE
    )

    assert defaulted["schedule"]["timezone"] == "America/Chicago"
    assert named["schedule"]["timezone"] == "Europe/Paris"
    assert with_clinic_time_zone(campaign_document, None) is campaign_document
