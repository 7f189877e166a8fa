"""Households (issue 22 #3), through the gateway's REST API, the real campaign-svc,
audience-svc (fan-out grouping patients who share a contact), dispatch-svc (rendering, SMTP,
Twilio's stand-in), Kafka, FerretDB and Mailpit.

Two children with one guardian and an adult of their own: the guardian gets one email naming
both children ("Emma and Liam are due"), the adult their own; each patient has a
`message.sent` of their own. Emma rebooks before step 2 (tracking's `recipient.responded`):
the guardian's SMS then names only Liam, and Emma's step 2 is SKIPPED with the reason.
"""

import asyncio
import email
import email.policy
from collections import Counter
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


async def test_with_grouping_off_each_sibling_gets_a_message_of_their_own(infra) -> None:
    clock = FakeClock(NINE_AM_CHICAGO)
    clinic = unique("clinic-apart")
    emma, liam = unique("p-emma"), unique("p-liam")
    guardian_email = f"{unique('grace')}@family.example"
    async with (
        dispatch_stack(infra, "apart", clock) as stack,
        front_office(stack.settings, clock, clinic) as gateway,
    ):
        sent = await stack.bus.watch("message.sent")
        # given two children with one guardian
        guardian = {**GUARDIAN, "email": guardian_email}
        await stack.bus.publish(
            _child(emma, "Emma", guardian),
            _child(liam, "Liam", guardian),
            *(seen_400_days_ago(p, clock) for p in (emma, liam)),
            clinic_id=clinic,
        )
        headers = admin_headers(clinic)

        # when the clinic launches a campaign that turns grouping off
        apart = {**CAMPAIGN, "groupHouseholds": False}
        created = await gateway.post(CAMPAIGNS, json=apart, headers=headers)
        assert created.status_code == 201, created.text
        assert created.json()["groupHouseholds"] is False
        campaign_id = created.json()["id"]
        launched = await gateway.post(f"{CAMPAIGNS}/{campaign_id}/launch", headers=headers)
        assert launched.json()["status"] == "ACTIVE", launched.text
        clock.now = NINE_AM_CHICAGO + timedelta(hours=1)

        # then the guardian gets one email per child, each naming that child alone
        await eventually(lambda: _outcomes(sent, campaign_id, 2), within=60, interval=0.2)
        step1 = {e.patient_id: e for e in sent_of(sent, campaign_id)}
        assert {p: e.outcome for p, e in step1.items()} == dict.fromkeys(
            (emma, liam), SendOutcome.SENT
        )
        assert step1[emma].provider_message_id != step1[liam].provider_message_id
        assert step1[emma].household == step1[liam].household == []
        emails = await stack.mailpit.to(guardian_email)
        assert sorted([await _subject(stack, e) for e in emails]) == [
            "Emma is due for a check-up",
            "Liam is due for a check-up",
        ]


async def test_the_estimate_counts_the_messages_the_launch_sends(infra) -> None:
    clock = FakeClock(NINE_AM_CHICAGO)
    clinic = unique("clinic-count")
    async with (
        dispatch_stack(infra, "count", clock) as stack,
        front_office(stack.settings, clock, clinic) as gateway,
    ):
        due = await stack.bus.watch("message.due")
        # given three children and their mother (a patient too) sharing her email, two
        # children whose guardian has only a phone, a couple sharing an email, and Ada alone
        mother, texted = f"{unique('grace')}@family.example", {**GUARDIAN, "email": None}
        family = {"name": "Grace Hopper", "phone": "+15557020002", "email": mother}
        kids = [_child(unique(f"p-{n}"), n, family) for n in ("Emma", "Liam", "Noah")]
        texted_kids = [_child(unique(f"p-{n}"), n, texted) for n in ("Max", "Mia")]
        grace = adult_patient(unique("p-grace"), "Grace", "+15557020003")
        grace = grace.model_copy(update={"email": mother})
        shared = {"email": f"{unique('couple')}@home.example"}
        couple = [
            adult_patient(unique(f"p-{n}"), n, "+15557020004").model_copy(update=shared)
            for n in ("Bo", "Cy")
        ]
        ada = adult_patient(unique("p-ada"), "Ada", "+15557020009")
        patients = [*kids, *texted_kids, grace, *couple, ada]
        await stack.bus.publish(
            *patients,
            *(seen_400_days_ago(p.patient_id, clock) for p in patients),
            clinic_id=clinic,
        )
        headers = admin_headers(clinic)
        created = await gateway.post(CAMPAIGNS, json=CAMPAIGN, headers=headers)
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]

        # when the clinic asks for the campaign's estimate, grouped and not, then launches it
        async def estimate(**asked: Any) -> dict[str, Any]:
            body = {**CAMPAIGN, "campaignId": campaign_id, "countMessages": True, **asked}
            answer = await gateway.post(f"{CAMPAIGNS}/estimate", json=body, headers=headers)
            assert answer.status_code == 200, answer.text
            return answer.json()

        async def all_known() -> bool:
            return (await estimate())["targeted"] == len(patients)

        await eventually(all_known, within=60, interval=0.3)
        grouped, apart = await estimate(), await estimate(groupHouseholds=False)
        launched = await gateway.post(f"{CAMPAIGNS}/{campaign_id}/launch", headers=headers)
        assert launched.json()["status"] == "ACTIVE", launched.text

        # then the launch sends as many messages on each channel as the estimate said
        async def fanned_out() -> bool:
            return len(sent_of(due, campaign_id)) >= grouped["messages"]

        await eventually(fanned_out, within=60, interval=0.2)
        await asyncio.sleep(1)  # none more comes
        messages = sent_of(due, campaign_id)
        by_channel = Counter(m.channel.value for m in messages)
        assert grouped["messagesByChannel"] == dict(by_channel) == {"EMAIL": 3, "SMS": 1}
        assert grouped["messages"] == len({m.message_id for m in messages}) == len(messages)
        assert sum(len(m.household) or 1 for m in messages) == len(patients)
        assert (apart["messages"], apart["messagesByChannel"]) == (9, {"EMAIL": 7, "SMS": 2})


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
