"""The consumer remembers which patients have stored consent changes instead of reading the
clinic's records for every batch of upserts; what it remembers is forgotten when it is given
partitions, whose patients their previous owner may have restricted meanwhile."""

import pytest
from kit import CLINIC, FakeClock, dispatch_stack, unique, utc

from dispatch_svc.consent_store import ConsentChange, PatientsWithChanges
from dispatch_svc.handlers import make_handlers
from dispatch_svc.store import DispatchStore
from reengage_common.events import Channel, Consents, Envelope, PatientUpserted

pytestmark = pytest.mark.infra


def upserted(patient_id: str, *, email: bool) -> Envelope[PatientUpserted]:
    event = PatientUpserted(
        patient_id=patient_id, email=f"{patient_id}@example.com", consents=Consents(email=email)
    )
    return Envelope.wrap(event, source="tests", clinic_id=CLINIC)


async def changes_of(store: DispatchStore, patient_id: str) -> list[ConsentChange]:
    changes = await store.consent_changes_of_clinic(CLINIC)
    return [change for change in changes if change.patient_id == patient_id]


async def test_a_lift_is_kept_after_the_partition_came_from_the_replica_that_restricted(
    infra,
) -> None:
    clock = FakeClock(utc(2026, 11, 26, 16, 0))
    async with dispatch_stack(infra, "known-changes", clock) as stack:
        known = PatientsWithChanges(stack.store)
        ours = make_handlers(stack.store, with_changes=known)[PatientUpserted]
        previous_owner = make_handlers(stack.store)[PatientUpserted]
        patient = unique("p")

        await ours.run([upserted(unique("p"), email=True)], 0)  # the clinic's changes read once
        await previous_owner.run([upserted(patient, email=False)], 0)
        known.forget()  # the consumer is given the patient's partition
        await ours.run([upserted(patient, email=True)], 0)

        stored = sorted(await changes_of(stack.store, patient), key=lambda change: change.at)
        assert [change.withheld for change in stored] == [frozenset({Channel.EMAIL}), frozenset()]


async def test_a_restriction_this_consumer_stored_is_known_without_reading_again(infra) -> None:
    clock = FakeClock(utc(2026, 11, 26, 16, 0))
    async with dispatch_stack(infra, "known-changes", clock) as stack:
        known = PatientsWithChanges(stack.store)
        ours = make_handlers(stack.store, with_changes=known)[PatientUpserted]
        patient = unique("p")

        await ours.run([upserted(patient, email=False)], 0)
        await ours.run([upserted(patient, email=True)], 0)

        stored = sorted(await changes_of(stack.store, patient), key=lambda change: change.at)
        assert [change.withheld for change in stored] == [frozenset({Channel.EMAIL}), frozenset()]
        assert await known.among(CLINIC, [patient]) == {patient}
