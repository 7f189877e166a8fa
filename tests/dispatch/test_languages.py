"""Messages in the patient's language (issue 22 #4), through the gateway's REST API, the real
campaign-svc (validation, preview), audience-svc (fan-out with the patient's language),
dispatch-svc (rendering, SMTP, Twilio's stand-in) and Mailpit.

A campaign in English with Spanish templates for both of its steps: a patient who prefers
Spanish (es-MX) gets the Spanish email and SMS, with the unsubscribe line and the STOP hint in
Spanish; a patient who prefers French, which the campaign has no template in, gets the English
ones. A template in an unsupported language is refused on save, naming its field, and changes
nothing; the preview shows each language.
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
CAMPAIGNS = "/api/booking/campaigns"
CAMPAIGN: dict[str, Any] = {
    "name": "Recall in two languages",
    "targeting": {"inactiveDays": 180, "treatmentStages": ["HYGIENE_RECALL"]},
    "channels": ["EMAIL", "SMS"],
    "defaultLanguage": "en",
    "messageTemplates": [
        {
            "channel": "EMAIL",
            "sequence": 1,
            "subject": "We miss you, {{ patient.firstName }}",
            "body": "Your last visit was {{ patient.lastVisitDate | ago }}. Book: {{ bookingLink }}",
            "translations": [
                {
                    "language": "es",
                    "subject": "Le extrañamos, {{ patient.firstName }}",
                    "body": "Su última visita fue {{ patient.lastVisitDate | ago }}. "
                    "Reserve: {{ bookingLink }}",
                }
            ],
        },
        {
            "channel": "SMS",
            "sequence": 2,
            "delayDays": 1,
            "body": "{{ clinic.name }}: book at {{ bookingLink }}",
            "translations": [
                {"language": "es", "body": "{{ clinic.name }}: reserve en {{ bookingLink }}"}
            ],
        },
    ],
    "schedule": {"sendTimes": ["10:00"], "timezone": "America/Chicago"},
}
SPANISH_SMS = CAMPAIGN["messageTemplates"][1]["translations"][0]


async def test_each_patient_gets_their_languages_template_and_way_out(infra) -> None:
    clock = FakeClock(NINE_AM_CHICAGO)
    clinic = unique("clinic-lang")
    spanish, french = unique("p-es"), unique("p-fr")
    phones = {spanish: "+15557010001", french: "+15557010002"}
    async with (
        dispatch_stack(infra, "lang", clock) as stack,
        front_office(stack.settings, clock, clinic) as gateway,
    ):
        sent = await stack.bus.watch("message.sent")
        # given two lapsed patients seen 400 days ago: one prefers es-MX, one French
        await stack.bus.publish(
            _patient(spanish, "Lucía", "es-MX", phones[spanish]),
            _patient(french, "Marie", "fr", phones[french]),
            *(_seen_400_days_ago(patient, clock) for patient in (spanish, french)),
            clinic_id=clinic,
        )
        api = _api(gateway, clinic)

        # when the clinic creates the campaign with Spanish templates and launches it
        created = await api("POST", CAMPAIGNS, CAMPAIGN)
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]
        launched = await api("POST", f"{CAMPAIGNS}/{campaign_id}/launch")
        assert launched.json()["status"] == "ACTIVE", launched.text
        clock.now = NINE_AM_CHICAGO + timedelta(hours=1)  # step 1's send time

        # then the Spanish patient's email is the Spanish one, its unsubscribe line Spanish;
        # the French patient's the English one (no French template, no French wording)
        await eventually(lambda: _sent_count(sent, campaign_id, 2), within=60, interval=0.2)
        assert {e.outcome for e in sent_of(sent, campaign_id)} == {SendOutcome.SENT}
        subject, text = await _email(stack, spanish)
        assert subject == "Le extrañamos, Lucía"
        assert text.startswith("Su última visita fue hace 1 año. Reserve: https://"), text
        assert "Para dejar de recibir estos correos, cancele su suscripción aquí: https://" in text
        subject, text = await _email(stack, french)
        assert subject == "We miss you, Marie"
        assert text.startswith("Your last visit was 1 year ago. Book: https://"), text
        assert "To stop receiving these emails, unsubscribe here: https://" in text

        # and a day later the SMS step: Spanish with its STOP hint in Spanish, English
        clock.now = NINE_AM_CHICAGO + timedelta(days=1, hours=1)
        await eventually(lambda: _sent_count(sent, campaign_id, 4), within=60, interval=0.2)
        [to_spanish] = await stack.sms_to(phones[spanish])
        [to_french] = await stack.sms_to(phones[french])
        assert to_spanish["body"].startswith("Bright Smiles Dental: reserve en https://")
        assert to_spanish["body"].endswith("\nResponda STOP para darse de baja")
        assert to_french["body"].startswith("Bright Smiles Dental: book at https://")
        assert to_french["body"].endswith("\nReply STOP to opt out")


async def test_the_preview_shows_each_language_and_a_bad_language_changes_nothing(
    infra,
) -> None:
    clock = FakeClock(NINE_AM_CHICAGO)
    clinic = unique("clinic-lang-preview")
    spanish = unique("p-es")
    async with (
        dispatch_stack(infra, "lang-preview", clock) as stack,
        front_office(stack.settings, clock, clinic) as gateway,
    ):
        await stack.bus.publish(
            _patient(spanish, "Lucía", "es", "+15557010003"),
            _seen_400_days_ago(spanish, clock),
            clinic_id=clinic,
        )
        api = _api(gateway, clinic)
        created = await api("POST", CAMPAIGNS, CAMPAIGN)
        campaign_id = created.json()["id"]
        preview = f"{CAMPAIGNS}/{campaign_id}/preview"

        # when the clinic previews in Spanish, in French, and for the Spanish patient
        in_spanish = (await api("POST", preview, {"language": "es"})).json()
        in_french = (await api("POST", preview, {"language": "fr"})).json()

        async def patient_known() -> bool:
            return (await api("POST", preview, {"patientId": spanish})).status_code == 200

        await eventually(patient_known, within=30, interval=0.2)
        for_patient = (await api("POST", preview, {"patientId": spanish})).json()

        # then Spanish shows the Spanish templates with the Spanish way out; French the
        # English ones; the patient's preview is in their language, with their data
        email_es, sms_es = in_spanish["messages"]
        assert (in_spanish["language"], email_es["language"], sms_es["language"]) == (
            "es",
            "es",
            "es",
        )
        assert email_es["subject"] == "Le extrañamos, Jamie"
        assert sms_es["body"].endswith("\nResponda STOP para darse de baja")
        assert [m["language"] for m in in_french["messages"]] == ["en", "en"]
        assert in_french["messages"][1]["body"].endswith("\nReply STOP to opt out")
        assert [m["language"] for m in for_patient["messages"]] == ["es", "es"]
        assert for_patient["messages"][0]["subject"] == "Le extrañamos, Lucía"
        assert '<html lang="es">' in for_patient["messages"][0]["html"]

        # when a template in an unsupported language, or one that cannot render, is saved
        bad = _with_translations(CAMPAIGN, SPANISH_SMS, {"language": "fr", "body": "Bonjour"})
        refused_new = await api("POST", CAMPAIGNS, bad)
        broken = _with_translations(CAMPAIGN, {"language": "es", "body": "Hola {{ patient.x }}"})
        refused_edit = await api("PUT", f"{CAMPAIGNS}/{campaign_id}", broken)

        # then each is refused naming the field, and nothing changed
        assert refused_new.status_code == 422, refused_new.text
        assert _codes(refused_new) == {
            "messageTemplates.1.translations.1.language": "UNSUPPORTED_LANGUAGE"
        }
        assert refused_edit.status_code == 422, refused_edit.text
        assert _codes(refused_edit) == {
            "messageTemplates.1.translations.0.body": "INVALID_TEMPLATE"
        }
        listed = (await api("GET", CAMPAIGNS)).json()
        assert [c["id"] for c in listed["items"]] == [campaign_id]
        kept = (await api("GET", f"{CAMPAIGNS}/{campaign_id}")).json()
        assert kept["messageTemplates"] == created.json()["messageTemplates"]


def _with_translations(campaign: dict[str, Any], *translations: dict[str, Any]) -> dict[str, Any]:
    """`campaign` whose SMS step has these `translations`."""
    steps = [dict(step) for step in campaign["messageTemplates"]]
    steps[1]["translations"] = list(translations)
    return {**campaign, "messageTemplates": steps}


def _codes(answer: httpx.Response) -> dict[str, str]:
    return {f["field"]: f["code"] for f in answer.json()["error"]["fields"]}


async def _sent_count(sent: list[Any], campaign_id: str, count: int) -> bool:
    return len(sent_of(sent, campaign_id)) >= count


def _patient(patient_id: str, first_name: str, language: str, phone: str) -> PatientUpserted:
    return PatientUpserted.model_validate(
        {
            "patientId": patient_id,
            "firstName": first_name,
            "email": f"{patient_id}@patients.example",
            "phone": phone,
            "consents": {"email": True, "sms": True},
            "preferredLanguage": language,
            "timezone": "America/Chicago",
            "treatmentStage": "HYGIENE_RECALL",
            "createdAt": "2019-03-01T10:00:00Z",
        }
    )


def _seen_400_days_ago(patient_id: str, clock: FakeClock) -> AppointmentUpdated:
    return AppointmentUpdated(
        appointment_id=f"a-{patient_id}",
        patient_id=patient_id,
        status="COMPLETED",
        scheduled_at=clock.now - timedelta(days=400),
    )


async def _email(stack: Any, patient_id: str) -> tuple[str, str]:
    """The subject and text part of the one email the patient received."""
    [arrived] = await stack.mailpit.to(f"{patient_id}@patients.example")
    parsed = email.message_from_bytes(
        await stack.mailpit.raw(arrived["ID"]), policy=email.policy.default
    )
    return parsed["Subject"], parsed.get_body(preferencelist=("plain",)).get_content()


def _api(gateway: httpx.AsyncClient, clinic: str):
    headers = admin_headers(clinic)

    async def call(method: str, path: str, body: Any = None) -> httpx.Response:
        return await gateway.request(method, path, json=body, headers=headers)

    return call
