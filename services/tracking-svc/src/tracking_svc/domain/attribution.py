"""Which campaign earns a booking: the latest one that contacted the patient within the window.

A holdout patient who books within the window after being held out counts for that campaign's
lift, never as its rebooking. Contacts after the booking earn nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Contact:
    campaign_id: str
    clinic_id: str
    at: datetime
    holdout: bool = False


@dataclass(frozen=True)
class Attribution:
    campaign_id: str
    holdout: bool


def attribute(
    contacts: list[Contact], booked_at: datetime, window: timedelta
) -> Attribution | None:
    eligible = [c for c in contacts if c.at <= booked_at and booked_at - c.at <= window]
    if not eligible:
        return None
    # The latest campaign wins; at one instant the contacted one over a holdout, then by id.
    latest = max(eligible, key=lambda c: (c.at, not c.holdout, c.campaign_id))
    return Attribution(latest.campaign_id, latest.holdout)
