"""Send times (clinic time zone) and quiet hours (the patient's): a patient in Honolulu and
one in New York, on simulated hours."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from kit import (
    EMAIL_STEP,
    FakeClock,
    dispatch_stack,
    due,
    launched,
    patient_contact,
    sent_of,
    ticks_pass,
    unique,
    utc,
)

from reengage_common.events import SendOutcome
from reengage_testing import eventually

pytestmark = pytest.mark.infra

THURSDAY_9AM_CHICAGO = utc(2026, 11, 26, 15, 0)
# 09:30 Chicago is 10:30 in New York but 05:30 in Honolulu; 20:30 Chicago is 21:30 in New
# York (quiet) but 16:30 in Honolulu.
SEND_TIMES = ["09:30", "20:30"]


async def test_each_patient_gets_the_first_send_time_inside_their_own_waking_hours(infra) -> None:
    clock = FakeClock(THURSDAY_9AM_CHICAGO)
    campaign = unique("windows")
    patients = {
        "ny-early": ("America/New_York", THURSDAY_9AM_CHICAGO),
        "hi-early": ("Pacific/Honolulu", THURSDAY_9AM_CHICAGO),
        "ny-late": ("America/New_York", THURSDAY_9AM_CHICAGO + timedelta(hours=1)),
        "hi-late": ("Pacific/Honolulu", THURSDAY_9AM_CHICAGO + timedelta(hours=1)),
        "no-zone": (None, THURSDAY_9AM_CHICAGO),  # the clinic's zone (Chicago) applies
    }
    ids = {name: unique(name) for name in patients}
    expected = {
        "ny-early": utc(2026, 11, 26, 15, 30),  # Thu 09:30 Chicago = 10:30 New York
        "no-zone": utc(2026, 11, 26, 15, 30),
        "hi-early": utc(2026, 11, 27, 2, 30),  # Thu 20:30 Chicago = 16:30 Honolulu
        "hi-late": utc(2026, 11, 27, 2, 30),
        "ny-late": utc(2026, 11, 27, 15, 30),  # 20:30 is 21:30 in New York: Fri 09:30
    }
    async with dispatch_stack(infra, "windows", clock) as stack:
        sent = await stack.bus.watch("message.sent")
        await stack.bus.publish(
            launched(campaign, [EMAIL_STEP], at=clock.now, send_times=SEND_TIMES)
        )
        await stack.bus.publish(
            *(
                due(campaign, ids[name], at=at, contact=patient_contact(ids[name], timezone=zone))
                for name, (zone, at) in patients.items()
            )
        )
        for moment in sorted(set(expected.values())):
            clock.now = moment - timedelta(minutes=1)
            await ticks_pass(stack.sender, 5)
            before = {e.patient_id for e in sent_of(sent, campaign)}
            clock.now = moment
            wanted = {ids[name] for name, at in expected.items() if at <= moment}
            await eventually(lambda wanted=wanted: _sent_to(sent, campaign, wanted))
            arrived = {e.patient_id for e in sent_of(sent, campaign)} - before
            assert arrived == {ids[n] for n, at in expected.items() if at == moment}

    at = {e.patient_id: e.at for e in sent_of(sent, campaign)}
    assert {name: at[ids[name]] for name in patients} == expected
    assert {e.outcome for e in sent_of(sent, campaign)} == {SendOutcome.SENT}
    for name, (zone, _) in patients.items():
        local = at[ids[name]].astimezone(ZoneInfo(zone or "America/Chicago"))
        assert 8 <= local.hour < 21, f"{name} got a message at {local}"


async def _sent_to(events, campaign: str, patients: set[str]) -> bool:
    return patients <= {e.patient_id for e in sent_of(events, campaign)}
