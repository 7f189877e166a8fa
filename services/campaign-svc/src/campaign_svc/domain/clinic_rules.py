"""What a campaign takes from its clinic's profile: the default time zone, and the facts its
channels cannot go without."""

from collections.abc import Iterable, Mapping
from typing import Any

from campaign_svc.domain.model import FieldError
from reengage_common.clinic import CHANNEL_NEEDS, channel_gaps
from reengage_common.error_codes import CampaignErrorCode
from reengage_common.events import Channel, ClinicProfile

_WHY_NEEDED = {
    "address": "the clinic's postal address (line1, city, postalCode, country): every "
    "marketing email must carry it and a letter needs a return address",
    "emailFrom": "the sender of its emails (name and address, e.g. Bright Smiles <hi@clinic.com>)",
    "smsFrom": "the number its texts come from (E.164, e.g. +13125550100)",
}


def with_clinic_time_zone(body: Any, profile: ClinicProfile | None) -> Any:
    """A new campaign's request, its schedule in the clinic's time zone unless it names one."""
    if profile is None or not isinstance(body, Mapping):
        return body
    schedule = body.get("schedule")
    if not isinstance(schedule, Mapping) or schedule.get("timezone") is not None:
        return body
    return {**body, "schedule": {**schedule, "timezone": profile.timezone}}


def clinic_profile_errors(
    profile: ClinicProfile | None, channels: Iterable[Channel]
) -> list[FieldError]:
    """One error per profile field the campaign's channels need and the profile lacks."""
    chosen = list(channels)
    errors = []
    for field in channel_gaps(profile, chosen):
        needing = "/".join(c.value for c in Channel if c in chosen and field in CHANNEL_NEEDS[c])
        errors.append(
            FieldError(
                f"clinic.{field}",
                f"{needing} needs {_WHY_NEEDED[field]}; set it in the clinic profile "
                "(updateClinicProfile or PUT /api/booking/clinic)",
                CampaignErrorCode.PROFILE_INCOMPLETE,
            )
        )
    return errors
