"""When a message may go out: the campaign's send times, the patient's waking hours.

A message due at `due_at` goes at the first of the campaign's `sendTimes` (in the campaign's
time zone) at or after it, provided that instant falls within 08:00-21:00 in the patient's own
time zone (the clinic's when the patient's is unknown), or within the narrower hours the
clinic's profile sets (`quietHours`, never wider than the legal window). A slot outside them
moves to the next send time that is not; when no send time of the campaign ever reaches the
patient's waking hours (Honolulu and a 09:00 New York send time), the message goes when the
patient's day opens instead, at its start (08:00 by default) their time.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reengage_common.clinic import LEGAL_END, LEGAL_START

# Opening and closing time of the patient's day, both included.
Window = tuple[time, time]
LEGAL_WINDOW: Window = (LEGAL_START, LEGAL_END)
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


def in_waking_hours(
    moment: datetime, patient_zone: ZoneInfo, window: Window = LEGAL_WINDOW
) -> bool:
    """Within `window` (08:00-21:00 unless the clinic narrowed it) on the patient's clock."""
    local = moment.astimezone(patient_zone).time()
    return window[0] <= local <= window[1]


def send_slot(
    due_at: datetime,
    *,
    send_times: Sequence[str],
    campaign_zone: ZoneInfo,
    patient_zone: ZoneInfo,
    window: Window = LEGAL_WINDOW,
) -> datetime:
    """The instant (UTC) a message due at `due_at` goes out."""
    return _send_slot(
        due_at, parse_send_times(tuple(send_times)), campaign_zone, patient_zone, window
    )


# The messages of one launch share their due instant, campaign and mostly their time zone: one
# slot computed serves thousands (it was a visible share of the sender's CPU: docs/perf.md).
@lru_cache(maxsize=4096)
def _send_slot(
    due_at: datetime,
    times: tuple[time, ...],
    campaign_zone: ZoneInfo,
    patient_zone: ZoneInfo,
    window: Window,
) -> datetime:
    first_day = due_at.astimezone(campaign_zone).date()
    for slot in _slots_from(first_day, times, campaign_zone):
        if slot < due_at:
            continue
        if slot > due_at + timedelta(days=SEARCH_DAYS):
            break
        if in_waking_hours(slot, patient_zone, window):
            return slot.astimezone(UTC)
    first_slot = next(s for s in _slots_from(first_day, times, campaign_zone) if s >= due_at)
    return next_waking_moment(first_slot, patient_zone, window)


def next_waking_moment(
    moment: datetime, patient_zone: ZoneInfo, window: Window = LEGAL_WINDOW
) -> datetime:
    """`moment` itself within the window, else the window's opening on their next day (UTC)."""
    if in_waking_hours(moment, patient_zone, window):
        return moment.astimezone(UTC)
    opens = window[0]
    local = moment.astimezone(patient_zone)
    day = local.date() if local.time() < opens else local.date() + timedelta(days=1)
    return datetime.combine(day, opens, tzinfo=patient_zone).astimezone(UTC)


def _slots_from(first_day: date, times: tuple[time, ...], campaign_zone: ZoneInfo):
    day = first_day - timedelta(days=1)  # a slot late yesterday may still be ahead in UTC
    for offset in range(SEARCH_DAYS + 3):
        for at in times:
            yield datetime.combine(day + timedelta(days=offset), at, tzinfo=campaign_zone)
