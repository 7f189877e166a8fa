"""When a message may go out: the campaign's send times, the patient's waking hours.

A message due at `due_at` goes at the first of the campaign's `sendTimes` (in the campaign's
time zone) at or after it, provided that instant falls within 08:00-21:00 in the patient's own
time zone (the clinic's when the patient's is unknown). A slot in the patient's quiet hours
moves to the next send time that is not; when no send time of the campaign ever reaches the
patient's waking hours (Honolulu and a 09:00 New York send time), the message goes when the
patient's day opens instead, at 08:00 their time.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WINDOW_OPENS = time(8, 0)
WINDOW_CLOSES = time(21, 0)
# Send times repeat every day: a week of them is enough to find one in any patient's window.
SEARCH_DAYS = 8


@lru_cache(maxsize=512)
def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """The named time zone; the fallback for a missing or unknown name."""
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


@lru_cache(maxsize=512)
def parse_send_times(send_times: tuple[str, ...]) -> tuple[time, ...]:
    """ "HH:MM" strings as sorted times; a campaign without any sends at 10:00."""
    parsed = sorted({time.fromisoformat(value) for value in send_times})
    return tuple(parsed) or (time(10, 0),)


def in_waking_hours(moment: datetime, patient_zone: ZoneInfo) -> bool:
    """08:00-21:00 (both included) on the patient's clock."""
    local = moment.astimezone(patient_zone).time()
    return WINDOW_OPENS <= local <= WINDOW_CLOSES


def send_slot(
    due_at: datetime,
    *,
    send_times: Sequence[str],
    campaign_zone: ZoneInfo,
    patient_zone: ZoneInfo,
) -> datetime:
    """The instant (UTC) a message due at `due_at` goes out."""
    times = parse_send_times(tuple(send_times))
    first_day = due_at.astimezone(campaign_zone).date()
    for slot in _slots_from(first_day, times, campaign_zone):
        if slot < due_at:
            continue
        if slot > due_at + timedelta(days=SEARCH_DAYS):
            break
        if in_waking_hours(slot, patient_zone):
            return slot.astimezone(UTC)
    first_slot = next(s for s in _slots_from(first_day, times, campaign_zone) if s >= due_at)
    return next_waking_moment(first_slot, patient_zone)


def next_waking_moment(moment: datetime, patient_zone: ZoneInfo) -> datetime:
    """`moment` itself when the patient is awake, else 08:00 of their next morning (UTC)."""
    if in_waking_hours(moment, patient_zone):
        return moment.astimezone(UTC)
    local = moment.astimezone(patient_zone)
    day = local.date() if local.time() < WINDOW_OPENS else local.date() + timedelta(days=1)
    return datetime.combine(day, WINDOW_OPENS, tzinfo=patient_zone).astimezone(UTC)


def _slots_from(first_day: date, times: tuple[time, ...], campaign_zone: ZoneInfo):
    day = first_day - timedelta(days=1)  # a slot late yesterday may still be ahead in UTC
    for offset in range(SEARCH_DAYS + 3):
        for at in times:
            yield datetime.combine(day + timedelta(days=offset), at, tzinfo=campaign_zone)
