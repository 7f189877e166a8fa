"""Channels: contact and consent per channel, the guardian of a minor, unsubscribed channels,
and what step 1's message.due carries."""

import pytest

from reengage_common.events import AppointmentUpdated, PatientUpserted, RecipientResponded

from .conftest import days_ago, patient, visit

pytestmark = pytest.mark.infra
STEPS = [
    {"channel": "SMS", "body": "{{ clinic.name }}", "sequence": 1},
    {"channel": "EMAIL", "subject": "Hi", "body": "Hi {{ patient.firstName }}", "sequence": 2},
    {"channel": "MAIL", "body": "Dear {{ patient.firstName }}", "sequence": 3},
]


async def test_each_patient_gets_step_1_on_the_first_channel_they_can_receive(audience) -> None:
    # given
    no_consents = {"email": None, "sms": None, "mail": None}
    await audience.publish(
        PatientUpserted,
        patient("sms-yes"),
        patient("sms-unset", consents=no_consents),  # SMS needs an explicit yes
        patient("email-refused", consents={"email": False, "sms": False, "mail": True}),
        patient("nothing", consents={"email": False, "sms": False, "mail": False}),
        patient("no-contacts", email=None, phone=None, address=None),
        patient(
            "minor",
            birthDate=days_ago(365 * 12).date().isoformat(),
            email="kid@example.com",
            phone="+15550000001",
            guardian={"name": "Grace Hopper", "email": "grace@example.com", "phone": None},
        ),
        patient("minor-without-guardian", birthDate=days_ago(365 * 12).date().isoformat()),
        patient("sms-unsubscribed"),
    )
    await audience.publish(
        AppointmentUpdated,
        *(
            visit(pid, days_ago(400))
            for pid in (
                "sms-yes",
                "sms-unset",
                "email-refused",
                "nothing",
                "no-contacts",
                "minor",
                "minor-without-guardian",
                "sms-unsubscribed",
            )
        ),
    )
    await audience.publish(
        RecipientResponded,
        {
            "campaignId": "older",
            "patientId": "sms-unsubscribed",
            "kind": "UNSUBSCRIBED",
            "channel": "SMS",
            "at": days_ago(90).isoformat(),
        },
    )
    await audience.caught_up()

    # when
    launched = await audience.launch(
        "c-reach", channels=["SMS", "EMAIL", "MAIL"], messageTemplates=STEPS
    )
    evaluated = await audience.evaluated("c-reach")
    due = {e.data.patient_id: e for e in await audience.events("message.due", "c-reach")}

    # then
    channels = {pid: envelope.data.channel.value for pid, envelope in due.items()}
    assert channels == {
        "sms-yes": "SMS",
        "sms-unset": "EMAIL",
        "email-refused": "MAIL",
        "minor": "EMAIL",
        "minor-without-guardian": "MAIL",
        "sms-unsubscribed": "EMAIL",
    }
    assert evaluated.excluded == {"NO_REACHABLE_CHANNEL": 2}
    minor = due["minor"].data
    assert minor.contact.email == "grace@example.com" and minor.contact.name == "Grace Hopper"
    assert minor.contact.phone is None  # never the child's own phone
    assert due["sms-yes"].data.sequence == 1 and due["sms-unset"].data.sequence == 2
    assert due["sms-yes"].data.merge_data == {
        "patient": {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "lastVisitDate": days_ago(400).date().isoformat(),
            "treatmentStage": "HYGIENE_RECALL",
        },
        "clinic": {"name": "Bright Smiles", "phone": "(555) 010-0100", "address": "100 Main St"},
        "incentive": {"code": "SMILE20", "details": "20% off"},
    }
    first = due["sms-yes"]
    assert first.data.incentive_code == "SMILE20" and first.data.run_number == 1
    assert first.data.contact.timezone == "America/Chicago"
    assert first.data.due_at == launched.launched_at
    assert first.key == "sms-yes"


async def test_a_patient_unsubscribed_from_every_channel_is_excluded_as_unsubscribed(
    audience,
) -> None:
    await audience.publish(PatientUpserted, patient("gone"))
    await audience.publish(AppointmentUpdated, visit("gone", days_ago(400)))
    await audience.publish(
        RecipientResponded,
        {
            "campaignId": "x",
            "patientId": "gone",
            "kind": "UNSUBSCRIBED",
            "at": days_ago(5).isoformat(),
        },
    )
    await audience.caught_up()

    answer = await audience.estimate(targeting={"inactiveDays": 180}, channels=["EMAIL"])

    assert answer["excluded"] == {"UNSUBSCRIBED": 1}
