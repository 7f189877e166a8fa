"""Households (issue 22 #3), through the gateway's REST API, the real campaign-svc,
audience-svc (fan-out grouping patients who share a contact), dispatch-svc (rendering, SMTP,
Twilio's stand-in), Kafka, FerretDB and Mailpit.

Two children with one guardian and an adult of their own: the guardian gets one email naming
both children ("Emma and Liam are due"), the adult their own; each patient has a
`message.sent` of their own. Emma rebooks before step 2 (tracking's `recipient.responded`):
the guardian's SMS then names only Liam, and Emma's step 2 is SKIPPED with the reason.
"""

import email
import email.policy
from datetime import timedelta
from typing import Any

import pytest
from front_office import admin_headers, adult_patient, front_office, seen_400_days_ago
from kit import FakeClock, dispatch_stack, sent_of, unique, utc

from dispatch_svc import store
from reengage_common.events import (
    PatientUpserted,
    RecipientResponded,
    SendOutcome,
)
from reengage_testing import eventually

pytestmark = pytest.mark.infra

NINE_AM_CHICAGO = utc(2026, 11, 26, 15, 0)
CAMPAIGNS = "/api/booking/campaigns"
ARE_DUE = '{{ household.names }} {{ "are" if household.size > 1 else "is" }} due for a check-up'
CAMPAIGN: dict[str, Any] = {
    "name": "Family recall",
    "targeting": {"inactiveDays": 180},
    "channels": ["EMAIL", "SMS"],
    "messageTemplates": [
        {"channel": "EMAIL", "sequence": 1, "subject": ARE_DUE, "body": "Book: {{ bookingLink }}"},
        {"channel": "SMS", "sequence": 2, "delayDays": 1, "body": ARE_DUE},
    ],
    "schedule": {"sendTimes": ["10:00"], "timezone": "America/Chicago"},
}
GUARDIAN = {"name": "Grace Hopper", "phone": "+15557020001"}


async def test_a_household_gets_one_message_naming_its_members_and_stats_stay_per_patient(
    infra,
) -> None:
    clock = FakeClock(NINE_AM_CHICAGO)
    clinic = unique("clinic-house")
    emma, liam, ada = unique("p-emma"), unique("p-liam"), unique("p-ada")
    guardian_email = f"{unique('grace')}@family.example"
    async with (
        dispatch_stack(infra, "house", clock) as stack,
        front_office(stack.settings, clock, clinic) as gateway,
    ):
        sent = await stack.bus.watch("message.sent")
        # given two children with one guardian, and an adult with her own email
        guardian = {**GUARDIAN, "email": guardian_email}
        await stack.bus.publish(
            _child(emma, "Emma", guardian),
            _child(liam, "Liam", guardian),
            adult_patient(ada, "Ada", "+15557020009"),
            *(seen_400_days_ago(p, clock) for p in (emma, liam, ada)),
            clinic_id=clinic,
        )
        headers = admin_headers(clinic)

        # when the clinic launches the campaign
        created = await gateway.post(CAMPAIGNS, json=CAMPAIGN, headers=headers)
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]
        launched = await gateway.post(f"{CAMPAIGNS}/{campaign_id}/launch", headers=headers)
        assert launched.json()["status"] == "ACTIVE", launched.text
        clock.now = NINE_AM_CHICAGO + timedelta(hours=1)

        # then the guardian gets one email naming both children, Ada her own
        await eventually(lambda: _outcomes(sent, campaign_id, 3), within=60, interval=0.2)
        step1 = {e.patient_id: e for e in sent_of(sent, campaign_id)}
        assert {p: e.outcome for p, e in step1.items()} == dict.fromkeys(
            (emma, liam, ada), SendOutcome.SENT
        )
        assert step1[emma].provider_message_id == step1[liam].provider_message_id
        assert step1[emma].household == step1[liam].household == [emma, liam]
        assert step1[emma].cost_cents + step1[liam].cost_cents == step1[ada].cost_cents
        [to_guardian] = await stack.mailpit.to(guardian_email)
        assert await _subject(stack, to_guardian) == "Emma and Liam are due for a check-up"
        [to_ada] = await stack.mailpit.to(f"{ada}@patients.example")
        assert await _subject(stack, to_ada) == "Ada is due for a check-up"

        # when Emma rebooks before step 2 (tracking-svc tells dispatch so)
        await stack.bus.publish(
            RecipientResponded(
                campaign_id=campaign_id, patient_id=emma, kind="REBOOKED", at=clock.now
            ),
            clinic_id=clinic,
        )
        await eventually(_response_stored)
        clock.now = NINE_AM_CHICAGO + timedelta(days=1, hours=1)

        # then the guardian's SMS names Liam alone, and Emma's step 2 is skipped
        await eventually(lambda: _outcomes(sent, campaign_id, 6), within=60, interval=0.2)
        step2 = {e.patient_id: e for e in sent_of(sent, campaign_id) if e.sequence == 2}
        assert step2[liam].outcome is SendOutcome.SENT
        assert (step2[emma].outcome, step2[emma].reason) == (
            SendOutcome.SKIPPED,
            "recipient responded (REBOOKED)",
        )
        [sms] = await stack.sms_to(GUARDIAN["phone"])
        assert sms["body"].startswith("Liam is due for a check-up")


async def _outcomes(sent: list[Any], campaign_id: str, count: int) -> bool:
    return len(sent_of(sent, campaign_id)) >= count


async def _response_stored() -> bool:
    return await store.collection(store.ResponseRecord).count_documents({}) >= 1


async def _subject(stack: Any, arrived: dict[str, Any]) -> str:
    raw = await stack.mailpit.raw(arrived["ID"])
    return email.message_from_bytes(raw, policy=email.policy.default)["Subject"]


def _child(patient_id: str, first_name: str, guardian: dict[str, str]) -> PatientUpserted:
    return PatientUpserted.model_validate(
        {
            "patientId": patient_id,
            "firstName": first_name,
            "lastName": "Hopper",
            "birthDate": "2016-05-01",
            "guardian": guardian,
            "consents": {"email": True, "sms": True},
            "timezone": "America/Chicago",
            "createdAt": "2019-03-01T10:00:00Z",
        }
    )
