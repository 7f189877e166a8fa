import pytest

from reengage_common.events import AppointmentUpdated, PatientUpserted

from .conftest import days_ago, patient, visit

pytestmark = pytest.mark.infra


async def test_smoke(audience) -> None:
    await audience.publish(PatientUpserted, patient("p-1"), patient("p-2"))
    await audience.publish(
        AppointmentUpdated, visit("p-1", days_ago(200)), visit("p-2", days_ago(10))
    )
    await audience.wait_for_patients(2)
    estimate = await audience.estimate(targeting={"inactiveDays": 180})
    assert estimate["total"] == 1, estimate
    await audience.launch("c-1")
    evaluated = await audience.evaluated("c-1")
    due = await audience.events("message.due", "c-1")
    assert [e.data.patient_id for e in due] == ["p-1"]
    assert evaluated.targeted == 1
