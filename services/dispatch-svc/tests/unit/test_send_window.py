"""Send slots: the campaign's send times in its zone, the patient's waking hours in theirs."""

from datetime import UTC, datetime

import pytest

from dispatch_svc.domain.send_window import in_waking_hours, next_waking_moment, send_slot, zone

CHICAGO = zone("America/Chicago")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def slot(due_at: datetime, send_times: list[str], patient: str | None) -> datetime:
    return send_slot(
        due_at,
        send_times=send_times,
        campaign_zone=CHICAGO,
        patient_zone=zone(patient, "America/Chicago"),
    )


@pytest.mark.parametrize(
    ("due_at", "send_times", "patient", "expected"),
    [
        # 09:00 Chicago, send at 10:00: the same morning
        (utc(2026, 11, 26, 15), ["10:00"], "America/Chicago", utc(2026, 11, 26, 16)),
        # exactly at a send time: that one
        (utc(2026, 11, 26, 16), ["10:00"], "America/Chicago", utc(2026, 11, 26, 16)),
        # after the last send time of the day: tomorrow's first
        (utc(2026, 11, 26, 23, 45), ["10:00", "17:30"], None, utc(2026, 11, 27, 16)),
        # 10:00 Chicago is 06:00 in Honolulu: the 17:30 slot (13:30 there) instead
        (utc(2026, 11, 26, 15), ["10:00", "17:30"], "Pacific/Honolulu", utc(2026, 11, 26, 23, 30)),
        # 20:30 Chicago is 21:30 in New York: the next send time that is not quiet
        (utc(2026, 11, 26, 17), ["09:30", "20:30"], "America/New_York", utc(2026, 11, 27, 15, 30)),
        # no send time ever reaches New York's waking hours: 08:00 there the next morning
        (utc(2026, 11, 26, 17), ["20:30"], "America/New_York", utc(2026, 11, 27, 13)),
        # an unknown zone name falls back to the clinic's
        (utc(2026, 11, 26, 15), ["10:00"], "Mars/Olympus", utc(2026, 11, 26, 16)),
        # across a DST change (Chicago leaves CDT on 2026-11-01): 10:00 local both days
        (utc(2026, 10, 31, 16), ["10:00"], None, utc(2026, 11, 1, 16)),
    ],
)
def test_send_slot(due_at, send_times, patient, expected) -> None:
    assert slot(due_at, send_times, patient) == expected


def test_the_slot_is_never_before_it_is_due_and_always_in_waking_hours() -> None:
    for hour in range(24):
        for patient in ("Pacific/Honolulu", "America/New_York", "Europe/London", "Asia/Tokyo"):
            due_at = utc(2026, 11, 26, hour, 7)
            found = slot(due_at, ["08:00", "12:15", "21:00"], patient)
            assert found >= due_at
            assert in_waking_hours(found, zone(patient))


def test_waking_hours_include_both_ends() -> None:
    assert in_waking_hours(utc(2026, 11, 26, 14, 0), CHICAGO)  # 08:00
    assert in_waking_hours(utc(2026, 11, 27, 3, 0), CHICAGO)  # 21:00
    assert not in_waking_hours(utc(2026, 11, 27, 3, 1), CHICAGO)
    assert not in_waking_hours(utc(2026, 11, 26, 13, 59), CHICAGO)


def test_next_waking_moment() -> None:
    assert next_waking_moment(utc(2026, 11, 26, 12), CHICAGO) == utc(2026, 11, 26, 14)  # 06:00
    assert next_waking_moment(utc(2026, 11, 27, 4), CHICAGO) == utc(2026, 11, 27, 14)  # 22:00
    assert next_waking_moment(utc(2026, 11, 26, 18), CHICAGO) == utc(2026, 11, 26, 18)
