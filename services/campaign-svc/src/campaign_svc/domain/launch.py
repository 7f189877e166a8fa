"""What a launch needs beyond a valid definition: a start (now, when none is set), the clinic
facts its channels need, senders the platform verified, and an incentive code no other live campaign of the clinic uses in
an overlapping period (two campaigns sharing a code make ROI attribution ambiguous)."""

from collections.abc import Iterable
from datetime import datetime

from campaign_svc.domain.clinic_rules import clinic_profile_errors
from campaign_svc.domain.fallback_rules import fallback_channels
from campaign_svc.domain.model import Campaign, CampaignInput, FieldError
from campaign_svc.domain.senders import VerifiedSenders, sender_errors
from campaign_svc.domain.validation import validate_launch
from reengage_common.error_codes import CampaignErrorCode
from reengage_common.events import CampaignStatus, ClinicProfile

# Campaigns whose code is in use: launched and not finished.
LIVE = frozenset({CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE, CampaignStatus.PAUSED})


def starting_now_if_unset(definition: CampaignInput, now: datetime) -> CampaignInput:
    """A draft without a start date starts when it is launched; the launch records that date."""
    if definition.schedule.start_date is not None:
        return definition
    schedule = definition.schedule.model_copy(update={"start_date": now})
    return definition.model_copy(update={"schedule": schedule})


def launch_errors(
    definition: CampaignInput,
    *,
    profile: ClinicProfile | None,
    others: Iterable[Campaign],
    now: datetime,
    clinic_id: str,
    senders: VerifiedSenders,
) -> list[FieldError]:
    """Every reason `definition` (its start already filled in) cannot be launched now."""
    # A fallback's channel sends from the clinic's senders too.
    channels = [*definition.channels, *fallback_channels(definition)]
    channels = list(dict.fromkeys(channels))
    return [
        *validate_launch(definition, now=now),
        *clinic_profile_errors(profile, channels),
        *sender_errors(profile, channels, clinic_id=clinic_id, senders=senders),
        *incentive_code_errors(definition, others, now=now),
    ]


def incentive_code_errors(
    definition: CampaignInput, others: Iterable[Campaign], *, now: datetime
) -> list[FieldError]:
    """The live campaigns of the clinic that use the same code in an overlapping period."""
    code = (definition.incentive.incentive_code or "").strip()
    if not code:
        return []
    start = definition.schedule.start_date or now
    clashes = [
        other
        for other in others
        if other.status in LIVE
        and (other.incentive.incentive_code or "").strip().casefold() == code.casefold()
        and _overlap(start, definition.schedule.end_date, _start_of(other, now), _end_of(other))
    ]
    return [
        FieldError(
            "incentive.incentiveCode",
            f"{code} is already the code of campaign '{other.name}' ({other.id}, "
            f"{other.status.value}) in an overlapping period; use another code so bookings "
            "that redeem it are counted for one campaign",
            CampaignErrorCode.CODE_IN_USE,
        )
        for other in clashes
    ]


def _start_of(campaign: Campaign, now: datetime) -> datetime:
    return campaign.schedule.start_date or campaign.launched_at or now


def _end_of(campaign: Campaign) -> datetime | None:
    return campaign.schedule.end_date


def _overlap(
    start: datetime, end: datetime | None, other_start: datetime, other_end: datetime | None
) -> bool:
    """Whether [start, end) and [other_start, other_end) meet; no end runs forever."""
    return (other_end is None or start < other_end) and (end is None or other_start < end)
