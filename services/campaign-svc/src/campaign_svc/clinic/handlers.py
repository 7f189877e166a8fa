"""Reading and replacing the caller's clinic profile (the clinic is the token's)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog

from campaign_svc.clinic.store import current_profile, save_profile
from reengage_common.auth import MANAGE_REMINDERS, VIEW_ANALYTICS, Identity
from reengage_common.clinic import parse_profile
from reengage_common.events import ClinicProfile

log = structlog.get_logger(__name__)


class ProfileNotFound(LookupError):
    def __init__(self, clinic_id: str) -> None:
        super().__init__(f"clinic {clinic_id} has no profile yet; PUT one")


async def read_profile(identity: Identity) -> ClinicProfile:
    identity.require(VIEW_ANALYTICS)
    profile = await current_profile(identity.clinic_id)
    if profile is None:
        raise ProfileNotFound(identity.clinic_id)
    return profile


async def replace_profile(
    identity: Identity, body: Any, clock: Callable[[], datetime]
) -> ClinicProfile:
    """Validate the whole profile (InvalidProfile names each bad field), then store it."""
    identity.require(MANAGE_REMINDERS)
    profile = parse_profile(body)
    revision = await save_profile(identity.clinic_id, profile, by=identity.user_id, at=clock())
    log.info("clinic_profile.saved", clinic_id=identity.clinic_id, revision=revision)
    return profile
