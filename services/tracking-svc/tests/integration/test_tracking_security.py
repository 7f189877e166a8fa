"""Issue 17's findings on tracking's public side, through real Kafka and FerretDB: replies reach
the clinic whose number they were sent to, clicks stop nothing, bookings are keyed by clinic."""

from datetime import timedelta

import pytest
from tracking_support import T0, launched, new_campaign, step

from reengage_common.events import AppointmentStatus, AppointmentUpdated

pytestmark = pytest.mark.infra
OTHER = "clinic-b"


def appointment(patient: str, appointment_id: str, status=AppointmentStatus.BOOKED):
    return AppointmentUpdated(
        appointment_id=appointment_id,
        patient_id=patient,
        status=status,
        scheduled_at=T0 + timedelta(days=20),
        value_cents=25000,
    )


async def test_another_clinics_equal_appointment_id_leaves_this_clinics_booking_alone(
    tracking,
) -> None:
    # given two clinics that each contacted a patient, and share an appointment id by chance
    ours, theirs = new_campaign(), new_campaign()
    mine, other = f"{ours}-p1", f"{theirs}-p1"
    shared = f"a-{ours}"
    await tracking.emit(launched(ours), *step(ours, mine))
    await tracking.emit(launched(theirs), *step(theirs, other), clinic=OTHER)
    await tracking.until(ours, lambda s: s["sent"] == 1)
    day_5 = T0 + timedelta(days=5)

    # when the other clinic's booking is stored first, then ours, then ours is cancelled
    await tracking.emit(appointment(other, shared), clinic=OTHER, at=day_5)
    await tracking.until(theirs, lambda s: s["rebooked"] == 1, clinic=OTHER)
    await tracking.emit(appointment(mine, shared), at=day_5)
    await tracking.until(ours, lambda s: s["rebooked"] == 1)
    cancel = appointment(mine, shared, AppointmentStatus.CANCELLED)
    await tracking.emit(cancel, at=day_5 + timedelta(days=1))

    # then our cancellation finds our booking and takes its revenue back
    stats = await tracking.until(ours, lambda s: s["revenueCents"] == 0)
    assert stats["revenueCents"] == 0
    assert (await tracking.stats(theirs, clinic=OTHER))["revenueCents"] == 25000
