"""No message fails for a missing merge value: the README's campaign, created and launched
through the gateway, reaches a patient who never completed a visit, through the real
audience-svc (fan-out), dispatch-svc (rendering, SMTP) and Mailpit.

The issue's 100k-patient run lost 6 % of its emails at send time to "template: None is not a
date": `{{ patient.lastVisitDate | ago }}` for patients without a completed visit.
"""

import email
import email.policy
from datetime import timedelta
from typing import Any

import httpx
import pytest
from front_office import admin_headers, front_office
from kit import FakeClock, dispatch_stack, sent_of, unique, utc

from reengage_common.events import AppointmentUpdated, PatientUpserted, SendOutcome
from reengage_testing import eventually

pytestmark = pytest.mark.infra

NINE_AM_CHICAGO = utc(2026, 11, 26, 15, 0)
# The README's example campaign (Using the API → GraphQL), starting when launched.
README_CAMPAIGN: dict[str, Any] = {
    "name": "Winter recall",
    "targeting": {"inactiveDays": 180, "treatmentStages": ["HYGIENE_RECALL"]},
    "channels": ["EMAIL", "SMS"],
    "messageTemplates": [
        {
            "channel": "EMAIL",
            "sequence": 1,
            "subject": "We miss you, {{ patient.firstName }}",
            "body": "Your last visit was {{ patient.lastVisitDate | ago }}. Book: {{ bookingLink }}",
        },
        {
            "channel": "SMS",
            "sequence": 2,
            "delayDays": 3,
            "body": "{{ clinic.name }}: book at {{ bookingLink }}",
        },
    ],
    "schedule": {"sendTimes": ["10:00"], "timezone": "America/Chicago"},
}
CREATE = """
mutation($input: CampaignInput!) {
  createCampaign(input: $input) {
    __typename ... on Campaign { id } ... on ValidationError { fields { field message code } }
  }
}
"""
LAUNCH = """
mutation($id: ID!) { launchCampaign(id: $id) { __typename ... on Campaign { status } } }
"""


async def test_a_patient_without_a_completed_visit_receives_the_readme_email(infra) -> None:
    clock = FakeClock(NINE_AM_CHICAGO)
    clinic = unique("clinic-gaps")
    never_seen, seen = unique("p-never"), unique("p-seen")
    async with (
        dispatch_stack(infra, "gaps", clock) as stack,
        front_office(stack.settings, clock, clinic) as gateway,
    ):
        sent = await stack.bus.watch("message.sent")
        # given two lapsed patients: one never completed a visit, one was seen 400 days ago
        await stack.bus.publish(
            _patient(never_seen, "Alan"), _patient(seen, "Grace"), clinic_id=clinic
        )
        await stack.bus.publish(
            AppointmentUpdated(
                appointment_id=f"a-{seen}",
                patient_id=seen,
                status="COMPLETED",
                scheduled_at=clock.now - timedelta(days=400),
            ),
            clinic_id=clinic,
        )
        call = _caller(gateway, clinic)

        # when the clinic creates and launches the README's campaign through the gateway
        created = await call(CREATE, {"input": README_CAMPAIGN})
        assert created["__typename"] == "Campaign", created
        launched = await call(LAUNCH, {"id": created["id"]})
        assert launched == {"__typename": "Campaign", "status": "ACTIVE"}, launched
        clock.now = NINE_AM_CHICAGO + timedelta(hours=1)  # the send time

        # then both get step 1, the one never seen with the fallback, and nothing fails
        async def both_sent() -> bool:
            return len(sent_of(sent, created["id"])) >= 2

        await eventually(both_sent, within=60, interval=0.2)
        outcomes = {e.patient_id: e.outcome for e in sent_of(sent, created["id"])}
        assert outcomes == {never_seen: SendOutcome.SENT, seen: SendOutcome.SENT}
        assert await _email_text(stack, never_seen) == ("We miss you, Alan", "a while ago")
        assert await _email_text(stack, seen) == ("We miss you, Grace", "1 year ago")


def _patient(patient_id: str, first_name: str) -> PatientUpserted:
    return PatientUpserted.model_validate(
        {
            "patientId": patient_id,
            "firstName": first_name,
            "email": f"{patient_id}@patients.example",
            "timezone": "America/Chicago",
            "treatmentStage": "HYGIENE_RECALL",
            "createdAt": "2019-03-01T10:00:00Z",
        }
    )


async def _email_text(stack: Any, patient_id: str) -> tuple[str, str]:
    """The subject, and how the body words the last visit."""
    [arrived] = await stack.mailpit.to(f"{patient_id}@patients.example")
    parsed = email.message_from_bytes(
        await stack.mailpit.raw(arrived["ID"]), policy=email.policy.default
    )
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    first_line = text.splitlines()[0]
    assert first_line.startswith("Your last visit was ") and ". Book: " in first_line, text
    return parsed["Subject"], first_line.removeprefix("Your last visit was ").split(".")[0]


def _caller(gateway: httpx.AsyncClient, clinic: str):
    async def call(document: str, variables: dict[str, Any]) -> dict[str, Any]:
        answer = await gateway.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers=admin_headers(clinic),
        )
        assert answer.status_code == 200, answer.text
        data = answer.json()["data"]
        return next(iter(data.values()))

    return call
