"""Out-of-order and duplicated inbound events end in the same projection."""

import random
from datetime import timedelta

import pytest

from reengage_common.events import AppointmentUpdated, Envelope, PatientUpserted

from .conftest import NOW, days_ago, patient, visit

pytestmark = pytest.mark.infra


def history(patient_id: str) -> list[Envelope]:
    """A patient's events in their own time order: profile changes and one appointment's life."""
    t0 = NOW - timedelta(days=500)
    events = [
        (PatientUpserted, patient(patient_id, treatmentStage="ACTIVE_TREATMENT"), t0),
        (AppointmentUpdated, visit(patient_id, days_ago(300), "BOOKED"), t0 + timedelta(days=1)),
        (
            AppointmentUpdated,
            visit(patient_id, days_ago(300), "COMPLETED"),
            t0 + timedelta(days=201),
        ),
        (
            PatientUpserted,
            patient(patient_id, treatmentStage="HYGIENE_RECALL"),
            t0 + timedelta(days=202),
        ),
        (
            AppointmentUpdated,
            visit(patient_id, days_ago(10), "BOOKED", 2),
            t0 + timedelta(days=250),
        ),
        (
            AppointmentUpdated,
            visit(patient_id, days_ago(10), "CANCELLED", 2),
            t0 + timedelta(days=260),
        ),
    ]
    return [
        Envelope.wrap(model.model_validate(data), source="pms", clinic_id="x", at=at)
        for model, data, at in events
    ]


async def publish(audience, envelopes: list[Envelope]) -> None:
    for envelope in envelopes:
        envelope.clinic_id = audience.clinic
        await audience.publisher.publish(envelope)


async def test_shuffled_and_repeated_events_fold_to_the_in_order_projection(audience) -> None:
    # given the same history in order for one patient, shuffled and doubled for another
    in_order = history("in-order")
    shuffled = history("shuffled")
    chance = random.Random(7)
    replayed = shuffled + shuffled[:3]
    chance.shuffle(replayed)

    # when
    await publish(audience, in_order)
    await publish(audience, replayed)
    await audience.caught_up()

    # then both are lapsed hygiene-recall patients (the cancelled booking is no booking)
    answer = await audience.estimate(
        targeting={"inactiveDays": 200, "treatmentStages": ["HYGIENE_RECALL"]}
    )
    assert answer["total"] == 2 and answer["patients"] == 2
    too_recent = await audience.estimate(targeting={"inactiveDays": 301})
    assert too_recent["excluded"] == {"VISITED_RECENTLY": 2}
