"""A consent the clinic's systems withdraw (`patient.upserted`) between targeting and sending
skips the message with the reason; a later upsert that restores it lets the message go."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from kit import CLINIC, EMAIL_STEP, FakeClock, dispatch_stack, due, launched, sent_of, unique, utc

from dispatch_svc import store
from reengage_common.events import Envelope, PatientUpserted, SendOutcome
from reengage_testing import eventually

pytestmark = pytest.mark.infra

THURSDAY_9AM_CHICAGO = utc(2026, 11, 26, 15, 0)
TEN_AM = THURSDAY_9AM_CHICAGO + timedelta(hours=1)


def upserted(patient_id: str, at: datetime, **fields: Any) -> Envelope[PatientUpserted]:
    """The clinic system's view of a patient, stamped with its own time."""
    data = {"patientId": patient_id, "consents": {"email": True, "sms": True, "mail": True}}
    data.update(fields)
    return Envelope.wrap(
        PatientUpserted.model_validate(data), source="clinic-pms", clinic_id=CLINIC, at=at
    )


async def test_a_consent_withdrawn_after_targeting_skips_the_message_and_restored_it_goes(
    infra,
) -> None:
    clock = FakeClock(THURSDAY_9AM_CHICAGO)
    campaign = unique("consent")
    withdrawn, restored, do_not_contact, deceased, consenting = (
        unique(name) for name in ("p-withdrawn", "p-restored", "p-dnc", "p-deceased", "p-ok")
    )
    patients = (withdrawn, restored, do_not_contact, deceased, consenting)
    async with dispatch_stack(infra, "consent", clock) as stack:
        sent = await stack.bus.watch("message.sent")
        await stack.bus.publish(launched(campaign, [EMAIL_STEP], at=clock.now))
        await stack.bus.publish(*(due(campaign, p, at=clock.now) for p in patients))
        # after targeting, the practice system changes its mind
        later = clock.now + timedelta(minutes=5)
        email_refused = {"consents": {"email": False, "sms": True, "mail": True}}
        withdrawal = upserted(withdrawn, later, **email_refused)
        await stack.bus.publisher.publish_many(
            [
                withdrawal,
                upserted(restored, later, **email_refused),
                upserted(do_not_contact, later, doNotContact=True),
                upserted(deceased, later, deceased=True),
                upserted(consenting, later),  # an import's every-day upsert: nothing stored
            ]
        )
        await eventually(lambda: _consent_changes(4))
        await stack.bus.publisher.publish_many(
            [upserted(restored, later + timedelta(minutes=1)), withdrawal]  # and a redelivery
        )
        await eventually(lambda: _consent_changes(5))

        clock.now = TEN_AM
        await eventually(lambda: _outcomes(sent, campaign, len(patients)))
        assert await _consent_changes(5, exactly=True)

    outcome = {e.patient_id: (e.outcome, e.reason) for e in sent_of(sent, campaign)}
    assert outcome == {
        withdrawn: (SendOutcome.SKIPPED, "consent withdrawn: email"),
        restored: (SendOutcome.SENT, None),
        do_not_contact: (SendOutcome.SKIPPED, "do not contact"),
        deceased: (SendOutcome.SKIPPED, "deceased"),
        consenting: (SendOutcome.SENT, None),
    }


async def _consent_changes(count: int, *, exactly: bool = False) -> bool:
    stored = await store.collection(store.ConsentChangeRecord).count_documents({})
    return stored == count if exactly else stored >= count


async def _outcomes(events, campaign: str, count: int) -> bool:
    return len(sent_of(events, campaign)) >= count
