"""A patient whose birth date is at the calendar's edge (found by tests/bad_input's Hypothesis
suite): the projection takes them and every estimate of the clinic still answers."""

import pytest

from reengage_common.events import PatientUpserted

from .conftest import patient

pytestmark = pytest.mark.infra


async def test_a_birth_date_near_year_9999_neither_breaks_the_clinic_nor_makes_an_adult(
    audience,
) -> None:
    # given a patient born (so the record says) in 9990, beside an ordinary one
    await audience.publish(
        PatientUpserted, patient("p-edge", birthDate="9990-01-01"), patient("p-plain")
    )
    await audience.caught_up()

    # when the clinic's audience is estimated
    answer = await audience.client.post(
        "/estimate",
        json={"targeting": {"inactiveDays": 1}, "channels": ["EMAIL"]},
        headers=audience.headers(),
    )

    # then it answers, counting the patient as a minor (no guardian: no reachable channel)
    assert answer.status_code == 200, answer.text
    assert answer.json()["patients"] == 2
    assert answer.json()["excluded"] == {"NO_REACHABLE_CHANNEL": 1}
